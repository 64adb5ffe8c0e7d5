/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Listing the users' disks: every UsersDir/<user-id>/<image-id>.qcow2, oldest first. A big
 * store (ten thousand users) is read by several threads, and a long-lived store remembers
 * what each user directory held so that an unchanged one is not read again.
 */
#include "store-private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

#include "sdvm/catalog.h"
#include "sdvm/qcow2.h"

/* "<image-id>.qcow2" -> image id into out; false for anything else. */
static bool
disk_image_id(const char *name, char out[65])
{
    size_t n = strlen(name);
    size_t s = sizeof(DISK_SUFFIX) - 1;
    if (n <= s || n - s > 64 || strcmp(name + n - s, DISK_SUFFIX))
        return false;
    memcpy(out, name, n - s);
    out[n - s] = '\0';
    return sdvm_image_id_is_valid(out);
}

/* A disk retired by an image update: "<image-id>" SDVM_STORE_RETIRED_MARK "<stamp>.qcow2". */
static bool
is_retired(const struct sdvm_disk_info *d)
{
    return strstr(d->image_id, SDVM_STORE_RETIRED_MARK) != NULL;
}

/* Eviction order: retired disks first (they serve no image of the catalog any more), then
 * the least recently used. */
static int
compare_disks(const void *a, const void *b)
{
    const struct sdvm_disk_info *x = a, *y = b;
    if (is_retired(x) != is_retired(y))
        return is_retired(x) ? -1 : 1;
    if (x->mtime.tv_sec != y->mtime.tv_sec)
        return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
    if (x->mtime.tv_nsec != y->mtime.tv_nsec)
        return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
    return strcmp(x->path, y->path);
}

void
sdvm_disk_list_clear(struct sdvm_disk_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->count; i++)
        free(l->disks[i].path);
    free(l->disks);
    l->disks = NULL;
    l->count = 0;
}

int
sdvm_disk_list_append(struct sdvm_disk_list *l, size_t *cap, const struct sdvm_disk_info *d)
{
    if (l->count == *cap) {
        size_t ncap = *cap ? *cap * 2 : 64;
        struct sdvm_disk_info *n = realloc(l->disks, ncap * sizeof(*n));
        if (!n)
            return -ENOMEM;
        l->disks = n;
        *cap = ncap;
    }
    l->disks[l->count++] = *d;
    return 0;
}

/*
 * Directory entries with raw getdents64: no fdopendir() bookkeeping (an fcntl and an fstat
 * per directory), which matters when there are ten thousand user directories. fn returns
 * 0 to go on or -errno to stop. A user directory holds a handful of entries: one call with
 * a 32 KiB buffer reads them all; a full buffer means there may be more, so read on.
 */
typedef int (*dirent_fn)(const char *name, unsigned char type, void *userdata);

static int
for_each_entry(int dfd, dirent_fn fn, void *userdata)
{
    enum { BUF = 32 * 1024 };
    char *buf = malloc(BUF);
    if (!buf)
        return -ENOMEM;
    int r = 0;
    for (;;) {
        ssize_t n = getdents64(dfd, buf, BUF);
        if (n < 0) {
            r = errno == EINTR ? 0 : -errno;
            if (r)
                break;
            continue;
        }
        if (n == 0)
            break;
        for (ssize_t off = 0; off < n && r == 0;) {
            struct dirent64 *de = (struct dirent64 *)(void *)(buf + off);
            off += de->d_reclen;
            if (de->d_name[0] == '.' &&
                (de->d_name[1] == '\0' || (de->d_name[1] == '.' && de->d_name[2] == '\0')))
                continue;
            r = fn(de->d_name, de->d_type, userdata);
        }
        /* Less than a full buffer: the directory is exhausted. */
        if (r || (size_t)n + 2 * sizeof(struct dirent64) < BUF)
            break;
    }
    free(buf);
    return r;
}

/*
 * What a user directory held when last read, so that a long-lived store (sdvmd) does not
 * read ten thousand directories at every login: if the directory's inode and mtime are
 * unchanged, so are its entries. Like git's index, an entry is "racily clean" when the
 * directory changed within a second of being read (a later change in the same timestamp
 * tick would go unseen), and such entries are read again.
 */
struct dir_cache_entry {
    unsigned generation; /* the last scan that saw the directory */
    ino_t ino;
    struct timespec mtime;
    time_t read_at;
    char **names; /* disk file names, NULL-terminated */
};

static void
dir_cache_entry_free(gpointer p)
{
    struct dir_cache_entry *e = p;
    g_strfreev(e->names);
    g_free(e);
}

static gboolean
stale_entry(gpointer key, gpointer value, gpointer generation)
{
    (void)key;
    return ((struct dir_cache_entry *)value)->generation != *(unsigned *)generation;
}

