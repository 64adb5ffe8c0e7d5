/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The default backend: an empty qcow2 overlay over the base image, written natively. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "store-backend.h"

uint64_t
sdvm_store_allocated_bytes(const struct stat *st)
{
    if (st->st_nlink > 1)
        return 0;
    return (uint64_t)st->st_blocks * 512;
}

static int
qcow2_write_new(int tmp_fd, int base_fd, const char *base_path, const struct sdvm_qcow2_info *base,
                char **detail)
{
    if (base_path[0] != '/') {
        *detail = g_strdup_printf("base image path %s is not absolute", base_path);
        return -EINVAL;
    }
    /* The base's identity goes into the overlay: a base replaced in place is then noticed. */
    struct sdvm_qcow2_base_stamp stamp;
    int r = sdvm_qcow2_base_stamp_of(base_fd, &stamp);
    if (r < 0) {
        *detail = g_strdup_printf("cannot stat the base image: %s", g_strerror(-r));
        return r;
    }
    r = sdvm_qcow2_write_overlay(tmp_fd, base->virtual_size, base_path, "qcow2", &stamp);
    if (r < 0)
        *detail = g_strdup_printf("cannot write the overlay header: %s", g_strerror(-r));
    return r;
}

static int
qcow2_check_existing(int fd, const char *base_path, const struct sdvm_qcow2_info *base,
                     char **detail)
{
    (void)base;
    struct sdvm_qcow2_info info;
    int r = sdvm_qcow2_read_info(fd, &info);
    if (r == -EINVAL) {
        *detail = g_strdup("the existing disk is not a qcow2 image");
        return r;
    }
    if (r < 0) {
        *detail = g_strdup_printf("cannot read the existing disk: %s", g_strerror(-r));
        return r;
    }
    if (info.corrupt) {
        *detail = g_strdup("the existing disk has the qcow2 corrupt bit set");
        return -EINVAL;
    }
    if (strcmp(info.backing_file, base_path)) {
        *detail = g_strdup_printf("the existing disk's backing file is \"%s\", not %s",
                                  info.backing_file, base_path);
        return -EINVAL;
    }
    return 0;
}

static int
qcow2_own_bytes(int dir_fd, const char *name, const struct stat *st, uint64_t *bytes)
{
    (void)dir_fd;
    (void)name;
    *bytes = sdvm_store_allocated_bytes(st);
    return 0;
}

const struct sdvm_store_backend sdvm_store_backend_qcow2 = {
    .name = "qcow2",
    .kind = SDVM_STORE_BACKEND_QCOW2,
    .files = true,
    .write_new = qcow2_write_new,
    .check_existing = qcow2_check_existing,
    .own_bytes = qcow2_own_bytes,
};
