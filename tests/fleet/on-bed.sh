#!/bin/sh
# The real sdvmd on the 802.1X bed, with logins through sdvm-admin login (libsdvm), watched:
#   on-bed.sh prometheus  fleet-prometheus: sdvmd writes its metrics for the node exporter's
#                         textfile collector; a real node exporter and a real Prometheus
#                         (Debian's, scraping every second, in a private network namespace on
#                         its loopback, data under the build dir) answer the HTTP API with
#                         the counters the logins made.
#   on-bed.sh wtmp        fleet-wtmp: each session is a wtmp record pair in a test-owned
#                         file (`last -f` shows the NAI's user and realm, never the password),
#                         `sdvm-admin sessions [--since]` lists them, and (where journald
#                         runs) a structured journal entry.
# Run through `bed exec --` as root; exit 77 when the bed is not up.
# usage: on-bed.sh MODE SDVMD SDVM_ADMIN SDVM_CAT SDVM_IMAGE SCRATCH_DIR
set -eu
mode=$1
sdvmd=$2
admin=$3
sdvm_cat=$4
SDVM_IMAGE=$5
scratch=$6
here=$(dirname "$0")
# shellcheck source=tests/fleet/lib.sh
. "$here/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root"
[ -n "${SDVM_BED_STATE:-}" ] || skip "run through tests/testbed/bed exec -- (the bed is not up)"
need qemu-img curl last

