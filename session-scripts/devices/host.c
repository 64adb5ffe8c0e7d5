/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "host.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <libudev.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "pci.h"
#include "sysfs.h"

const char *
host_proc_root(void)
{
    const char *r = getenv("SDVM_PROC_ROOT");
    return r && *r ? r : "/proc";
}

static int
read_text(const char *path, char **out)
{
    g_autoptr(GError) err = NULL;
    if (!g_file_get_contents(path, out, NULL, &err))
        return g_error_matches(err, G_FILE_ERROR, G_FILE_ERROR_NOENT) ? -ENOENT : -EIO;
    return 0;
}

int
host_mem_total_mib(unsigned *out)
{
    g_autofree char *path = g_build_filename(host_proc_root(), "meminfo", NULL);
    g_autofree char *text = NULL;
    int r = read_text(path, &text);
    if (r < 0)
        return r;
    const char *p = strstr(text, "MemTotal:");
    unsigned long long kib;
    if (!p || sscanf(p, "MemTotal: %llu kB", &kib) != 1)
        return -EIO;
    *out = (unsigned)(kib / 1024);
    return 0;
}

static int
read_uint(const char *path, unsigned *out)
{
    g_autofree char *text = NULL;
    int r = read_text(path, &text);
    if (r < 0)
        return r;
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(g_strstrip(text), &end, 10);
    if (errno || !end || *end || v > G_MAXUINT)
        return -EIO;
    *out = (unsigned)v;
    return 0;
}

static char *
pool_path(unsigned kib, const char *file)
{
    return g_strdup_printf("/sys/kernel/mm/hugepages/hugepages-%ukB/%s", kib, file);
}

int
host_hugepages_read(unsigned kib, unsigned *nr, unsigned *free_pages)
{
    g_autofree char *p_nr = pool_path(kib, "nr_hugepages");
    g_autofree char *p_free = pool_path(kib, "free_hugepages");
    int r = read_uint(p_nr, nr);
    return r < 0 ? r : read_uint(p_free, free_pages);
}

int
host_hugepages_write(unsigned kib, unsigned nr)
{
    g_autofree char *p = pool_path(kib, "nr_hugepages");
    char buf[32];
    snprintf(buf, sizeof(buf), "%u", nr);
    return sysfs_write(p, buf);
}

static void
compact(void)
{
    g_autofree char *drop = g_build_filename(host_proc_root(), "sys/vm/drop_caches", NULL);
    g_autofree char *comp = g_build_filename(host_proc_root(), "sys/vm/compact_memory", NULL);
    sync();
    /* Best effort: either knob may be absent (kernel without compaction). */
    (void)sysfs_write(drop, "3");
    (void)sysfs_write(comp, "1");
}

