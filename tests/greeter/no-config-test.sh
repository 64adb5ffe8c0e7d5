#!/bin/sh
# The greeter opens no sdvm.conf: sdvmd is the one reader and passes the [Greeter] values on
# the command line (tests/daemon/test_greeter_process.cpp checks that side). A [Greeter]
# section planted where the greeter used to look by default (SYSCONFDIR/sdvm.conf) must change
# nothing. The file is planted in a mount namespace of this test's own, on an overlay of the
# nearest existing folder, so nothing outside the test ever sees it. Needs root, else skipped.
set -eu
greeter=$1
sysconfdir=$2
out=$3
rm -rf "$out"
mkdir -p "$out/t"

skip() {
    echo "SKIP: $*"
    exit 77
}
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
[ "$(id -u)" = 0 ] || skip "needs root (a private mount namespace)"
conf=$sysconfdir/sdvm.conf
base=$sysconfdir
while [ ! -d "$base" ]; do base=$(dirname "$base"); done
[ "$base" != / ] || skip "no folder above $conf to lay an overlay on"

# In the namespace: a tmpfs for the overlay's upper half, the overlay, the planted file, then
# the greeter in test mode (theme, folders and layouts left to their defaults).
set +e
# shellcheck disable=SC2016 # the script runs in the namespace, with its own arguments
unshare --mount --propagation private sh -eu -c '
    t=$1 base=$2 conf=$3
    shift 3
    mount -t tmpfs sdvm-no-config "$t" || exit 77
    mkdir "$t/upper" "$t/work"
    mount -t overlay overlay -o "lowerdir=$base,upperdir=$t/upper,workdir=$t/work" "$base" ||
        exit 77
    mkdir -p "$(dirname "$conf")"
    printf "[Greeter]\nTheme=maldives\nThemeDirs=/usr/share/sddm/themes\n" > "$conf"
    cp "$conf" "$t/../planted.conf" # proof that the file was there for the greeter to find
    exec "$@"
' sh "$out/t" "$base" "$conf" \
    "$greeter" --test-mode --size 800x600 --screenshot "$out/shot.png" --report "$out/report.json" \
    > "$out/greeter.log" 2>&1
status=$?
set -e
[ "$status" != 77 ] || skip "cannot lay an overlay on $base here"
[ -s "$out/planted.conf" ] || { cat "$out/greeter.log" >&2; fail "the file was not planted"; }
# 0: the default theme is installed; 3: it is not, and the fallback theme shows.
[ "$status" = 0 ] || [ "$status" = 3 ] || { cat "$out/greeter.log" >&2; fail "exit status $status"; }
[ -s "$out/report.json" ] || fail "no report"
if grep -q Maldives "$out/report.json"; then
    cat "$out/report.json" >&2
    fail "the greeter read $conf (it shows the planted Theme=maldives)"
fi
echo "ok - a [Greeter] section at $conf changes nothing (exit $status)"
