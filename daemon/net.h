/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The network half of a login, behind a small interface: nm-glue (802.1X through
 * NetworkManager) in sdvmd, a scripted fake in tests. Events are delivered from the main
 * loop, never from inside a call; exactly one done() per start().
 */
#ifndef SDVM_DAEMON_NET_H
#define SDVM_DAEMON_NET_H

#include "sdvm-failure.h"
#include "sdvm-types.h"
#include "sdvm/auth-profile.h"

typedef struct sdvmd_net sdvmd_net;

struct sdvmd_net_events {
    /* CONNECTING_WIRED, CONNECTING_WIFI, AUTHENTICATING, HOME_SERVER_SLOW, as they happen. */
    void (*stage)(enum sdvm_stage stage, void *userdata);
    /* SDVM_FAILURE_NONE: authenticated and connected. detail is for the log; may be NULL. */
    void (*done)(enum sdvm_failure failure, const char *detail, void *userdata);
    /* A logout() finished: the connections are deleted (or could not be: logged). Exactly
     * one per logout() call, from the loop. */
    void (*logged_out)(void *userdata);
};

struct sdvmd_net_ops {
    /* Start one login; the password is copied and wiped when the attempt ends. 0 or -errno. */
    int (*start)(sdvmd_net *net, const struct sdvm_auth_profile *profile, const char *nai,
                 const char *password);
    /* Abandon the attempt in progress; done(CANCELLED) follows. */
    void (*cancel)(sdvmd_net *net);
    /* Tear down and delete every connection the last login brought up, or that a cancelled
     * attempt or an earlier sdvmd left (session end, shutdown); logged_out() follows. */
    void (*logout)(sdvmd_net *net);
    void (*free)(sdvmd_net *net);
};

struct sdvmd_net {
    const struct sdvmd_net_ops *ops;
    struct sdvmd_net_events events;
    void *userdata;
};

#endif
