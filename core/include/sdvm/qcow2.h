/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Just enough qcow2 (QEMU docs/interop/qcow2.txt) for SDVM: read a header (virtual size,
 * corrupt bit, backing file) and write an empty overlay over a base image, byte for byte
 * what `qemu-img create -f qcow2 -b BASE -F qcow2` produces apart from the optional
 * feature-name table, and sparse: three small writes and a truncate.
 */
#ifndef SDVM_QCOW2_H
#define SDVM_QCOW2_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SDVM_QCOW2_MAX_BACKING 1023 /* octets, the limit QEMU enforces */

/* Byte range QEMU's image locking uses (OFD locks on bytes 100..299 of the file). */
#define SDVM_QCOW2_LOCK_START 100
#define SDVM_QCOW2_LOCK_LEN 200

struct sdvm_qcow2_info {
    uint32_t version; /* 2 or 3 */
    uint32_t cluster_bits;
    uint64_t virtual_size;                         /* bytes the guest sees */
    uint64_t incompatible_features;                /* v3; 0 for v2 */
    bool dirty;                                    /* incompatible bit 0: QEMU repairs it on open */
    bool corrupt;                                  /* incompatible bit 1: QEMU refuses read/write */
    bool unknown_features;                         /* incompatible bits this reader does not know */
    bool encrypted;                                /* crypt_method != 0 */
    char backing_file[SDVM_QCOW2_MAX_BACKING + 1]; /* "" when there is none */
    char backing_format[32];                       /* from the header extension; "" when absent */
};

/*
 * Read the header of the qcow2 file open at fd (read from offset 0 with pread).
 * Returns 0; -EINVAL when it is not a qcow2 image (bad magic, unknown version, truncated or
 * inconsistent header); -errno on I/O errors.
 */
int sdvm_qcow2_read_info(int fd, struct sdvm_qcow2_info *info);
/* Same by path (opened read-only). */
int sdvm_qcow2_read_info_path(const char *path, struct sdvm_qcow2_info *info);

/*
 * Write an empty qcow2 v3 overlay (64 KiB clusters) to fd, which must be empty and open for
 * writing: virtual_size bytes, backed by backing_path (absolute, at most 1023 octets) in
 * backing_format ("qcow2"). Does not fsync. Returns 0, -EINVAL or -errno.
 */
int sdvm_qcow2_write_overlay(int fd, uint64_t virtual_size, const char *backing_path,
                             const char *backing_format);

/* The file length write_overlay produces for virtual_size (196928 for 20 GiB). */
uint64_t sdvm_qcow2_overlay_length(uint64_t virtual_size);

#ifdef __cplusplus
}
#endif

#endif
