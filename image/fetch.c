/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sdvm-image fetch: on a terminal (the sdvm-image-fetch timer), bring every followed image
 * to the version the image server publishes, then seed it to the other terminals.
 *
 *   for each image: <Source>/<id>.current -> the signed manifest -> checks (verify.h)
 *                   -> the .torrent, checked against the manifest's info hash
 *   aria2c downloads into ImagesDir/staging/<id>/<version>/ (resuming what is there), with
 *   the lab's trackers and local peer discovery, at idle CPU and I/O priority and the
 *   configured caps; progress goes to the state file (fetch-state.h) every second
 *   once complete: SHA-256 against the manifest, then activation (activate.h); aria2 keeps
 *   seeding from the staged link for SeedTime / SeedRatio; then gc.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include "activate.h"
#include "aria2.h"
#include "bencode.h"
#include "gc.h"
#include "http.h"
#include "layout.h"
#include "manifest.h"
#include "sdvm/catalog.h"
#include "sdvm/fetch-state.h"
#include "sdvm/log.h"
#include "tool.h"
#include "verify.h"

#define SMALL_MAX (64 * 1024)
#define TORRENT_MAX (16 * 1024 * 1024)

enum job_state { JOB_DOWNLOADING, JOB_SEEDING, JOB_FINISHED };

struct job {
    char *id;
    struct manifest m;
    char *text, *sig;
    size_t len, sig_len;
    char *torrent;
    size_t torrent_len;
    char *staging, *staged;
    char *gid;
    enum job_state state;
    unsigned rpc_failures; /* in a row */
    char **web_seeds;      /* taken out of the torrent, added back on a stall */
    bool web_seeded;
    uint64_t last_completed;
    int64_t last_progress_ms;
};

/* aria2 runs at idle priority: on a busy terminal it may not answer for a while. Give up on it
 * only after this many failed polls in a row (each waits up to the RPC timeout: 5 min). */
#define MAX_RPC_FAILURES 30

struct fetch {
    const struct sdvm_config *cfg;
    char *state_path;
    struct sdvm_fetch_state state;
    GPtrArray *jobs;
    struct aria2 *engine;
    bool no_seed;
    bool failed;
};

static volatile sig_atomic_t stop_requested;

static void
on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void
job_free(gpointer p)
{
    struct job *j = p;
    g_free(j->id);
    manifest_clear(&j->m);
    g_free(j->text);
    g_free(j->sig);
    g_free(j->torrent);
    g_free(j->staging);
    g_free(j->staged);
    g_free(j->gid);
    g_strfreev(j->web_seeds);
    g_free(j);
}

static int64_t
now_ms(void)
{
    return g_get_monotonic_time() / 1000;
}

static void
save_state(struct fetch *f)
{
    int r = sdvm_fetch_state_save(f->state_path, &f->state);
    if (r < 0)
        log_warningf("cannot write %s: %s", f->state_path, g_strerror(-r));
}

static struct sdvm_fetch_entry *
entry(struct fetch *f, const char *id)
{
    struct sdvm_fetch_entry *e = sdvm_fetch_state_entry(&f->state, id);
    e->updated = (int64_t)time(NULL);
    return e;
}

static void
fail(struct fetch *f, const char *id, enum sdvm_fetch_error error, const char *detail)
{
    struct sdvm_fetch_entry *e = entry(f, id);
    e->phase = SDVM_FETCH_FAILED;
    e->error = error;
    e->download_bps = e->upload_bps = 0;
    e->peers = 0;
    sdvm_fetch_entry_set(e, NULL, detail ? detail : "");
    tool_errorf("%s: %s: %s", id, sdvm_fetch_error_to_string(error), detail ? detail : "");
    f->failed = true;
    save_state(f);
}

static char *
source_url(const struct sdvm_config *cfg, const char *name)
{
    const char *s = cfg->images.source;
    return g_str_has_suffix(s, "/") ? g_strconcat(s, name, NULL)
                                    : g_strconcat(s, "/", name, NULL);
}

static int
get_small(const struct sdvm_config *cfg, const char *name, size_t max, char **body, size_t *len,
          char **error)
{
    g_autofree char *url = source_url(cfg, name);
    return http_get(url, max, body, len, error);
}

/* SCHED_IDLE and the idle I/O class for us and the aria2c we start: a download never
 * competes with a guest for the CPU or the disk. */
