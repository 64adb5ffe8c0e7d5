/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The disk store proper: the handle, paths, QEMU's lock, and crash-safe creation and reuse of
 * a user's disk. Listing is store-scan.c's, the space rule and eviction store-evict.c's.
 */
#include "store-private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include "sdvm/catalog.h"
#include "sdvm/log.h"
#include "sdvm/qcow2.h"

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
    g_free(r->retired_path);
    memset(r, 0, sizeof(*r));
}

/* ------------------------------------------------------------------------------------------ */
/* In use                                                                                     */

int
sdvm_store_fd_in_use(int fd)
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
    int r = sdvm_store_fd_in_use(fd);
    close(fd);
    return r;
}

/* ------------------------------------------------------------------------------------------ */
/* Writing a new disk                                                                         */

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

/* ------------------------------------------------------------------------------------------ */
/* A login's disk: sdvm_store_prepare() in its steps                                          */

/* What sdvm_store_prepare() holds while it works; each step fills in its part. */
struct prepare {
    sdvm_store *st;
    const char *user_id;
    const char *image_id;
    /* The base by absolute path: the overlay records it, and a relative one would resolve
     * against the user's directory. */
    char *base_path;
    int base_fd;
    struct sdvm_qcow2_info base;
    const char *disk_path; /* owned by the result */
    char *name;            /* "<image-id>.qcow2" */
    int dfd;               /* the user's directory, < 0 while there is none */
    int disk_fd;           /* the existing disk, -1 when there is none */
    char *why;             /* what went wrong: for the log and *detail */
};

