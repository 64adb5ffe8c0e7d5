#!/bin/sh
# fleet-activation: sdvm-image makes a new base version active atomically. It is killed
# (SIGKILL, via SDVM_IMAGE_CRASH_AT) after each step of an activation and of a gc; after every
# kill the catalog names either the old version or the new one, whole, and a rerun finishes
# the job. Throughout, a session (qemu-io holding a user's disk made on the old base, so the
# old base is open with QEMU's image locks) reads its disk undisturbed, the old base is kept
# while that disk exists, and goes once nothing uses it. Refusals: a tampered manifest, one
# signed by another key, a file that is not the manifest's, an older version.
# usage: activation.sh SDVM_IMAGE SDVM_ADMIN SCRATCH_DIR
set -eu
SDVM_IMAGE=$1
admin=$2
scratch=$3
here=$(dirname "$0")
# shellcheck source=tests/fleet/lib.sh
. "$here/lib.sh"
need qemu-img qemu-io openssl python3 sha256sum

mkdir -p "$scratch"
tmp=$(mktemp -d "$scratch/fleet-activation.XXXXXX")
session_pid=
cleanup() {
    if [ -n "$session_pid" ]; then kill "$session_pid" 2>/dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

make_keys
make_image "$tmp/v1.qcow2" 16 0x11
make_image "$tmp/v2.qcow2" 16 0x22
seed="--web-seed http://images.lab.test/sdvm/ --tracker http://tracker.lab.test:6969/announce"
# shellcheck disable=SC2086 # $seed is two options on purpose
publish lab 1 "$tmp/v1.qcow2" 1000 $seed
# shellcheck disable=SC2086
publish lab 2 "$tmp/v2.qcow2" 2000 $seed
pub=$tmp/pub
sha1=$(sha "$pub/lab-1.qcow2")
sha2=$(sha "$pub/lab-2.qcow2")
uid=$("$admin" userid alice@uni-a.test)

# state DIR: a terminal's StateDir with its sdvm.conf.
new_terminal() {
    d=$1
    mkdir -p "$d/images" "$d/users/$uid"
    printf '[Paths]\nStateDir=%s\n[Images]\nTrustedKey=%s\n' "$d" "$tmp/sign.pub" >"$d/sdvm.conf"
}

img() { # DIR ARGS...: sdvm-image on that terminal
    d=$1
    shift
    "$SDVM_IMAGE" --config "$d/sdvm.conf" "$@"
}

active_version() { # DIR
    sed -n 's/^Version=//p' "$1/images/lab.ini"
}

# The catalog's view (sdvm-image status): available, at the version and base named; and
# sdvm-admin's. (Text, not --json: python3 is slow to start on a loaded machine; --json is
# checked once at the end.)
check_catalog() { # DIR VERSION SHA
    img "$1" status >"$tmp/status.txt"
    grep -qxF "lab  AVAILABLE  version $2  $1/images/versions/lab/$2.qcow2" "$tmp/status.txt" ||
        fail "catalog of $1 is not lab $2: $(cat "$tmp/status.txt")"
    [ "$(sha "$1/images/versions/lab/$2.qcow2")" = "$3" ] || fail "$1: base of version $2 changed"
    "$admin" --config "$1/sdvm.conf" images --parsable >"$tmp/images.txt"
    grep -q "^lab	.*	AVAILABLE	" "$tmp/images.txt" || fail "sdvm-admin images: $(cat "$tmp/images.txt")"
}

start_session() { # DIR: qemu-io on alice's disk (made on version 1), held open
    d=$1
    qemu-img create -q -f qcow2 -b "$d/images/versions/lab/1.qcow2" -F qcow2 \
        "$d/users/$uid/lab.qcow2"
    rm -f "$d/session.in"
    mkfifo "$d/session.in"
    qemu-io "$d/users/$uid/lab.qcow2" <"$d/session.in" >"$d/session.log" 2>&1 &
    session_pid=$!
    exec 9>"$d/session.in"
    session_cmd "$d" "write -P 0x33 8M 64k" "wrote 65536/65536"
}

# qemu-io reads its commands line by line from the fifo but drops a second line that arrives
# in the same read(2): send one command, wait for its answer, then the next.
session_cmd() { # DIR COMMAND ANSWER-PATTERN
    before=$(grep -a -c "$3" "$1/session.log" || true)
    echo "$2" >&9
    n=0
    while [ "$(grep -a -c "$3" "$1/session.log" || true)" -le "$before" ]; do
        n=$((n + 1))
        [ $n -lt 600 ] || fail "the session stopped answering: $(cat "$1/session.log")"
        kill -0 "$session_pid" 2>/dev/null || fail "the session died: $(cat "$1/session.log")"
        sleep 0.05
    done
}

session_reads() { # DIR: the guest still sees the old base and its own write
    session_cmd "$1" "read -P 0x11 0 64k" "read 65536/65536"
    session_cmd "$1" "read -P 0x33 8M 64k" "read 65536/65536"
    ! grep -a -q "Pattern verification failed" "$1/session.log" ||
        fail "the session read changed data: $(cat "$1/session.log")"
}

stop_session() {
    echo quit >&9
    exec 9>&-
    wait "$session_pid" || true
    session_pid=
}

steps="STAGED_VERIFIED BASE_LINKED MANIFEST_SAVED INI_WRITTEN INI_RENAMED DURABLE"
for step in $steps; do
    d=$tmp/t-$step
    new_terminal "$d"
    expect_status 0 img "$d" install --manifest "$pub/lab-1.manifest" "$pub/lab-1.qcow2"
    check_catalog "$d" 1 "$sha1"
    start_session "$d"
    session_reads "$d"

    say "$step: sdvm-image killed there"
    set +e
    SDVM_IMAGE_CRASH_AT=$step img "$d" install --manifest "$pub/lab-2.manifest" \
        "$pub/lab-2.qcow2" >"$tmp/out" 2>&1
    got=$?
    set -e
    [ "$got" = 137 ] || fail "$step: expected a SIGKILL (137), got $got: $(cat "$tmp/out")"
    case $step in
    INI_RENAMED | DURABLE) want=2 want_sha=$sha2 ;;
    *) want=1 want_sha=$sha1 ;;
    esac
    [ "$(active_version "$d")" = "$want" ] ||
        fail "$step: version $(active_version "$d") active, expected $want"
    check_catalog "$d" "$want" "$want_sha"
    session_reads "$d"

    say "$step: the rerun finishes the activation"
    expect_status 0 img "$d" install --manifest "$pub/lab-2.manifest" "$pub/lab-2.qcow2"
    check_catalog "$d" 2 "$sha2"
    for f in "$d"/images/.*.ini.tmp-*; do
        [ ! -e "$f" ] || fail "$step: a temporary .ini is left: $f"
    done
    [ "$(sha "$d/images/versions/lab/1.qcow2")" = "$sha1" ] || fail "$step: the old base changed"
    session_reads "$d"

    say "$step: the old base stays while alice's disk is made on it"
    expect_status 0 img "$d" gc
    expect_in "$tmp/out" "keep $d/images/versions/lab/1.qcow2: 1 user disk made on it"
    stop_session
    expect_status 0 img "$d" gc
    [ -e "$d/images/versions/lab/1.qcow2" ] || fail "$step: gc removed a base a disk is made on"
    # The disk is evicted (the space rule); then nothing uses version 1 any more.
    rm -f "$d/users/$uid/lab.qcow2"
    if [ "$step" = DURABLE ]; then
        say "GC_REMOVED: sdvm-image gc killed after removing the old base"
        set +e
        SDVM_IMAGE_CRASH_AT=GC_REMOVED img "$d" gc >"$tmp/out" 2>&1
        got=$?
        set -e
        [ "$got" = 137 ] || fail "GC_REMOVED: expected a SIGKILL (137), got $got"
        check_catalog "$d" 2 "$sha2"
    fi
    expect_status 0 img "$d" gc
    [ ! -e "$d/images/versions/lab/1.qcow2" ] || fail "$step: the unused old base was kept"
    [ ! -e "$d/images/versions/lab/1.manifest" ] || fail "$step: the old manifest was kept"
    check_catalog "$d" 2 "$sha2"