mkdir -p "$scratch"
tmp=$(mktemp -d "$scratch/fleet-$mode.XXXXXX")
chmod 0755 "$tmp"
sdvmd_pid=''
netns=''
cleanup() {
    set +e
    if [ -n "$sdvmd_pid" ]; then
        kill "$sdvmd_pid"
        wait "$sdvmd_pid"
    fi
    for f in "$tmp"/*.pid; do
        [ -e "$f" ] || continue
        kill "$(cat "$f")" 2>/dev/null
    done
    sleep 0.2
    if [ -n "$netns" ]; then ip netns del "$netns"; fi
    if [ -z "${SDVM_KEEP:-}" ]; then rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# ---- sdvmd's state dir (as tests/daemon/test_daemon_bed.cpp makes it) ----------------------
d=$tmp/state
mkdir -p "$d/images" "$d/users" "$d/realms.d" "$d/ca" "$d/run" "$d/textfile"
qemu-img create -q -f qcow2 "$d/images/tiny.qcow2" 64M
printf '[Image]\nName=Tiny\nOsType=linux\nDefault=true\nVersion=7\n' >"$d/images/tiny.ini"
mkdir -p "$d/images/versions/tiny"
mv "$d/images/tiny.qcow2" "$d/images/versions/tiny/7.qcow2"
# The bed's realm is TTLS-PAP on a wired port: the wired policy needs the realm's opt-in.
cat >"$d/realms.d/bed.conf" <<EOF
[Realm a]
Name=uni-a.test
Method=ttls
Inner=pap
AllowUnprotectedWired=true
CaFile=$SDVM_BED_CA
ServerNames=$SDVM_BED_SERVER_NAME
EOF
cat >"$d/run-guest" <<'EOF'
#!/bin/sh
sleep 1.2
echo 'guest: stand-in powering off'
EOF
chmod 0755 "$d/run-guest"
# An (empty) CAT database, three days old: its age is a metric.
mkdir -p "$tmp/cat-in"
"$sdvm_cat" build --quiet "$tmp/cat-in" "$d/cat.db" >/dev/null
touch -d '3 days ago' "$d/cat.db"
cat >"$d/sdvm.conf" <<EOF
[Paths]
StateDir=$d
RealmsDir=$d/realms.d
RunGuest=$d/run-guest
Socket=$d/run/sdvmd.sock
Wtmp=$d/wtmp
[Network]
UseWifi=false
[Login]
ThrottleAfter=0
[Metrics]
Textfile=$d/textfile/sdvm.prom
EOF
"$sdvmd" --config "$d/sdvm.conf" --vt 0 --no-greeter --stderr --debug >"$tmp/sdvmd.log" 2>&1 &
sdvmd_pid=$!
n=0
# Its socket, then the end of its clean-up of earlier sessions (logins are BUSY until then).
until [ -S "$d/run/sdvmd.sock" ] && grep -q 'logins open' "$tmp/sdvmd.log"; do
    n=$((n + 1))
    [ $n -lt 200 ] || fail "sdvmd did not start: $(cat "$tmp/sdvmd.log")"
    sleep 0.05
done
export SDVM_SOCKET="$d/run/sdvmd.sock"

login() { # NAI PASSWORD: through libsdvm as the greeter would, following the session
    printf '%s\n' "$2" | "$admin" --config "$d/sdvm.conf" login --image tiny --timeout 60 \
        --follow "$1" >>"$tmp/logins.log" 2>&1
}
session_ends() { # COUNT: sdvmd has logged that many session ends
    n=0
    until [ "$(grep -c 'session ended' "$tmp/sdvmd.log" || true)" -ge "$1" ]; do
        n=$((n + 1))
        [ $n -lt 400 ] || fail "no session end: $(cat "$tmp/sdvmd.log")"
        sleep 0.05
    done
}

say "logins: alice twice, a wrong password, an unknown realm"
login "$SDVM_BED_ALICE" "$SDVM_BED_ALICE_PASSWORD" || fail "alice: $(cat "$tmp/logins.log")"
session_ends 1
before_second=$(date +%s)
sleep 1
login "$SDVM_BED_ALICE" "$SDVM_BED_ALICE_PASSWORD" || fail "alice again: $(cat "$tmp/logins.log")"
session_ends 2
! login "$SDVM_BED_ALICE" "not-the-password" || fail "a wrong password logged in"
! login mallory@unknown.test whatever || fail "an unknown realm logged in"

if [ "$mode" = wtmp ]; then
    say "last -f shows both sessions, with the user and realm"
    last -f "$d/wtmp" >"$tmp/last.txt"
    [ "$(grep -c '^alice  *sdvm  *uni-a.test' "$tmp/last.txt")" = 2 ] ||
        fail "last -f: $(cat "$tmp/last.txt")"
    ! grep -q "still logged in" "$tmp/last.txt" || fail "a session without its end: $(cat "$tmp/last.txt")"
    for secret in "$SDVM_BED_ALICE_PASSWORD" not-the-password; do
        ! grep -a -q -- "$secret" "$d/wtmp" || fail "a password is in the wtmp file"
    done
    say "sdvm-admin sessions"
    expect_status 0 "$admin" --config "$d/sdvm.conf" sessions
    [ "$(grep -c ' alice  *uni-a.test$' "$tmp/out")" = 2 ] || fail "sessions: $(cat "$tmp/out")"
    expect_status 0 "$admin" --config "$d/sdvm.conf" sessions --since "@$before_second" --parsable
    [ "$(wc -l <"$tmp/out")" = 1 ] || fail "sessions --since: $(cat "$tmp/out")"
    expect_in "$tmp/out" "	alice	uni-a.test"
    expect_status 2 "$admin" --config "$d/sdvm.conf" sessions --since yesterday-ish
    if [ -S /run/systemd/journal/socket ] && command -v journalctl >/dev/null &&
        journalctl -q -n 0 >/dev/null 2>&1; then
        n=0
        until journalctl -q -o cat SDVM_EVENT=session-end "SDVM_NAI=$SDVM_BED_ALICE" \
            --since "@$((before_second - 60))" | grep -q "session ended"; do
            n=$((n + 1))
            [ $n -lt 50 ] || fail "no session-end entry in the journal"
            sleep 0.1
        done
        say "the journal has the structured session entries"
    else
        say "journald is not running here: the journal entries are not checked"
    fi
    echo "PASS: fleet-wtmp"
    exit 0
fi

# ---- prometheus ----------------------------------------------------------------------------
need prometheus prometheus-node-exporter ip
netns=sdvmprom-$(printf '%s' "$tmp" | sha256sum | cut -c1-8)
ip netns add "$netns"
ip netns exec "$netns" ip link set lo up
ip netns exec "$netns" prometheus-node-exporter --web.listen-address=127.0.0.1:9100 \
    --collector.disable-defaults --collector.textfile \
    --collector.textfile.directory="$d/textfile" >"$tmp/node-exporter.log" 2>&1 &
echo $! >"$tmp/node-exporter.pid"
cat >"$tmp/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: sdvm
    static_configs:
      - targets: ['127.0.0.1:9100']
EOF
ip netns exec "$netns" prometheus --config.file="$tmp/prometheus.yml" \
    --storage.tsdb.path="$tmp/prometheus-data" --web.listen-address=127.0.0.1:9090 \
    >"$tmp/prometheus.log" 2>&1 &
echo $! >"$tmp/prometheus.pid"

# query PROMQL: the value of the first series ("" when none yet)
query() {
    ip netns exec "$netns" curl -s -G --data-urlencode "query=$1" \
        http://127.0.0.1:9090/api/v1/query |
        sed -n 's/.*"value":\[[0-9.]*,"\([^"]*\)"\].*/\1/p'
}
expect_metric() { # PROMQL VALUE: waits for Prometheus to have scraped it
    n=0
    until [ "$(query "$1")" = "$2" ]; do
        n=$((n + 1))
        [ $n -lt 300 ] || fail "$1 is \"$(query "$1")\", expected $2 (prometheus: $(tail -3 "$tmp/prometheus.log"))"
        sleep 0.1
    done
    say "$1 = $2"
}
expect_metric 'sdvm_logins_total{outcome="success"}' 2
expect_metric 'sdvm_logins_total{outcome="failure",reason="BAD_CREDENTIALS"}' 1
expect_metric 'sdvm_logins_total{outcome="failure",reason="UNKNOWN_REALM"}' 1
expect_metric 'sum(sdvm_logins_total)' 4
expect_metric 'sdvm_login_stage_duration_seconds_count{stage="8021x"}' 2
expect_metric 'sdvm_login_stage_duration_seconds_count{stage="disk"}' 2
expect_metric 'sdvm_login_stage_duration_seconds_count{stage="guest_start"}' 2
expect_metric 'sdvm_sessions_total' 2
expect_metric 'sdvm_sessions_running' 0
expect_metric 'sdvm_session_duration_seconds_count' 2
expect_metric 'sdvm_session_duration_seconds_bucket{le="60"}' 2
expect_metric 'sdvm_images' 1
expect_metric 'sdvm_image_info{image="tiny",version="7",status="AVAILABLE"}' 1
expect_metric 'sdvm_store_evictions_total' 0
expect_metric 'sdvm_greeter_restarts_total' 0
expect_metric 'sdvm_store_free_bytes > bool 0' 1
expect_metric 'sdvm_cat_database_age_seconds > bool 259000' 1

