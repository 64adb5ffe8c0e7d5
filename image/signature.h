/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The manifest's signature: Ed25519 (RFC 8032) over the manifest file's exact bytes, stored
 * beside it as <manifest>.sig, one line of Base64. Keys are PEM files as OpenSSL writes them:
 *
 *     openssl genpkey -algorithm ed25519 -out image-signing.key      (the image server)
 *     openssl pkey -in image-signing.key -pubout -out image-signing.pub   (/etc/sdvm/)
 */
#ifndef SDVM_IMAGE_SIGNATURE_H
#define SDVM_IMAGE_SIGNATURE_H

#include <stddef.h>

/*
 * Sign data with the private key in key_path; *sig_text is the .sig file's content
 * (g_free). Returns 0, or -errno / -EINVAL (not an Ed25519 private key) with *error set.
 */
int signature_sign(const char *key_path, const void *data, size_t len, char **sig_text,
                   char **error);

/*
 * 1: sig_text is a valid signature of data by the public key in pub_path; 0: it is not (or
 * is malformed); -errno / -EINVAL when the key cannot be read or is not Ed25519 (*error).
 */
int signature_verify(const char *pub_path, const void *data, size_t len, const char *sig_text,
                     size_t sig_len, char **error);

#endif
