/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Certificates from eap-config files: base64 → DER (checked with OpenSSL) → PEM. */
#include "cat-private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

static int
b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

int
cat_base64_decode(const char *text, size_t len, unsigned char **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    unsigned char *buf = malloc(len / 4 * 3 + 3);
    if (!buf)
        return -ENOMEM;
    size_t n = 0;
    uint32_t acc = 0;
    int bits = 0;
    bool padding = false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            continue;
        if (c == '=') {
            padding = true;
            continue;
        }
        int v = b64_value(c);
        if (v < 0 || padding) {
            free(buf);
            return -EBADMSG;
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[n++] = (unsigned char)(acc >> bits);
        }
    }
    /* Left-over bits must be the zero padding of the last group. */
    if (bits >= 6 || (acc & ((1u << bits) - 1)) != 0 || n == 0) {
        free(buf);
        return -EBADMSG;
    }
    *out = buf;
    *out_len = n;
    return 0;
}

int
cat_cert_from_der(const unsigned char *der, size_t der_len, struct sdvm_cat_cert *cert)
{
    memset(cert, 0, sizeof(*cert));
    if (der_len == 0 || der_len > 64 * 1024)
        return -EBADMSG;
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)der_len);
    if (!x)
        return -EBADMSG;
    if ((size_t)(p - der) != der_len) {
        X509_free(x);
        return -EBADMSG;
    }
    int rc = -ENOMEM;
    cert->der = malloc(der_len);
    if (!cert->der)
        goto out;
    memcpy(cert->der, der, der_len);
    cert->der_len = der_len;
    SHA256(der, der_len, cert->sha256);
    cert->is_ca = X509_check_ca(x) > 0;
    cert->expired = X509_cmp_current_time(X509_get0_notAfter(x)) < 0;

    BIO *bio = BIO_new(BIO_s_mem());
    if (!bio)
        goto out;
    X509_NAME_print_ex(bio, X509_get_subject_name(x), 0, XN_FLAG_RFC2253);
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);
    cert->subject = malloc((size_t)(n > 0 ? n : 0) + 1);
    if (cert->subject) {
        if (n > 0)
            memcpy(cert->subject, data, (size_t)n);
        cert->subject[n > 0 ? n : 0] = '\0';
        rc = 0;
    }
    BIO_free(bio);
out:
    X509_free(x);
    if (rc < 0) {
        free(cert->der);
        free(cert->subject);
        memset(cert, 0, sizeof(*cert));
    }
    return rc;
}

void
cat_cert_clear(struct sdvm_cat_cert *cert)
{
    free(cert->der);
    free(cert->subject);
    memset(cert, 0, sizeof(*cert));
}

char *
sdvm_cat_cert_to_pem(const unsigned char *der, size_t der_len)
{
    static const char head[] = "-----BEGIN CERTIFICATE-----\n";
    static const char tail[] = "-----END CERTIFICATE-----\n";
    size_t b64 = 4 * ((der_len + 2) / 3);
    size_t lines = (b64 + 63) / 64;
    char *pem = malloc(sizeof(head) + b64 + lines + sizeof(tail) + 1);
    if (!pem)
        return NULL;
    char *w = pem;
    memcpy(w, head, sizeof(head) - 1);
    w += sizeof(head) - 1;
    for (size_t off = 0; off < der_len; off += 48) {
        size_t chunk = der_len - off < 48 ? der_len - off : 48;
        int n = EVP_EncodeBlock((unsigned char *)w, der + off, (int)chunk);
        w += n;
        *w++ = '\n';
    }
    memcpy(w, tail, sizeof(tail));
    return pem;
}

void
sdvm_cat_fingerprint(const unsigned char sha256[32], char out[97])
{
    static const char hex[] = "0123456789ABCDEF";
    for (int i = 0; i < 32; i++) {
        out[i * 3] = hex[sha256[i] >> 4];
        out[i * 3 + 1] = hex[sha256[i] & 15];
        out[i * 3 + 2] = i == 31 ? '\0' : ':';
    }
    out[96] = '\0';
}
