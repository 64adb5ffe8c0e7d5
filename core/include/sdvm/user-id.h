/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The user id: the only path component SDVM ever derives from what a person typed.
 *
 *   user_id = Base64Url(SHA3-256(octets of the normalised NAI)), without '=' padding
 *
 * Exactly what is hashed: the UTF-8 octets of sdvm_nai_normalized() — the user part as typed,
 * one '@', the realm with ASCII letters lower-cased — with no terminating NUL, no newline and
 * no other framing. "Alice@Example.ORG" and "Alice@example.org" have the same id;
 * "alice@example.org" has another. Base64Url is RFC 4648 section 5 (alphabet A-Z a-z 0-9 - _).
 * The result is always 43 characters. It may begin with '-': pass paths built from it with a
 * directory prefix to any command line tool.
 *
 * Shell oracle: printf %s 'alice@example.org' | openssl dgst -sha3-256 -binary |
 *               basenc --base64url | tr -d '='
 */
#ifndef SDVM_USER_ID_H
#define SDVM_USER_ID_H

#include <stdbool.h>
#include <stddef.h>

#include "sdvm/nai.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SDVM_USER_ID_LEN 43
#define SDVM_USER_ID_SIZE (SDVM_USER_ID_LEN + 1)

/* Writes the id and a NUL into out. Returns 0, -EINVAL (NULL argument) or -EIO (libcrypto). */
int sdvm_user_id(const sdvm_nai *nai, char out[SDVM_USER_ID_SIZE]);

/* The same over arbitrary octets (the normalised NAI from elsewhere, test vectors). */
int sdvm_user_id_from_bytes(const void *data, size_t len, char out[SDVM_USER_ID_SIZE]);

/*
 * Whether s has the shape of a user id: 43 Base64Url characters whose last one carries the
 * final 4 bits of a 256-bit digest and two zero bits. Used to ignore foreign entries in the
 * users directory.
 */
bool sdvm_user_id_is_valid(const char *s);

#ifdef __cplusplus
}
#endif

#endif
