#!/bin/sh
# fleet-swarm: 20 terminals in two buildings fetch a new base version by BitTorrent from the
# image server (first seeder and HTTP web seed) and from each other, and activate it.
#   - every terminal ends with the manifest's bytes active (sdvm-image status, sha256);
#   - a01 has version 1 active and a session (qemu-io on a user's disk made on it) that runs
#     through the whole update undisturbed; its old base stays;
#   - b05 is killed (SIGKILL, engine and all) mid-download; run again, it resumes;
#   - "mallory", a peer in building A, seeds a corrupted copy (aria2c --bt-seed-unverified):
#     the terminals reject its pieces (aria2: "we got wrong piece") and still verify;
#   - b10 also follows "evil", whose manifest's signature is bad: refused, never installed.
# Root (network namespaces); skips (77) otherwise. See swarm-lib.sh for the network.
# usage: swarm.sh SDVM_IMAGE SDVM_ADMIN SCRATCH_DIR
set -eu
SDVM_IMAGE=$1
admin=$2
scratch=$3
here=$(dirname "$0")
# shellcheck source=tests/fleet/lib.sh
. "$here/lib.sh"
# shellcheck source=tests/fleet/swarm-lib.sh
. "$here/swarm-lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
need ip tc qemu-img qemu-io openssl python3 sha256sum busybox opentracker aria2c mktorrent curl
ip netns list >/dev/null 2>&1 || skip "no network namespaces here"

