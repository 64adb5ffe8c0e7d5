/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Just enough qcow2 (QEMU docs/interop/qcow2.txt) for SDVM: read a header (virtual size,
 * corrupt bit, backing file) and write an empty overlay over a base image, byte for byte
 * what `qemu-img create -f qcow2 -b BASE -F qcow2` produces apart from the optional
 * feature-name table (and SDVM's base stamp, when asked for), and sparse: three small writes
 * and a truncate.
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

/*
 * What an overlay records of its base when it is made, in a header extension of its own
 * (type SDVM_QCOW2_EXT_BASE_STAMP; QEMU ignores unknown extensions and keeps them when it
 * rewrites a header): the base file's inode, size and modification time. A base replaced in
 * place (a new file renamed over it, or rewritten) no longer matches, and an overlay on it
 * must not be booted: its clusters were written against other contents.
 */
#define SDVM_QCOW2_EXT_BASE_STAMP 0x5344564du /* "SDVM" */
struct sdvm_qcow2_base_stamp {
    uint64_t inode;
    uint64_t size;
    int64_t mtime_ns;
};

/* The stamp of the base image open at fd (fstat). 0 or -errno. */
int sdvm_qcow2_base_stamp_of(int fd, struct sdvm_qcow2_base_stamp *stamp);
/* Whether two stamps name the same file contents as far as the stamp can tell. */
bool sdvm_qcow2_base_stamp_equal(const struct sdvm_qcow2_base_stamp *a,
                                 const struct sdvm_qcow2_base_stamp *b);

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
    bool has_base_stamp;                           /* made by SDVM with a base stamp */
    struct sdvm_qcow2_base_stamp base_stamp;
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
 * backing_format ("qcow2"), recording base_stamp when it is not NULL (without one the file is
 * byte for byte qemu-img's). Does not fsync. Returns 0, -EINVAL or -errno.
 */
int sdvm_qcow2_write_overlay(int fd, uint64_t virtual_size, const char *backing_path,
                             const char *backing_format,
                             const struct sdvm_qcow2_base_stamp *base_stamp);

/* The file length write_overlay produces for virtual_size (196928 for 20 GiB). */
uint64_t sdvm_qcow2_overlay_length(uint64_t virtual_size);

#ifdef __cplusplus
}
#endif

#endif
