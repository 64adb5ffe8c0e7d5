/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The space rule (V - C + R < F, store.h) and eviction: plan which of other users' disks to
 * delete, least recently used first and never one a QEMU holds, then delete them one by one
 * under QEMU's own lock until statvfs shows the rule holding.
 */
#include "store-private.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include "sdvm/catalog.h"
#include "sdvm/log.h"
#include "sdvm/qcow2.h"

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
    if ((r = sdvm_store_scan(st, 0, user_id, &all)) < 0)
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
        if ((r = sdvm_disk_list_append(&p->victims, &cap, d)) < 0)
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
