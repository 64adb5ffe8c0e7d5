#!/bin/sh
# Install libsdvm's components into a scratch DESTDIR and build the example client
# (examples/login.c) the way an outside greeter would: only pkg-config sdvm and the
# installed headers (strict C11; the headers also as C++17), then run it against the fake
# backend. Also checks the installed files and the soname links.
# Usage: installed.sh BUILD_DIR CLIENT.c CC CXX [EXTRA_FLAGS...]
set -eu
build=$1
client=$2
cc=$3
cxx=$4
shift 4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
for component in libsdvm libsdvm-dev; do
    DESTDIR=$work/root cmake --install "$build" --component "$component" > /dev/null
done
pc=$(find "$work/root" -name sdvm.pc)
[ -n "$pc" ] || { echo "sdvm.pc not installed" >&2; exit 1; }
pcdir=$(dirname "$pc")
prefix=$(cd "$pcdir/../.." && pwd)
case "$pcdir" in */lib/*/pkgconfig) prefix=$(cd "$pcdir/../../.." && pwd) ;; esac
for f in sdvm.h sdvm-failure.h sdvm-log.h sdvm-types.h; do
    [ -f "$prefix/include/sdvm/$f" ] || { echo "missing include/sdvm/$f" >&2; exit 1; }
done
libdir=$(dirname "$(find "$work/root" -name 'libsdvm.so.0' | head -n 1)")
[ -L "$libdir/libsdvm.so" ] || { echo "libsdvm.so (dev link) missing" >&2; exit 1; }
[ -L "$libdir/libsdvm.so.0" ] || { echo "libsdvm.so.0 (soname link) missing" >&2; exit 1; }

export PKG_CONFIG_PATH="$pcdir"
pkgflags=$(pkg-config --define-variable=prefix="$prefix" --cflags --libs sdvm)
version=$(pkg-config --modversion sdvm)
# shellcheck disable=SC2086 # flags are words
"$cc" -std=c11 -Wall -Wextra -Werror -pedantic "$@" "$client" \
    -o "$work/client" $pkgflags
# The headers are C++-clean too (extern "C", no C-only constructs).
printf '#include <sdvm.h>\nint main() { return sdvm_version() ? 0 : 1; }\n' > "$work/cxx.cpp"
# shellcheck disable=SC2086
"$cxx" -std=c++17 -Wall -Wextra -Werror -pedantic "$@" "$work/cxx.cpp" -o "$work/cxx" $pkgflags
# timeout: the example waits for its login with no time limit, as a greeter would.
out=$(SDVM_BACKEND=fake SDVM_FAKE_DELAY_MS=1 LD_LIBRARY_PATH="$libdir" timeout 60 "$work/client")
echo "$out"
echo "$out" | grep -q "^launched windows-11 after 5 stages on lab-terminal-01 (libsdvm $version)$"
LD_LIBRARY_PATH="$libdir" "$work/cxx"
echo "installed libsdvm $version: pkg-config, headers, soname links and a client: ok"