static bool
dir_cache_valid(const struct dir_cache_entry *e, const struct stat *dsb)
{
    return e && e->ino == dsb->st_ino && e->mtime.tv_sec == dsb->st_mtim.tv_sec &&
           e->mtime.tv_nsec == dsb->st_mtim.tv_nsec && e->mtime.tv_sec + 1 < e->read_at;
}

static int
collect_disk_name(const char *name, unsigned char type, void *userdata)
{
    char image[65];
    if (name[0] == '.' || !disk_image_id(name, image))
        return 0;
    if (type != DT_REG && type != DT_UNKNOWN)
        return 0;
    g_ptr_array_add(userdata, g_strdup(name));
    return 0;
}

/* One slice of the user directories, scanned by one thread; the cache is read only. */
struct slice {
    sdvm_store *st;
    unsigned flags;
    char **users;
    size_t count;
    struct dir_cache_entry **cache_out; /* per user: a new entry to insert (or NULL) */
    struct sdvm_disk_list list;
    size_t cap;
    int result;
};

static int
scan_disk(struct slice *s, const char *user, const char *name)
{
    sdvm_store *st = s->st;
    struct sdvm_disk_info info = {.in_use = -1};
    if (!disk_image_id(name, info.image_id))
        return 0;
    char rel[SDVM_USER_ID_SIZE + 80];
    snprintf(rel, sizeof(rel), "%s/%s", user, name);
    struct stat sb;
    if (fstatat(st->users_fd, rel, &sb, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(sb.st_mode))
        return 0;
    memcpy(info.user_id, user, SDVM_USER_ID_SIZE);
    info.allocated_bytes = (uint64_t)sb.st_blocks * 512;
    info.mtime = sb.st_mtim;
    if (st->backend->own_bytes(st->users_fd, rel, &sb, &info.own_bytes) < 0)
        info.own_bytes = sdvm_store_allocated_bytes(&sb);
    if (asprintf(&info.path, "%s/%s", st->users_dir, rel) < 0)
        return -ENOMEM;
    if (s->flags & (SDVM_STORE_LIST_IN_USE | SDVM_STORE_LIST_VIRTUAL_SIZE | SDVM_STORE_LIST_BASE)) {
        int fd =
            openat(st->users_fd, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
        if (fd >= 0) {
            if (s->flags & SDVM_STORE_LIST_IN_USE) {
                int in_use = sdvm_store_fd_in_use(fd);
                info.in_use = in_use < 0 ? -1 : in_use;
            }
            /* One read of the header serves both the size and the base. */
            struct sdvm_qcow2_info q;
            bool header_read = (s->flags & (SDVM_STORE_LIST_VIRTUAL_SIZE | SDVM_STORE_LIST_BASE)) &&
                               sdvm_qcow2_read_info(fd, &q) == 0;
            if ((s->flags & SDVM_STORE_LIST_VIRTUAL_SIZE) && header_read)
                info.virtual_size = q.virtual_size;
            if (s->flags & SDVM_STORE_LIST_BASE)
                info.base = sdvm_store_disk_base(header_read ? &q : NULL);
            close(fd);
        }
    }
    int r = sdvm_disk_list_append(&s->list, &s->cap, &info);
    if (r < 0)
        free(info.path);
    return r;
}

/* The disks of one user directory (the i-th of the slice). */
static int
scan_user(struct slice *s, size_t i, time_t now)
{
    sdvm_store *st = s->st;
    const char *user = s->users[i];
    struct stat dsb;
    if (fstatat(st->users_fd, user, &dsb, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(dsb.st_mode))
        return 0;
    struct dir_cache_entry *e = st->dir_cache ? g_hash_table_lookup(st->dir_cache, user) : NULL;
    if (dir_cache_valid(e, &dsb)) {
        e->generation = st->generation; /* each entry is touched by one thread only */
    } else {
        int dfd = openat(st->users_fd, user, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (dfd < 0)
            return errno == ENOTDIR || errno == ELOOP || errno == ENOENT ? 0 : -errno;
        GPtrArray *names = g_ptr_array_new();
        int r = for_each_entry(dfd, collect_disk_name, names);
        close(dfd);
        g_ptr_array_add(names, NULL);
        e = g_new0(struct dir_cache_entry, 1);
        e->generation = st->generation;
        e->ino = dsb.st_ino;
        e->mtime = dsb.st_mtim;
        e->read_at = now;
        e->names = (char **)g_ptr_array_free(names, FALSE);
        s->cache_out[i] = e;
        if (r < 0)
            return r;
    }
    for (char **n = e->names; *n; n++) {
        int r = scan_disk(s, user, *n);
        if (r < 0)
            return r;
    }
    return 0;
}

static void *
scan_slice(void *p)
{
    struct slice *s = p;
    time_t now = time(NULL);
    for (size_t i = 0; i < s->count && s->result == 0; i++)
        s->result = scan_user(s, i, now);
    return NULL;
}

struct user_names {
    const char *skip;
    GStringChunk *chunk; /* the names' storage */
    GPtrArray *names;    /* char *, into chunk */
};

static int
collect_user(const char *name, unsigned char type, void *userdata)
{
    struct user_names *n = userdata;
    if (!sdvm_user_id_is_valid(name) || (n->skip && !strcmp(name, n->skip)))
        return 0;
    if (type != DT_DIR && type != DT_UNKNOWN)
        return 0;
    g_ptr_array_add(n->names, g_string_chunk_insert_len(n->chunk, name, SDVM_USER_ID_LEN));
    return 0;
}

/* Threads for big stores: the scan is dominated by per-directory system calls. */
#define MAX_SCAN_THREADS 8

static size_t
scan_threads(size_t users)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    size_t n = users / 2048 + 1;
    if (cpus < 1)
        cpus = 1;
    if (n > (size_t)cpus)
        n = (size_t)cpus;
    return n > MAX_SCAN_THREADS ? MAX_SCAN_THREADS : n;
}

int
sdvm_store_scan(sdvm_store *st, unsigned flags, const char *skip_user, struct sdvm_disk_list *out)
{
    memset(out, 0, sizeof(*out));
    int fd = openat(st->users_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct user_names names = {skip_user, g_string_chunk_new(64 * 1024), g_ptr_array_new()};
    int r = for_each_entry(fd, collect_user, &names);
    close(fd);
    size_t n_users = names.names->len;
    struct dir_cache_entry **cache_out = g_new0(struct dir_cache_entry *, n_users + 1);
    if (!st->dir_cache)
        st->dir_cache =
            g_hash_table_new_full(g_str_hash, g_str_equal, g_free, dir_cache_entry_free);
    st->generation++;

    size_t n_threads = r == 0 ? scan_threads(n_users) : 0;
    struct slice slices[MAX_SCAN_THREADS];
    pthread_t threads[MAX_SCAN_THREADS];
    size_t per = n_threads ? (n_users + n_threads - 1) / n_threads : 0;
    for (size_t t = 0; t < n_threads; t++) {
        size_t first = MIN(t * per, n_users);
        slices[t] = (struct slice){
            .st = st,
            .flags = flags,
            .users = (char **)names.names->pdata + first,
            .count = MIN(per, n_users - first),
            .cache_out = cache_out + first,
        };
    }
    /* Slice 0 runs here, the others in threads (or here, when a thread cannot start). */
    size_t started = 0;
    for (size_t t = 1; t < n_threads; t++) {
        if (pthread_create(&threads[t], NULL, scan_slice, &slices[t]) != 0)
            break;
        started = t;
    }
    if (n_threads)
        scan_slice(&slices[0]);
    for (size_t t = 1; t <= started; t++)
        pthread_join(threads[t], NULL);
    for (size_t t = started + 1; t < n_threads; t++)
        scan_slice(&slices[t]);

    /* The cache: add what was read anew, drop users this scan did not see. */
    for (size_t i = 0; i < n_users; i++)
        if (cache_out[i])
            g_hash_table_replace(st->dir_cache, g_strdup(names.names->pdata[i]), cache_out[i]);
    g_hash_table_foreach_remove(st->dir_cache, stale_entry, &st->generation);
    g_free(cache_out);

    size_t cap = 0;
    for (size_t t = 0; t < n_threads; t++) {
        if (r == 0 && slices[t].result < 0)
            r = slices[t].result;
        for (size_t i = 0; i < slices[t].list.count; i++) {
            if (r == 0 && sdvm_disk_list_append(out, &cap, &slices[t].list.disks[i]) == 0)
                slices[t].list.disks[i].path = NULL; /* moved */
            else if (r == 0)
                r = -ENOMEM;
        }
        sdvm_disk_list_clear(&slices[t].list);
    }
    g_ptr_array_unref(names.names);
    g_string_chunk_free(names.chunk);
    if (r < 0) {
        sdvm_disk_list_clear(out);
        return r;
    }
    if (out->count)
        qsort(out->disks, out->count, sizeof(out->disks[0]), compare_disks);
    return 0;
}

int
sdvm_store_list_disks(sdvm_store *st, unsigned flags, struct sdvm_disk_list *out)
{
    if (!st || !out)
        return -EINVAL;
    return sdvm_store_scan(st, flags, NULL, out);
}
