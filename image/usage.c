/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "usage.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sdvm/qcow2.h"
#include "sdvm/store.h"

static void
count_dir(GHashTable *usage, int dfd)
{
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        int fd = openat(dirfd(d), de->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
        if (fd < 0)
            continue;
        struct stat st;
        struct sdvm_qcow2_info q;
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && sdvm_qcow2_read_info(fd, &q) == 0 &&
            q.backing_file[0]) {
            char *key = g_canonicalize_filename(q.backing_file, "/");
            gpointer old = g_hash_table_lookup(usage, key);
            g_hash_table_replace(usage, key, GSIZE_TO_POINTER(GPOINTER_TO_SIZE(old) + 1));
        }
        close(fd);
    }
    closedir(d);
}

GHashTable *
usage_scan_users(const char *users_dir)
{
    GHashTable *usage = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    DIR *d = opendir(users_dir);
    if (!d) {
        if (errno == ENOENT)
            return usage;
        g_hash_table_unref(usage);
        return NULL;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        int fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (fd >= 0)
            count_dir(usage, fd);
    }
    closedir(d);
    return usage;
}

size_t
usage_disks_on(GHashTable *usage, const char *base_path)
{
    g_autofree char *key = g_canonicalize_filename(base_path, "/");
    return GPOINTER_TO_SIZE(g_hash_table_lookup(usage, key));
}

int
usage_base_in_use(const char *base_path)
{
    return sdvm_store_disk_in_use(base_path);
}
