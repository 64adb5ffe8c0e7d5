/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal: what a disk store backend provides. store.c, store-scan.c and store-evict.c do
 * the common work (paths, listing, space rule, eviction, temporary name + fsync + rename); a
 * backend only knows how to write a new disk, check an existing one and say how many bytes a
 * disk holds of its own.
 *
 * A ZFS zvol backend would set `files = false` and provide list/remove/create over datasets
 * (zfs clone, the br.ufscar:lastlogin property of the thesis); the store then skips its
 * file-based paths. Not built yet: sdvm_store_new() refuses Backend=zvol with -EOPNOTSUPP.
 */
#ifndef SDVM_STORE_BACKEND_H
#define SDVM_STORE_BACKEND_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "sdvm/config.h"
#include "sdvm/qcow2.h"

struct sdvm_store_backend {
    const char *name;
    enum sdvm_store_backend_kind kind;
    bool files; /* disks are regular files UsersDir/<user>/<image>.qcow2 */

    /*
     * Fill tmp_fd (a new empty file in the user's directory, open read-write) with a new
     * disk for the base image open at base_fd. Do not fsync. 0 or -errno, *detail set.
     */
    int (*write_new)(int tmp_fd, int base_fd, const char *base_path,
                     const struct sdvm_qcow2_info *base, char **detail);

    /* Whether the existing disk open at fd may be reused for base. 0 or -errno, *detail. */
    int (*check_existing)(int fd, const char *base_path, const struct sdvm_qcow2_info *base,
                          char **detail);

    /*
     * Bytes the disk name (in dir_fd, already stat'ed into st) holds of its own: what
     * deleting it gives back, and C in the space rule. 0 or -errno.
     */
    int (*own_bytes)(int dir_fd, const char *name, const struct stat *st, uint64_t *bytes);
};

extern const struct sdvm_store_backend sdvm_store_backend_qcow2;
extern const struct sdvm_store_backend sdvm_store_backend_reflink;

/* Shared helper: st_blocks * 512, or 0 when other hard links keep the blocks alive. */
uint64_t sdvm_store_allocated_bytes(const struct stat *st);

#endif