static void
become_idle(void)
{
    struct sched_param sp = {0};
    if (sched_setscheduler(0, SCHED_IDLE, &sp) < 0)
        log_warningf("SCHED_IDLE: %s", g_strerror(errno));
    enum { IOPRIO_CLASS_IDLE = 3, IOPRIO_CLASS_SHIFT = 13, IOPRIO_WHO_PROCESS = 1 };
    if (syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, IOPRIO_CLASS_IDLE << IOPRIO_CLASS_SHIFT) <
        0)
        log_warningf("idle I/O priority: %s", g_strerror(errno));
    (void)setpriority(PRIO_PROCESS, 0, 19);
}

static uint64_t
allocated_bytes(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_blocks * 512 : 0;
}

/* The manifest and torrent of the version published for id; NULL when nothing is to do. */
static struct job *
prepare_job(struct fetch *f, const char *id)
{
    const struct sdvm_config *cfg = f->cfg;
    struct sdvm_fetch_entry *e = entry(f, id);
    e->phase = SDVM_FETCH_MANIFEST;
    e->error = SDVM_FETCH_OK;
    sdvm_fetch_entry_set(e, NULL, "");
    save_state(f);

    g_autofree char *cur_name = g_strdup_printf("%s.current", id);
    g_autofree char *cur = NULL, *err = NULL;
    size_t cur_len = 0;
    if (get_small(cfg, cur_name, 256, &cur, &cur_len, &err) < 0) {
        fail(f, id, SDVM_FETCH_SOURCE_UNREACHABLE, err);
        return NULL;
    }
    g_strstrip(cur);
    if (!sdvm_image_id_is_valid(cur)) {
        fail(f, id, SDVM_FETCH_MANIFEST_INVALID, "the server's .current names no version");
        return NULL;
    }
    struct job *j = g_new0(struct job, 1);
    j->id = g_strdup(id);
    g_autofree char *mname = layout_published_name(id, cur, ".manifest");
    g_autofree char *sname = g_strconcat(mname, ".sig", NULL);
    if (get_small(cfg, mname, SMALL_MAX, &j->text, &j->len, &err) < 0 ||
        get_small(cfg, sname, SMALL_MAX, &j->sig, &j->sig_len, &err) < 0) {
        fail(f, id, SDVM_FETCH_SOURCE_UNREACHABLE, err);
        job_free(j);
        return NULL;
    }
    enum sdvm_fetch_error x =
        verify_manifest(cfg->images.trusted_key, j->text, j->len, j->sig, j->sig_len, id, &j->m,
                        &err);
    if (x != SDVM_FETCH_OK) {
        fail(f, id, x, err);
        job_free(j);
        return NULL;
    }
    sdvm_fetch_entry_set(e, j->m.version, NULL);
    e->total_bytes = j->m.size;
    int older = verify_not_older(cfg, &j->m, &x, &err);
    if (older < 0) {
        fail(f, id, x, err);
        job_free(j);
        return NULL;
    }
    if (older > 0) {
        /* Active already: nothing to download. */
        e->phase = SDVM_FETCH_DONE;
        e->completed_bytes = e->total_bytes;
        e->download_bps = e->upload_bps = 0;
        save_state(f);
        job_free(j);
        return NULL;
    }
    if (get_small(cfg, j->m.torrent, TORRENT_MAX, &j->torrent, &j->torrent_len, &err) < 0) {
        fail(f, id, SDVM_FETCH_SOURCE_UNREACHABLE, err);
        job_free(j);
        return NULL;
    }
    if ((x = verify_torrent(&j->m, j->torrent, j->torrent_len, &err)) != SDVM_FETCH_OK) {
        fail(f, id, x, err);
        job_free(j);
        return NULL;
    }
    /* Peers first: the web seed (the server over HTTP, for every terminal on its own) is the
     * fallback when peers give nothing for WebSeedFallback, so that a building's uplink carries
     * each piece about once (the thesis's AT9 lesson). */
    if (cfg->images.web_seed_fallback_ms > 0) {
        char *stripped = NULL;
        size_t stripped_len = 0;
        if (bencode_strip_web_seeds(j->torrent, j->torrent_len, &stripped, &stripped_len,
                                    &j->web_seeds) == 0) {
            g_free(j->torrent);
            j->torrent = stripped;
            j->torrent_len = stripped_len;
        }
    }
    j->last_progress_ms = now_ms();
    j->staging = layout_staging_dir(cfg->paths.images_dir, id, j->m.version);
    j->staged = g_build_filename(j->staging, j->m.file, NULL);
    int r = layout_mkdirs(j->staging, 0700);
    if (r < 0) {
        g_autofree char *d = g_strdup_printf("%s: %s", j->staging, g_strerror(-r));
        fail(f, id, SDVM_FETCH_ACTIVATE_FAILED, d);
        job_free(j);
        return NULL;
    }
    uint64_t have = allocated_bytes(j->staged);
    struct statvfs vfs;
    if (statvfs(j->staging, &vfs) == 0) {
        uint64_t free_bytes = (uint64_t)vfs.f_bavail * vfs.f_frsize;
        if (free_bytes + have < j->m.size) {
            g_autofree char *d = g_strdup_printf("%" PRIu64 " bytes needed, %" PRIu64 " free in %s",
                                                 j->m.size - have, free_bytes,
                                                 cfg->paths.images_dir);
            fail(f, id, SDVM_FETCH_NO_SPACE, d);
            job_free(j);
            return NULL;
        }
    }
    e->resumed_bytes = MIN(have, j->m.size);
    e->completed_bytes = e->resumed_bytes;
    return j;
}

