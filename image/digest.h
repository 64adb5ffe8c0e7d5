/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SHA-256 of a file (the image, against the manifest) and SHA-1 of a buffer (info hash). */
#ifndef SDVM_IMAGE_DIGEST_H
#define SDVM_IMAGE_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#define DIGEST_SHA256_HEX 65 /* 64 hex digits + NUL */
#define DIGEST_SHA1_HEX 41

/*
 * SHA-256 of the file at path, as lower-case hex, and its size. Reads with posix_fadvise
 * NOREUSE/DONTNEED so a 20 GiB image does not push the guest's pages out of the cache.
 * Returns 0 or -errno.
 */
int digest_file_sha256(const char *path, char out[DIGEST_SHA256_HEX], uint64_t *size);
void digest_sha1_hex(const void *data, size_t len, char out[DIGEST_SHA1_HEX]);
/* Whether s is n lower-case hex digits. */
int digest_is_hex(const char *s, size_t n);

#endif
