/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "sdvm/user-id.h"

#include <errno.h>
#include <string.h>

#include <openssl/evp.h>

#include "sdvm/log.h"

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* 32 octets -> 43 characters (no padding) + NUL. */
static void
encode_digest(const unsigned char d[32], char out[SDVM_USER_ID_SIZE])
{
    size_t o = 0;
    size_t i = 0;
    for (; i + 3 <= 32; i += 3) {
        unsigned v = (unsigned)d[i] << 16 | (unsigned)d[i + 1] << 8 | d[i + 2];
        out[o++] = b64url[(v >> 18) & 63];
        out[o++] = b64url[(v >> 12) & 63];
        out[o++] = b64url[(v >> 6) & 63];
        out[o++] = b64url[v & 63];
    }
    /* 32 = 30 + 2: two octets left, three characters. */
    unsigned v = (unsigned)d[i] << 16 | (unsigned)d[i + 1] << 8;
    out[o++] = b64url[(v >> 18) & 63];
    out[o++] = b64url[(v >> 12) & 63];
    out[o++] = b64url[(v >> 6) & 63];
    out[o] = '\0';
}

int
sdvm_user_id_from_bytes(const void *data, size_t len, char out[SDVM_USER_ID_SIZE])
{
    if (!out || (!data && len))
        return -EINVAL;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    if (!EVP_Digest(data ? data : "", len, digest, &digest_len, EVP_sha3_256(), NULL) ||
        digest_len != 32) {
        log_errorf("SHA3-256 from libcrypto failed");
        return -EIO;
    }
    encode_digest(digest, out);
    return 0;
}

int
sdvm_user_id(const sdvm_nai *nai, char out[SDVM_USER_ID_SIZE])
{
    const char *n = sdvm_nai_normalized(nai);
    if (!n || !out)
        return -EINVAL;
    return sdvm_user_id_from_bytes(n, strlen(n), out);
}

/* Index of c in b64url, or -1. */
static int
b64url_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '-' ? 62 : c == '_' ? 63 : -1;
}

bool
sdvm_user_id_is_valid(const char *s)
{
    if (!s)
        return false;
    for (size_t i = 0; i < SDVM_USER_ID_LEN; i++)
        if (b64url_value(s[i]) < 0)
            return false;
    if (s[SDVM_USER_ID_LEN] != '\0')
        return false;
    /* 43 characters carry 258 bits: the last one holds 4 digest bits and 2 zero bits. */
    return b64url_value(s[SDVM_USER_ID_LEN - 1]) % 4 == 0;
}
