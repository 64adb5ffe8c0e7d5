#!/bin/sh
# The greeter never runs themes as root: outside test mode, started as root, it becomes the
# [Greeter] User (--user, as sdvmd passes it), and refuses to start when that user is missing
# or is root itself.
set -eu
greeter=$1
out=$2
rm -rf "$out"
mkdir -p "$out"
if [ "$(id -u)" != 0 ]; then
    echo "SKIP: needs root (it checks the switch from root to the greeter user)"
    exit 77
fi
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
pid=""
trap '[ -z "$pid" ] || kill "$pid" 2> /dev/null || true' EXIT INT TERM

# A missing user, and root itself: refused with status 4 and a sentence saying why.
set +e
"$greeter" --user no-such-greeter-user --default-platform offscreen > "$out/missing.log" 2>&1
status=$?
set -e
[ "$status" = 4 ] || fail "missing user: status $status, expected 4"
grep -q 'does not exist' "$out/missing.log" || fail "missing user: no reason given"
set +e
"$greeter" --user root --default-platform offscreen > "$out/root.log" 2>&1
status=$?
set -e
[ "$status" = 4 ] || fail "User=root: status $status, expected 4"

# nobody: the greeter runs as nobody (real, effective and saved ids) and shows its theme.
chmod 0755 "$out"
SDVM_BACKEND=fake "$greeter" --user nobody --default-platform offscreen --theme "$(dirname "$0")/../../themes/sdvm" \
    > "$out/nobody.log" 2>&1 &
pid=$!
i=0
until grep -q 'first frame' "$out/nobody.log"; do
    i=$((i + 1))
    [ $i -lt 300 ] || { cat "$out/nobody.log" >&2; fail "no first frame as nobody"; }
    kill -0 "$pid" 2> /dev/null || { cat "$out/nobody.log" >&2; fail "the greeter died"; }
    sleep 0.1
done
nobody=$(id -u nobody)
uids=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$pid/status")
gids=$(awk '/^Gid:/ { print $2, $3, $4, $5 }' "/proc/$pid/status")
[ "$uids" = "$nobody $nobody $nobody $nobody" ] || fail "uids are $uids, expected $nobody"
case " $gids " in *" 0 "*) fail "a root group id is left: $gids" ;; esac
kill "$pid"
wait "$pid" 2> /dev/null || true
pid=""
echo "ok - runs as nobody ($uids / $gids), refuses root and a missing user"
