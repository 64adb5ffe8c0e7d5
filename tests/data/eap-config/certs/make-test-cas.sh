#!/bin/sh
# How the TEST certificates in this folder were made (run once; the results are committed).
# They are test CAs for the eap-config fixtures only: never trust them anywhere.
# Private keys are not kept; nothing in the tests needs them.
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ca() { # name subject [issuer-name]
    openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/$1.key"
    if [ $# -eq 2 ]; then
        openssl req -x509 -new -key "$tmp/$1.key" -subj "$2" -days 10950 -sha256 \
            -addext "basicConstraints=critical,CA:TRUE" \
            -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$1.pem"
    else
        openssl req -new -key "$tmp/$1.key" -subj "$2" -out "$tmp/$1.csr"
        printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' > "$tmp/ext"
        openssl x509 -req -in "$tmp/$1.csr" -CA "$3.pem" -CAkey "$tmp/$3.key" -CAcreateserial \
            -days 10950 -sha256 -extfile "$tmp/ext" -out "$1.pem"
    fi
}
server() { # name subject issuer
    openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/$1.key"
    openssl req -new -key "$tmp/$1.key" -subj "$2" -out "$tmp/$1.csr"
    printf 'basicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n' > "$tmp/ext"
    openssl x509 -req -in "$tmp/$1.csr" -CA "$3.pem" -CAkey "$tmp/$3.key" -CAcreateserial \
        -days 10950 -sha256 -extfile "$tmp/ext" -out "$1.pem"
}

ca test-ca-uni-a "/C=ZZ/O=SDVM TEST Uni A/CN=SDVM TEST Uni A Root CA"
server test-server-uni-a "/C=ZZ/O=SDVM TEST Uni A/CN=radius.uni-a.test" test-ca-uni-a
ca test-ca-uni-b-root "/C=ZZ/O=SDVM TEST Uni B/CN=SDVM TEST Uni B Root CA"
ca test-ca-uni-b-intermediate "/C=ZZ/O=SDVM TEST Uni B/CN=SDVM TEST Uni B RADIUS CA" test-ca-uni-b-root
ca test-ca-shared "/C=ZZ/O=SDVM TEST Federation/CN=SDVM TEST Shared Federation Root CA"
ca test-ca-local "/C=ZZ/O=SDVM TEST Home Lab/CN=SDVM TEST realms.d Home CA"
# The base64 DER body, as eap-config's <CA> carries it.
for f in *.pem; do
    openssl x509 -in "$f" -outform DER | openssl base64 -A > "${f%.pem}.b64"
done
rm -f ./*.srl
