/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * aria2c, the BitTorrent engine, as a child process driven over its JSON-RPC interface
 * (loopback only, a random secret in a 0600 configuration file rather than on the command
 * line where other users could read it). The child dies with us (PR_SET_PDEATHSIG and
 * aria2's own --stop-with-process), so a killed fetch leaves no engine behind; what it had
 * downloaded stays in the staging directory with aria2's control file, and the next fetch
 * resumes from there.
 */
#ifndef SDVM_IMAGE_ARIA2_H
#define SDVM_IMAGE_ARIA2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct aria2;

#define ARIA2_SEED_FOREVER UINT32_MAX

struct aria2_options {
    const char *work_dir;     /* private directory for the configuration file (and log) */
    const char *log_path;     /* aria2's own log (NULL: none) */
    uint32_t listen_port;     /* BitTorrent TCP port */
    bool local_peer_discovery;
    char *const *trackers;    /* replace the torrents' trackers; NULL or empty: keep them */
    uint32_t max_download_kibps, max_upload_kibps; /* 0: no cap */
    uint32_t seed_time_ms;    /* how long to seed after a download completes;
                               * ARIA2_SEED_FOREVER (with ratio 0): until stopped */
    uint32_t seed_ratio_milli; /* stop seeding at this share ratio; 0: no ratio limit */
    uint32_t max_peers;       /* per torrent; 0: aria2's default (55) */
};

/* aria2c from $SDVM_ARIA2C, else PATH. 0, or -errno with *error. */
int aria2_start(const struct aria2_options *o, struct aria2 **out, char **error);
/* Ask aria2 to shut down (it saves its control files), then make sure it is gone. */
void aria2_stop(struct aria2 *a);
int aria2_pid(const struct aria2 *a);

/*
 * Add a torrent (its bytes) downloading into dir. seed_only: the file is complete already
 * (the image server seeding what it published): check it and seed. *gid: g_free.
 */
int aria2_add_torrent(struct aria2 *a, const void *torrent, size_t len, const char *dir,
                      bool seed_only, char **gid, char **error);

struct aria2_status {
    char status[16]; /* active, waiting, paused, error, complete, removed */
    uint64_t total, completed, uploaded, download_bps, upload_bps;
    uint32_t connections;
    bool seeder;      /* every piece is here and checked */
    int error_code;   /* aria2's exit-status codes (aria2c(1) EXIT STATUS) */
    char error_message[256];
};
int aria2_tell(struct aria2 *a, const char *gid, struct aria2_status *st, char **error);
int aria2_remove(struct aria2 *a, const char *gid);
/* Add HTTP sources (web seeds) to a running download's file. */
int aria2_add_uris(struct aria2 *a, const char *gid, char *const *uris, char **error);

#endif