int
host_hugepages_reserve(unsigned kib, unsigned pages, const char *journal, char **error)
{
    unsigned nr0, free0, nr, free_now;
    int r = host_hugepages_read(kib, &nr0, &free0);
    if (r < 0) {
        *error = g_strdup_printf("cannot read the %u kB hugepage pool: %s", kib, g_strerror(-r));
        return r;
    }
    if (free0 >= pages)
        return 0;
    char line[64];
    snprintf(line, sizeof(line), "hugepages\t%u\t%u", kib, nr0);
    if ((r = journal_add(journal, line, error)) < 0)
        return r;
    unsigned target = nr0 + (pages - free0);
    for (int attempt = 1; attempt <= 5; attempt++) {
        r = host_hugepages_write(kib, target);
        if (r < 0 && r != -ENOMEM) {
            *error = g_strdup_printf("writing nr_hugepages: %s", g_strerror(-r));
            break;
        }
        if (host_hugepages_read(kib, &nr, &free_now) == 0 && free_now >= pages)
            return 0;
        /* Fragmented memory: free caches, compact, and try again a little later. */
        compact();
        struct timespec ts = {0, attempt * 100L * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (!*error) {
        unsigned got = 0, dummy;
        host_hugepages_read(kib, &dummy, &got);
        *error = g_strdup_printf("only %u of %u hugepages of %u kB could be reserved "
                                 "(after 5 attempts with compaction)",
                                 got, pages, kib);
    }
    (void)host_hugepages_write(kib, nr0);
    return -ENOMEM;
}

bool
host_is_hugetlbfs(const char *path, unsigned kib, char **why)
{
    struct statfs sf;
    if (statfs(path, &sf) < 0) {
        *why = g_strdup_printf("%s: %s", path, g_strerror(errno));
        return false;
    }
    if ((unsigned long)sf.f_type != (unsigned long)HUGETLBFS_MAGIC) {
        *why = g_strdup_printf("%s is not a hugetlbfs mount (file system type 0x%lx); QEMU would "
                               "silently use ordinary memory there",
                               path, (unsigned long)sf.f_type);
        return false;
    }
    if ((unsigned long)sf.f_bsize != (unsigned long)kib * 1024) {
        *why = g_strdup_printf("%s is a hugetlbfs mount of %lu kB pages, not %u kB", path,
                               (unsigned long)sf.f_bsize / 1024, kib);
        return false;
    }
    return true;
}

int
journal_add(const char *path, const char *line, char **error)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        int e = errno;
        *error = g_strdup_printf("cannot open the undo journal %s: %s", path, g_strerror(e));
        return -e;
    }
    g_autofree char *text = g_strdup_printf("%s\n", line);
    size_t len = strlen(text);
    ssize_t w = write(fd, text, len);
    int r = w < 0 ? -errno : ((size_t)w != len ? -EIO : 0);
    if (r == 0 && fsync(fd) < 0)
        r = -errno;
    close(fd);
    if (r < 0) {
        *error = g_strdup_printf("cannot write the undo journal %s: %s", path, g_strerror(-r));
        return r;
    }
    /* Make the file's existence durable too (first entry of a new journal). */
    g_autofree char *dir = g_path_get_dirname(path);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    return 0;
}

int
host_hand(const char *path, uid_t uid, gid_t gid, const char *journal, char **error)
{
    struct stat st;
    if (path[0] != '/' || strchr(path, '\t') || strchr(path, '\n')) {
        *error = g_strdup_printf("cannot hand '%s' over: not an absolute path", path);
        return -EINVAL;
    }
    if (lstat(path, &st) < 0) {
        int e = errno;
        *error = g_strdup_printf("cannot hand %s over: %s", path, g_strerror(e));
        return -e;
    }
    /* A link could point anywhere (the hugetlbfs mount may be writable by others). */
    if (S_ISLNK(st.st_mode)) {
        *error = g_strdup_printf("cannot hand %s over: it is a symbolic link", path);
        return -ELOOP;
    }
    g_autofree char *line = g_strdup_printf("owner\t%s\t%u\t%u", path, (unsigned)st.st_uid,
                                            (unsigned)st.st_gid);
    int r = journal_add(journal, line, error);
    if (r < 0)
        return r;
    if (lchown(path, uid, gid) < 0) {
        int e = errno;
        *error = g_strdup_printf("cannot hand %s to %u:%u: %s", path, (unsigned)uid,
                                 (unsigned)gid, g_strerror(e));
        return -e;
    }
    return 0;
}