say "sdvm-image installs version 8: sdvmd sees the renamed .ini without a reload"
make_keys
make_image "$tmp/v8.qcow2" 16 0x08
publish tiny 8 "$tmp/v8.qcow2" 2000 --web-seed http://images.lab.test/ \
    --tracker http://tracker.lab.test:6969/announce
printf '[Images]\nTrustedKey=%s\n' "$tmp/sign.pub" >>"$d/sdvm.conf"
"$SDVM_IMAGE" --config "$d/sdvm.conf" install --manifest "$tmp/pub/tiny-8.manifest" \
    "$tmp/pub/tiny-8.qcow2" >/dev/null
expect_metric 'sdvm_image_info{image="tiny",version="8",status="AVAILABLE"}' 1
login "$SDVM_BED_ALICE" "$SDVM_BED_ALICE_PASSWORD" || fail "alice on 8: $(cat "$tmp/logins.log")"
session_ends 3
grep -q "login ok: .*image=tiny disk=" "$tmp/sdvmd.log" || fail "no login on version 8"
expect_metric 'sdvm_sessions_total' 3
uid=$("$admin" userid "$SDVM_BED_ALICE")
ls "$d/users/$uid"/tiny.retired-*.qcow2 >/dev/null 2>&1 || fail "alice's disk on 7 was not retired"
"$SDVM_IMAGE" --config "$d/sdvm.conf" gc --dry-run >"$tmp/gc.txt"
expect_in "$tmp/gc.txt" "keep $d/images/versions/tiny/7.qcow2: 1 user disk made on it"
say "alice's disk on version 7 is retired and keeps its base"
echo "PASS: fleet-prometheus"
