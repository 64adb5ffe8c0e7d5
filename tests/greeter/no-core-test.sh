#!/bin/sh
# Review M5: the greeter crashed during a login (a password typed, Return pressed, the fake
# backend still busy) leaves no core dump and no password in any file. Xvfb + xcb, the keys
# typed with xdotool; SIGABRT and SIGSEGV with RLIMIT_CORE unlimited and sanitizers allowed
# to dump, in a working directory of its own. core_pattern is only read: a plain sh crashed
# the same way must leave a core there first, else the test is skipped.
# usage: no-core-test.sh SDVM_GREETER SOURCE_DIR OUT_DIR
set -eu
greeter=$(realpath "$1") src=$2 out=$3
rm -rf "$out"
mkdir -p "$out"
# shellcheck source=lib-x.sh
. "$(dirname "$0")/lib-x.sh"
greeter_stop_signal=KILL
trap x_cleanup EXIT INT TERM
fail() { echo "FAIL: $*" >&2; for f in "$out"/*/greeter.log; do [ -f "$f" ] && cat "$f" >&2; done; exit 1; }
# shellcheck disable=SC3045 # dash, bash and busybox sh all have ulimit -c
ulimit -c unlimited
export ASAN_OPTIONS="disable_coredump=0:handle_segv=0:handle_abort=0:detect_leaks=0:detect_container_overflow=0"
export UBSAN_OPTIONS="handle_segv=0:handle_abort=0"

mkdir "$out/control"
(cd "$out/control" && sh -c 'kill -ABRT $$') 2> /dev/null || true
if [ -z "$(ls "$out/control")" ]; then
    echo "SKIP: a crashing sh left no core in its working directory (core_pattern is" \
        "$(cat /proc/sys/kernel/core_pattern)): nothing to observe here"
    exit 77
fi

x_start 71 1024x768x24 "$out/xvfb.log"

password=pw-core-greeter-93d2
for sig in ABRT SEGV; do
    d=$out/$sig
    mkdir -p "$d"
    (cd "$d" && SDVM_FAKE_LOG="$d/fake.log" SDVM_FAKE_DELAY_MS=20000 QT_QPA_PLATFORM=xcb \
        exec "$greeter" --test-mode --theme "$src/themes/sdvm" > "$d/greeter.log" 2>&1) &
    greeter_pid=$!
    greeter_wait_first_frame "$d/greeter.log" "$greeter_pid" "SIG$sig"
    greeter_type_login ana@example.edu "$password" 20
    xdotool key Return
    i=0
    until grep -q "LOGIN nai=" "$d/fake.log" 2> /dev/null; do
        i=$((i + 1))
        [ $i -lt 100 ] || fail "the login did not reach the fake backend"
        sleep 0.1
    done
    kill -"$sig" "$greeter_pid"
    status=0
    wait "$greeter_pid" || status=$?
    greeter_pid=""
    [ "$status" -gt 128 ] || fail "the greeter did not die of SIG$sig (exit $status)"
    cores=$(find "$d" -name 'core*' -type f)
    [ -z "$cores" ] || fail "SIG$sig left a core dump: $cores"
    if grep -r -l -F -e "$password" "$d" > /dev/null 2>&1; then
        fail "the password is in a file: $(grep -r -l -F -e "$password" "$d")"
    fi
    echo "ok - SIG$sig during a login: no core, no password"
done
