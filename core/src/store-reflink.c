/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The reflink backend: the user's disk is a FICLONE copy of the base qcow2 (XFS with
 * reflink=1, btrfs). Copying shares every extent; the user's writes unshare them. A disk's
 * own bytes are its extents that FIEMAP does not flag as shared: the analogue of ZFS usedds
 * in the thesis, and what deleting it gives back.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <glib.h>

#include "store-backend.h"

static int
reflink_write_new(int tmp_fd, int base_fd, const char *base_path,
                  const struct sdvm_qcow2_info *base, char **detail)
{
    (void)base;
    if (ioctl(tmp_fd, FICLONE, base_fd) < 0) {
        int e = errno;
        if (e == EXDEV)
            *detail =
                g_strdup_printf("reflink: %s is on another file system than UsersDir", base_path);
        else if (e == EOPNOTSUPP || e == ENOTTY || e == EINVAL)
            *detail = g_strdup("reflink: the file system of UsersDir cannot clone files "
                               "(use XFS with reflink=1 or btrfs, or Backend=qcow2)");
        else
            *detail = g_strdup_printf("reflink: cloning %s failed: %s", base_path, g_strerror(e));
        return -e;
    }
    return 0;
}

static int
reflink_check_existing(int fd, const char *base_path, const struct sdvm_qcow2_info *base,
                       char **detail)
{
    (void)base_path;
    struct sdvm_qcow2_info info;
    int r = sdvm_qcow2_read_info(fd, &info);
    if (r < 0) {
        *detail = g_strdup(r == -EINVAL ? "the existing disk is not a qcow2 image"
                                        : "cannot read the existing disk");
        return r;
    }
    if (info.corrupt) {
        *detail = g_strdup("the existing disk has the qcow2 corrupt bit set");
        return -EINVAL;
    }
    if (info.virtual_size != base->virtual_size) {
        *detail = g_strdup_printf("the existing disk is %llu bytes, the base %llu",
                                  (unsigned long long)info.virtual_size,
                                  (unsigned long long)base->virtual_size);
        return -EINVAL;
    }
    return 0;
}

/* Sum of the extents not flagged shared. -EOPNOTSUPP when FIEMAP is not available. */
static int
unshared_bytes(int fd, uint64_t *bytes)
{
    enum { BATCH = 128 };
    size_t size = sizeof(struct fiemap) + BATCH * sizeof(struct fiemap_extent);
    struct fiemap *fm = g_malloc0(size);
    uint64_t start = 0, total = 0;
    int r = 0;
    for (;;) {
        memset(fm, 0, size);
        fm->fm_start = start;
        fm->fm_length = FIEMAP_MAX_OFFSET - start;
        fm->fm_flags = FIEMAP_FLAG_SYNC;
        fm->fm_extent_count = BATCH;
        if (ioctl(fd, FS_IOC_FIEMAP, fm) < 0) {
            r = -errno;
            break;
        }
        if (fm->fm_mapped_extents == 0)
            break;
        bool last = false;
        for (unsigned i = 0; i < fm->fm_mapped_extents; i++) {
            const struct fiemap_extent *x = &fm->fm_extents[i];
            if (!(x->fe_flags & FIEMAP_EXTENT_SHARED))
                total += x->fe_length;
            start = x->fe_logical + x->fe_length;
            if (x->fe_flags & FIEMAP_EXTENT_LAST)
                last = true;
        }
        if (last || fm->fm_mapped_extents < BATCH)
            break;
    }
    g_free(fm);
    if (r == 0)
        *bytes = total;
    return r;
}

static int
reflink_own_bytes(int dir_fd, const char *name, const struct stat *st, uint64_t *bytes)
{
    if (st->st_nlink > 1) {
        *bytes = 0;
        return 0;
    }
    int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
    if (fd < 0)
        return -errno;
    int r = unshared_bytes(fd, bytes);
    close(fd);
    if (r == -EOPNOTSUPP || r == -ENOTTY) {
        *bytes = sdvm_store_allocated_bytes(st);
        r = 0;
    }
    return r;
}

const struct sdvm_store_backend sdvm_store_backend_reflink = {
    .name = "reflink",
    .kind = SDVM_STORE_BACKEND_REFLINK,
    .files = true,
    .write_new = reflink_write_new,
    .check_existing = reflink_check_existing,
    .own_bytes = reflink_own_bytes,
};
