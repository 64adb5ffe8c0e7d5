/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Lower-case hex of a digest (CA-bundle file names, image SHA-256): one encoder for all. */
#ifndef SDVM_HEX_H
#define SDVM_HEX_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* out must hold 2 * n + 1 bytes; it is NUL-terminated. */
void sdvm_hex(const unsigned char *bytes, size_t n, char *out);

#ifdef __cplusplus
}
#endif

#endif
