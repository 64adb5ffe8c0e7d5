/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sdvm-admin's command framework. A command is one file, admin/cmd-<name>.c, defining
 *
 *     int sdvm_admin_cmd_<name>(struct sdvm_admin *adm, int argc, char **argv);
 *
 * and one line in admin/commands.def. argv[0] is the command name; parse the rest with
 * getopt_long (optind is reset for you). "--config FILE" is taken out of argv before the
 * command runs, wherever it appears; call admin_config() if the command needs the file.
 * Return one of enum admin_exit.
 */
#ifndef SDVM_ADMIN_H
#define SDVM_ADMIN_H

#include <stdbool.h>
#include <stdio.h>

#include "sdvm/config.h"

/* Exit statuses, documented in sdvm-admin(8). */
enum admin_exit {
    ADMIN_EXIT_OK = 0,
    ADMIN_EXIT_FAILED = 1, /* the command ran and failed (invalid NAI, disk full, ...) */
    ADMIN_EXIT_USAGE = 2,  /* wrong arguments */
    ADMIN_EXIT_CONFIG = 3, /* the configuration file is broken or unreadable */
};

struct sdvm_admin;

struct sdvm_admin_command {
    const char *name;
    const char *args;    /* synopsis of the arguments, for --help */
    const char *summary; /* one line */
    int (*run)(struct sdvm_admin *adm, int argc, char **argv);
};

/*
 * The configuration (--config FILE, default /etc/sdvm/sdvm.conf), loaded on first use.
 * NULL after printing the error; the command should return ADMIN_EXIT_CONFIG.
 */
const struct sdvm_config *admin_config(struct sdvm_admin *adm);

/* The running command's name. */
const char *admin_command_name(const struct sdvm_admin *adm);

/* "sdvm-admin: <command>: <message>" on stderr. */
void admin_errorf(const struct sdvm_admin *adm, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Print "usage: sdvm-admin <command> <args>" on stderr; returns ADMIN_EXIT_USAGE. */
int admin_usage(const struct sdvm_admin *adm);

/*
 * For commands whose only option is --parsable (-p) and which take no argument: true and
 * *parsable, or false on anything else (the caller returns admin_usage()).
 */
bool admin_parsable_only(int argc, char **argv, bool *parsable);

/* The image catalog of the configuration's ImagesDir; NULL after saying why. */
struct sdvm_catalog *admin_load_catalog(const struct sdvm_admin *adm,
                                        const struct sdvm_config *cfg);

/* Human-readable byte count ("1.5 GiB") into buf. */
const char *admin_format_size(unsigned long long bytes, char *buf, size_t size);

#define SDVM_ADMIN_COMMAND(name, args, summary)                                                    \
    int sdvm_admin_cmd_##name(struct sdvm_admin *adm, int argc, char **argv);
#include "commands.def"
#undef SDVM_ADMIN_COMMAND

#endif
