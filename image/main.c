/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sdvm-image: publish, fetch, install and collect base image versions (sdvm-image(8)). */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "gc.h"
#include "sdvm/log.h"
#include "tool.h"

const struct sdvm_config *
tool_config(struct tool *t)
{
    if (t->config)
        return t->config;
    struct sdvm_config_error *err = NULL;
    if (sdvm_config_load(t->config_path, &t->config, &err) < 0) {
        fprintf(stderr, "sdvm-image: %s\n", err ? err->message : "cannot load the configuration");
        sdvm_config_error_free(err);
        t->config = NULL;
    }
    return t->config;
}

void
tool_errorf(const char *fmt, ...)
{
    va_list ap;
    fputs("sdvm-image: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void
tool_infof(const char *fmt, ...)
{
    va_list ap;
    fputs("sdvm-image: ", stdout);
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    fflush(stdout);
}

static int
cmd_gc(struct tool *t, int argc, char **argv)
{
    static const struct option options[] = {
        {"dry-run", no_argument, NULL, 'n'},
        {NULL, 0, NULL, 0},
    };
    bool dry = false;
    int c;
    while ((c = getopt_long(argc, argv, "n", options, NULL)) != -1) {
        if (c != 'n') {
            fprintf(stderr, "usage: sdvm-image gc [--dry-run]\n");
            return TOOL_USAGE;
        }
        dry = true;
    }
    const struct sdvm_config *cfg = tool_config(t);
    if (!cfg)
        return TOOL_CONFIG;
    struct gc_report rep;
    int r = gc_run(cfg, dry, true, false, &rep);
    if (r < 0) {
        tool_errorf("cannot read %s or %s: nothing removed", cfg->paths.images_dir,
                    cfg->paths.users_dir);
        return TOOL_FAILED;
    }
    printf("%s %u base%s; kept %u with users' disks, %u open by a guest\n",
           dry ? "would remove" : "removed", rep.removed, rep.removed == 1 ? "" : "s",
           rep.kept_disks, rep.kept_in_use);
    return TOOL_OK;
}

static const struct {
    const char *name, *summary;
    int (*run)(struct tool *, int, char **);
} commands[] = {
    {"publish", "make a version downloadable (image server)", tool_cmd_publish},
    {"seed", "seed the published versions (image server)", tool_cmd_seed},
    {"fetch", "download, verify, activate and seed the published versions", tool_cmd_fetch},
    {"install", "verify and activate a version from local files", tool_cmd_install},
    {"gc", "remove bases and staging nothing uses any more", cmd_gc},
    {"status", "versions, fetch progress and seeding state", tool_cmd_status},
};

static int
usage(FILE *to)
{
    fprintf(to, "usage: sdvm-image [--config FILE] COMMAND [ARGS]\n\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(to, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(to, "\nSee sdvm-image(8).\n");
    return to == stdout ? TOOL_OK : TOOL_USAGE;
}

static void
log_to_stderr(enum sdvm_log_level level, const char *msg, void *userdata)
{
    (void)userdata;
    fprintf(stderr, "sdvm-image: %s%s\n", level <= SDVM_LOG_WARNING ? "warning: " : "", msg);
}

int
main(int argc, char **argv)
{
    struct tool t = {0};
    int i = 1;
    while (i < argc && argv[i][0] == '-') {
        if (!strcmp(argv[i], "--config") && i + 1 < argc) {
            t.config_path = argv[i + 1];
            i += 2;
        } else if (!strncmp(argv[i], "--config=", 9)) {
            t.config_path = argv[i] + 9;
            i++;
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            return usage(stdout);
        } else {
            return usage(stderr);
        }
    }
    if (i >= argc)
        return usage(stderr);
    sdvm_log_set_handler(getenv("SDVM_IMAGE_DEBUG") ? SDVM_LOG_DEBUG : SDVM_LOG_WARNING,
                         log_to_stderr, NULL);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = TOOL_USAGE;
    bool found = false;
    for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++) {
        if (!strcmp(argv[i], commands[k].name)) {
            optind = 1;
            rc = commands[k].run(&t, argc - i, argv + i);
            found = true;
            break;
        }
    }
    if (!found)
        rc = usage(stderr);
    sdvm_config_free(t.config);
    curl_global_cleanup();
    return rc;
}
