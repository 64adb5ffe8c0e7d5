#!/bin/sh
# packaging/deps/check-cmake must fail, naming the package, when a package the build needs is
# dropped from the dependency lists: one package for each kind of CMake lookup.
#   deps-dropped-test.sh BUILD_DIR
set -eu
build=${1:?usage: deps-dropped-test.sh BUILD_DIR}
src=$(cd "$(dirname "$0")/../.." && pwd)
[ -f "$build/CMakeCache.txt" ] || { echo "deps-dropped: $build is not configured" >&2; exit 1; }
command -v dpkg > /dev/null || { echo "deps-dropped: SKIP: not a Debian system" >&2; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

problems=0
# package  lookup it provides
for case in libsystemd-dev:pkg_check_modules qt6-tools-dev:find_package-config \
    libssl-dev:find_package-module clang:find_program; do
    pkg=${case%%:*}
    rm -rf "$tmp/deps"
    cp -r "$src/packaging/deps" "$tmp/deps"
    # check-cmake accepts a file whose package a listed package requires (a fresh machine gets
    # it too): drop those listed packages as well (Debian 13's libcurl4-openssl-dev requires
    # libssl-dev).
    # shellcheck disable=SC2046 # one argument per package
    drop="$pkg $(dpkg-query -W -f='${Package}|${Depends}, ${Pre-Depends}\n' \
                 $("$src/packaging/deps/install" --list) 2> /dev/null |
                 awk -F'|' -v p="$pkg" '$1 != p && (", " $2) ~ ("[,|] *" p "([ ,:(]|$)") { print $1 }')"
    for p in $drop; do
        find "$tmp/deps" -name '*.list' -exec sed -i -E "s/(^|[[:blank:]])$p([[:blank:]]|\$)/\\1\\2/g" {} +
    done
    if "$tmp/deps/install" --list | grep -qx "$pkg"; then
        echo "not ok - could not drop $pkg from the lists"
        problems=$((problems + 1))
        continue
    fi
    if out=$("$tmp/deps/check-cmake" "$build" "$src" 2>&1); then
        echo "not ok - without $pkg (${case#*:}) check-cmake still passes"
        problems=$((problems + 1))
    elif printf '%s\n' "$out" | grep -q "^not ok .*comes from \(.*,\)\?$pkg\(,.*\)\?, which no"; then
        echo "ok - without $pkg (${case#*:}): $(printf '%s\n' "$out" | grep -m1 "^not ok")"
    else
        printf 'not ok - without %s check-cmake failed, but not naming it:\n%s\n' "$pkg" "$out"
        problems=$((problems + 1))
    fi
done
[ "$problems" = 0 ]