static bool
undo_entry(struct udev *udev, const char *line, int timeout_ms, bool *is_device)
{
    g_auto(GStrv) f = g_strsplit(line, "\t", -1);
    size_t n = g_strv_length(f);
    *is_device = false;
    if (n == 4 && strcmp(f[0], "device") == 0) {
        *is_device = true;
        g_autofree char *error = NULL;
        int r = pci_restore(udev, f[1], f[2], f[3], timeout_ms, &error);
        if (r < 0) {
            fprintf(stderr, "sdvm-devices: undo: %s\n", error);
            return false;
        }
        fprintf(stderr, "sdvm-devices: undo: %s given back to %s\n", f[1],
                f[2][0] ? f[2] : "no driver (as before)");
        return true;
    }
    if (n == 2 && strcmp(f[0], "vtcon") == 0) {
        g_autofree char *error = NULL;
        if (pci_console_bind(udev, f[1], true, &error) < 0) {
            /* The console is the host's text screen, not a device the greeter needs. */
            fprintf(stderr, "sdvm-devices: undo: %s (console not rebound)\n", error);
            return true;
        }
        fprintf(stderr, "sdvm-devices: undo: %s bound to its frame buffer again\n", f[1]);
        return true;
    }
    unsigned kib, nr, uid, gid;
    if (n == 4 && strcmp(f[0], "owner") == 0 && f[1][0] == '/' &&
        sscanf(f[2], "%u", &uid) == 1 && sscanf(f[3], "%u", &gid) == 1) {
        /* A vfio group node goes away with its last device on vfio-pci: nothing to give. */
        if (lchown(f[1], (uid_t)uid, (gid_t)gid) < 0 && errno != ENOENT) {
            fprintf(stderr, "sdvm-devices: undo: cannot give %s back to %u:%u: %s\n", f[1], uid,
                    gid, g_strerror(errno));
            return false;
        }
        fprintf(stderr, "sdvm-devices: undo: %s back to owner %u:%u\n", f[1], uid, gid);
        return true;
    }
    if (n == 3 && strcmp(f[0], "hugepages") == 0 && sscanf(f[1], "%u", &kib) == 1 &&
        sscanf(f[2], "%u", &nr) == 1) {
        int r = host_hugepages_write(kib, nr);
        unsigned now = 0, free_pages = 0;
        if (r == 0)
            r = host_hugepages_read(kib, &now, &free_pages);
        if (r < 0 || now != nr) {
            fprintf(stderr,
                    "sdvm-devices: undo: could not lower the %u kB hugepage pool to %u "
                    "(now %u): %s\n",
                    kib, nr, now, r < 0 ? g_strerror(-r) : "pages still in use");
            return false;
        }
        fprintf(stderr, "sdvm-devices: undo: %u kB hugepage pool back to %u pages\n", kib, nr);
        return true;
    }
    if (*line)
        fprintf(stderr, "sdvm-devices: undo: ignoring malformed journal line '%s'\n", line);
    return true;
}

int
journal_undo(struct udev *udev, const char *path, int timeout_ms)
{
    g_autofree char *text = NULL;
    int r = read_text(path, &text);
    if (r == -ENOENT)
        return 0;
    if (r < 0) {
        fprintf(stderr, "sdvm-devices: cannot read the undo journal %s: %s\n", path,
                g_strerror(-r));
        return r;
    }
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    size_t n = g_strv_length(lines);
    GString *left = g_string_new(NULL);
    int devices_left = 0;
    bool other_left = false;
    /* Last change first; failed entries are kept in their original order. */
    g_autofree bool *failed = g_new0(bool, n + 1);
    for (size_t i = n; i-- > 0;) {
        bool is_device;
        if (!undo_entry(udev, lines[i], timeout_ms, &is_device)) {
            failed[i] = true;
            if (is_device)
                devices_left++;
            else
                other_left = true;
        }
    }
    for (size_t i = 0; i < n; i++)
        if (failed[i])
            g_string_append_printf(left, "%s\n", lines[i]);
    if (left->len == 0) {
        if (unlink(path) < 0 && errno != ENOENT)
            fprintf(stderr, "sdvm-devices: cannot remove %s: %s\n", path, g_strerror(errno));
    } else {
        g_autoptr(GError) err = NULL;
        if (!g_file_set_contents_full(path, left->str, (gssize)left->len,
                                      G_FILE_SET_CONTENTS_CONSISTENT, 0600, &err))
            fprintf(stderr, "sdvm-devices: cannot rewrite %s: %s\n", path, err->message);
    }
    g_string_free(left, TRUE);
    (void)other_left; /* a pool that stays large costs memory, not the host's devices */
    return devices_left;
}
