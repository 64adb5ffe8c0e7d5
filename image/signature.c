/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "signature.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#define ED25519_SIG_LEN 64

static EVP_PKEY *
read_key(const char *path, int private_key, char **error)
{
    FILE *f = fopen(path, "re");
    if (!f) {
        int e = errno;
        *error = g_strdup_printf("%s: %s", path, g_strerror(e));
        errno = e;
        return NULL;
    }
    EVP_PKEY *k = private_key ? PEM_read_PrivateKey(f, NULL, NULL, NULL)
                              : PEM_read_PUBKEY(f, NULL, NULL, NULL);
    fclose(f);
    ERR_clear_error();
    if (!k || EVP_PKEY_get_base_id(k) != EVP_PKEY_ED25519) {
        EVP_PKEY_free(k);
        *error = g_strdup_printf("%s: not an Ed25519 %s key in PEM form", path,
                                 private_key ? "private" : "public");
        errno = EINVAL;
        return NULL;
    }
    return k;
}

int
signature_sign(const char *key_path, const void *data, size_t len, char **sig_text, char **error)
{
    *sig_text = NULL;
    EVP_PKEY *k = read_key(key_path, 1, error);
    if (!k)
        return -errno;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char sig[ED25519_SIG_LEN];
    size_t sig_len = sizeof(sig);
    int ok = ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, k) == 1 &&
             EVP_DigestSign(ctx, sig, &sig_len, data, len) == 1;
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(k);
    ERR_clear_error();
    if (!ok) {
        *error = g_strdup_printf("%s: signing failed", key_path);
        return -EINVAL;
    }
    g_autofree char *b64 = g_base64_encode(sig, sig_len);
    *sig_text = g_strconcat(b64, "\n", NULL);
    return 0;
}

int
signature_verify(const char *pub_path, const void *data, size_t len, const char *sig_text,
                 size_t sig_len, char **error)
{
    EVP_PKEY *k = read_key(pub_path, 0, error);
    if (!k)
        return -errno;
    /* One line of Base64, nothing else. */
    g_autofree char *text = g_strndup(sig_text, sig_len);
    g_strstrip(text);
    for (const char *p = text; *p; p++) {
        if (!g_ascii_isalnum(*p) && *p != '+' && *p != '/' && *p != '=') {
            EVP_PKEY_free(k);
            return 0;
        }
    }
    gsize raw_len = 0;
    g_autofree guchar *raw = g_base64_decode(text, &raw_len);
    int good = 0;
    if (raw && raw_len == ED25519_SIG_LEN) {
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        good = ctx && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, k) == 1 &&
               EVP_DigestVerify(ctx, raw, raw_len, data, len) == 1;
        EVP_MD_CTX_free(ctx);
    }
    EVP_PKEY_free(k);
    ERR_clear_error();
    return good;
}
