/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The disk store: one disk per user and image, UsersDir/<user-id>/<image-id>.qcow2, and the
 * space rule that decides when other users' disks are evicted.
 *
 * Backends (struct sdvm_store_backend, store-backend.h):
 *   qcow2   (default) an empty qcow2 overlay whose backing file is the base image (absolute
 *           path, backing-format extension "qcow2"), written natively;
 *   reflink a FICLONE copy of the base image (XFS with reflink=1, btrfs); UsersDir and
 *           ImagesDir must be on the same file system;
 *   zvol    reserved for ZFS zvol clones (not built: sdvm_store_new returns -EOPNOTSUPP).
 * A new disk is written under a temporary name (".<image>.qcow2.tmp-XXXXXX"), fsynced,
 * renamed into place and the directory fsynced: a crash leaves either no disk or a whole one.
 * An existing disk is reused and its mtime set to now (mtime = last login).
 *
 * Image updates (sdvm-image(8)): a disk whose backing file is not the image's base any more
 * (it was made on an older version) is retired: renamed to
 * "<image-id>" SDVM_STORE_RETIRED_MARK "<unix time>.qcow2" in the same directory and a new
 * disk is made on the new base. A retired disk keeps its old base alive (sdvm-image gc keeps
 * every base a disk is made on) and is the first the space rule evicts. Never under a running
 * guest: a disk QEMU holds is DISK_IN_USE before anything else.
 *
 * Space rule (thesis eq. 3.1): with V the image's virtual size, C the current size of this
 * user's disk for that image (bytes it holds of its own: st_blocks * 512 for qcow2, unshared
 * extents for reflink), R the reserve (ReserveMiB) and F the free bytes of UsersDir's file
 * system (statvfs f_bavail * f_frsize), the rule holds when V - C + R < F. While it does not,
 * the least recently used disk (oldest mtime; retired disks first) of another user is
 * deleted; never a disk a running QEMU holds (an OFD lock on bytes 100..299, see
 * sdvm_store_disk_in_use), never one of the current user's. Eviction is planned first: if deleting every candidate could not
 * satisfy the rule, nothing is deleted and the answer is SDVM_FAILURE_DISK_FULL. Each
 * eviction is logged (user id, image, size, age) at info level. Free space is measured again
 * with statvfs after deleting, so backends whose files share blocks are judged by what
 * deleting really gave back.
 *
 * A store is used from one thread at a time. Keep one for the daemon's lifetime: it
 * remembers what each user directory held, so an unchanged directory is not read again.
 */
#ifndef SDVM_STORE_H
#define SDVM_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "sdvm-failure.h"
#include "sdvm/config.h"
#include "sdvm/user-id.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sdvm_store sdvm_store;

#define SDVM_STORE_RETIRED_MARK ".retired-"

struct sdvm_store_options {
    const char *users_dir; /* created (0700) if its parent exists */
    enum sdvm_store_backend_kind backend;
    uint64_t reserve_bytes; /* R in the space rule */
};

/*
 * Returns 0 and *out; -EINVAL (bad options), -EOPNOTSUPP (backend not built), or -errno
 * when users_dir cannot be created or opened.
 */
int sdvm_store_new(const struct sdvm_store_options *options, sdvm_store **out);
/* UsersDir, Backend and ReserveMiB from the configuration. */
int sdvm_store_new_from_config(const struct sdvm_config *config, sdvm_store **out);
/* NULL is accepted. */
void sdvm_store_free(sdvm_store *store);

const char *sdvm_store_users_dir(const sdvm_store *store);
enum sdvm_store_backend_kind sdvm_store_backend(const sdvm_store *store);

/* The steps of writing a new disk, in order (for the crash tests' step hook). */
enum sdvm_store_step {
    SDVM_STORE_STEP_TEMP_CREATED = 1, /* the temporary file exists, empty */
    SDVM_STORE_STEP_TEMP_WRITTEN = 2, /* its content is written, not yet synced */
    SDVM_STORE_STEP_TEMP_SYNCED = 3,  /* fsync done */
    SDVM_STORE_STEP_RENAMED = 4,      /* renamed to the final name */
    SDVM_STORE_STEP_DIR_SYNCED = 5,   /* the directory is fsynced: durable */
};
typedef void (*sdvm_store_step_fn)(enum sdvm_store_step step, const char *path, void *userdata);
/* Called after each step (tests kill the process there). fn NULL removes it. */
void sdvm_store_set_step_hook(sdvm_store *store, sdvm_store_step_fn fn, void *userdata);