static void
finish_download(struct fetch *f, struct job *j, bool engine_done)
{
    struct sdvm_fetch_entry *e = entry(f, j->id);
    e->phase = SDVM_FETCH_VERIFYING;
    save_state(f);
    e->phase = SDVM_FETCH_ACTIVATING;
    g_autofree char *err = NULL;
    enum sdvm_fetch_error x =
        verify_and_activate(f->cfg, &j->m, j->text, j->len, j->sig, j->sig_len, j->staged, &err);
    if (x != SDVM_FETCH_OK) {
        if (j->gid)
            aria2_remove(f->engine, j->gid);
        if (x == SDVM_FETCH_HASH_MISMATCH) {
            /* Not these bytes: start again from nothing next time. */
            g_autofree char *control = g_strconcat(j->staged, ".aria2", NULL);
            (void)unlink(j->staged);
            (void)unlink(control);
        }
        fail(f, j->id, x, err);
        j->state = JOB_FINISHED;
        return;
    }
    tool_infof("%s %s is active", j->id, j->m.version);
    e = entry(f, j->id);
    e->error = SDVM_FETCH_OK;
    e->completed_bytes = e->total_bytes;
    e->download_bps = 0;
    if (engine_done || f->no_seed || f->cfg->images.seed_time_ms == 0) {
        e->phase = SDVM_FETCH_DONE;
        j->state = JOB_FINISHED;
    } else {
        e->phase = SDVM_FETCH_SEEDING;
        j->state = JOB_SEEDING;
    }
    save_state(f);
}

static void
poll_job(struct fetch *f, struct job *j)
{
    struct aria2_status st;
    g_autofree char *err = NULL;
    if (aria2_tell(f->engine, j->gid, &st, &err) < 0) {
        if (++j->rpc_failures < MAX_RPC_FAILURES) {
            log_debugf("%s: %s (retrying)", j->id, err);
            return;
        }
        fail(f, j->id, SDVM_FETCH_ENGINE, err);
        j->state = JOB_FINISHED;
        return;
    }
    j->rpc_failures = 0;
    struct sdvm_fetch_entry *e = entry(f, j->id);
    if (st.total)
        e->total_bytes = st.total;
    e->completed_bytes = st.completed;
    e->uploaded_bytes = st.uploaded;
    e->download_bps = st.download_bps;
    e->upload_bps = st.upload_bps;
    e->peers = st.connections;
    bool complete = !strcmp(st.status, "complete");
    if (!strcmp(st.status, "error") || !strcmp(st.status, "removed")) {
        g_autofree char *d = g_strdup_printf("aria2 error %d: %s", st.error_code, st.error_message);
        fail(f, j->id, SDVM_FETCH_DOWNLOAD_FAILED, d);
        j->state = JOB_FINISHED;
        return;
    }
    if (j->state == JOB_DOWNLOADING) {
        e->phase = SDVM_FETCH_DOWNLOADING;
        if (st.completed > j->last_completed) {
            j->last_completed = st.completed;
            j->last_progress_ms = now_ms();
        } else if (!j->web_seeded && j->web_seeds && j->web_seeds[0] &&
                   now_ms() - j->last_progress_ms >= f->cfg->images.web_seed_fallback_ms) {
            g_autofree char *e2 = NULL;
            if (aria2_add_uris(f->engine, j->gid, j->web_seeds, &e2) == 0) {
                tool_infof("%s: no progress from peers for %.1f s: using the web seed too",
                           j->id, f->cfg->images.web_seed_fallback_ms / 1000.0);
                j->web_seeded = true;
            } else {
                log_warningf("%s: cannot add the web seed: %s", j->id, e2);
            }
        }
        if (complete || (st.seeder && st.total && st.completed == st.total))
            finish_download(f, j, complete);
        return;
    }
    if (j->state == JOB_SEEDING && complete) {
        e->phase = SDVM_FETCH_DONE;
        e->upload_bps = 0;
        e->peers = 0;
        j->state = JOB_FINISHED;
    }
}

