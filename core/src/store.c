/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The disk store: paths, the space rule and eviction, and crash-safe creation. */
#include "sdvm/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <glib.h>

#include "sdvm/catalog.h"
#include "sdvm/log.h"
#include "sdvm/qcow2.h"
#include "store-backend.h"

#define DISK_SUFFIX ".qcow2"
#define TEMP_MARK ".tmp-"

struct sdvm_store {
    char *users_dir;
    int users_fd; /* O_DIRECTORY */
    const struct sdvm_store_backend *backend;
    uint64_t reserve_bytes;
    sdvm_store_step_fn step_fn;
    void *step_userdata;
    GHashTable *dir_cache; /* user id -> struct dir_cache_entry *, see list_disks() */
    unsigned generation;   /* of the scans, for the cache */
};

/* ------------------------------------------------------------------------------------------ */

int
sdvm_store_new(const struct sdvm_store_options *o, sdvm_store **out)
{
    if (!o || !out || !o->users_dir || !*o->users_dir)
        return -EINVAL;
    *out = NULL;
    const struct sdvm_store_backend *backend;
    switch (o->backend) {
    case SDVM_STORE_BACKEND_QCOW2:
        backend = &sdvm_store_backend_qcow2;
        break;
    case SDVM_STORE_BACKEND_REFLINK:
        backend = &sdvm_store_backend_reflink;
        break;
    case SDVM_STORE_BACKEND_ZVOL:
        log_errorf("the zvol store backend is not built into this SDVM");
        return -EOPNOTSUPP;
    default:
        return -EINVAL;
    }
    g_autofree char *dir = g_canonicalize_filename(o->users_dir, NULL);
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        int e = errno;
        log_errorf("cannot create the users directory %s: %s", dir, g_strerror(e));
        return -e;
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        log_errorf("cannot open the users directory %s: %s", dir, g_strerror(e));
        return -e;
    }
    sdvm_store *st = g_new0(sdvm_store, 1);
    st->users_dir = g_steal_pointer(&dir);
    st->users_fd = fd;
    st->backend = backend;
    st->reserve_bytes = o->reserve_bytes;
    *out = st;
    return 0;
}

int
sdvm_store_new_from_config(const struct sdvm_config *c, sdvm_store **out)
{
    if (!c)
        return -EINVAL;
    if (c->store.reserve_mib > UINT64_MAX / (1024 * 1024))
        return -EINVAL;
    struct sdvm_store_options o = {
        .users_dir = c->paths.users_dir,
        .backend = c->store.backend,
        .reserve_bytes = c->store.reserve_mib * 1024 * 1024,
    };
    return sdvm_store_new(&o, out);
}

void
sdvm_store_free(sdvm_store *st)
{
    if (!st)
        return;
    close(st->users_fd);
    g_free(st->users_dir);
    if (st->dir_cache)
        g_hash_table_unref(st->dir_cache);
    g_free(st);
}

const char *
sdvm_store_users_dir(const sdvm_store *st)
{
    return st ? st->users_dir : NULL;
}

enum sdvm_store_backend_kind
sdvm_store_backend(const sdvm_store *st)
{
    return st->backend->kind;
}

void
sdvm_store_set_step_hook(sdvm_store *st, sdvm_store_step_fn fn, void *userdata)
{
    st->step_fn = fn;
    st->step_userdata = userdata;
}

static void
step(sdvm_store *st, enum sdvm_store_step s, const char *path)
{
    if (st->step_fn)
        st->step_fn(s, path, st->step_userdata);
}

char *
sdvm_store_disk_path(const sdvm_store *st, const char *user_id, const char *image_id)
{
    if (!st || !sdvm_user_id_is_valid(user_id) || !sdvm_image_id_is_valid(image_id))
        return NULL;
    char *p = NULL;
    if (asprintf(&p, "%s/%s/%s" DISK_SUFFIX, st->users_dir, user_id, image_id) < 0)
        return NULL;
    return p;
}

void
sdvm_store_result_clear(struct sdvm_store_result *r)
{
    if (!r)
        return;
    free(r->disk_path);
    memset(r, 0, sizeof(*r));
}