mkdir -p "$scratch"
tmp=$(mktemp -d "$scratch/fleet-swarm.XXXXXX")
session_pid=
cleanup() {
    set +e
    if [ -n "$session_pid" ]; then kill "$session_pid" 2>/dev/null; fi
    swarm_down
    if [ -z "${SDVM_KEEP:-}" ]; then rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM
swarm_init "$tmp"

# ---- the images ----------------------------------------------------------------------------
make_keys
make_image "$tmp/v1.qcow2" 16 0x11
make_image "$tmp/v2.qcow2" 32 0x22 # 16 MiB of data: a few seconds over the 40 Mbit/s uplinks
make_image "$tmp/evil.qcow2" 8 0x66
seed="--web-seed http://10.18.0.1:8080/ --tracker http://10.18.1.2:6969/announce"
# shellcheck disable=SC2086 # two options on purpose
publish lab 1 "$tmp/v1.qcow2" 1000 $seed
# shellcheck disable=SC2086
publish lab 2 "$tmp/v2.qcow2" 2000 $seed
# shellcheck disable=SC2086
publish evil 1 "$tmp/evil.qcow2" 2000 $seed
pub=$tmp/pub
# "evil": a manifest whose signature is not the lab's (signed by another key).
openssl pkeyutl -sign -rawin -inkey "$tmp/rogue.key" -in "$pub/evil-1.manifest" |
    base64 -w0 >"$pub/evil-1.manifest.sig"
echo >>"$pub/evil-1.manifest.sig"
sha2=$(sha "$pub/lab-2.qcow2")
size2=$(stat -c %s "$pub/lab-2.qcow2")

# ---- the campus ----------------------------------------------------------------------------
say "20 terminals in two buildings, 40 Mbit/s uplinks, the server behind 100 Mbit/s"
swarm_up 10 40 100
swarm_add_terminal mallory a 10.18.1.99
sed -i '/^mallory$/d' "$swarm_dir/terminals"
terminals=$(cat "$swarm_dir/terminals")
for t in $terminals; do
    swarm_terminal_conf "$t"
done
printf 'MaxDownloadKiBps=512\n' >>"$swarm_dir/t/b05/sdvm.conf"
sed -i 's/^\[Images\]$/[Images]\nFollow=lab;evil/' "$swarm_dir/t/b10/sdvm.conf"
swarm_start_server "$pub"

# a01: version 1 active, and alice in a session on it.
a01=$swarm_dir/t/a01
uid=$("$admin" userid alice@uni-a.test)
"$SDVM_IMAGE" --config "$a01/sdvm.conf" install --manifest "$pub/lab-1.manifest" \
    "$pub/lab-1.qcow2" >/dev/null
sha1=$(sha "$a01/images/versions/lab/1.qcow2")
mkdir -p "$a01/users/$uid"
qemu-img create -q -f qcow2 -b "$a01/images/versions/lab/1.qcow2" -F qcow2 \
    "$a01/users/$uid/lab.qcow2"
mkfifo "$tmp/session.in"
qemu-io "$a01/users/$uid/lab.qcow2" <"$tmp/session.in" >"$tmp/session.log" 2>&1 &
session_pid=$!
exec 9>"$tmp/session.in"
session_read() { # qemu-io takes one command per read(2): send one, wait for its answer
    before=$(grep -a -c 'read 65536/65536' "$tmp/session.log" || true)
    echo "read -P 0x11 0 64k" >&9
    n=0
    while [ "$(grep -a -c 'read 65536/65536' "$tmp/session.log" || true)" -le "$before" ]; do
        n=$((n + 1))
        [ $n -lt 600 ] || fail "a01's session stopped answering: $(cat "$tmp/session.log")"
        sleep 0.05
    done
    ! grep -a -q "Pattern verification failed" "$tmp/session.log" ||
        fail "a01's session read changed data"
}
session_read

# mallory: a corrupted copy of version 2 (every byte changed), seeded without checking.
mkdir -p "$tmp/mallory"
tr '\000-\377' '\001-\377\000' <"$pub/lab-2.qcow2" >"$tmp/mallory/lab-2.qcow2"
swarm_spawn mallory mallory "$tmp/mallory.out" aria2c --dir="$tmp/mallory" \
    --bt-seed-unverified=true --check-integrity=false --seed-ratio=0.0 --enable-dht=false \
    --enable-peer-exchange=false --bt-enable-lpd=true --bt-exclude-tracker='*' \
    --bt-tracker=http://10.18.1.2:6969/announce --listen-port=6881 --quiet=true \
    --log="$tmp/mallory.log" --log-level=info "$pub/lab-2.torrent"
sleep 1 # its first announce: the terminals' first peer lists include it

# ---- the update ----------------------------------------------------------------------------
# --no-idle: on this shared build machine, idle-class engines would wait for everyone else's
# compilers. b10 keeps the idle classes (checked below), as on a lab terminal.
start_fetch() { # T
    idle=--no-idle
    [ "$1" != b10 ] || idle=
    swarm_spawn "$1" "fetch-$1" "$swarm_dir/t/$1/fetch.log" \
        env SDVM_IMAGE_ARIA2_LOG="$swarm_dir/t/$1/aria2.log" \
        "$SDVM_IMAGE" --config "$swarm_dir/t/$1/sdvm.conf" fetch $idle
}
say "every terminal fetches"
started=$(date +%s)
for t in $terminals; do
    start_fetch "$t"
done

say "b10's engine runs at idle CPU and I/O priority"
n=0
until engine=$(pgrep -P "$(swarm_pid fetch-b10)" aria2c); do
    n=$((n + 1))
    [ $n -lt 200 ] || fail "b10 started no aria2c"
    sleep 0.05
done
chrt -p "$engine" | grep -q SCHED_IDLE || fail "b10's aria2c: $(chrt -p "$engine")"
ionice -p "$engine" | grep -q idle || fail "b10's aria2c: $(ionice -p "$engine")"

say "b05 is killed mid-download"
n=0
while :; do
    done_bytes=$(swarm_state b05 lab CompletedBytes)
    [ "${done_bytes:-0}" -lt $((size2 / 8)) ] || break
    n=$((n + 1))
    [ $n -lt 600 ] || fail "b05 made no progress: $(cat "$swarm_dir/t/b05/fetch.log")"
    sleep 0.2
done
swarm_stop fetch-b05 KILL
killed_at=$(swarm_state b05 lab CompletedBytes)
[ "$killed_at" -lt "$size2" ] || fail "b05 had finished before it was killed"
session_read
sleep 2 # the others go on meanwhile
sed -i '/^MaxDownloadKiBps=/d' "$swarm_dir/t/b05/sdvm.conf"
start_fetch b05

say "waiting until every terminal has the new version active"
n=0
while :; do
    pending=""
    for t in $terminals; do
        case $(swarm_state "$t" lab Phase) in
        SEEDING | DONE) ;;
        FAILED) fail "$t: $(swarm_state "$t" lab Error): $(swarm_state "$t" lab Detail)" ;;
        *) pending="$pending $t" ;;
        esac
    done
    [ -n "$pending" ] || break
    n=$((n + 1))
    [ $n -lt 600 ] || fail "still not active after 300 s:$pending"
    sleep 0.5
