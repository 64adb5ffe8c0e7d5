# shellcheck shell=sh
# Shared by the fleet tests (sourced): failing, expecting exit statuses, signing keys, small
# qcow2 images with known content, publishing them. Needs $tmp (a scratch dir) and
# $SDVM_IMAGE (the sdvm-image binary).
# shellcheck disable=SC2154 # tmp is set by the test that sources this

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

skip() {
    echo "SKIP: $*" >&2
    exit 77
}

say() {
    echo "# $(date +%T) $*"
}

need() { # tool...
    for t in "$@"; do
        command -v "$t" >/dev/null 2>&1 || skip "$t is not installed (packaging/deps/fleet.list)"
    done
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
    grep -qF -- "$2" "$1" || fail "\"$2\" not in $1: $(cat "$1")"
}

# The lab's signing key pair: $tmp/sign.key (image server), $tmp/sign.pub (terminals).
make_keys() {
    openssl genpkey -algorithm ed25519 -out "$tmp/sign.key" 2>/dev/null
    openssl pkey -in "$tmp/sign.key" -pubout -out "$tmp/sign.pub"
    openssl genpkey -algorithm ed25519 -out "$tmp/rogue.key" 2>/dev/null
}

# make_image FILE MIB PATTERN: a qcow2 of MIB MiB virtual size whose first MIB/2 MiB hold
# the byte PATTERN (so versions differ and the image is MIB/2 MiB big).
make_image() {
    qemu-img create -q -f qcow2 "$1" "${2}M"
    qemu-io -c "write -P $3 0 $(($2 / 2))M" "$1" >/dev/null
}

# publish ID VERSION FILE PUBLISHED [extra sdvm-image publish arguments...]
publish() {
    id=$1 version=$2 file=$3 published=$4
    shift 4
    printf '[Image]\nName=Lab %s\nOsType=linux\nComment=version %s\n' "$id" "$version" \
        >"$tmp/$id.ini"
    "$SDVM_IMAGE" publish --image "$id" --version "$version" --ini "$tmp/$id.ini" \
        --key "$tmp/sign.key" --out "$tmp/pub" --published "$published" "$@" "$file" >/dev/null
}

sha() {
    sha256sum "$1" | cut -d' ' -f1
}
