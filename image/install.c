/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sdvm-image install: make a version the catalog's from local files (a signed manifest, its
 * .sig, the image), with the same checks and the same activation as fetch. For a terminal
 * without the image server (a USB disk), and what the fleet-activation tests crash at every
 * step. The image is linked into the staging directory when it is on ImagesDir's file system
 * and copied there otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

#include "activate.h"
#include "gc.h"
#include "layout.h"
#include "manifest.h"
#include "sdvm/fetch-state.h"
#include "tool.h"
#include "verify.h"

static int
stage_file(const char *from, const char *to)
{
    if (link(from, to) == 0 || errno == EEXIST)
        return 0;
    g_autofree char *tmp = g_strconcat(to, ".part", NULL);
    (void)unlink(tmp);
    int r = layout_copy_file(from, tmp);
    if (r < 0)
        return r;
    return rename(tmp, to) < 0 ? -errno : 0;
}

static int
install(const struct sdvm_config *cfg, const struct manifest *m, const char *text, size_t len,
        const char *sig, size_t sig_len, const char *input, bool do_gc)
{
    enum sdvm_fetch_error x;
    g_autofree char *err = NULL;
    int older = verify_not_older(cfg, m, &x, &err);
    if (older < 0) {
        tool_errorf("%s: %s: %s", m->image_id, sdvm_fetch_error_to_string(x), err);
        return TOOL_FAILED;
    }
    if (older > 0) {
        printf("%s %s is active already\n", m->image_id, m->version);
        return TOOL_OK;
    }
    g_autofree char *root = layout_staging_root(cfg->paths.images_dir);
    g_autofree char *staging = layout_staging_dir(cfg->paths.images_dir, m->image_id, m->version);
    g_autofree char *staged = g_build_filename(staging, m->file, NULL);
    g_autofree char *lock_path = g_build_filename(root, ".lock", NULL);
    int r = layout_mkdirs(staging, 0700);
    if (r < 0) {
        tool_errorf("%s: %s", staging, g_strerror(-r));
        return TOOL_FAILED;
    }
    int lock = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (lock < 0 || flock(lock, LOCK_EX | LOCK_NB) < 0) {
        tool_errorf("another sdvm-image fetch is running (%s is locked)", lock_path);
        if (lock >= 0)
            close(lock);
        return TOOL_BUSY;
    }
    activate_cleanup(cfg->paths.images_dir);
    int rc = TOOL_FAILED;
    if ((r = stage_file(input, staged)) < 0) {
        tool_errorf("cannot stage %s as %s: %s", input, staged, g_strerror(-r));
    } else if ((x = verify_and_activate(cfg, m, text, len, sig, sig_len, staged, &err)) !=
               SDVM_FETCH_OK) {
        tool_errorf("%s %s: %s: %s", m->image_id, m->version, sdvm_fetch_error_to_string(x), err);
        if (x == SDVM_FETCH_HASH_MISMATCH)
            (void)unlink(staged);
    } else {
        printf("%s %s is active\n", m->image_id, m->version);
        rc = TOOL_OK;
        if (do_gc) {
            struct gc_report rep;
            (void)gc_run(cfg, false, false, false, &rep);
        }
    }
    close(lock);
    return rc;
}

static int
usage(void)
{
    fprintf(stderr, "usage: sdvm-image install --manifest FILE [--signature FILE] [--no-gc] "
                    "QCOW2\n");
    return TOOL_USAGE;
}

int
tool_cmd_install(struct tool *t, int argc, char **argv)
{
    static const struct option options[] = {
        {"manifest", required_argument, NULL, 'm'},
        {"signature", required_argument, NULL, 's'},
        {"no-gc", no_argument, NULL, 'G'},
        {NULL, 0, NULL, 0},
    };
    const char *mpath = NULL, *spath_arg = NULL;
    bool do_gc = true;
    int c;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (c) {
        case 'm': mpath = optarg; break;
        case 's': spath_arg = optarg; break;
        case 'G': do_gc = false; break;
        default: return usage();
        }
    }
    if (!mpath || optind + 1 != argc)
        return usage();
    const struct sdvm_config *cfg = tool_config(t);
    if (!cfg)
        return TOOL_CONFIG;
    g_autofree char *spath = spath_arg ? g_strdup(spath_arg) : g_strconcat(mpath, ".sig", NULL);
    g_autofree char *text = NULL, *sig = NULL, *err = NULL;
    gsize len = 0, sig_len = 0;
    if (!g_file_get_contents(mpath, &text, &len, NULL) ||
        !g_file_get_contents(spath, &sig, &sig_len, NULL)) {
        tool_errorf("cannot read %s or %s", mpath, spath);
        return TOOL_FAILED;
    }
    struct manifest m;
    enum sdvm_fetch_error x = verify_manifest(cfg->images.trusted_key, text, len, sig, sig_len,
                                              NULL, &m, &err);
    if (x != SDVM_FETCH_OK) {
        tool_errorf("%s: %s: %s", mpath, sdvm_fetch_error_to_string(x), err);
        return TOOL_FAILED;
    }
    int rc = install(cfg, &m, text, len, sig, sig_len, argv[optind], do_gc);
    manifest_clear(&m);
    return rc;
}
