/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What sdvm-image fetch is doing, image by image: one key file, StateDir/image-fetch.state,
 * written whole and renamed into place by sdvm-image (so a reader never sees half of it) and
 * read by `sdvm-image status`, `sdvm-admin images` and sdvmd's metrics. It is a report, not a
 * source of truth: the active version is the catalog's .ini, the staged bytes are the files.
 *
 *     [Image win10]
 *     Version=2026.12.1        the version being fetched or seeded
 *     Phase=DOWNLOADING        enum sdvm_fetch_phase, by name
 *     Error=NONE               enum sdvm_fetch_error, by name (the last run's outcome)
 *     Detail=...               one line for the administrator ("" when none)
 *     TotalBytes=... CompletedBytes=... UploadedBytes=...
 *     DownloadBps=... UploadBps=... Peers=...
 *     ResumedBytes=...         bytes already staged when this run began (a resumed fetch)
 *     Updated=...              unix time of this record
 */
#ifndef SDVM_FETCH_STATE_H
#define SDVM_FETCH_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "sdvm/config.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Numbers are stable (append only); the file spells them by name. */
enum sdvm_fetch_phase {
    SDVM_FETCH_IDLE = 0,        /* nothing to do: the published version is active */
    SDVM_FETCH_MANIFEST = 1,    /* getting and checking the signed manifest */
    SDVM_FETCH_DOWNLOADING = 2, /* the BitTorrent engine is downloading */
    SDVM_FETCH_VERIFYING = 3,   /* SHA-256 of the staged file against the manifest */
    SDVM_FETCH_ACTIVATING = 4,  /* the version is being made the catalog's */
    SDVM_FETCH_SEEDING = 5,     /* active, and uploading to other terminals */
    SDVM_FETCH_DONE = 6,        /* active; seeding over */
    SDVM_FETCH_FAILED = 7,      /* see the error */
};

enum sdvm_fetch_error {
    SDVM_FETCH_OK = 0,
    SDVM_FETCH_SOURCE_UNREACHABLE = 1, /* the image server did not answer (or 404) */
    SDVM_FETCH_BAD_SIGNATURE = 2,      /* the manifest is not signed by the trusted key */
    SDVM_FETCH_MANIFEST_INVALID = 3,   /* signed, but malformed */
    SDVM_FETCH_WRONG_IMAGE = 4,        /* the manifest describes another image */
    SDVM_FETCH_DOWNGRADE = 5,          /* older than the active version's manifest */
    SDVM_FETCH_TORRENT_MISMATCH = 6,   /* the .torrent's info hash is not the manifest's */
    SDVM_FETCH_DOWNLOAD_FAILED = 7,    /* the engine gave up (aria2's error code in Detail) */
    SDVM_FETCH_HASH_MISMATCH = 8,      /* the whole file's SHA-256 is not the manifest's */
    SDVM_FETCH_NO_SPACE = 9,           /* not enough room in ImagesDir's file system */
    SDVM_FETCH_ACTIVATE_FAILED = 10,   /* an I/O error while installing the version */
    SDVM_FETCH_ENGINE = 11,            /* aria2c could not be started or stopped answering */
    SDVM_FETCH_NO_TRUSTED_KEY = 12,    /* [Images] TrustedKey cannot be read */
};

struct sdvm_fetch_entry {
    char *image_id;
    char *version; /* "" when unknown */
    enum sdvm_fetch_phase phase;
    enum sdvm_fetch_error error;
    char *detail; /* "" when none */
    uint64_t total_bytes, completed_bytes, uploaded_bytes, resumed_bytes;
    uint64_t download_bps, upload_bps;
    uint32_t peers;
    int64_t updated; /* unix time */
};

struct sdvm_fetch_state {
    size_t count;
    struct sdvm_fetch_entry *entries; /* by image id */
};

/* StateDir/image-fetch.state (free()). */
char *sdvm_fetch_state_path(const struct sdvm_config *config);

/*
 * Read path into *out (cleared first). A file that does not exist is an empty state.
 * Returns 0, -EINVAL (malformed: *out left empty) or -errno.
 */
int sdvm_fetch_state_load(const char *path, struct sdvm_fetch_state *out);
/* Write the whole state to path atomically (temporary file, fsync, rename). 0 or -errno. */
int sdvm_fetch_state_save(const char *path, const struct sdvm_fetch_state *state);
void sdvm_fetch_state_clear(struct sdvm_fetch_state *state);

/* The entry for id, added (zeroed, IDLE) when missing; NULL for an invalid id. */
struct sdvm_fetch_entry *sdvm_fetch_state_entry(struct sdvm_fetch_state *state, const char *id);
const struct sdvm_fetch_entry *sdvm_fetch_state_find(const struct sdvm_fetch_state *state,
                                                     const char *id);
/* Set text fields (copied; NULL = ""). */
void sdvm_fetch_entry_set(struct sdvm_fetch_entry *e, const char *version, const char *detail);

/* "DOWNLOADING", "BAD_SIGNATURE"; "UNKNOWN" for numbers not listed. */
const char *sdvm_fetch_phase_to_string(enum sdvm_fetch_phase phase);
const char *sdvm_fetch_error_to_string(enum sdvm_fetch_error error);
/* One sentence for the administrator. */
const char *sdvm_fetch_error_describe(enum sdvm_fetch_error error);

#ifdef __cplusplus
}
#endif

#endif
