#!/bin/sh
# Who owns a realm (issue 13 §2, review M1/M2): the fixtures in tests/eduroam-cat/realm-claims
# through `sdvm-cat build`, `sdvm-cat lookup` and `sdvm-admin realm`; nm-glue's side of the
# same fixtures is test-cat-mapping (CatToNetworkManager.RealmClaims).
# usage: test-realm-claims.sh SDVM_ADMIN SDVM_CAT SOURCE_DIR
set -eu
admin=$1 cat=$2 src=$3
fixtures=$src/tests/eduroam-cat/realm-claims
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
mkdir "$tmp/realms.d"

# --quiet still prints what was refused or lost a conflict.
"$cat" build --quiet "$fixtures" "$tmp/realms.db" > "$tmp/build.out" ||
    fail "build: $(cat "$tmp/build.out")"
built() { grep -qF "$1" "$tmp/build.out" || fail "build report lacks '$1':
$(cat "$tmp/build.out")"; }
built "skipped 10-public-suffix-id.eap-config: provider 1: REFUSED: ID ac.uk is a public suffix"
built "skipped 20-suffix-claims-other.eap-config: provider 1 (evil.test): REFUSED: InnerIdentitySuffix smallu.edu.br is not indexed"
built "skipped 31-takes-over-tls-only.eap-config: realm tlsonly.test: CONFLICT: 30-own-tls-only.eap-config already defines it"
built "skipped 40-parent-claims-sub.eap-config: realm med.bigu.test: CONFLICT"

# A realms.d file with the names nm-glue refuses, and one without an outer identity.
cat > "$tmp/realms.d/local.conf" <<CONF
[Realm wild]
Name=wild.local.test
Method=ttls
Inner=pap
CaFile=$src/tests/data/eap-config/certs/test-ca-local.pem
ServerNames=*.wild.local.test
[Realm anon]
Name=anon.local.test
Method=ttls
Inner=pap
AnonymousIdentity=anonymous@anon.local.test
CaFile=$src/tests/data/eap-config/certs/test-ca-local.pem
ServerNames=radius.anon.local.test
CONF
cat > "$tmp/sdvm.conf" <<CONF
[Paths]
RealmsDir=$tmp/realms.d
CatDatabase=$tmp/realms.db
CaDir=$tmp/ca
CONF

# check REALM EXPECTED-EXIT PATTERN...: both tools, same verdict. sdvm-cat lookup does not
# read realms.d unless given, so it gets the same directory.
check() {
    realm=$1 want=$2
    shift 2
    for tool in admin cat; do
        status=0
        if [ $tool = admin ]; then
            out=$("$admin" --config "$tmp/sdvm.conf" realm "someone@$realm" 2>&1) || status=$?
        else
            out=$("$cat" lookup --db "$tmp/realms.db" --realms-dir "$tmp/realms.d" "$realm" 2>&1) ||
                status=$?
        fi
        [ "$status" = "$want" ] || fail "$tool $realm: exit $status, expected $want: $out"
        for pattern in "$@"; do
            printf '%s\n' "$out" | grep -q -- "$pattern" ||
                fail "$tool $realm: '$pattern' not in: $out"
        done
    done
}
check otheruni.ac.uk 1 "UNKNOWN_REALM" "ac.uk is a public suffix"
check smallu.edu.br 1 "UNKNOWN_REALM" "edu.br is a public suffix"
check tlsonly.test 1 "REALM_UNSUPPORTED" "30-own-tls-only.eap-config" "EAP-TLS"
check med.bigu.test 0 "41-sub-realm-own.eap-config" "anonymous@med.bigu.test"
check noserver.test 1 "INSECURE_PROFILE" "a CA but no ServerID"
check wildcard.test 1 "INSECURE_PROFILE" "has a '\*'"
check single.test 1 "INSECURE_PROFILE" "single label"
check wild.local.test 1 "INSECURE_PROFILE" "has a '\*'"
check outer.test 0 "@outer.test" "anonymous@evil.test belongs to another realm"
check dept.outer.test 0 "@dept.outer.test"
check plain.test 0 "full .* goes out in clear"
check anon.local.test 0 "anonymous@anon.local.test"
echo "1 passed, 0 failed"