static bool
all_finished(struct fetch *f)
{
    for (guint i = 0; i < f->jobs->len; i++)
        if (((struct job *)f->jobs->pdata[i])->state != JOB_FINISHED)
            return false;
    return true;
}

static int
start_engine(struct fetch *f)
{
    const struct sdvm_config *cfg = f->cfg;
    g_autofree char *root = layout_staging_root(cfg->paths.images_dir);
    g_autofree char *log_path = NULL;
    const char *log_dir = getenv("SDVM_IMAGE_ARIA2_LOG");
    if (log_dir && *log_dir)
        log_path = g_strdup(log_dir);
    struct aria2_options o = {
        .work_dir = root,
        .log_path = log_path,
        .listen_port = cfg->images.listen_port,
        .local_peer_discovery = cfg->images.local_peer_discovery,
        .trackers = cfg->images.trackers,
        .max_download_kibps = cfg->images.max_download_kibps,
        .max_upload_kibps = cfg->images.max_upload_kibps,
        .seed_time_ms = f->no_seed ? 0 : cfg->images.seed_time_ms,
        .seed_ratio_milli = cfg->images.seed_ratio_milli,
    };
    g_autofree char *err = NULL;
    int r = aria2_start(&o, &f->engine, &err);
    if (r < 0) {
        for (guint i = 0; i < f->jobs->len; i++) {
            struct job *j = f->jobs->pdata[i];
            fail(f, j->id, SDVM_FETCH_ENGINE, err);
            j->state = JOB_FINISHED;
        }
        return r;
    }
    for (guint i = 0; i < f->jobs->len; i++) {
        struct job *j = f->jobs->pdata[i];
        g_autofree char *e2 = NULL;
        if (aria2_add_torrent(f->engine, j->torrent, j->torrent_len, j->staging, false, &j->gid,
                              &e2) < 0) {
            fail(f, j->id, SDVM_FETCH_ENGINE, e2);
            j->state = JOB_FINISHED;
            continue;
        }
        struct sdvm_fetch_entry *e = entry(f, j->id);
        e->phase = SDVM_FETCH_DOWNLOADING;
        j->last_progress_ms = now_ms(); /* the engine starts now: peers get their chance */
        tool_infof("%s %s: downloading (%" PRIu64 " bytes staged already)", j->id, j->m.version,
                   e->resumed_bytes);
    }
    save_state(f);
    return 0;
}

/* Which images: the arguments, else [Images] Follow, else the server's index. */
static char **
image_ids(struct fetch *f, int argc, char **argv)
{
    if (argc > 0)
        return g_strdupv(argv);
    if (f->cfg->images.follow && f->cfg->images.follow[0])
        return g_strdupv(f->cfg->images.follow);
    g_autofree char *body = NULL, *err = NULL;
    size_t len = 0;
    if (get_small(f->cfg, "index", SMALL_MAX, &body, &len, &err) < 0) {
        tool_errorf("index: %s", err);
        f->failed = true;
        return g_new0(char *, 1);
    }
    g_auto(GStrv) lines = g_strsplit(body, "\n", -1);
    GPtrArray *ids = g_ptr_array_new();
    for (char **l = lines; *l; l++) {
        g_strstrip(*l);
        if (sdvm_image_id_is_valid(*l))
            g_ptr_array_add(ids, g_strdup(*l));
    }
    g_ptr_array_add(ids, NULL);
    return (char **)g_ptr_array_free(ids, FALSE);
}