/* The base image: readable, a qcow2, not marked corrupt, not empty. */
static enum sdvm_failure
open_base(struct prepare *p, const char *base_path)
{
    p->base_path = g_canonicalize_filename(base_path, NULL);
    p->base_fd = open(p->base_path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    int r = p->base_fd < 0 ? -errno : sdvm_qcow2_read_info(p->base_fd, &p->base);
    if (r < 0 || p->base.corrupt || p->base.virtual_size == 0) {
        p->why = g_strdup_printf("base image %s: %s", p->base_path,
                                 r == -EINVAL      ? "not a qcow2 image"
                                 : r < 0           ? g_strerror(-r)
                                 : p->base.corrupt ? "corrupt bit set"
                                                   : "virtual size 0");
        return SDVM_FAILURE_IMAGE_UNAVAILABLE;
    }
    return SDVM_FAILURE_NONE;
}

/* The disk's path, and the user's directory and disk as they are now (either may be missing). */
static enum sdvm_failure
open_existing(struct prepare *p, struct sdvm_store_result *result)
{
    char *path = sdvm_store_disk_path(p->st, p->user_id, p->image_id);
    if (!path) {
        p->why = g_strdup("out of memory");
        return SDVM_FAILURE_INTERNAL;
    }
    result->disk_path = path;
    p->disk_path = path;
    p->name = g_strconcat(p->image_id, DISK_SUFFIX, NULL);

    p->dfd = openat(p->st->users_fd, p->user_id, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (p->dfd < 0) {
        if (errno == ENOENT)
            return SDVM_FAILURE_NONE;
        p->why = g_strdup_printf("%s/%s: %s", p->st->users_dir, p->user_id, g_strerror(errno));
        return SDVM_FAILURE_DISK_ERROR;
    }
    p->disk_fd = openat(p->dfd, p->name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
    if (p->disk_fd < 0 && errno != ENOENT) {
        p->why = g_strdup_printf("%s: %s", path, g_strerror(errno));
        return SDVM_FAILURE_DISK_ERROR;
    }
    return SDVM_FAILURE_NONE;
}

const char *
sdvm_store_renewal_to_string(enum sdvm_store_renewal renewal)
{
    switch (renewal) {
    case SDVM_STORE_RENEWAL_NONE:
        return "none";
    case SDVM_STORE_RENEWAL_NEW_VERSION:
        return "new-version";
    case SDVM_STORE_RENEWAL_BASE_CHANGED:
        return "base-changed";
    }
    return "unknown";
}

const char *
sdvm_disk_base_to_string(enum sdvm_disk_base base)
{
    switch (base) {
    case SDVM_DISK_BASE_UNCHECKED:
        return "unchecked";
    case SDVM_DISK_BASE_SAME:
        return "same";
    case SDVM_DISK_BASE_CHANGED:
        return "changed";
    case SDVM_DISK_BASE_MISSING:
        return "missing";
    case SDVM_DISK_BASE_UNRECORDED:
        return "unrecorded";
    case SDVM_DISK_BASE_NONE:
        return "none";
    }
    return "unknown";
}

enum sdvm_disk_base
sdvm_store_disk_base(const struct sdvm_qcow2_info *disk)
{
    if (!disk || !disk->backing_file[0])
        return SDVM_DISK_BASE_NONE;
    int base_fd = open(disk->backing_file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (base_fd < 0)
        return SDVM_DISK_BASE_MISSING;
    struct sdvm_qcow2_base_stamp now;
    int r = sdvm_qcow2_base_stamp_of(base_fd, &now);
    close(base_fd);
    if (!disk->has_base_stamp)
        return SDVM_DISK_BASE_UNRECORDED;
    if (r < 0)
        return SDVM_DISK_BASE_MISSING;
    return sdvm_qcow2_base_stamp_equal(&now, &disk->base_stamp) ? SDVM_DISK_BASE_SAME
                                                               : SDVM_DISK_BASE_CHANGED;
}

/*
 * Why the existing qcow2 disk cannot go on over this base: made on another file (sdvm-image
 * installed a new version), or on this file before it was replaced or rewritten (its stamp
 * differs: the overlay's clusters were written against other contents). A disk made before
 * SDVM recorded stamps cannot be checked, and is reused as before.
 */
static enum sdvm_store_renewal
renewal_needed(struct prepare *p, const struct sdvm_qcow2_info *mine, char **why)
{
    if (strcmp(mine->backing_file, p->base_path) != 0) {
        *why = g_strdup_printf("made on %s, the image now has %s", mine->backing_file,
                               p->base_path);
        return SDVM_STORE_RENEWAL_NEW_VERSION;
    }
    if (!mine->has_base_stamp) {
        log_infof("%s records no stamp of its base (made by an older SDVM): a base replaced in "
                  "place cannot be noticed for it", p->disk_path);
        return SDVM_STORE_RENEWAL_NONE;
    }
    struct sdvm_qcow2_base_stamp now;
    if (sdvm_qcow2_base_stamp_of(p->base_fd, &now) == 0 &&
        !sdvm_qcow2_base_stamp_equal(&now, &mine->base_stamp)) {
        *why = g_strdup_printf("%s changed since the disk was made (inode %" G_GUINT64_FORMAT
                               " size %" G_GUINT64_FORMAT " mtime %" G_GINT64_FORMAT
                               " ns, now %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
                               " %" G_GINT64_FORMAT ")",
                               p->base_path, mine->base_stamp.inode, mine->base_stamp.size,
                               mine->base_stamp.mtime_ns, now.inode, now.size, now.mtime_ns);
        return SDVM_STORE_RENEWAL_BASE_CHANGED;
    }
    return SDVM_STORE_RENEWAL_NONE;
}

/*
 * A disk that cannot go on over this base is retired (a new name, kept until the space rule
 * needs the room: evicted first) and a new disk is made (p->disk_fd becomes -1). Only after
 * the lock check: never under a guest.
 */
static enum sdvm_failure
retire_if_stale(struct prepare *p, struct sdvm_store_result *result)
{
    struct sdvm_qcow2_info mine;
    if (p->st->backend->kind != SDVM_STORE_BACKEND_QCOW2 ||
        sdvm_qcow2_read_info(p->disk_fd, &mine) != 0 || !mine.backing_file[0])
        return SDVM_FAILURE_NONE;
    g_autofree char *why = NULL;
    enum sdvm_store_renewal renewal = renewal_needed(p, &mine, &why);
    if (renewal == SDVM_STORE_RENEWAL_NONE)
        return SDVM_FAILURE_NONE;
    g_autofree char *retired = g_strdup_printf("%s" SDVM_STORE_RETIRED_MARK "%lld%s", p->image_id,
                                               (long long)time(NULL), DISK_SUFFIX);
    if (renameat(p->dfd, p->name, p->dfd, retired) < 0) {
        p->why = g_strdup_printf("cannot retire %s: %s", p->disk_path, g_strerror(errno));
        return SDVM_FAILURE_DISK_ERROR;
    }
    (void)fsync(p->dfd);
    result->renewal = renewal;
    result->retired_path = g_strdup_printf("%s/%s/%s", p->st->users_dir, p->user_id, retired);
    log_warningf("retired %s as %s (%s): %s; a new disk is made", p->disk_path, retired,
                 sdvm_store_renewal_to_string(renewal), why);
    close(p->disk_fd);
    p->disk_fd = -1;
    return SDVM_FAILURE_NONE;
}

/*
 * The existing disk is reused only when it is a file no guest holds, made for this base as
 * it still is; one made on another version of the image, or on this base before it changed,
 * is retired instead (p->disk_fd is then -1).
 */
static enum sdvm_failure
check_existing(struct prepare *p, struct sdvm_store_result *result)
{
    const char *path = p->disk_path;
    struct stat sb;
    if (fstat(p->disk_fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
        p->why = g_strdup_printf("%s is not a regular file", path);
        return SDVM_FAILURE_DISK_ERROR;
    }
    int r = sdvm_store_fd_in_use(p->disk_fd);
    if (r != 0) {
        p->why = r > 0 ? g_strdup_printf("%s is held by a running guest", path)
                       : g_strdup_printf("%s: cannot check its lock: %s", path, g_strerror(-r));
        return r > 0 ? SDVM_FAILURE_DISK_IN_USE : SDVM_FAILURE_DISK_ERROR;
    }
    enum sdvm_failure f = retire_if_stale(p, result);
    if (f != SDVM_FAILURE_NONE || p->disk_fd < 0)
        return f;
    char *bad = NULL;
    if (p->st->backend->check_existing(p->disk_fd, p->base_path, &p->base, &bad) < 0) {
        p->why = g_strdup_printf("%s: %s; left untouched (remove it to start afresh)", path,
                                 bad ? bad : "cannot be reused");
        g_free(bad);
        return SDVM_FAILURE_DISK_ERROR;
    }
    return SDVM_FAILURE_NONE;
}

/* Reusing the disk: its mtime becomes now, the last login that eviction goes by. */
static enum sdvm_failure
reuse_disk(struct prepare *p)
{
    if (futimens(p->disk_fd, NULL) < 0 &&
        utimensat(p->dfd, p->name, NULL, AT_SYMLINK_NOFOLLOW) < 0) {
        p->why = g_strdup_printf("cannot touch %s: %s", p->disk_path, g_strerror(errno));
        return SDVM_FAILURE_DISK_ERROR;
    }
    log_infof("reusing disk %s", p->disk_path);
    return SDVM_FAILURE_NONE;
}

/* A new disk, in the user's directory (made first when this is the user's first disk). */
static enum sdvm_failure
new_disk(struct prepare *p)
{
    if (p->dfd < 0) {
        p->dfd = open_user_dir(p->st, p->user_id);
        if (p->dfd < 0) {
            p->why = g_strdup_printf("cannot create %s/%s: %s", p->st->users_dir, p->user_id,
                                     g_strerror(-p->dfd));
            return SDVM_FAILURE_DISK_ERROR;
        }
    }
    return create_disk(p->st, p->dfd, p->user_id, p->image_id, p->base_fd, p->base_path, &p->base,
                       &p->why);
}

/* The steps in order: the base, the existing disk, room for the image, then reuse or create. */
static enum sdvm_failure
prepare_steps(struct prepare *p, const char *base_path, struct sdvm_store_result *result)
{
    enum sdvm_failure f;
    if ((f = open_base(p, base_path)) != SDVM_FAILURE_NONE)
        return f;
    if ((f = open_existing(p, result)) != SDVM_FAILURE_NONE)
        return f;
    if (p->disk_fd >= 0 && (f = check_existing(p, result)) != SDVM_FAILURE_NONE)
        return f;
    f = sdvm_store_make_room(p->st, p->user_id, p->image_id, p->base.virtual_size, &result->evicted,
                             &result->evicted_bytes, &p->why);
    if (f != SDVM_FAILURE_NONE)
        return f;
    if (p->disk_fd >= 0)
        return reuse_disk(p);
    if ((f = new_disk(p)) == SDVM_FAILURE_NONE)
        result->created = true;
    return f;
}

enum sdvm_failure
sdvm_store_prepare(sdvm_store *st, const char *user_id, const char *image_id, const char *base_path,
                   struct sdvm_store_result *result, char **detail)
{
    struct prepare p = {
        .st = st,
        .user_id = user_id,
        .image_id = image_id,
        .base_fd = -1,
        .dfd = -1,
        .disk_fd = -1,
    };
    enum sdvm_failure f;
    if (result)
        memset(result, 0, sizeof(*result));
    if (detail)
        *detail = NULL;

    if (!st || !result || !base_path) {
        p.why = g_strdup("invalid arguments");
        f = SDVM_FAILURE_INTERNAL;
    } else if (!sdvm_user_id_is_valid(user_id) || !sdvm_image_id_is_valid(image_id)) {
        p.why = g_strdup("invalid user id or image id");
        f = SDVM_FAILURE_INTERNAL;
    } else {
        f = prepare_steps(&p, base_path, result);
    }

    if (p.disk_fd >= 0)
        close(p.disk_fd);
    if (p.dfd >= 0)
        close(p.dfd);
    if (p.base_fd >= 0)
        close(p.base_fd);
    if (f != SDVM_FAILURE_NONE) {
        log_errorf("preparing the disk of user %s for image %s failed (%s): %s",
                   user_id ? user_id : "?", image_id ? image_id : "?", sdvm_failure_to_string(f),
                   p.why ? p.why : "");
        sdvm_store_result_clear(result);
        if (detail)
            *detail = p.why ? strdup(p.why) : NULL;
    }
    g_free(p.why);
    g_free(p.name);
    g_free(p.base_path);
    return f;
}

/* ------------------------------------------------------------------------------------------ */
/* Left by a crash                                                                            */

/* ".<image>.qcow2.tmp-XXXXXX", from create_temp(). */
static bool
is_temp_name(const char *name)
{
    return name[0] == '.' && strstr(name, DISK_SUFFIX TEMP_MARK) != NULL;
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
