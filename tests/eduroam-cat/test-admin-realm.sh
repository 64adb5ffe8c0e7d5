#!/bin/sh
# sdvm-admin realm NAI: smoke test over the fixture database and a realms.d file.
# usage: test-admin-realm.sh SDVM_ADMIN SDVM_CAT SOURCE_DIR
set -eu
admin=$1 cat=$2 src=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
mkdir "$tmp/realms.d"
"$cat" build --quiet "$src/tests/data/eap-config" "$tmp/realms.db" > /dev/null
cat > "$tmp/realms.d/home.conf" <<CONF
[Realm]
Name=home.test
Method=ttls
Inner=pap
CaFile=$src/tests/data/eap-config/certs/test-ca-local.pem
ServerNames=radius.home.test
TlsMin=1.2

[Realm opted]
Name=opted.test
Method=ttls
Inner=pap
CaFile=$src/tests/data/eap-config/certs/test-ca-local.pem
ServerNames=radius.opted.test
AllowUnprotectedWired=true
CONF
cat > "$tmp/sdvm.conf" <<CONF
[Paths]
RealmsDir=$tmp/realms.d
CatDatabase=$tmp/realms.db
CaDir=$tmp/ca
CONF
run() { "$admin" --config "$tmp/sdvm.conf" realm "$@"; }

out=$(run bob@Uni-C.test) || fail "uni-c.test should be usable: $out"
for want in "source:         cat-db:ttls-eap-mschapv2.eap-config" "method:         ttls" \
    "inner:          mschapv2" "outer identity: anonymous@uni-c.test" "ca sha256:      57:4B:04" \
    "server name:    radius.uni-c.test (suffix)"; do
    printf '%s\n' "$out" | grep -qF "$want" || fail "missing '$want' in: $out"
done
out=$(run x@lab.home.test) || fail "home.test sub-realm: $out"
printf '%s\n' "$out" | grep -qF "source:         realms.d/home.conf" || fail "$out"
printf '%s\n' "$out" | grep -qF "tls:            0x3 tls-1-0-disable tls-1-1-disable" || fail "$out"

# The wired policy, as a login applies it: proven (MSCHAPv2), refused (TTLS-PAP), opted in
# per realm (realms.d) or per terminal (sdvm.conf); Wi-Fi is never affected.
has() { printf '%s\n' "$out" | grep -qF "$1" || fail "missing '$1' in: $out"; }
out=$(run bob@uni-c.test)
has "wired:          allowed: the home server proves its answer (ttls-mschapv2)"
has "wi-fi:          not affected"
out=$(run x@home.test)
has "wired:          refused (UNPROTECTED_RESULT)"
out=$(run x@opted.test)
has "wired:          allowed by opt-in (realms.d AllowUnprotectedWired=true)"
printf '[Network]\nAllowUnprotectedWired=true\n' >> "$tmp/sdvm.conf"
out=$(run x@home.test)
has "wired:          allowed by opt-in (sdvm.conf [Network] AllowUnprotectedWired=true)"

# expect_fail NAI PATTERN: exit status 1 and PATTERN in the output.
expect_fail() {
    status=0
    out=$(run "$1" 2>&1) || status=$?
    [ "$status" = 1 ] || fail "$1: exit $status, expected 1: $out"
    printf '%s\n' "$out" | grep -q "$2" || fail "$1: '$2' not in: $out"
}
expect_fail a@staff.uni-b.test "UNKNOWN_REALM: .*does not accept sub-realms"
expect_fail a@tls.uni-g.test "REALM_UNSUPPORTED"
expect_fail a@noca.uni-i.test "INSECURE_PROFILE"
expect_fail a@nowhere.test "UNKNOWN_REALM"
expect_fail not-a-login "INVALID_NAI"
status=0; run 2> /dev/null || status=$?
[ "$status" = 2 ] || fail "usage: exit $status"
# Explaining never writes a CA bundle.
[ ! -e "$tmp/ca" ] || fail "sdvm-admin realm wrote $tmp/ca"
echo "1 passed, 0 failed"