static void
usage(void)
{
    fprintf(stderr, "usage: sdvm-image fetch [--no-seed] [--no-idle] [--no-gc] [IMAGE...]\n");
}

int
tool_cmd_fetch(struct tool *t, int argc, char **argv)
{
    static const struct option options[] = {
        {"no-seed", no_argument, NULL, 's'},
        {"no-idle", no_argument, NULL, 'I'},
        {"no-gc", no_argument, NULL, 'G'},
        {NULL, 0, NULL, 0},
    };
    bool no_seed = false, idle = true, do_gc = true;
    int c;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (c) {
        case 's': no_seed = true; break;
        case 'I': idle = false; break;
        case 'G': do_gc = false; break;
        default: usage(); return TOOL_USAGE;
        }
    }
    const struct sdvm_config *cfg = tool_config(t);
    if (!cfg)
        return TOOL_CONFIG;
    if (!*cfg->images.source) {
        tool_errorf("[Images] Source is not set in %s: nothing to fetch from",
                    cfg->source ? cfg->source : "sdvm.conf");
        return TOOL_CONFIG;
    }
    for (int i = optind; i < argc; i++) {
        if (!sdvm_image_id_is_valid(argv[i])) {
            tool_errorf("%s is not an image id", argv[i]);
            return TOOL_USAGE;
        }
    }
    if (idle)
        become_idle();

    g_autofree char *root = layout_staging_root(cfg->paths.images_dir);
    int r = layout_mkdirs(root, 0700);
    if (r < 0) {
        tool_errorf("%s: %s", root, g_strerror(-r));
        return TOOL_FAILED;
    }
    g_autofree char *lock_path = g_build_filename(root, ".lock", NULL);
    int lock = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (lock < 0 || flock(lock, LOCK_EX | LOCK_NB) < 0) {
        tool_errorf("another sdvm-image fetch is running (%s is locked)", lock_path);
        if (lock >= 0)
            close(lock);
        return TOOL_BUSY;
    }
    activate_cleanup(cfg->paths.images_dir);

    struct fetch f = {.cfg = cfg, .no_seed = no_seed};
    f.state_path = sdvm_fetch_state_path(cfg);
    if (sdvm_fetch_state_load(f.state_path, &f.state) < 0)
        sdvm_fetch_state_clear(&f.state); /* a report, rebuilt from here */
    f.jobs = g_ptr_array_new_with_free_func(job_free);

    struct sigaction sa = {.sa_handler = on_stop};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    g_auto(GStrv) ids = image_ids(&f, argc - optind, argv + optind);
    for (char **id = ids; *id; id++) {
        struct job *j = prepare_job(&f, *id);
        if (j)
            g_ptr_array_add(f.jobs, j);
    }
    if (f.jobs->len && start_engine(&f) == 0) {
        while (!stop_requested && !all_finished(&f)) {
            for (guint i = 0; i < f.jobs->len; i++) {
                struct job *j = f.jobs->pdata[i];
                if (j->state != JOB_FINISHED)
                    poll_job(&f, j);
            }
            save_state(&f);
            if (!all_finished(&f))
                usleep(500 * 1000);
        }
        aria2_stop(f.engine);
        f.engine = NULL;
        for (guint i = 0; i < f.jobs->len; i++) {
            struct job *j = f.jobs->pdata[i];
            struct sdvm_fetch_entry *e = entry(&f, j->id);
            e->download_bps = e->upload_bps = 0;
            e->peers = 0;
            if (e->phase == SDVM_FETCH_SEEDING)
                e->phase = SDVM_FETCH_DONE;
        }
        save_state(&f);
    }
    if (do_gc) {
        struct gc_report rep;
        if (gc_run(cfg, false, false, false, &rep) == 0 && (rep.removed || rep.staging_removed))
            tool_infof("gc: removed %u old base%s, %u staging director%s", rep.removed,
                       rep.removed == 1 ? "" : "s", rep.staging_removed,
                       rep.staging_removed == 1 ? "y" : "ies");
    }
    int rc = f.failed ? TOOL_FAILED : TOOL_OK;
    g_ptr_array_unref(f.jobs);
    sdvm_fetch_state_clear(&f.state);
    g_free(f.state_path);
    close(lock);
    return rc;
}