/* ------------------------------------------------------------------------------------------ */
/* In use                                                                                     */

static int
fd_in_use(int fd)
{
    struct flock fl = {
        .l_type = F_WRLCK,
        .l_whence = SEEK_SET,
        .l_start = SDVM_QCOW2_LOCK_START,
        .l_len = SDVM_QCOW2_LOCK_LEN,
        .l_pid = 0,
    };
    if (fcntl(fd, F_OFD_GETLK, &fl) < 0)
        return -errno;
    return fl.l_type != F_UNLCK;
}

int
sdvm_store_disk_in_use(const char *path)
{
    if (!path)
        return -EINVAL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return -errno;
    int r = fd_in_use(fd);
    close(fd);
    return r;
}

/* ------------------------------------------------------------------------------------------ */
/* Listing                                                                                    */

static bool
is_temp_name(const char *name)
{
    return name[0] == '.' && strstr(name, DISK_SUFFIX TEMP_MARK) != NULL;
}

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

static int
compare_disks(const void *a, const void *b)
{
    const struct sdvm_disk_info *x = a, *y = b;
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

static int
list_append(struct sdvm_disk_list *l, size_t *cap, const struct sdvm_disk_info *d)
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
    if (s->flags & (SDVM_STORE_LIST_IN_USE | SDVM_STORE_LIST_VIRTUAL_SIZE)) {
        int fd =
            openat(st->users_fd, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
        if (fd >= 0) {
            if (s->flags & SDVM_STORE_LIST_IN_USE) {
                int in_use = fd_in_use(fd);
                info.in_use = in_use < 0 ? -1 : in_use;
            }
            struct sdvm_qcow2_info q;
            if ((s->flags & SDVM_STORE_LIST_VIRTUAL_SIZE) && sdvm_qcow2_read_info(fd, &q) == 0)
                info.virtual_size = q.virtual_size;
            close(fd);
        }
    }
    int r = list_append(&s->list, &s->cap, &info);
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

static int
list_disks(sdvm_store *st, unsigned flags, const char *skip_user, struct sdvm_disk_list *out)
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
            if (r == 0 && list_append(out, &cap, &slices[t].list.disks[i]) == 0)
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
    return list_disks(st, flags, NULL, out);
}

/* ------------------------------------------------------------------------------------------ */
/* The space rule                                                                             */

static int
free_bytes(sdvm_store *st, uint64_t *out)
{
    struct statvfs v;
    if (fstatvfs(st->users_fd, &v) < 0)
        return -errno;
    *out = (uint64_t)v.f_bavail * v.f_frsize;
    return 0;
}

/* C: this user's disk for the image, 0 if none. */
static int
current_size(sdvm_store *st, const char *user_id, const char *image_id, uint64_t *out)
{
    *out = 0;
    if (!user_id || !image_id)
        return 0;
    int dfd = openat(st->users_fd, user_id, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (dfd < 0)
        return errno == ENOENT ? 0 : -errno;
    g_autofree char *name = g_strconcat(image_id, DISK_SUFFIX, NULL);
    struct stat sb;
    int r = 0;
    if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0)
        r = st->backend->own_bytes(dfd, name, &sb, out);
    else if (errno != ENOENT)
        r = -errno;
    close(dfd);
    return r;
}

static bool
rule_holds(uint64_t free_now, uint64_t needed)
{
    return free_now > needed;
}

void
sdvm_evict_plan_clear(struct sdvm_evict_plan *p)
{
    if (!p)
        return;
    sdvm_disk_list_clear(&p->victims);
    memset(p, 0, sizeof(*p));
}

int
sdvm_store_plan_eviction(sdvm_store *st, const char *user_id, const char *image_id,
                         uint64_t virtual_size, struct sdvm_evict_plan *p)
{
    if (!st || !p || (user_id && !sdvm_user_id_is_valid(user_id)) ||
        (image_id && !sdvm_image_id_is_valid(image_id)))
        return -EINVAL;
    memset(p, 0, sizeof(*p));
    p->virtual_size = virtual_size;
    p->reserve = st->reserve_bytes;
    int r = current_size(st, user_id, image_id, &p->current_size);
    if (r < 0)
        return r;
    if ((r = free_bytes(st, &p->free_bytes)) < 0)
        return r;
    uint64_t want = virtual_size > p->current_size ? virtual_size - p->current_size : 0;
    p->needed_bytes = want > UINT64_MAX - p->reserve ? UINT64_MAX : want + p->reserve;
    p->expected_free = p->free_bytes;
    p->rule_holds = rule_holds(p->free_bytes, p->needed_bytes);
    if (p->rule_holds) {
        p->feasible = true;
        return 0;
    }

    struct sdvm_disk_list all;
    if ((r = list_disks(st, 0, user_id, &all)) < 0)
        return r;
    /* Even evicting everything would not do: no need to look at locks. */
    uint64_t everything = p->free_bytes;
    for (size_t i = 0; i < all.count; i++)
        everything += all.disks[i].own_bytes;
    if (!rule_holds(everything, p->needed_bytes)) {
        p->expected_free = everything;
        sdvm_disk_list_clear(&all);
        return 0;
    }
    size_t cap = 0;
    for (size_t i = 0; i < all.count && !rule_holds(p->expected_free, p->needed_bytes); i++) {
        struct sdvm_disk_info *d = &all.disks[i];
        int u = sdvm_store_disk_in_use(d->path);
        if (u == -ENOENT)
            continue;
        if (u != 0) {
            /* In use, or we cannot tell: never delete it. */
            p->skipped_in_use++;
            continue;
        }
        d->in_use = 0;
        if ((r = list_append(&p->victims, &cap, d)) < 0)
            break;
        d->path = NULL; /* moved */
        p->expected_free += d->own_bytes;
    }
    sdvm_disk_list_clear(&all);
    if (r < 0) {
        sdvm_evict_plan_clear(p);
        return r;
    }
    p->feasible = rule_holds(p->expected_free, p->needed_bytes);
    return 0;
}

static void
format_age(time_t seconds, char *buf, size_t size)
{
    if (seconds < 0)
        seconds = 0;
    if (seconds >= 86400)
        snprintf(buf, size, "%lldd %lldh", (long long)seconds / 86400,
                 (long long)(seconds % 86400) / 3600);
    else if (seconds >= 3600)
        snprintf(buf, size, "%lldh %lldm", (long long)seconds / 3600,
                 (long long)(seconds % 3600) / 60);
    else
        snprintf(buf, size, "%llds", (long long)seconds);
}

/*
 * Delete one planned victim, unless a QEMU took it since: we hold the same OFD write lock
 * QEMU would need while we unlink, so a guest starting now cannot open it half-deleted.
 * Returns 1 deleted, 0 skipped (in use or gone), -errno.
 */
static int
evict_one(sdvm_store *st, const struct sdvm_disk_info *d)
{
    int fd = open(d->path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return errno == ENOENT ? 0 : -errno;
    struct flock fl = {
        .l_type = F_WRLCK,
        .l_whence = SEEK_SET,
        .l_start = SDVM_QCOW2_LOCK_START,
        .l_len = SDVM_QCOW2_LOCK_LEN,
    };
    if (fcntl(fd, F_OFD_SETLK, &fl) < 0) {
        int e = errno;
        close(fd);
        if (e == EAGAIN || e == EACCES) {
            log_infof("not evicting %s: it came into use", d->path);
            return 0;
        }
        return -e;
    }
    int r = 1;
    if (unlink(d->path) < 0)
        r = errno == ENOENT ? 0 : -errno;
    close(fd);
    if (r == 1) {
        char age[32], size[32];
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        format_age(now.tv_sec - d->mtime.tv_sec, age, sizeof(age));
        snprintf(size, sizeof(size), "%" PRIu64, d->own_bytes);
        log_infof("evicted user %s image %s: %s bytes, unused for %s", d->user_id, d->image_id,
                  size, age);
        /* The user's directory goes when empty; ENOTEMPTY is the normal case. */
        g_autofree char *dir = g_path_get_dirname(d->path);
        if (rmdir(dir) == 0)
            fsync(st->users_fd);
    } else if (r < 0) {
        log_errorf("cannot evict %s: %s", d->path, g_strerror(-r));
    }
    return r;
}

/* syncfs, then wait up to a second for statvfs to show the rule holding. */
static bool
settle(sdvm_store *st, uint64_t needed)
{
    syncfs(st->users_fd);
    for (int i = 0; i < 50; i++) {
        uint64_t now_free = 0;
        if (free_bytes(st, &now_free) == 0 && rule_holds(now_free, needed))
            return true;
        struct timespec t = {0, 20 * 1000 * 1000};
        nanosleep(&t, NULL);
    }
    return false;
}

static char *
full_detail(const struct sdvm_evict_plan *p)
{
    return g_strdup_printf("the space rule needs more than %" PRIu64
                           " free bytes (virtual size %" PRIu64 " - current disk %" PRIu64
                           " + reserve %" PRIu64 "); %" PRIu64
                           " are free and evicting other users' disks could free at most %" PRIu64
                           " more (%zu held by a running guest)",
                           p->needed_bytes, p->virtual_size, p->current_size, p->reserve,
                           p->free_bytes, p->expected_free - p->free_bytes, p->skipped_in_use);
}

enum sdvm_failure
sdvm_store_make_room(sdvm_store *st, const char *user_id, const char *image_id,
                     uint64_t virtual_size, size_t *evicted, uint64_t *evicted_bytes, char **detail)
{
    if (evicted)
        *evicted = 0;
    if (evicted_bytes)
        *evicted_bytes = 0;
    if (detail)
        *detail = NULL;
    if (!st)
        return SDVM_FAILURE_INTERNAL;
    uint64_t start_free = 0;
    size_t count = 0;
    enum sdvm_failure result = SDVM_FAILURE_NONE;
    bool first = true;
    for (;;) {
        struct sdvm_evict_plan p;
        int r = sdvm_store_plan_eviction(st, user_id, image_id, virtual_size, &p);
        if (r < 0) {
            if (detail)
                *detail = g_strdup_printf("cannot apply the space rule in %s: %s", st->users_dir,
                                          g_strerror(-r));
            return r == -EINVAL ? SDVM_FAILURE_INTERNAL : SDVM_FAILURE_DISK_ERROR;
        }
        if (first)
            start_free = p.free_bytes;
        first = false;
        if (p.rule_holds) {
            sdvm_evict_plan_clear(&p);
            break;
        }
        if (!p.feasible) {
            g_autofree char *why = full_detail(&p);
            if (count)
                log_errorf("evicted %zu disk(s) but they gave back less than expected: %s", count,
                           why);
            else
                log_warningf("disk full: %s", why);
            if (detail)
                *detail = g_steal_pointer(&why);
            sdvm_evict_plan_clear(&p);
            result = SDVM_FAILURE_DISK_FULL;
            break;
        }
        size_t round = 0;
        bool holds = false;
        uint64_t expected = p.free_bytes;
        for (size_t i = 0; i < p.victims.count && !holds; i++) {
            r = evict_one(st, &p.victims.disks[i]);
            if (r < 0) {
                if (detail)
                    *detail = g_strdup_printf("cannot evict %s: %s", p.victims.disks[i].path,
                                              g_strerror(-r));
                if (evicted)
                    *evicted = count + round;
                sdvm_evict_plan_clear(&p);
                return SDVM_FAILURE_DISK_ERROR;
            }
            if (r == 0)
                continue;
            round++;
            expected += p.victims.disks[i].own_bytes;
            uint64_t now_free = 0;
            if (free_bytes(st, &now_free) == 0)
                holds = rule_holds(now_free, p.needed_bytes);
            /* Enough by the estimate: let the file system's accounting catch up before
             * deleting anything more (XFS and btrfs free extents after the fact). */
            if (!holds && rule_holds(expected, p.needed_bytes))
                holds = settle(st, p.needed_bytes);
        }
        sdvm_evict_plan_clear(&p);
        count += round;
        if (round == 0 && !holds) {
            /* Every victim went into use or vanished: plan again, once it changes nothing. */
            struct sdvm_evict_plan again;
            if (sdvm_store_plan_eviction(st, user_id, image_id, virtual_size, &again) == 0 &&
                !again.rule_holds && again.victims.count == 0) {
                if (detail)
                    *detail = full_detail(&again);
                sdvm_evict_plan_clear(&again);
                result = SDVM_FAILURE_DISK_FULL;
                break;
            }
            sdvm_evict_plan_clear(&again);
        }
    }
    uint64_t end_free = 0;
    if (count && free_bytes(st, &end_free) == 0) {
        uint64_t gained = end_free > start_free ? end_free - start_free : 0;
        log_infof("evicted %zu disk(s), %" PRIu64 " bytes freed (measured)", count, gained);
        if (evicted_bytes)
            *evicted_bytes = gained;
    }
    if (evicted)
        *evicted = count;
    return result;
}

/* ------------------------------------------------------------------------------------------ */
/* Creating and reusing                                                                       */

static int
fsync_dir(int dfd)
{
    return fsync(dfd) < 0 ? -errno : 0;
}

/* ".<image>.qcow2.tmp-XXXXXX" created with O_EXCL in dfd. */
static int
create_temp(int dfd, const char *image_id, char **name_out)
{
    static const char chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    for (int attempt = 0; attempt < 100; attempt++) {
        unsigned char rnd[6];
        if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
            return -EIO;
        char suffix[7];
        for (size_t i = 0; i < 6; i++)
            suffix[i] = chars[rnd[i] % (sizeof(chars) - 1)];
        suffix[6] = '\0';
        char *name = g_strdup_printf(".%s" DISK_SUFFIX TEMP_MARK "%s", image_id, suffix);
        int fd = openat(dfd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd >= 0) {
            *name_out = name;
            return fd;
        }
        int e = errno;
        g_free(name);
        if (e != EEXIST)
            return -e;
    }
    return -EEXIST;
}

/* Remove ".<image>.qcow2.tmp-*" left by a crash in this user's directory. */
static void
remove_own_temps(int dfd, const char *image_id)
{
    int fd = dup(dfd);
    if (fd < 0)
        return;
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return;
    }
    g_autofree char *prefix = g_strdup_printf(".%s" DISK_SUFFIX TEMP_MARK, image_id);
    struct dirent *de;
    while ((de = readdir(d)))
        if (g_str_has_prefix(de->d_name, prefix) && unlinkat(dfd, de->d_name, 0) == 0)
            log_infof("removed %s left by an interrupted disk creation", de->d_name);
    closedir(d);
}

static enum sdvm_failure
create_disk(sdvm_store *st, int dfd, const char *user_id, const char *image_id, int base_fd,
            const char *base_path, const struct sdvm_qcow2_info *base, char **detail)
{
    remove_own_temps(dfd, image_id);
    g_autofree char *tmp = NULL;
    int fd = create_temp(dfd, image_id, &tmp);
    if (fd < 0) {
        *detail = g_strdup_printf("cannot create a file in %s/%s: %s", st->users_dir, user_id,
                                  g_strerror(-fd));
        return SDVM_FAILURE_DISK_ERROR;
    }
    g_autofree char *tmp_path = g_strdup_printf("%s/%s/%s", st->users_dir, user_id, tmp);
    g_autofree char *final = g_strconcat(image_id, DISK_SUFFIX, NULL);
    g_autofree char *final_path = g_strdup_printf("%s/%s/%s", st->users_dir, user_id, final);
    step(st, SDVM_STORE_STEP_TEMP_CREATED, tmp_path);

    char *why = NULL;
    int r = st->backend->write_new(fd, base_fd, base_path, base, &why);
    if (r == 0) {
        step(st, SDVM_STORE_STEP_TEMP_WRITTEN, tmp_path);
        if (fsync(fd) < 0) {
            r = -errno;
            why = g_strdup_printf("fsync: %s", g_strerror(-r));
        }
    }
    close(fd);
    if (r == 0) {
        step(st, SDVM_STORE_STEP_TEMP_SYNCED, tmp_path);
        if (renameat(dfd, tmp, dfd, final) < 0) {
            r = -errno;
            why = g_strdup_printf("rename: %s", g_strerror(-r));
        }
    }
    if (r < 0) {
        unlinkat(dfd, tmp, 0);
        *detail = g_strdup_printf("cannot create %s: %s", final_path, why ? why : "error");
        g_free(why);
        return SDVM_FAILURE_DISK_ERROR;
    }
    step(st, SDVM_STORE_STEP_RENAMED, final_path);
    if ((r = fsync_dir(dfd)) < 0) {
        *detail = g_strdup_printf("fsync %s/%s: %s", st->users_dir, user_id, g_strerror(-r));
        return SDVM_FAILURE_DISK_ERROR;
    }
    step(st, SDVM_STORE_STEP_DIR_SYNCED, final_path);
    log_infof("created disk %s (%s backend, base %s)", final_path, st->backend->name, base_path);
    return SDVM_FAILURE_NONE;
}

/* Opens (creating if needed, 0700) the user's directory. */
static int
open_user_dir(sdvm_store *st, const char *user_id)
{
    if (mkdirat(st->users_fd, user_id, 0700) == 0) {
        int r = fsync_dir(st->users_fd);
        if (r < 0)
            return r;
    } else if (errno != EEXIST) {
        return -errno;
    }
    int dfd = openat(st->users_fd, user_id, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    return dfd < 0 ? -errno : dfd;
}

enum sdvm_failure
sdvm_store_prepare(sdvm_store *st, const char *user_id, const char *image_id, const char *base_path,
                   struct sdvm_store_result *result, char **detail)
{
    char *why = NULL, *name = NULL, *abs_base = NULL;
    enum sdvm_failure f = SDVM_FAILURE_NONE;
    int base_fd = -1, dfd = -1, disk_fd = -1;
    if (result)
        memset(result, 0, sizeof(*result));
    if (detail)
        *detail = NULL;

    if (!st || !result || !base_path) {
        why = g_strdup("invalid arguments");
        f = SDVM_FAILURE_INTERNAL;
        goto out;
    }
    if (!sdvm_user_id_is_valid(user_id) || !sdvm_image_id_is_valid(image_id)) {
        why = g_strdup_printf("invalid user id or image id");
        f = SDVM_FAILURE_INTERNAL;
        goto out;
    }

    /* The overlay records the base by absolute path (a relative one would resolve against
     * the user's directory). */
    abs_base = g_canonicalize_filename(base_path, NULL);
    base_path = abs_base;
    base_fd = open(base_path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    struct sdvm_qcow2_info base;
    int r = base_fd < 0 ? -errno : sdvm_qcow2_read_info(base_fd, &base);
    if (r < 0 || base.corrupt || base.virtual_size == 0) {
        why = g_strdup_printf("base image %s: %s", base_path,
                              r == -EINVAL   ? "not a qcow2 image"
                              : r < 0        ? g_strerror(-r)
                              : base.corrupt ? "corrupt bit set"
                                             : "virtual size 0");
        f = SDVM_FAILURE_IMAGE_UNAVAILABLE;
        goto out;
    }

    char *path = sdvm_store_disk_path(st, user_id, image_id);
    if (!path) {
        why = g_strdup("out of memory");
        f = SDVM_FAILURE_INTERNAL;
        goto out;
    }
    result->disk_path = path;
    name = g_strconcat(image_id, DISK_SUFFIX, NULL);

    /* The existing disk, if any: in use? reusable? */
    dfd = openat(st->users_fd, user_id, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (dfd >= 0) {
        disk_fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
        if (disk_fd < 0 && errno != ENOENT) {
            why = g_strdup_printf("%s: %s", path, g_strerror(errno));
            f = SDVM_FAILURE_DISK_ERROR;
            goto out;
        }
    } else if (errno != ENOENT) {
        why = g_strdup_printf("%s/%s: %s", st->users_dir, user_id, g_strerror(errno));
        f = SDVM_FAILURE_DISK_ERROR;
        goto out;
    }
    if (disk_fd >= 0) {
        struct stat sb;
        if (fstat(disk_fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
            why = g_strdup_printf("%s is not a regular file", path);
            f = SDVM_FAILURE_DISK_ERROR;
            goto out;
        }
        r = fd_in_use(disk_fd);
        if (r != 0) {
            why = r > 0 ? g_strdup_printf("%s is held by a running guest", path)
                        : g_strdup_printf("%s: cannot check its lock: %s", path, g_strerror(-r));
            f = r > 0 ? SDVM_FAILURE_DISK_IN_USE : SDVM_FAILURE_DISK_ERROR;
            goto out;
        }
        char *bad = NULL;
        if (st->backend->check_existing(disk_fd, base_path, &base, &bad) < 0) {
            why = g_strdup_printf("%s: %s; left untouched (remove it to start afresh)", path,
                                  bad ? bad : "cannot be reused");
            g_free(bad);
            f = SDVM_FAILURE_DISK_ERROR;
            goto out;
        }
    }

    f = sdvm_store_make_room(st, user_id, image_id, base.virtual_size, &result->evicted,
                             &result->evicted_bytes, &why);
    if (f != SDVM_FAILURE_NONE)
        goto out;

    if (disk_fd >= 0) {
        if (futimens(disk_fd, NULL) < 0 && utimensat(dfd, name, NULL, AT_SYMLINK_NOFOLLOW) < 0) {
            why = g_strdup_printf("cannot touch %s: %s", path, g_strerror(errno));
            f = SDVM_FAILURE_DISK_ERROR;
            goto out;
        }
        log_infof("reusing disk %s", path);
        goto out;
    }

    if (dfd < 0) {
        dfd = open_user_dir(st, user_id);
        if (dfd < 0) {
            why = g_strdup_printf("cannot create %s/%s: %s", st->users_dir, user_id,
                                  g_strerror(-dfd));
            f = SDVM_FAILURE_DISK_ERROR;
            goto out;
        }
    }
    f = create_disk(st, dfd, user_id, image_id, base_fd, base_path, &base, &why);
    if (f == SDVM_FAILURE_NONE)
        result->created = true;

out:
    if (disk_fd >= 0)
        close(disk_fd);
    if (dfd >= 0)
        close(dfd);
    if (base_fd >= 0)
        close(base_fd);
    if (f != SDVM_FAILURE_NONE) {
        log_errorf("preparing the disk of user %s for image %s failed (%s): %s",
                   user_id ? user_id : "?", image_id ? image_id : "?", sdvm_failure_to_string(f),
                   why ? why : "");
        sdvm_store_result_clear(result);
        if (detail)
            *detail = why ? strdup(why) : NULL;
    }
    g_free(why);
    g_free(name);
    g_free(abs_base);
    return f;
}

int
sdvm_store_cleanup_temp(sdvm_store *st, unsigned min_age_s)
{
    if (!st)
        return -EINVAL;
    int fd = dup(st->users_fd);
    if (fd < 0)
        return -errno;
    DIR *d = fdopendir(fd);
    if (!d) {
        int e = errno;
        close(fd);
        return -e;
    }
    rewinddir(d);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int removed = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!sdvm_user_id_is_valid(de->d_name))
            continue;
        int ufd = openat(st->users_fd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (ufd < 0)
            continue;
        DIR *u = fdopendir(ufd);
        if (!u) {
            close(ufd);
            continue;
        }
        struct dirent *e;
        while ((e = readdir(u))) {
            struct stat sb;
            if (!is_temp_name(e->d_name) || fstatat(ufd, e->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0 ||
                now.tv_sec - sb.st_mtim.tv_sec < (time_t)min_age_s)
                continue;
            if (unlinkat(ufd, e->d_name, 0) == 0) {
                removed++;
                log_infof("removed %s/%s/%s left by an interrupted disk creation", st->users_dir,
                          de->d_name, e->d_name);
            }
        }
        closedir(u);
    }
    closedir(d);
    return removed;
}
