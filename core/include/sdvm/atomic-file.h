/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Replace a file whole: write a temporary file beside it, fsync, rename over the old one,
 * fsync the directory. A reader sees the old content or the new, never a mix; a crash leaves
 * one of the two (and at worst a ".tmp-XXXXXX" file beside it).
 */
#ifndef SDVM_ATOMIC_FILE_H
#define SDVM_ATOMIC_FILE_H

#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Returns 0 or -errno. mode: the new file's permission bits (e.g. 0644). */
int sdvm_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);

/* fsync the directory that holds path (the rename's durability). 0 or -errno. */
int sdvm_fsync_parent(const char *path);

#ifdef __cplusplus
}
#endif

#endif
