#!/bin/sh
# Review M5: a crash of sdvmd after a login leaves no core dump (and so no password) behind.
# The real sdvmd (no greeter, no NetworkManager: the system bus address points at nothing)
# gets one login through sdvm-admin, then SIGABRT and SIGSEGV, with RLIMIT_CORE unlimited and
# sanitizers allowed to dump, in a working directory of its own. This machine's core_pattern
# is only read: a plain sh crashed the same way must leave a core there first, else the
# machine does not write cores to the working directory and the test is skipped.
# usage: no-core-test.sh SDVMD SDVM_ADMIN
set -eu
sdvmd=$(realpath "$1") admin=$(realpath "$2")
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (sdvmd's socket and state)"; exit 77; }
tmp=$(mktemp -d)
pid=""
cleanup() {
    if [ -n "$pid" ]; then kill -9 "$pid" 2> /dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*" >&2; [ ! -f "$tmp/sdvmd.log" ] || cat "$tmp/sdvmd.log" >&2; exit 1; }
# shellcheck disable=SC3045 # dash, bash and busybox sh all have ulimit -c
ulimit -c unlimited
# ASan and UBSan: let the kernel dump (their default is to switch dumps off).
export ASAN_OPTIONS="disable_coredump=0:handle_segv=0:handle_abort=0:detect_leaks=0"
export UBSAN_OPTIONS="handle_segv=0:handle_abort=0"

# The control: does this machine write "core" files to the working directory?
mkdir "$tmp/control"
(cd "$tmp/control" && sh -c 'kill -ABRT $$') 2> /dev/null || true
if [ -z "$(ls "$tmp/control")" ]; then
    echo "SKIP: a crashing sh left no core in its working directory (core_pattern is" \
        "$(cat /proc/sys/kernel/core_pattern)): nothing to observe here"
    exit 77
fi

password=pw-core-test-7b1e
for sig in ABRT SEGV; do
    d=$tmp/$sig
    mkdir -p "$d/images" "$d/realms.d" "$d/users" "$d/run"
    "${QEMU_IMG:-qemu-img}" create -q -f qcow2 "$d/images/tiny.qcow2" 16M
    printf '[Image]\nName=Tiny\nOsType=linux\n' > "$d/images/tiny.ini"
    printf '[Realm]\nName=uni-a.test\nMethod=pwd\n' > "$d/realms.d/a.conf"
    cat > "$d/sdvm.conf" <<CONF
[Paths]
StateDir=$d
ImagesDir=$d/images
UsersDir=$d/users
RealmsDir=$d/realms.d
CatDatabase=$d/none.db
CaDir=$d/ca
Socket=$d/run/sdvmd.sock
CONF
    (cd "$d" && DBUS_SYSTEM_BUS_ADDRESS=unix:path=$tmp/no-bus \
        exec "$sdvmd" --config "$d/sdvm.conf" --no-greeter --vt 0 --stderr \
        > "$tmp/sdvmd.log" 2>&1) &
    pid=$!
    i=0
    until [ -S "$d/run/sdvmd.sock" ]; do
        i=$((i + 1))
        [ $i -lt 300 ] || fail "sdvmd did not open its socket"
        kill -0 "$pid" 2> /dev/null || fail "sdvmd died"
        sleep 0.1
    done
    # The login reaches the network layer (which has no NetworkManager): the password went
    # through sdvmd's memory.
    printf '%s\n' "$password" | SDVM_SOCKET=$d/run/sdvmd.sock "$admin" login ana@uni-a.test \
        --image tiny --timeout 20 > "$tmp/login.out" 2>&1 || true
    grep -q "FINISHED\|failed\|NO_NETWORK\|INTERNAL" "$tmp/login.out" ||
        fail "the login did not reach sdvmd: $(cat "$tmp/login.out")"
    [ -z "${NO_CORE_DEBUG:-}" ] || cat "$tmp/login.out" "$tmp/sdvmd.log"
    kill -"$sig" "$pid"
    status=0
    wait "$pid" || status=$?
    pid=""
    [ "$status" -gt 128 ] || fail "sdvmd did not die of SIG$sig (exit $status)"
    cores=$(find "$d" -name 'core*' -type f)
    [ -z "$cores" ] || fail "SIG$sig left a core dump: $cores"
    if grep -r -l -F -e "$password" "$d" > /dev/null 2>&1; then
        fail "the password is in a file: $(grep -r -l -F -e "$password" "$d")"
    fi
    echo "ok - SIG$sig after a login: no core, no password"
done
