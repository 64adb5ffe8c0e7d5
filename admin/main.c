/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sdvm-admin: a small command line tool over libsdvm-core for administrators and tests. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "sdvm/catalog.h"
#include "sdvm/log.h"

#ifndef SDVM_VERSION
#error "SDVM_VERSION must be defined by the build"
#endif

static const struct sdvm_admin_command commands[] = {
#define SDVM_ADMIN_COMMAND(name, args, summary) {#name, args, summary, sdvm_admin_cmd_##name},
#include "commands.def"
#undef SDVM_ADMIN_COMMAND
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

struct sdvm_admin {
    const char *config_path;
    const struct sdvm_admin_command *command;
    struct sdvm_config *config;
    bool config_failed;
};

const struct sdvm_config *
admin_config(struct sdvm_admin *adm)
{
    if (adm->config || adm->config_failed)
        return adm->config;
    struct sdvm_config_error *err = NULL;
    int r = sdvm_config_load(adm->config_path, &adm->config, &err);
    if (r < 0) {
        adm->config_failed = true;
        if (err)
            fprintf(stderr, "sdvm-admin: %s\n", err->message);
        else
            fprintf(stderr, "sdvm-admin: %s: %s\n", adm->config_path, strerror(-r));
        sdvm_config_error_free(err);
    }
    return adm->config;
}

const char *
admin_command_name(const struct sdvm_admin *adm)
{
    return adm->command ? adm->command->name : "";
}

void
admin_errorf(const struct sdvm_admin *adm, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "sdvm-admin: %s: ", admin_command_name(adm));
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

bool
admin_parsable_only(int argc, char **argv, bool *parsable)
{
    static const struct option options[] = {
        {"parsable", no_argument, NULL, 'p'},
        {NULL, 0, NULL, 0},
    };
    *parsable = false;
    int c;
    while ((c = getopt_long(argc, argv, "p", options, NULL)) != -1) {
        if (c != 'p')
            return false;
        *parsable = true;
    }
    return optind == argc;
}

sdvm_catalog *
admin_load_catalog(const struct sdvm_admin *adm, const struct sdvm_config *cfg)
{
    sdvm_catalog *cat = NULL;
    int r = sdvm_catalog_load(cfg->paths.images_dir, &cat);
    if (r < 0) {
        admin_errorf(adm, "cannot read the images directory %s: %s", cfg->paths.images_dir,
                     strerror(-r));
        return NULL;
    }
    return cat;
}

int
admin_usage(const struct sdvm_admin *adm)
{
    fprintf(stderr, "usage: sdvm-admin [--config FILE] %s %s\n", admin_command_name(adm),
            adm->command ? adm->command->args : "");
    return ADMIN_EXIT_USAGE;
}

const char *
admin_format_size(unsigned long long bytes, char *buf, size_t size)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = (double)bytes;
    size_t u = 0;
    while (v >= 1024.0 && u + 1 < sizeof(units) / sizeof(units[0])) {
        v /= 1024.0;
        u++;
    }
    if (u == 0)
        snprintf(buf, size, "%llu B", bytes);
    else
        snprintf(buf, size, "%.1f %s", v, units[u]);
    return buf;
}

static void
print_help(FILE *f)
{
    fprintf(f, "usage: sdvm-admin [--config FILE] [-v] COMMAND [ARGS...]\n"
               "       sdvm-admin --version | --help\n\n"
               "Commands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %s %s\n      %s\n", commands[i].name, commands[i].args, commands[i].summary);
    fprintf(f, "\nOptions:\n"
               "  --config FILE  read FILE instead of " SDVM_CONFIG_DEFAULT_PATH "\n"
               "  -v, --verbose  log what the core does on stderr (twice: debug)\n"
               "  --version      print the version\n"
               "See sdvm-admin(8).\n");
}

static void
log_to_stderr(enum sdvm_log_level level, const char *msg, void *userdata)
{
    static const char *const names[] = {"", "error", "warning", "info", "debug"};
    (void)userdata;
    fprintf(stderr, "sdvm-admin: %s: %s\n", names[level <= SDVM_LOG_DEBUG ? level : 0], msg);
}

/* Remove "--config FILE" / "--config=FILE" from anywhere before "--". */
static int
take_config_option(int *argc, char **argv, const char **path)
{
    int out = 1;
    for (int i = 1; i < *argc; i++) {
        if (!strcmp(argv[i], "--")) {
            while (i < *argc)
                argv[out++] = argv[i++];
            break;
        }
        if (!strcmp(argv[i], "--config")) {
            if (i + 1 >= *argc) {
                fprintf(stderr, "sdvm-admin: --config needs a FILE\n");
                return -1;
            }
            *path = argv[++i];
        } else if (!strncmp(argv[i], "--config=", 9)) {
            *path = argv[i] + 9;
        } else {
            argv[out++] = argv[i];
        }
    }
    argv[out] = NULL;
    *argc = out;
    return 0;
}

int
main(int argc, char **argv)
{
    struct sdvm_admin adm = {.config_path = SDVM_CONFIG_DEFAULT_PATH};
    if (take_config_option(&argc, argv, &adm.config_path) < 0)
        return ADMIN_EXIT_USAGE;
    if (!*adm.config_path) {
        fprintf(stderr, "sdvm-admin: --config needs a FILE\n");
        return ADMIN_EXIT_USAGE;
    }

    static const struct option options[] = {
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {"verbose", no_argument, NULL, 'v'},
        {NULL, 0, NULL, 0},
    };
    int verbose = 0, c;
    while ((c = getopt_long(argc, argv, "+hv", options, NULL)) != -1) {
        switch (c) {
        case 'h':
            print_help(stdout);
            return ADMIN_EXIT_OK;
        case 'V':
            printf("sdvm-admin %s\n", SDVM_VERSION);
            return ADMIN_EXIT_OK;
        case 'v':
            verbose++;
            break;
        default:
            print_help(stderr);
            return ADMIN_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        print_help(stderr);
        return ADMIN_EXIT_USAGE;
    }
    const char *name = argv[optind];
    if (!strcmp(name, "help")) {
        print_help(stdout);
        return ADMIN_EXIT_OK;
    }
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (!strcmp(commands[i].name, name))
            adm.command = &commands[i];
    if (!adm.command) {
        fprintf(stderr, "sdvm-admin: unknown command \"%s\" (see sdvm-admin --help)\n", name);
        return ADMIN_EXIT_USAGE;
    }
    if (verbose)
        sdvm_log_set_handler(verbose > 1 ? SDVM_LOG_DEBUG : SDVM_LOG_INFO, log_to_stderr, NULL);

    char **cargv = argv + optind;
    int cargc = argc - optind;
    optind = 0; /* glibc: full reinitialisation for the command's own getopt_long */
    int status = adm.command->run(&adm, cargc, cargv);
    sdvm_config_free(adm.config);
    return status;
}
