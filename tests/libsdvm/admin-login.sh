#!/bin/sh
# sdvm-admin login through libsdvm's fake backend: stages, outcome, exit status, the
# password read from stdin and never written anywhere, cancel on SIGINT.
# Usage: admin-login.sh <sdvm-admin>
set -eu
admin=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
export SDVM_BACKEND=fake SDVM_FAKE_DELAY_MS=10 SDVM_FAKE_LOG="$work/fake.log"
fails=0
fail() {
    echo "FAIL: $*" >&2
    fails=$((fails + 1))
}
expect_line() { # file line
    grep -qxF -- "$2" "$1" || fail "expected line '$2' in: $(cat "$1")"
}

# 1. Success: every stage, launching, status 0, the default image of the catalog.
status=0
printf 'open sesame\n' | "$admin" login alice@example.org > "$work/out" 2> "$work/err" || status=$?
[ "$status" = 0 ] || fail "success: status $status ($(cat "$work/err"))"
expect_line "$work/out" "login: alice@example.org on lab-terminal-01, image windows-11"
for stage in CHECKING_REALM CONNECTING_WIRED AUTHENTICATING PREPARING_DISK STARTING; do
    grep -q "^stage: $stage " "$work/out" || fail "stage $stage missing"
done
expect_line "$work/out" "launching: the login succeeded; sdvmd starts the guest"
expect_line "$work/fake.log" "LOGIN nai=alice@example.org image=windows-11 password-length=11"
if grep -rq "sesame" "$work"; then fail "the password reached a file"; fi

# 2. A wrong password: the reason and the helpdesk, status 1.
status=0
printf 'wrong\n' | "$admin" login --image debian-12 bob@uni.example > "$work/out" 2>&1 || status=$?
[ "$status" = 1 ] || fail "wrong password: status $status"
expect_line "$work/out" \
    "failed: BAD_CREDENTIALS: the home RADIUS server rejected the user name or password"
expect_line "$work/out" "helpdesk e-mail: helpdesk@uni.example"

# 3. An unavailable image, a throttled terminal.
status=0
echo pw | "$admin" login --image ubuntu-24.04 a@example.org > "$work/out" 2>&1 || status=$?
[ "$status" = 1 ] || fail "unavailable image: status $status"
grep -q "^failed: IMAGE_UNAVAILABLE" "$work/out" || fail "IMAGE_UNAVAILABLE: $(cat "$work/out")"
echo throttle | "$admin" login a@example.org > "$work/out" 2>&1 || true
expect_line "$work/out" "retry after: 30 s"

# 4. No password, bad arguments, no daemon.
status=0
"$admin" login a@example.org < /dev/null > "$work/out" 2>&1 || status=$?
[ "$status" = 1 ] || fail "no password: status $status"
grep -q "no password given" "$work/out" || fail "no password: $(cat "$work/out")"
status=0
"$admin" login < /dev/null > /dev/null 2>&1 || status=$?
[ "$status" = 2 ] || fail "no NAI: status $status"
status=0
"$admin" login --timeout soon a@b < /dev/null > /dev/null 2>&1 || status=$?
[ "$status" = 2 ] || fail "bad timeout: status $status"
status=0
SDVM_BACKEND=socket SDVM_SOCKET="$work/none.sock" "$admin" login a@b < /dev/null \
    > "$work/out" 2>&1 || status=$?
[ "$status" = 1 ] || fail "no daemon: status $status"
grep -q "cannot reach sdvmd at $work/none.sock" "$work/out" || fail "no daemon: $(cat "$work/out")"

# 5. SIGINT cancels the login; the tool waits for the answer and reports it.
mkfifo "$work/pw"
SDVM_FAKE_DELAY_MS=3000 "$admin" login a@example.org < "$work/pw" > "$work/out" 2>&1 &
pid=$!
echo pw > "$work/pw"
i=0
while ! grep -q "^stage: CHECKING_REALM" "$work/out" && [ $i -lt 100 ]; do
    sleep 0.05
    i=$((i + 1))
done
kill -INT "$pid"
status=0
wait "$pid" || status=$?
[ "$status" = 1 ] || fail "interrupted: status $status"
expect_line "$work/out" "cancelling: interrupted"
grep -q "^failed: CANCELLED" "$work/out" || fail "interrupted: $(cat "$work/out")"
expect_line "$work/fake.log" "CANCEL op=1"

# 6. --timeout cancels too.
SDVM_FAKE_DELAY_MS=3000 "$admin" login --timeout 1 a@example.org > "$work/out" 2>&1 <<EOP || true
pw
EOP
expect_line "$work/out" "cancelling: timed out"

if [ "$fails" -ne 0 ]; then
    echo "$fails check(s) failed" >&2
    exit 1
fi
echo "sdvm-admin login: all checks passed"
