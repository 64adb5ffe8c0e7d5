/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The greeter's operating-system box (review H2, L6): applied by sdvmd between fork and exec
 * of sdvm-greeter, so a theme that gets past the greeter's own checks still reaches nothing.
 *
 *  - its own network namespace (only a loopback, down): no address of the host or the lab;
 *    AF_UNIX sockets by path (sdvmd's, the system bus) still work;
 *  - no_new_privs;
 *  - a seccomp filter: execve only of the greeter itself (the exact argv[0] pointer sdvmd
 *    passes, so only the exec that starts it), no execveat, no io_uring (its requests bypass
 *    seccomp), no AF_INET, AF_INET6 or AF_PACKET sockets;
 *  - every descriptor but 0, 1 and 2 closed on exec;
 *  - a Landlock file-system view (issue 14 §1), where the kernel has Landlock: it reads only
 *    the system's libraries and data (/usr), the few files of /etc a Qt program needs, /proc,
 *    /sys, /run/udev, the devices of a screen and of input, the theme directories and its own
 *    binary's directory; it writes only its home (cache) and runtime dir. Everything else
 *    (the rest of /etc, /var, /home, /tmp, /srv, sdvmd's state) is neither listed nor read.
 *
 * With keep_network (Qt's vnc platform, the demo's and test beds' greeter: it listens on TCP)
 * the namespace is not made and AF_INET/AF_INET6 stay allowed; AF_PACKET, exec and io_uring
 * stay refused. */
#pragma once

#include <linux/filter.h>
#include <stdbool.h>

#define SDVMD_SANDBOX_MAX_INSNS 48

struct sdvmd_greeter_sandbox {
    struct sock_filter insns[SDVMD_SANDBOX_MAX_INSNS];
    unsigned short n_insns;
    bool new_netns;
    int landlock_fd;  /* the ruleset, made in the parent; -1: none */
    int landlock_abi; /* the kernel's Landlock ABI version; 0: none */
};

/* In the parent: build the filter for an exec of exactly `exec_path` (the pointer, not the
 * string: it must be the argv[0] given to execve). Returns 0 or -errno. */
int sdvmd_greeter_sandbox_prepare(struct sdvmd_greeter_sandbox *sb, const char *exec_path,
                                  bool keep_network);

/* In the parent, after _prepare: the Landlock ruleset. `reads` are extra trees it may read
 * (the theme dirs, its binary's dir: read and execute), `writes` the trees it may write (its
 * home and runtime dir), `devices` device files it may read and write (its VT); each list is
 * NULL-terminated and may be NULL, missing paths are skipped. Returns the ABI version (> 0),
 * -ENOTSUP when the kernel has no Landlock (the caller logs it; the greeter then runs with
 * the other walls only), or another -errno. */
int sdvmd_greeter_sandbox_add_files(struct sdvmd_greeter_sandbox *sb, const char *const *reads,
                                    const char *const *writes, const char *const *devices);
/* In the parent, once the child has been started: closes the ruleset. */
void sdvmd_greeter_sandbox_release(struct sdvmd_greeter_sandbox *sb);

/* In the child, after fork, before exec, while still root (the namespace needs
 * CAP_SYS_ADMIN; call it before dropping to the greeter user: seccomp with no_new_privs needs
 * no privilege). Only async-signal-safe calls. Returns 0 or -errno (the child must then exit). */
int sdvmd_greeter_sandbox_enter_namespace(const struct sdvmd_greeter_sandbox *sb);
int sdvmd_greeter_sandbox_apply(const struct sdvmd_greeter_sandbox *sb);

/* true when QT_QPA_PLATFORM in env (NULL-terminated "K=V" list) names vnc. */
bool sdvmd_greeter_env_wants_network(const char *const *env);
