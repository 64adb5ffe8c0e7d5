/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sdvmd's state: the configuration, the image catalog, the realm sources, the disk store,
 * the greeter, the ipc server, and at most one login at a time. A login goes
 *
 *   NAI -> realm profile -> image check -> 802.1X (net) -> user id -> disk (space rule,
 *   eviction, overlay) -> LAUNCHING to the client -> greeter released and gone ->
 *   run-guest -> guest ends -> the user's connections torn down -> greeter again.
 *
 * At start, before the first greeter, `run-guest --recover` undoes what an earlier session
 * left on the host (a crash, a kill, a reboot); logins are refused (BUSY) meanwhile.
 *
 * Everything runs on the main loop; nothing here blocks on the network.
 */
#ifndef SDVM_DAEMON_DAEMON_H
#define SDVM_DAEMON_DAEMON_H

#include <gio/gio.h>
#include <stdbool.h>
#include <stdint.h>

#include "net.h"
#include "sdvm/config.h"

typedef struct sdvmd sdvmd;

struct sdvmd_options {
    bool no_greeter;                   /* do not start a greeter (tests, the headless demo) */
    const char *const *greeter_args;   /* after the [Greeter] values (an option given again wins) */
    const char *const *greeter_env;    /* extra NAME=value for the greeter */
    const char *const *run_guest_args; /* e.g. "--dry-run" */
    const char *const *run_guest_env;  /* e.g. "QEMU_ACCEL=tcg" for a TCG-only demo */
    unsigned greeter_exit_timeout_ms;  /* how long a released greeter may take (default 5 s) */
    unsigned disk_notice_ms;           /* DISK_RENEWED on screen before STARTING (default 8 s) */
    int greeter_vt;                    /* VT for the greeter (/dev/ttyN); 0 = none */
};

/*
 * Takes ownership of config and net. system_bus: for logind (may be NULL: no power actions).
 * Returns 0 or -errno; *error explains (free()).
 */
int sdvmd_new(struct sdvm_config *config, sdvmd_net *net, GDBusConnection *system_bus,
              const struct sdvmd_options *options, sdvmd **out, char **error);
/* Stops the guest and greeter it started, tears down connections, removes the socket. */
void sdvmd_free(sdvmd *daemon);

/*
 * SIGHUP: take a freshly read configuration (ownership passes; NULL = keep the current one),
 * re-read the image catalog and the realm sources, and tell clients. The socket, [Greeter]
 * User and Command and the network settings apply at the next start of sdvmd (a warning says
 * so), the other [Greeter] values when the greeter next starts. On failure the daemon keeps
 * serving with what it had. 0 or -errno; *error explains (free()).
 */
int sdvmd_reload(sdvmd *daemon, struct sdvm_config *config, char **error);

/*
 * Shutting down (SIGTERM): no greeter and no login any more; the session in progress ends
 * (the guest is asked to stop and given its stop timeout, then its devices go back, then the
 * 802.1X connections are deleted; a login in progress is cancelled), a run-guest --recover
 * is waited for, one last logout deletes what is left. stopped(userdata) is called from the
 * loop once all of that is over; sdvmd_free() then. The caller bounds the wait
 * (SDVMD_STOP_GRACE_S, guest-exit.h). Called again: nothing.
 */
typedef void (*sdvmd_stopped_fn)(void *userdata);
void sdvmd_shutdown(sdvmd *daemon, sdvmd_stopped_fn stopped, void *userdata);

/* Is a login, a session, a recovery or a logout in progress? */
bool sdvmd_busy(const sdvmd *daemon);

#endif