done
elapsed=$(($(date +%s) - started))
in_a=$(swarm_bytes_in a)
in_b=$(swarm_bytes_in b)
say "all 20 active ${elapsed} s after the fetches started (b05 killed and restarted); into building A $in_a bytes, B $in_b" \
    "(image $size2 bytes)"
session_read
for t in $terminals; do # all at once, then wait for each
    kill -TERM "$(swarm_pid "fetch-$t")" 2>/dev/null || true
done
for t in $terminals; do
    swarm_stop "fetch-$t"
done
say "every fetch stopped"

# ---- the checks ----------------------------------------------------------------------------
for t in $terminals; do
    d=$swarm_dir/t/$t
    "$SDVM_IMAGE" --config "$d/sdvm.conf" status --json >"$d/status.json"
    [ "$(sha "$d/images/versions/lab/2.qcow2")" = "$sha2" ] || fail "$t: not the manifest's bytes"
done
# One interpreter for all twenty (python3 takes seconds to start on a loaded machine).
# shellcheck disable=SC2086 # one argument per terminal
python3 - "$swarm_dir/t" $terminals <<'PY' || fail "a terminal's status is wrong (above)"
import json, sys
ok = True
for t in sys.argv[2:]:
    d = json.load(open(f"{sys.argv[1]}/{t}/status.json"))
    i = {x["id"]: x for x in d["images"]}
    lab = i["lab"]
    good = (lab["status"] == "AVAILABLE" and lab["version"] == "2"
            and lab["base"] == f"{sys.argv[1]}/{t}/images/versions/lab/2.qcow2"
            and lab["fetch"]["phase"] == "DONE" and lab["fetch"]["error"] == "NONE"
            and ("evil" not in i or i["evil"]["status"] == "NOT_INSTALLED"))
    if not good:
        print(t, json.dumps(d), file=sys.stderr)
        ok = False
sys.exit(0 if ok else 1)
PY
say "every terminal has lab 2 active, with the manifest's SHA-256"

# a01: the session ran through; its base is still there, unchanged; gc keeps it.
[ "$(sha "$a01/images/versions/lab/1.qcow2")" = "$sha1" ] || fail "a01: the old base changed"
session_read
"$SDVM_IMAGE" --config "$a01/sdvm.conf" gc --dry-run >"$tmp/gc.txt"
expect_in "$tmp/gc.txt" "keep $a01/images/versions/lab/1.qcow2"
say "a01's session was not disturbed and its old base is kept"

# b05 resumed: its second run started from what the first had staged.
resumed=$(swarm_state b05 lab ResumedBytes)
[ "${resumed:-0}" -gt 0 ] || fail "b05 started again from nothing (ResumedBytes=$resumed)"
say "b05 was killed at $killed_at bytes and resumed from $resumed"

# mallory's corrupt pieces reached terminals and were thrown away.
mallory_sent=$(in_ns mallory cat /sys/class/net/eth0/statistics/tx_bytes)
[ "$mallory_sent" -gt 65536 ] || fail "mallory sent only $mallory_sent bytes: no test"
rejected=$(cat "$swarm_dir"/t/a*/aria2.log | grep -c "we got wrong piece" || true)
[ "$rejected" -gt 0 ] || fail "no terminal rejected a piece though mallory sent $mallory_sent bytes"
say "mallory sent $mallory_sent bytes; the terminals rejected $rejected wrong pieces"

# b10: evil's manifest refused for its signature; nothing of it installed.
[ "$(swarm_state b10 evil Error)" = BAD_SIGNATURE ] ||
    fail "b10: evil is $(swarm_state b10 evil Phase) $(swarm_state b10 evil Error)"
[ ! -e "$swarm_dir/t/b10/images/evil.ini" ] || fail "b10 installed evil"
say "b10 refused evil's manifest (BAD_SIGNATURE)"

ratio_a=$(awk "BEGIN { printf \"%.2f\", $in_a / $size2 }")
ratio_b=$(awk "BEGIN { printf \"%.2f\", $in_b / $size2 }")
say "into each building per image size: A $ratio_a, B $ratio_b"
echo "PASS: fleet-swarm"