/* Why sdvm_store_prepare() set the user's old disk aside and made a new one. */
enum sdvm_store_renewal {
    SDVM_STORE_RENEWAL_NONE = 0,
    SDVM_STORE_RENEWAL_NEW_VERSION = 1,  /* the image has a new version: another base file */
    SDVM_STORE_RENEWAL_BASE_CHANGED = 2, /* the base file was replaced or changed in place */
};
const char *sdvm_store_renewal_to_string(enum sdvm_store_renewal renewal);

/* What sdvm_store_prepare() did. */
struct sdvm_store_result {
    char *disk_path;        /* absolute path of the user's disk */
    bool created;           /* false: an existing disk was reused */
    /* Not NONE: the user's old disk was kept aside, renamed to retired_path ("<image-id>"
     * SDVM_STORE_RETIRED_MARK "<stamp>.qcow2", evicted before any live disk), and a new
     * one made: the person must be told. Never boots an overlay on a changed base. */
    enum sdvm_store_renewal renewal;
    char *retired_path;
    size_t evicted;         /* disks of other users deleted to make room */
    uint64_t evicted_bytes; /* free space gained by that, measured with statvfs */
};

/*
 * Make the user's disk for an image ready: apply the space rule (evicting as needed), then
 * reuse the existing disk (touching its mtime) or create it. base_path is the image's base
 * qcow2 (made absolute against the working directory: the overlay records it, with the
 * base's inode, size and mtime). An existing disk made on another base file, or on this one
 * before it changed, is retired (see struct sdvm_store_result), never reused. Returns
 * SDVM_FAILURE_NONE and fills *result (free with sdvm_store_result_clear), or:
 *   SDVM_FAILURE_IMAGE_UNAVAILABLE  the base cannot be read or is not a usable qcow2;
 *   SDVM_FAILURE_DISK_IN_USE        the user's disk is held by a running QEMU;
 *   SDVM_FAILURE_DISK_FULL          the space rule cannot be met (nothing was deleted);
 *   SDVM_FAILURE_DISK_ERROR         an I/O error, or the existing disk is not a qcow2 or
 *                                   points at another base (left untouched);
 *   SDVM_FAILURE_INTERNAL           invalid user or image id (a caller bug).
 * *detail (may be NULL) receives one line for the log on failure (free()).
 */
enum sdvm_failure sdvm_store_prepare(sdvm_store *store, const char *user_id, const char *image_id,
                                     const char *base_path, struct sdvm_store_result *result,
                                     char **detail);
void sdvm_store_result_clear(struct sdvm_store_result *result);

/* The path a user's disk has (whether or not it exists); NULL for invalid ids. free(). */
char *sdvm_store_disk_path(const sdvm_store *store, const char *user_id, const char *image_id);

/*
 * Whether a running QEMU holds the disk: F_OFD_GETLK for a write lock on bytes 100..299,
 * the range QEMU's image locking uses (flock() does not see those locks). Returns 1 (in
 * use), 0 (free) or -errno (-ENOENT when the file does not exist).
 */
int sdvm_store_disk_in_use(const char *path);

/* Whether the base a disk was made on is still what it was (SDVM_STORE_LIST_BASE). */
enum sdvm_disk_base {
    SDVM_DISK_BASE_UNCHECKED = 0,  /* not asked for */
    SDVM_DISK_BASE_SAME = 1,       /* the base file is the one the disk was made on */
    SDVM_DISK_BASE_CHANGED = 2,    /* replaced or rewritten since: never booted, retired */
    SDVM_DISK_BASE_MISSING = 3,    /* the base file is gone */
    SDVM_DISK_BASE_UNRECORDED = 4, /* made by an older SDVM: no stamp to compare */
    SDVM_DISK_BASE_NONE = 5,       /* not an overlay (reflink copy) or unreadable */
};
const char *sdvm_disk_base_to_string(enum sdvm_disk_base base);
struct sdvm_qcow2_info;
/* What a qcow2 disk's header (as sdvm_qcow2_read_info() read it; NULL if it could not be read)
 * says of its base, against the base file as it is now. */
