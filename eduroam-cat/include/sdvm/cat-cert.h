/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One X.509 certificate as eduroam-cat holds it: from an eap-config file's
 * ServerSideCredential/CA (the builder, sdvm/cat.h) or a realms.d CaFile=/CaCert= (the
 * lookup, sdvm/realms.h). Part of the sdvm-realms library, which both sides link.
 */
#ifndef SDVM_CAT_CERT_H
#define SDVM_CAT_CERT_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Decoded and checked with OpenSSL. */
struct sdvm_cat_cert {
    unsigned char *der;
    size_t der_len;
    unsigned char sha256[32];
    char *subject; /* one-line RFC 2253 subject, for reports */
    bool is_ca;    /* X509_check_ca() > 0 */
    bool expired;  /* its notAfter is in the past */
};

/* PEM text of one certificate (malloc'd), or NULL on allocation failure. */
char *sdvm_cat_cert_to_pem(const unsigned char *der, size_t der_len);
/* "AB:CD:..." of the SHA-256 (96 chars + NUL). */
void sdvm_cat_fingerprint(const unsigned char sha256[32], char out[97]);

#ifdef __cplusplus
}
#endif

#endif
