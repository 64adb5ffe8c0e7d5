/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sdvm-image seed --dir PUBDIR: the image server as the first seeder. Every image in the
 * publish directory's index is seeded at its current version, for ever (until SIGTERM), by
 * aria2c. With --tracker URL (one per building) there is one aria2c per tracker, on ports
 * listen-port, +1, ...: aria2 announces to the first tracker that answers only, and the server
 * must be in every building's swarm while the terminals are in their own only. Each of those
 * seeders takes --peers peers at most (default 1): a seed that serves every peer of a
 * building at once sends the same rarest pieces to several of them, and the building's uplink
 * carries them several times; a few peers fed by the server and the rest fed by them keeps
 * it near once (BitTorrent's super-seeding idea, which aria2 does not have).
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "aria2.h"
#include "layout.h"
#include "sdvm/catalog.h"
#include "tool.h"

static volatile sig_atomic_t stop_requested;

static void
on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static int
usage(void)
{
    fprintf(stderr, "usage: sdvm-image seed --dir PUBDIR [--tracker URL]... [--listen-port N] "
                    "[--max-upload-kibps N] [--peers N]\n");
    return TOOL_USAGE;
}

int
tool_cmd_seed(struct tool *t, int argc, char **argv)
{
    static const struct option options[] = {
        {"dir", required_argument, NULL, 'd'},
        {"tracker", required_argument, NULL, 'a'},
        {"listen-port", required_argument, NULL, 'p'},
        {"max-upload-kibps", required_argument, NULL, 'u'},
        {"peers", required_argument, NULL, 'P'},
        {NULL, 0, NULL, 0},
    };
    const char *dir = NULL;
    g_autoptr(GPtrArray) trackers = g_ptr_array_new();
    unsigned port = 6881, up = 0, peers = 1;
    int c;
    (void)t;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (c) {
        case 'd': dir = optarg; break;
        case 'a': g_ptr_array_add(trackers, optarg); break;
        case 'p': port = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'u': up = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'P': peers = (unsigned)strtoul(optarg, NULL, 10); break;
        default: return usage();
        }
    }
    if (!dir || optind != argc)
        return usage();
    g_ptr_array_add(trackers, NULL);
    g_autofree char *abs_dir = g_canonicalize_filename(dir, NULL);
    g_autofree char *index_path = g_build_filename(abs_dir, "index", NULL);
    g_autofree char *index = NULL;
    if (!g_file_get_contents(index_path, &index, NULL, NULL)) {
        tool_errorf("%s: no index (run sdvm-image publish first)", index_path);
        return TOOL_FAILED;
    }
    size_t n_engines = trackers->len > 1 ? trackers->len - 1 : 1;
    struct aria2 **engines = g_new0(struct aria2 *, n_engines);
    g_auto(GStrv) ids = g_strsplit(index, "\n", -1);
    int seeding = 0;
    for (size_t k = 0; k < n_engines; k++) {
        g_autofree char *work = g_strdup_printf("%s/.seed-%zu", abs_dir, k);
        (void)layout_mkdirs(work, 0700);
        const char *log_path = getenv("SDVM_IMAGE_ARIA2_LOG");
        g_autofree char *log_k = log_path && *log_path ? g_strdup_printf("%s.%zu", log_path, k)
                                                       : NULL;
        char *one[2] = {trackers->len > 1 ? trackers->pdata[k] : NULL, NULL};
        struct aria2_options o = {
            .work_dir = work,
            .log_path = log_k,
            .listen_port = port + (unsigned)k,
            .local_peer_discovery = false,
            .trackers = one[0] ? one : NULL,
            .max_upload_kibps = up,
            .seed_time_ms = ARIA2_SEED_FOREVER,
            .seed_ratio_milli = 0,
            .max_peers = peers,
        };
        g_autofree char *err = NULL;
        if (aria2_start(&o, &engines[k], &err) < 0) {
            tool_errorf("%s", err);
            continue;
        }
        for (char **id = ids; *id; id++) {
            if (!sdvm_image_id_is_valid(*id))
                continue;
            g_autofree char *cur_path = g_strdup_printf("%s/%s.current", abs_dir, *id);
            g_autofree char *cur = NULL;
            if (!g_file_get_contents(cur_path, &cur, NULL, NULL))
                continue;
            g_strstrip(cur);
            g_autofree char *tname = layout_published_name(*id, cur, ".torrent");
            if (!tname)
                continue;
            g_autofree char *tpath = g_build_filename(abs_dir, tname, NULL);
            g_autofree char *torrent = NULL, *gid = NULL, *e2 = NULL;
            gsize tlen = 0;
            if (!g_file_get_contents(tpath, &torrent, &tlen, NULL) ||
                aria2_add_torrent(engines[k], torrent, tlen, abs_dir, true, &gid, &e2) < 0) {
                tool_errorf("%s: %s", tpath, e2 ? e2 : "cannot be read");
                continue;
            }
            tool_infof("seeding %s %s%s%s", *id, cur, one[0] ? " for " : "",
                       one[0] ? one[0] : "");
            seeding++;
        }
    }
    struct sigaction sa = {.sa_handler = on_stop};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    /* Ready: tests and units wait for this line. */
    printf("seeding %d image%s\n", seeding, seeding == 1 ? "" : "s");
    fflush(stdout);
    while (!stop_requested && seeding)
        sleep(1);
    for (size_t k = 0; k < n_engines; k++)
        aria2_stop(engines[k]);
    g_free(engines);
    return seeding ? TOOL_OK : TOOL_FAILED;
}
