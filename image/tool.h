/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sdvm-image's commands (one file each) and what they share. A command gets argv with
 * argv[0] its name; "--config FILE" has been taken out already.
 */
#ifndef SDVM_IMAGE_TOOL_H
#define SDVM_IMAGE_TOOL_H

#include <stdbool.h>

#include "sdvm/config.h"

/* Exit statuses (sdvm-image(8)). */
enum tool_exit {
    TOOL_OK = 0,
    TOOL_FAILED = 1, /* the command ran and something failed (see the state / stderr) */
    TOOL_USAGE = 2,
    TOOL_CONFIG = 3, /* sdvm.conf is broken, or lacks what the command needs */
    TOOL_BUSY = 4,   /* another sdvm-image fetch holds the staging lock */
};

struct tool {
    const char *config_path; /* NULL: /etc/sdvm/sdvm.conf */
    struct sdvm_config *config;
};

/* Loaded on first use; NULL after printing why. */
const struct sdvm_config *tool_config(struct tool *t);
void tool_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void tool_infof(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Crash points for the tests: when $SDVM_IMAGE_CRASH_AT names this point, the process
 * SIGKILLs itself right there (nothing is flushed, nothing cleaned up).
 */
void tool_crash_point(const char *name);

int tool_cmd_publish(struct tool *t, int argc, char **argv);
int tool_cmd_fetch(struct tool *t, int argc, char **argv);
int tool_cmd_install(struct tool *t, int argc, char **argv);
int tool_cmd_gc(struct tool *t, int argc, char **argv);
int tool_cmd_status(struct tool *t, int argc, char **argv);
int tool_cmd_seed(struct tool *t, int argc, char **argv);

#endif