enum sdvm_disk_base sdvm_store_disk_base(const struct sdvm_qcow2_info *disk);

/* One user disk. */
struct sdvm_disk_info {
    char user_id[SDVM_USER_ID_SIZE];
    char image_id[65];
    char *path;
    uint64_t allocated_bytes; /* st_blocks * 512 */
    uint64_t own_bytes;       /* bytes deleting it would free (C in the rule) */
    uint64_t virtual_size;    /* from the header; 0 unless asked for or unreadable */
    struct timespec mtime;    /* last login */
    int in_use;               /* 1, 0, or -1 when not checked */
    enum sdvm_disk_base base; /* SDVM_STORE_LIST_BASE */
};

struct sdvm_disk_list {
    size_t count;
    struct sdvm_disk_info *disks;
};

enum sdvm_store_list_flags {
    SDVM_STORE_LIST_IN_USE = 1u << 0,       /* check each disk's QEMU lock */
    SDVM_STORE_LIST_VIRTUAL_SIZE = 1u << 1, /* read each disk's header */
    SDVM_STORE_LIST_BASE = 1u << 2,         /* compare each disk's base stamp with its base */
};

/*
 * Every user disk, oldest mtime first (ties by path). Entries that are not a user id
 * directory holding <image-id>.qcow2 regular files are ignored. Returns 0 or -errno.
 */
int sdvm_store_list_disks(sdvm_store *store, unsigned flags, struct sdvm_disk_list *out);
void sdvm_disk_list_clear(struct sdvm_disk_list *list);

/* A plan for the space rule (what sdvm-admin evict --dry-run prints). */
struct sdvm_evict_plan {
    uint64_t virtual_size;         /* V */
    uint64_t current_size;         /* C: this user's disk for the image (0 if none) */
    uint64_t reserve;              /* R */
    uint64_t free_bytes;           /* F now */
    uint64_t needed_bytes;         /* V - C + R: F must exceed this */
    bool rule_holds;               /* F > needed: nothing to evict */
    bool feasible;                 /* the rule holds, or holds after evicting the victims */
    uint64_t expected_free;        /* F + what the victims are expected to give back; when not
                                    * feasible, F + all that other users' disks not known to be
                                    * in use hold */
    size_t skipped_in_use;         /* candidates passed over because QEMU holds them */
    struct sdvm_disk_list victims; /* in eviction order (oldest first) */
};

/*
 * Plan the space rule for user_id (NULL: a user with no disk yet) and an image of
 * virtual_size bytes; image_id names the user's disk whose size counts as C (NULL: none).
 * Nothing is deleted. Returns 0 or -errno.
 */
int sdvm_store_plan_eviction(sdvm_store *store, const char *user_id, const char *image_id,
                             uint64_t virtual_size, struct sdvm_evict_plan *plan);
void sdvm_evict_plan_clear(struct sdvm_evict_plan *plan);

/*
 * Plan and evict until the rule holds. Returns SDVM_FAILURE_NONE (evicted/evicted_bytes
 * may be NULL), SDVM_FAILURE_DISK_FULL (impossible; nothing deleted unless a deletion
 * gave back less than expected), SDVM_FAILURE_DISK_ERROR. *detail as above.
 */
enum sdvm_failure sdvm_store_make_room(sdvm_store *store, const char *user_id, const char *image_id,
                                       uint64_t virtual_size, size_t *evicted,
                                       uint64_t *evicted_bytes, char **detail);

/*
 * Remove temporary files a crash left in users' directories (older than min_age_s
 * seconds). sdvmd calls it at start-up. Returns the number removed or -errno.
 */
int sdvm_store_cleanup_temp(sdvm_store *store, unsigned min_age_s);

#ifdef __cplusplus
}
#endif

#endif
