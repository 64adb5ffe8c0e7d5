/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal: what the three files of the disk store share. store.c is the store proper (the
 * handle, paths, locks, creating and reusing a disk); store-scan.c lists the users' disks
 * (a parallel directory scanner with a cache); store-evict.c applies the space rule (the
 * eviction planner and the deletions). Backends see only store-backend.h.
 */
#ifndef SDVM_STORE_PRIVATE_H
#define SDVM_STORE_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "sdvm/store.h"
#include "store-backend.h"

/* UsersDir/<user-id>/<image-id>.qcow2; a disk being written is ".<image-id>.qcow2.tmp-XXXXXX". */
#define DISK_SUFFIX ".qcow2"
#define TEMP_MARK ".tmp-"

struct sdvm_store {
    char *users_dir;
    int users_fd; /* O_DIRECTORY */
    const struct sdvm_store_backend *backend;
    uint64_t reserve_bytes;
    sdvm_store_step_fn step_fn;
    void *step_userdata;
    /* store-scan.c's: user id -> what the directory held (freed by the table itself). */
    GHashTable *dir_cache;
    unsigned generation; /* of the scans, for the cache */
};

/* store.c: whether a QEMU holds the disk open at fd (sdvm_store_disk_in_use()'s answer). */
int sdvm_store_fd_in_use(int fd);

/*
 * store-scan.c: sdvm_store_list_disks(), minus skip_user's disks (NULL: none). Updates the
 * store's directory cache. 0 or -errno.
 */
int sdvm_store_scan(sdvm_store *st, unsigned flags, const char *skip_user,
                    struct sdvm_disk_list *out);

/* store-scan.c: append *d to l, which then owns d->path; *cap is l's capacity. 0 or -ENOMEM. */
int sdvm_disk_list_append(struct sdvm_disk_list *l, size_t *cap, const struct sdvm_disk_info *d);

#endif
