/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Runs run-guest(8) for one session and waits for it: the user's disk, image, ostype and id
 * go in its environment; its output goes to the log line by line; its exit status becomes
 * an enum sdvm_failure through run-guest's exit-code contract (guest-exit.h). The same for
 * `run-guest --recover`, run at sdvmd's start before the greeter: what an earlier session
 * left (its run-guest, its QEMU, its undo journal) is stopped and undone.
 * run-guest gets SDVM_STOP_TIMEOUT and SDVM_UNDO_TIMEOUT from guest-exit.h.
 */
#ifndef SDVM_DAEMON_GUEST_RUNNER_H
#define SDVM_DAEMON_GUEST_RUNNER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "sdvm-failure.h"

typedef struct sdvmd_guest sdvmd_guest;

struct sdvmd_guest_params {
    const char *run_guest;   /* absolute path of run-guest */
    bool recover;            /* run-guest --recover: no session, only disk..user_id unused */
    const char *const *args; /* extra arguments (e.g. "--dry-run"); may be NULL */
    const char *disk;        /* the user's overlay */
    const char *image_id;
    const char *os_type;
    const char *user_id;
    const char *const *env;  /* extra NAME=value entries (QEMU=, SDVM_ACCEL=, ...); may be NULL */
};

/* One line of run-guest's output (its plan, QEMU's messages, a serial console). */
typedef void (*sdvmd_guest_line_fn)(const char *line, void *userdata);

/* failure = SDVM_FAILURE_NONE when the guest ran and powered off. */
typedef void (*sdvmd_guest_done_fn)(enum sdvm_failure failure, int wait_status,
                                    uint64_t duration_ms, void *userdata);

/* Start run-guest; NULL and errno on failure to spawn. `done` fires once, from the loop;
 * `line` (may be NULL) for each output line, which is also logged. */
sdvmd_guest *sdvmd_guest_start(const struct sdvmd_guest_params *params, sdvmd_guest_done_fn done,
                               sdvmd_guest_line_fn line, void *userdata);
/* Ask run-guest to end the guest (SIGTERM: it gives QEMU SDVM_STOP_TIMEOUT, then runs its
 * undo steps); `done` follows. Does not wait. */
void sdvmd_guest_stop(sdvmd_guest *guest);
/* Frees; if still running, SIGTERM, then SIGKILL after a second (sdvmd waits for `done`
 * before it frees; this is the last resort, repaired by run-guest --recover). NULL is
 * accepted. */
void sdvmd_guest_free(sdvmd_guest *guest);

#endif
