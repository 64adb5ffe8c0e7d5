/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Host resources other than PCI devices: memory size, the hugepage pool, the hugetlbfs mount,
 * and the undo journal that lets every host change be reverted, even after a crash.
 */
#ifndef SDVM_DEVICES_HOST_H
#define SDVM_DEVICES_HOST_H

#include <stdbool.h>
#include <sys/types.h>

struct udev;

/* /proc, or $SDVM_PROC_ROOT (tests point it at a fake meminfo and vm/ knobs). */
const char *host_proc_root(void);

/* MemTotal from meminfo, in MiB. */
int host_mem_total_mib(unsigned *out);

/* nr_hugepages / free_hugepages of the pool with that page size. */
int host_hugepages_read(unsigned kib, unsigned *nr, unsigned *free_pages);
int host_hugepages_write(unsigned kib, unsigned nr);

/* Grow the pool until `pages` are free: raise nr_hugepages, and when the kernel cannot find
 * enough contiguous memory, drop caches, compact and retry. On success *old_nr is the pool
 * size to go back to (== current when nothing had to change). On failure the pool is put
 * back and *error says how many pages were obtained. */
int host_hugepages_reserve(unsigned kib, unsigned pages, const char *journal, char **error);

/* Whether path is a hugetlbfs mount with that page size (statfs f_type and f_bsize). A path
 * on any other file system would make QEMU silently use ordinary memory. */
bool host_is_hugetlbfs(const char *path, unsigned kib, char **why);

/* Hand path (a /dev/vfio group node, QEMU's hugetlbfs directory) to uid:gid for the
 * session: its current owner is journalled first ("owner" entry), so undo, or the next
 * run-guest after a crash, gives it back. Refuses symbolic links and relative paths. */
int host_hand(const char *path, uid_t uid, gid_t gid, const char *journal, char **error);

/* The undo journal: one line per host change, fsync'd before the change is made. */
int journal_add(const char *path, const char *line, char **error);

/* Revert every journal entry, last first. Entries that could not be reverted stay in the file;
 * the file is removed when empty. Returns the number of devices that were not given back
 * (0 = all fine), or -errno when the journal cannot be read. */
int journal_undo(struct udev *udev, const char *path, int timeout_ms);

#endif