done

say "refusals leave the active version alone"
d=$tmp/t-refuse
new_terminal "$d"
expect_status 0 img "$d" install --manifest "$pub/lab-1.manifest" "$pub/lab-1.qcow2"
sed 's/^Comment=.*/Comment=tampered/' "$pub/lab-2.manifest" >"$tmp/tampered.manifest"
cp "$pub/lab-2.manifest.sig" "$tmp/tampered.manifest.sig"
expect_status 1 img "$d" install --manifest "$tmp/tampered.manifest" "$pub/lab-2.qcow2"
expect_in "$tmp/err" "BAD_SIGNATURE"
cp "$pub/lab-2.manifest" "$tmp/rogue.manifest"
python3 - "$tmp" <<'PY'
import base64, subprocess, sys
t = sys.argv[1]
sig = subprocess.run(["openssl", "pkeyutl", "-sign", "-rawin", "-inkey", t + "/rogue.key",
                      "-in", t + "/rogue.manifest"], check=True, capture_output=True).stdout
open(t + "/rogue.manifest.sig", "w").write(base64.b64encode(sig).decode() + "\n")
PY
expect_status 1 img "$d" install --manifest "$tmp/rogue.manifest" "$pub/lab-2.qcow2"
expect_in "$tmp/err" "BAD_SIGNATURE"
expect_status 1 img "$d" install --manifest "$pub/lab-2.manifest" "$pub/lab-1.qcow2"
expect_in "$tmp/err" "HASH_MISMATCH"
check_catalog "$d" 1 "$sha1"
expect_status 0 img "$d" install --manifest "$pub/lab-2.manifest" "$pub/lab-2.qcow2"
expect_status 1 img "$d" install --manifest "$pub/lab-1.manifest" "$pub/lab-1.qcow2"
expect_in "$tmp/err" "DOWNGRADE"
check_catalog "$d" 2 "$sha2"
img "$d" status --json >"$tmp/status.json"
python3 - "$tmp/status.json" "$d/images/versions/lab/2.qcow2" <<'PY' ||
import json, sys
d = json.load(open(sys.argv[1]))
i = [x for x in d["images"] if x["id"] == "lab"][0]
assert i["status"] == "AVAILABLE" and i["version"] == "2" and i["base"] == sys.argv[2], i
assert [v["version"] for v in i["versions"] if v["active"]] == ["2"], i
PY
    fail "status --json: $(cat "$tmp/status.json")"
echo "PASS: fleet-activation"
