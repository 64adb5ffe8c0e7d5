/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The greeter as a supervised child process: started as the unprivileged greeter user (it
 * runs themes, which are other people's QML), restarted when it dies unexpectedly, released
 * when a login succeeds (it exits by itself so the guest can take the GPU), started again
 * when the guest ends.
 *
 * A greeter that keeps crashing at start falls back to the embedded theme (`--fallback`),
 * so the terminal never stays black. All callbacks run on the thread-default main context.
 *
 * sdvmd is the one reader of sdvm.conf: the greeter gets the validated [Greeter] values as
 * command-line options (sdvm-greeter(1)) and never opens root's configuration.
 */
#ifndef SDVM_DAEMON_GREETER_PROCESS_H
#define SDVM_DAEMON_GREETER_PROCESS_H

#include <stdbool.h>
#include <sys/types.h>

#include "sdvm/config.h"

typedef struct sdvmd_greeter sdvmd_greeter;

struct sdvmd_greeter_params {
    const char *const *argv;   /* command and its options; argv[0] is an absolute path */
    const char *user;          /* run as this user (its uid, gid and groups) */
    const char *home;          /* HOME and cache dir for Qt/Mesa (created, owned by user) */
    const char *runtime_dir;   /* XDG_RUNTIME_DIR (created 0700, owned by user) */
    const char *const *env;    /* extra "NAME=value" entries (SDVM_SOCKET, QT_QPA_PLATFORM) */
    int vt;                    /* VT to run on (/dev/ttyN becomes stdin); 0 = none */
    unsigned restart_delay_ms; /* after an unexpected exit (<= 1000) */
    /* Trees the greeter may read besides the system's (the theme dirs); NULL-terminated, may be
     * NULL. Its home and runtime dir are its only writable places (Landlock, where the kernel
     * has it). */
    const char *const *read_paths;
    /* Tests only: this terminal instead of /dev/ttyVT (vt must still be > 0), and these
     * operations instead of the console ioctls (a pty has no keyboard mode). */
    const char *vt_path;
    const struct sdvmd_greeter_vt_ops *vt_ops;
};

/* The console operations the VT's hand-back uses; each returns 0 or -1 with errno set. */
struct sdvmd_greeter_vt_ops {
    int (*get_kbmode)(int fd, int *mode, void *data); /* KDGKBMODE */
    int (*set_kbmode)(int fd, int mode, void *data);  /* KDSKBMODE */
    int (*set_text_mode)(int fd, void *data);         /* KDSETMODE KD_TEXT */
    void *data;
};

/* Why the greeter process is gone. */
typedef void (*sdvmd_greeter_exited_fn)(int wait_status, bool expected, void *userdata);

/* Returns NULL with errno set: ENOENT unknown user, ENOMEM. */
sdvmd_greeter *sdvmd_greeter_new(const struct sdvmd_greeter_params *params,
                                 sdvmd_greeter_exited_fn exited, void *userdata);
/*
 * The greeter as sdvmd runs it: [Greeter] Command as [Greeter] User, with the [Greeter] values
 * as options, then extra_args (which may override them: the last of an option given twice
 * wins); SDVM_SOCKET and extra_env ("NAME=value") in its environment; its home under StateDir
 * and its runtime dir next to the socket; on /dev/ttyVT (0: none). NULL with errno set, as
 * sdvmd_greeter_new().
 */
sdvmd_greeter *sdvmd_greeter_new_from_config(const struct sdvm_config *config,
                                             const char *const *extra_args,
                                             const char *const *extra_env, int vt,
                                             sdvmd_greeter_exited_fn exited, void *userdata);
/*
 * A reloaded configuration: the greeter's next start gets its [Greeter] values. User, Command
 * and the socket stay as they were until sdvmd restarts. No effect on a greeter made by
 * sdvmd_greeter_new().
 */
void sdvmd_greeter_reconfigure(sdvmd_greeter *greeter, const struct sdvm_config *config);

/* Stops the process (SIGTERM, then SIGKILL) and frees. NULL is accepted. */
void sdvmd_greeter_free(sdvmd_greeter *greeter);

/* Start (or keep) the greeter running under supervision. 0 or -errno. */
int sdvmd_greeter_start(sdvmd_greeter *greeter);
/*
 * A login succeeded: the greeter exits by itself; stop supervising. If it is still there
 * after timeout_ms it is terminated. `exited` fires with expected = true when it is gone.
 */
void sdvmd_greeter_release(sdvmd_greeter *greeter, unsigned timeout_ms);

pid_t sdvmd_greeter_pid(const sdvmd_greeter *greeter); /* 0 when not running */
uid_t sdvmd_greeter_uid(const sdvmd_greeter *greeter);
unsigned sdvmd_greeter_starts(const sdvmd_greeter *greeter); /* how many spawns so far */

#endif
