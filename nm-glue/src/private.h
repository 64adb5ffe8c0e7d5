/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * nm-glue internals: the state its files share. Nothing here is part of sdvm/nm-glue.h.
 *
 *   nm-glue.c  the event queue, NetworkManager's client (with the secret agent and the
 *              wpa_supplicant watcher), the public API
 *   attempt.c  one login: its password, waiting for NetworkManager, choosing the devices,
 *              building the connections, activating the links; its timeouts
 *   link.c     one device's connection: activation, NetworkManager's states, EAP re-triggers,
 *              deletion (a link of an ended attempt lives on as an orphan until it is gone)
 *   verdict.c  wpa_supplicant's EAP and certificate events, and the verdict they make
 *   cleanup.c  connections an earlier sdvmd left behind, and logout
 *
 * An attempt has one link per device it activates. A link fails on its own (NetworkManager
 * refused it, no authenticator answered); the attempt fails when all its links have failed,
 * with the most telling reason. A verdict of the RADIUS server (EAP failure, certificate
 * refused) ends the whole attempt at once: every link reaches the same home server through
 * the federation, so another link would only repeat the refusal (and count against the
 * account's lock-out). The first link that is both EAP-authenticated and ACTIVATED wins; the
 * others are deleted. Wired goes first: a Wi-Fi link that gets there while a wired link is
 * still under way is held (WiredPreference) for the wired one; meanwhile a wired link's
 * failure ends only that link, and the Wi-Fi link wins. One Wi-Fi link is held at a time;
 * another one that authenticates meanwhile is its spare, held in its place should it fail.
 * Once a link's EAP success is proven (held, or waiting for ACTIVATED), an EAP verdict on
 * another link ends only that one: the credentials are good.
 *
 * Events for the caller are only ever queued (event_*), never delivered from here: the
 * queue is dispatched from an idle source (nm-glue.c). The functions below are internal to
 * the static library; their names carry the file's noun.
 */
#ifndef SDVM_NM_PRIVATE_H
#define SDVM_NM_PRIVATE_H

#include <NetworkManager.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent.h"
#include "builder.h"
#include "sdvm/nm-glue.h"
#include "supplicant.h"

G_BEGIN_DECLS

struct attempt;

struct link {
    sdvm_nm *nm;
    struct attempt *a; /* NULL once the attempt is over (the link is being removed) */
    enum sdvm_nm_link_type type;
    char *ifname;
    char *uuid;
    char *subject;
    NMDevice *device;
    NMActiveConnection *active;
    NMRemoteConnection *remote;
    gulong state_handler;
    bool adding; /* AddAndActivate2 in flight */
    bool remove; /* delete the connection once it is known */
    bool deleting;
    bool gone;             /* deleted */
    bool awaiting_removal; /* Delete answered; waiting for the object to leave the cache */
    GSource *removal_timer;
    bool counts_for_logout; /* a running logout waits for this deletion */
    bool secrets_given;
    bool fast_started;
    bool eap_started;
    bool eap_success; /* wpa_supplicant accepted an EAP-Success: its state is completed */
    bool eap_claimed; /* an EAP-Success arrived; eap_success once the state says completed */
    bool activated;
    bool failed;
    unsigned retriggers;
    unsigned starts; /* EAPOL-Starts we caused since wpa_supplicant last reset its counter */
    enum sdvm_failure failure;
    char *detail;
    enum sdvm_failure cert_failure;
    char *cert_detail;
    char *rejected_method;
    bool method_accepted;
    GSource *retrigger;
    GSource *grace;
    GSource *confirm; /* waits for "completed" after an EAP-Success arrived (verdict.c) */
};

struct attempt {
    sdvm_nm *nm;
    uint64_t id;
    struct sdvm_auth_profile *profile;
    char *nai;
    char *password; /* locked memory, wiped when the attempt ends (attempt_wipe_password) */
    size_t password_size;
    GPtrArray *links;
    bool waiting_logout; /* asked for while a logout ran: starts when logged_out is queued */
    bool begun;
    bool ended;
    bool eap_started_sent;
    bool cert_sent;
    bool eap_verdict;       /* an EAP success was seen: the auth timeout no longer applies */
    bool slow_notice_armed; /* the SlowServerNotice timer was started (once per attempt) */
    bool waiting_agent;
    bool checking_nm; /* asking the bus whether NetworkManager is there */
    bool nm_checked;
    gint64 t0;
    GSource *auth_timer;
    GSource *slow_timer; /* SlowServerNotice, from the first EAP request of the switch */
    GSource *attempt_timer;
    GSource *agent_timer;
    GSource *nm_wait_timer;
    gulong agent_handler;
    struct link *held; /* an authenticated Wi-Fi link waiting for a wired one (link.c) */
    GSource *wired_wait;
};

struct sdvm_nm {
    GMainContext *ctx;
    struct sdvm_nm_params params;
    char *ssid;
    struct sdvm_nm_listener listener;
    void *userdata;
    GCancellable *cancellable;

    NMClient *client;
    bool client_busy;
    char *client_error;
    gulong running_handler;
    gulong removed_handler;
    gulong ac_removed_handler;
    SdvmNmAgent *agent;
    bool agent_busy;
    sdvm_supp *supp;

    uint64_t last_id;
    struct attempt *attempt; /* running (or waiting for the logout), or the logged-in one */
    bool logged_in;
    GPtrArray *orphans; /* links of ended attempts still being removed */

    bool logout_running;
    bool logout_waits_client;
    unsigned logout_removed;
    unsigned logout_pending;
    int logout_error;

    GQueue events;
    GSource *event_source;
    bool dispatching;
    bool free_requested;
    bool shut_down;
};

/* ---- small helpers ------------------------------------------------------------------ */

/* Seconds since the attempt started, for the log. */
static inline double
since(const struct attempt *a)
{
    return (double)(g_get_monotonic_time() - a->t0) / 1e6;
}

static inline GSource *
timer_new(sdvm_nm *nm, unsigned ms, GSourceFunc fn, gpointer data)
{
    GSource *s = g_timeout_source_new(ms);
    g_source_set_callback(s, fn, data, NULL);
    g_source_attach(s, nm->ctx);
    return s;
}

static inline void
timer_clear(GSource **s)
{
    if (*s) {
        g_source_destroy(*s);
        g_source_unref(*s);
        *s = NULL;
    }
}

/* Run an entry point with our context as the thread default, so that every async call and
 * signal subscription made inside lands on it. */
#define WITH_CONTEXT(nm)                                                                           \
    G_GNUC_UNUSED g_autoptr(GMainContextPusher) pusher_ = g_main_context_pusher_new((nm)->ctx)

/* ---- nm-glue.c: events for the listener (strings are copied), the client ------------ */

void event_started(sdvm_nm *nm, uint64_t attempt, unsigned n_links);
void event_eap_started(sdvm_nm *nm, uint64_t attempt, const char *ifname);
void event_cert_accepted(sdvm_nm *nm, uint64_t attempt, const char *ifname, const char *subject);
void event_home_server_slow(sdvm_nm *nm, uint64_t attempt, const char *ifname);
void event_success(sdvm_nm *nm, uint64_t attempt, const char *ifname);
void event_failure(sdvm_nm *nm, uint64_t attempt, enum sdvm_failure failure, const char *detail);
void event_logged_out(sdvm_nm *nm, unsigned removed, int error);

/* NetworkManager's client and our secret agent exist (a login can begin). */
bool client_ready(const sdvm_nm *nm);
/* Connect to NetworkManager (again); attempt_maybe_begin() runs when it is done. */
void client_start(sdvm_nm *nm);

/* ---- attempt.c ---------------------------------------------------------------------- */

/* A new attempt (nm->attempt), its password in locked memory. It waits for a running logout
 * (logout_finish() starts it) or starts now. 0 or -ENOMEM. */
int attempt_new(sdvm_nm *nm, const struct sdvm_auth_profile *profile, const char *nai,
                const char *password, uint64_t *id);
/* Refusals that need no network, the timers, then the network part. */
void attempt_start(struct attempt *a);
/* Begin the network part when NetworkManager's client and the agent are there. */
void attempt_maybe_begin(sdvm_nm *nm);
/* Queue the failure, free the attempt (its links become orphans). detail is NULL only for
 * the cancel of an attempt that waited for a logout (it never began). */
void attempt_fail(struct attempt *a, enum sdvm_failure f, const char *detail);
/* Free (without an event): links become orphans, the password is wiped. NULL is accepted. */
void attempt_free(struct attempt *a);
void attempt_wipe_password(struct attempt *a);
/* The switch spoke EAP on a link: the SlowServerNotice timer starts (once per attempt). */
void attempt_eap_started(struct attempt *a);

/* ---- link.c ------------------------------------------------------------------------- */

/* Hand one connection to NetworkManager on device d (the link joins a->links). */
void link_activate(struct attempt *a, NMDevice *d, NMConnection *c, GVariant *options);
void link_free(struct link *l);
/* The running attempt's link on ifname / with this connection UUID, or NULL. */
struct link *link_find(sdvm_nm *nm, const char *ifname);
struct link *link_find_uuid(sdvm_nm *nm, const char *uuid);
/* Take the link out of its attempt; it lives on in nm->orphans until its connection is gone. */
void link_detach(struct link *l);
/* EAP success and ACTIVATED: the attempt succeeds on this link. */
void link_check_success(struct link *l);
void link_refused(struct link *l, enum sdvm_failure f, const char *detail);
void link_end_hold(struct attempt *a); /* the held Wi-Fi link wins now */
/* NetworkManager took the password: from now on an EAP exchange is due (re-triggers). */
void link_ready_for_eap(struct link *l);
/* The deletion is over (NetworkManager no longer lists the connection, or went away). */
void link_finish_deleted(struct link *l);
/* NMClient's connection-removed / active-connection-removed handler. */
void links_cache_changed(NMClient *client, GObject *object, gpointer nm);

/* ---- verdict.c ---------------------------------------------------------------------- */

/* wpa_supplicant's events (userdata: sdvm_nm). */
extern const struct sdvm_supp_events verdict_supp_events;
/* The secret agent's report (SdvmNmAgentAskedFn, userdata: sdvm_nm). */
void verdict_agent_asked(const char *uuid, gboolean answered, gpointer nm);

/* ---- cleanup.c ---------------------------------------------------------------------- */

/* Delete connections marked as ours that no live link owns (an earlier sdvmd's). */
void cleanup_stale(sdvm_nm *nm);
/* Start a logout: the running attempt ends, every connection of ours goes. */
void logout_begin(sdvm_nm *nm);
/* The logout's sweep of marked connections (once the client is there). */
void logout_sweep(sdvm_nm *nm);
/* One deletion the logout waited for is over. */
void logout_step_done(sdvm_nm *nm);

G_END_DECLS

#endif
