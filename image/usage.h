/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Who still uses a base image: users' disks whose qcow2 header names it as their backing
 * file (any file under UsersDir/<user-id>/, a retired disk as much as a live one), and a
 * running QEMU holding it open (its image lock, as sdvm_store_disk_in_use sees it).
 */
#ifndef SDVM_IMAGE_USAGE_H
#define SDVM_IMAGE_USAGE_H

#include <stddef.h>

#include <glib.h>

/* backing path (canonical) -> number of users' disks on it. NULL when UsersDir is unreadable
 * for a reason other than not existing (nothing may then be judged unused). */
GHashTable *usage_scan_users(const char *users_dir);
size_t usage_disks_on(GHashTable *usage, const char *base_path);
/* 1 when a process holds the base open with QEMU's image lock, 0 when not, -errno. */
int usage_base_in_use(const char *base_path);

#endif
