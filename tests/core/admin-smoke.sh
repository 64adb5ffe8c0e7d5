#!/bin/sh
# sdvm-admin smoke test: every command runs against a small lab under a temporary directory,
# prints what it should and exits with the documented status.
# usage: admin-smoke.sh SDVM_ADMIN SOURCE_DIR SCRATCH_DIR
set -eu
admin=$1
src=$2
scratch=$3

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

expect_status() { # expected-status command...
    want=$1
    shift
    set +e
    "$@" >"$tmp/out" 2>"$tmp/err"
    got=$?
    set -e
    [ "$got" = "$want" ] || fail "$* exited $got, expected $want: $(cat "$tmp/out" "$tmp/err")"
}

expect_in() { # file text
    grep -qF -- "$2" "$1" || fail "\"$2\" not in: $(cat "$1")"
}

mkdir -p "$scratch"
tmp=$(mktemp -d "$scratch/admin-smoke.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# --version, --help, usage errors.
expect_status 0 "$admin" --version
expect_in "$tmp/out" "sdvm-admin 0."
expect_status 0 "$admin" --help
for cmd in userid images disks evict config; do
    expect_in "$tmp/out" "  $cmd "
done
expect_status 2 "$admin"
expect_status 2 "$admin" frobnicate
expect_in "$tmp/err" 'unknown command "frobnicate"'
expect_status 2 "$admin" userid
expect_status 2 "$admin" userid a@b.c extra
expect_status 2 "$admin" --config

# userid: every committed vector.
grep -v '^#' "$src/tests/data/core/user-id-vectors.tsv" |
    while IFS="$(printf '\t')" read -r typed _normalized id; do
        got=$("$admin" userid "$typed") || fail "userid $typed failed"
        [ "$got" = "$id" ] || fail "userid $typed: $got, expected $id"
    done
expect_status 0 "$admin" userid --normalized Alice@Example.ORG
expect_in "$tmp/out" "$(printf 'zjVL-h5bXagmUb_xhuPL6qnE2MP_Nh8A4xxJkdYbFM4\tAlice@example.org')"
expect_status 1 "$admin" userid 'alice@@example.org'
expect_in "$tmp/err" "SEVERAL_AT"
expect_status 1 "$admin" userid --reject-decoration 'home!alice@example.org'
expect_in "$tmp/err" "DECORATED"

# A lab: one good image, one without its qcow2.
mkdir -p "$tmp/state/images"
if command -v qemu-img >/dev/null 2>&1; then
    qemu-img create -q -f qcow2 "$tmp/state/images/win10.qcow2" 1G
else
    cp "$src/tests/data/core/images/win10.ini" "$tmp/state/images/win10.qcow2" # not qcow2
fi
cp "$src/tests/data/core/images/win10.ini" "$tmp/state/images/"
cp "$src/tests/data/core/images/ghost.ini" "$tmp/state/images/"
cat >"$tmp/sdvm.conf" <<CONF
[Paths]
StateDir=$tmp/state
[Store]
ReserveMiB=0
CONF

expect_status 0 "$admin" --config "$tmp/sdvm.conf" images
expect_in "$tmp/out" "unavailable: QCOW2_MISSING"
expect_status 0 "$admin" images --parsable --config="$tmp/sdvm.conf"
expect_in "$tmp/out" "$(printf 'ghost\tGhost\tlinux\t0\tQCOW2_MISSING\t0\t')"
if command -v qemu-img >/dev/null 2>&1; then
    expect_in "$tmp/out" "$(printf 'win10\tWindows 10 (lab)\twindows\t1\tAVAILABLE\t1073741824\t')"
    expect_status 0 "$admin" --config "$tmp/sdvm.conf" evict --dry-run --image win10 --user a@b.cd
    expect_in "$tmp/out" "image win10: virtual size 1.0 GiB"
    expect_status 1 "$admin" --config "$tmp/sdvm.conf" evict --image ghost
    expect_in "$tmp/err" 'image "ghost" is not available'
fi
expect_status 0 "$admin" --config "$tmp/sdvm.conf" disks
expect_in "$tmp/out" "0 disk(s)"
expect_status 2 "$admin" --config "$tmp/sdvm.conf" evict --user-id nope

expect_status 0 "$admin" --config "$tmp/sdvm.conf" config
expect_in "$tmp/out" "ImagesDir=$tmp/state/images"
expect_in "$tmp/out" "ReserveMiB=0"
expect_status 0 "$admin" --config "$tmp/absent.conf" config
expect_in "$tmp/out" "all defaults"

# A broken configuration names file, line and key; every command that reads it exits 3.
printf '[Store]\nBackend=qcow2\nReserveMiB=lots\n' >"$tmp/bad.conf"
for cmd in images disks evict config; do
    expect_status 3 "$admin" --config "$tmp/bad.conf" "$cmd"
    expect_in "$tmp/err" "$tmp/bad.conf:3: [Store] ReserveMiB: \"lots\" is not a whole number"
done
echo "admin smoke test: ok"
