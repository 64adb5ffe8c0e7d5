/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * nm-glue: the login attempt state machine over libnm and wpa_supplicant's D-Bus signals.
 *
 * An attempt has one "link" per device it activates. A link fails on its own (NetworkManager
 * refused it, no authenticator answered); the attempt fails when all its links have failed,
 * with the most telling reason. A verdict of the RADIUS server (EAP failure, certificate
 * refused) ends the whole attempt at once: every link reaches the same home server through
 * the federation, so another link would only repeat the refusal (and count against the
 * account's lock-out). The first link that is both EAP-authenticated and ACTIVATED wins; the
 * others are deleted.
 */
#include "sdvm/nm-glue.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "agent.h"
#include "builder.h"
#include "sdvm/log.h"
#include "supplicant.h"

/* How long NetworkManager may show ACTIVATED before wpa_supplicant's EAP success arrives. */
#define ACTIVATED_GRACE_MS 500
/* wpa_supplicant's dot1xSuppMaxStart: unanswered EAPOL-Starts before it holds the port. */
#define SUPP_MAX_START 3
/* How long a login waits for NetworkManager to accept the secret agent. */
#define AGENT_WAIT_MS 5000

enum event_type {
    EV_STARTED,
    EV_EAP_STARTED,
    EV_CERT_ACCEPTED,
    EV_SUCCESS,
    EV_FAILURE,
    EV_LOGGED_OUT,
};

struct event {
    enum event_type type;
    uint64_t attempt;
    enum sdvm_failure failure;
    unsigned n;
    int error;
    char *s1, *s2;
};

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
    bool eap_success;
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
};

struct attempt {
    sdvm_nm *nm;
    uint64_t id;
    struct sdvm_auth_profile *profile;
    char *nai;
    char *password;
    size_t password_size;
    GPtrArray *links;
    bool begun;
    bool ended;
    bool eap_started_sent;
    bool cert_sent;
    bool eap_verdict; /* an EAP success was seen: the auth timeout no longer applies */
    bool waiting_agent;
    bool checking_nm; /* asking the bus whether NetworkManager is there */
    bool nm_checked;
    gint64 t0;
    GSource *auth_timer;
    GSource *attempt_timer;
    GSource *agent_timer;
    GSource *nm_wait_timer;
    gulong agent_handler;
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
    struct attempt *attempt; /* running, or the logged-in one */
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

static void link_remove(struct link *l);
static void attempt_begin(struct attempt *a);
static void attempt_fail(struct attempt *a, enum sdvm_failure f, const char *detail);
static void link_check_success(struct link *l);
static void cleanup_stale(sdvm_nm *nm);
static void logout_step_done(sdvm_nm *nm);
static void logout_sweep(sdvm_nm *nm);

/* ---- small helpers ------------------------------------------------------------------ */

static double
since(const struct attempt *a)
{
    return (double)(g_get_monotonic_time() - a->t0) / 1e6;
}

static GSource *
timer_new(sdvm_nm *nm, unsigned ms, GSourceFunc fn, gpointer data)
{
    GSource *s = g_timeout_source_new(ms);
    g_source_set_callback(s, fn, data, NULL);
    g_source_attach(s, nm->ctx);
    return s;
}

static void
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

/* ---- events ------------------------------------------------------------------------- */

static void
event_free(struct event *e)
{
    g_free(e->s1);
    g_free(e->s2);
    g_free(e);
}

static gboolean dispatch_events(gpointer data);

static void
queue_event(sdvm_nm *nm, enum event_type type, uint64_t attempt, enum sdvm_failure f, unsigned n,
            int error, const char *s1, const char *s2)
{
    if (nm->shut_down)
        return;
    struct event *e = g_new0(struct event, 1);
    e->type = type;
    e->attempt = attempt;
    e->failure = f;
    e->n = n;
    e->error = error;
    e->s1 = g_strdup(s1);
    e->s2 = g_strdup(s2);
    g_queue_push_tail(&nm->events, e);
    if (!nm->event_source) {
        nm->event_source = g_idle_source_new();
        g_source_set_priority(nm->event_source, G_PRIORITY_DEFAULT);
        g_source_set_callback(nm->event_source, dispatch_events, nm, NULL);
        g_source_attach(nm->event_source, nm->ctx);
    }
}

static void nm_destroy(sdvm_nm *nm);

static gboolean
dispatch_events(gpointer data)
{
    sdvm_nm *nm = data;
    g_source_unref(nm->event_source);
    nm->event_source = NULL;
    nm->dispatching = true;
    struct event *e;
    const struct sdvm_nm_listener *l = &nm->listener;
    while (!nm->free_requested && (e = g_queue_pop_head(&nm->events))) {
        switch (e->type) {
        case EV_STARTED:
            if (l->started)
                l->started(nm, e->attempt, e->n, nm->userdata);
            break;
        case EV_EAP_STARTED:
            if (l->eap_started)
                l->eap_started(nm, e->attempt, e->s1, nm->userdata);
            break;
        case EV_CERT_ACCEPTED:
            if (l->server_cert_accepted)
                l->server_cert_accepted(nm, e->attempt, e->s1, e->s2 ? e->s2 : "", nm->userdata);
            break;
        case EV_SUCCESS:
            l->success(nm, e->attempt, e->s1, nm->userdata);
            break;
        case EV_FAILURE:
            l->failure(nm, e->attempt, e->failure, e->s1, nm->userdata);
            break;
        case EV_LOGGED_OUT:
            if (l->logged_out)
                l->logged_out(nm, e->n, e->error, nm->userdata);
            break;
        }
        event_free(e);
    }
    nm->dispatching = false;
    if (nm->free_requested)
        nm_destroy(nm);
    return G_SOURCE_REMOVE;
}

/* ---- the password --------------------------------------------------------------------- */

static bool
password_keep(struct attempt *a, const char *password)
{
    size_t n = strlen(password) + 1;
    long page = sysconf(_SC_PAGESIZE);
    a->password_size = ((n + (size_t)page - 1) / (size_t)page) * (size_t)page;
    a->password = aligned_alloc((size_t)page, a->password_size);
    if (!a->password)
        return false;
    /* Not swapped out (best effort: RLIMIT_MEMLOCK may forbid it). */
    (void)mlock(a->password, a->password_size);
    memcpy(a->password, password, n);
    return true;
}

static void
password_wipe(struct attempt *a)
{
    if (!a->password)
        return;
    if (a->nm->agent)
        sdvm_nm_agent_forget(a->nm->agent);
    explicit_bzero(a->password, a->password_size);
    munlock(a->password, a->password_size);
    free(a->password);
    a->password = NULL;
}

/* ---- links ------------------------------------------------------------------------------ */

static void
link_free(struct link *l)
{
    timer_clear(&l->removal_timer);
    timer_clear(&l->retrigger);
    timer_clear(&l->grace);
    if (l->active && l->state_handler)
        g_signal_handler_disconnect(l->active, l->state_handler);
    g_clear_object(&l->active);
    g_clear_object(&l->remote);
    g_clear_object(&l->device);
    g_free(l->ifname);
    g_free(l->uuid);
    g_free(l->subject);
    g_free(l->detail);
    g_free(l->cert_detail);
    g_free(l->rejected_method);
    g_free(l);
}

static struct link *
link_find(sdvm_nm *nm, const char *ifname)
{
    struct attempt *a = nm->attempt;
    if (!a || a->ended || !ifname)
        return NULL;
    for (guint i = 0; i < a->links->len; i++) {
        struct link *l = a->links->pdata[i];
        if (l->ifname && strcmp(l->ifname, ifname) == 0)
            return l;
    }
    return NULL;
}

static struct link *
link_find_uuid(sdvm_nm *nm, const char *uuid)
{
    struct attempt *a = nm->attempt;
    if (!a || !uuid)
        return NULL;
    for (guint i = 0; i < a->links->len; i++) {
        struct link *l = a->links->pdata[i];
        if (strcmp(l->uuid, uuid) == 0)
            return l;
    }
    return NULL;
}

/* Rank of a link's failure when the attempt has to pick one reason. */
static int
failure_rank(enum sdvm_failure f)
{
    static const enum sdvm_failure order[] = {
        SDVM_FAILURE_NO_NETWORK,
        SDVM_FAILURE_NM_UNAVAILABLE,
        SDVM_FAILURE_NETWORK_ERROR,
        SDVM_FAILURE_AUTH_TIMEOUT,
        SDVM_FAILURE_SERVER_CERT_UNTRUSTED,
        SDVM_FAILURE_SERVER_NAME_MISMATCH,
        SDVM_FAILURE_BAD_CREDENTIALS,
    };
    for (size_t i = 0; i < G_N_ELEMENTS(order); i++)
        if (order[i] == f)
            return (int)i + 1;
    return 0;
}

static void
link_fail(struct link *l, enum sdvm_failure f, const char *detail)
{
    struct attempt *a = l->a;
    if (!a || l->failed || a->ended)
        return;
    l->failed = true;
    l->failure = f;
    l->detail = g_strdup(detail);
    log_infof("attempt %" PRIu64 " link %s failed after %.2f s: %s: %s", a->id, l->ifname, since(a),
              sdvm_failure_to_string(f), detail);
    timer_clear(&l->retrigger);
    timer_clear(&l->grace);
    l->remove = true;
    link_remove(l);
    /* The attempt fails when every link has. */
    struct link *best = NULL;
    for (guint i = 0; i < a->links->len; i++) {
        struct link *o = a->links->pdata[i];
        if (!o->failed)
            return;
        if (!best || failure_rank(o->failure) > failure_rank(best->failure))
            best = o;
    }
    if (a->links->len == 1) {
        attempt_fail(a, best->failure, best->detail);
        return;
    }
    GString *all = g_string_new(best->detail);
    for (guint i = 0; i < a->links->len; i++) {
        struct link *o = a->links->pdata[i];
        if (o != best)
            g_string_append_printf(all, "; %s: %s", o->ifname, o->detail);
    }
    attempt_fail(a, best->failure, all->str);
    g_string_free(all, TRUE);
}

/* An orphan whose connection is gone (or never existed) is freed. */
static void
orphan_done(struct link *l)
{
    sdvm_nm *nm = l->nm;
    bool counted = l->counts_for_logout;
    g_ptr_array_remove(nm->orphans, l);
    link_free(l);
    if (counted)
        logout_step_done(nm);
}

static void
finish_deleted(struct link *l)
{
    sdvm_nm *nm = l->nm;
    timer_clear(&l->removal_timer);
    l->awaiting_removal = false;
    l->deleting = false;
    l->gone = true;
    if (l->counts_for_logout && nm->logout_running)
        nm->logout_removed++;
    if (!l->a)
        orphan_done(l);
}

static gboolean
removal_timeout(gpointer data)
{
    struct link *l = data;
    log_warningf("connection %s (%s) is still listed by NetworkManager 3 s after its deletion",
                 l->uuid, l->ifname);
    finish_deleted(l);
    return G_SOURCE_REMOVE;
}

/* Whether NetworkManager still lists the connection: as a profile, or as an active
 * connection that is still going down (DHCP release and the like take a moment). */
static bool
in_cache(sdvm_nm *nm, const char *uuid)
{
    if (!nm->client)
        return false;
    if (nm_client_get_connection_by_uuid(nm->client, uuid))
        return true;
    const GPtrArray *acs = nm_client_get_active_connections(nm->client);
    for (guint i = 0; acs && i < acs->len; i++) {
        NMActiveConnection *ac = acs->pdata[i];
        if (g_strcmp0(nm_active_connection_get_uuid(ac), uuid) == 0 &&
            nm_active_connection_get_state(ac) != NM_ACTIVE_CONNECTION_STATE_DEACTIVATED)
            return true;
    }
    return false;
}

static void
deleted(GObject *source, GAsyncResult *res, gpointer data)
{
    struct link *l = data;
    g_autoptr(GError) error = NULL;
    bool ok = nm_remote_connection_delete_finish(NM_REMOTE_CONNECTION(source), res, &error);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return; /* sdvm_nm_free(): l is gone */
    sdvm_nm *nm = l->nm;
    /* A volatile connection may have deleted itself already: that is success too. */
    if (!ok && in_cache(nm, l->uuid) && nm_client_get_nm_running(nm->client))
        log_warningf("cannot delete connection %s (%s): %s", l->uuid, l->ifname, error->message);
    /* Done when NetworkManager no longer lists it (the Delete answer comes first). */
    if (in_cache(nm, l->uuid) && nm_client_get_nm_running(nm->client)) {
        l->awaiting_removal = true;
        l->removal_timer = timer_new(nm, 3000, removal_timeout, l);
        return;
    }
    log_debugf("connection %s (%s) deleted", l->uuid, l->ifname);
    finish_deleted(l);
}

/* A profile or an active connection left NetworkManager's lists: finish the deletions
 * that waited for it. */
static void
cache_changed(NMClient *client, GObject *object, gpointer data)
{
    sdvm_nm *nm = data;
    for (guint i = nm->orphans->len; i > 0; i--) {
        struct link *l = nm->orphans->pdata[i - 1];
        if (l->awaiting_removal && !in_cache(nm, l->uuid)) {
            log_debugf("connection %s (%s) deleted", l->uuid, l->ifname);
            finish_deleted(l);
        }
    }
    /* Failed links of a running attempt are deleted while the others go on. */
    struct attempt *a = nm->attempt;
    for (guint i = 0; a && i < a->links->len; i++) {
        struct link *l = a->links->pdata[i];
        if (l->awaiting_removal && !in_cache(nm, l->uuid))
            finish_deleted(l);
    }
}

/* Delete the link's connection (NetworkManager deactivates it first). A link whose
 * AddAndActivate2 is still in flight is deleted when the answer arrives. */
static void
link_remove(struct link *l)
{
    l->remove = true;
    if (l->adding || l->deleting)
        return;
    if (!l->remote || l->gone) {
        if (!l->a)
            orphan_done(l);
        return;
    }
    l->deleting = true;
    log_debugf("deleting connection %s (%s)", l->uuid, l->ifname);
    nm_remote_connection_delete_async(l->remote, l->nm->cancellable, deleted, l);
}

/* Take the link out of its attempt; it lives on in nm->orphans until its connection is gone. */
static void
link_detach(struct link *l)
{
    sdvm_nm *nm = l->nm;
    l->a = NULL;
    timer_clear(&l->retrigger);
    timer_clear(&l->grace);
    if (l->active && l->state_handler) {
        g_signal_handler_disconnect(l->active, l->state_handler);
        l->state_handler = 0;
    }
    g_ptr_array_add(nm->orphans, l);
    link_remove(l);
}

static gboolean
retrigger(gpointer data)
{
    struct link *l = data;
    sdvm_nm *nm = l->nm;
    if (!l->a || l->eap_started || l->failed)
        return G_SOURCE_REMOVE;
    l->retriggers++;
    /* wpa_supplicant gives up after 3 unanswered EAPOL-Starts (dot1xSuppMaxStart) and holds
     * the port for 60 s. Below that a plain EAPLogon sends one more; at the limit its state
     * machine is restarted (EAPLogoff first). The EAPOL-Logoff is only ever sent to an
     * authenticator that ignored two EAPOL-Starts: one that would answer it with a fresh
     * EAP-Request/Identity would have answered those. */
    bool restart = l->starts + 1 >= SUPP_MAX_START;
    bool sent = sdvm_supp_eap_start(nm->supp, l->ifname, restart);
    if (sent)
        l->starts = restart ? 1 : l->starts + 1;
    log_infof("attempt %" PRIu64 " %s: no EAP start after %.2f s, %s (re-trigger %u)", l->a->id,
              l->ifname, since(l->a),
              !sent     ? "wpa_supplicant does not know the interface yet"
              : restart ? "restarting wpa_supplicant's EAPOL machine for a fresh EAPOL-Start"
                        : "asking wpa_supplicant for another EAPOL-Start",
              l->retriggers);
    sdvm_supp_lookup(nm->supp, l->ifname);
    return G_SOURCE_CONTINUE;
}

static void
link_ready_for_eap(struct link *l)
{
    sdvm_nm *nm = l->nm;
    if (l->retrigger || l->eap_started)
        return;
    l->retrigger = timer_new(nm, nm->params.eap_start_timeout_ms, retrigger, l);
}

static gboolean
grace_over(gpointer data)
{
    struct link *l = data;
    timer_clear(&l->grace);
    if (l->a && !l->eap_success)
        link_fail(l, SDVM_FAILURE_NETWORK_ERROR,
                  "NetworkManager activated the connection, but wpa_supplicant reported no "
                  "EAP success: the port did not authenticate this login");
    return G_SOURCE_REMOVE;
}

static const char *
ac_reason_text(guint r)
{
    static const struct {
        guint reason;
        const char *text;
    } texts[] = {
        {NM_ACTIVE_CONNECTION_STATE_REASON_NO_SECRETS, "no secrets"},
        {NM_ACTIVE_CONNECTION_STATE_REASON_DEVICE_DISCONNECTED, "the device disconnected"},
        {NM_ACTIVE_CONNECTION_STATE_REASON_USER_DISCONNECTED, "deactivated by a client"},
        {NM_ACTIVE_CONNECTION_STATE_REASON_CONNECTION_REMOVED, "the connection was deleted"},
        {NM_ACTIVE_CONNECTION_STATE_REASON_LOGIN_FAILED, "login failed"},
        {NM_ACTIVE_CONNECTION_STATE_REASON_IP_CONFIG_INVALID, "IP configuration failed"},
        {NM_ACTIVE_CONNECTION_STATE_REASON_CONNECT_TIMEOUT, "connect timeout"},
        {NM_ACTIVE_CONNECTION_STATE_REASON_DEVICE_REMOVED, "the device went away"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(texts); i++)
        if (texts[i].reason == r)
            return texts[i].text;
    return "see NetworkManager's log";
}

static void
ac_state_changed(NMActiveConnection *ac, guint state, guint reason, gpointer data)
{
    struct link *l = data;
    if (!l->a)
        return;
    log_debugf("attempt %" PRIu64 " %s: NetworkManager state %u (reason %u) at %.3f s", l->a->id,
               l->ifname, state, reason, since(l->a));
    if (state == NM_ACTIVE_CONNECTION_STATE_ACTIVATED) {
        l->activated = true;
        if (l->eap_success)
            link_check_success(l);
        else if (!l->grace)
            l->grace = timer_new(l->nm, ACTIVATED_GRACE_MS, grace_over, l);
    } else if (state == NM_ACTIVE_CONNECTION_STATE_DEACTIVATED ||
               state == NM_ACTIVE_CONNECTION_STATE_DEACTIVATING) {
        if (l->failed)
            return;
        g_autofree char *detail = NULL;
        enum sdvm_failure f;
        if (!l->eap_started) {
            f = SDVM_FAILURE_AUTH_TIMEOUT;
            detail = g_strdup_printf("no 802.1X authenticator answered on %s before "
                                     "NetworkManager gave up (%s)",
                                     l->ifname, ac_reason_text(reason));
        } else {
            f = SDVM_FAILURE_NETWORK_ERROR;
            detail = g_strdup_printf("NetworkManager dropped the connection on %s: %s", l->ifname,
                                     ac_reason_text(reason));
        }
        /* The connection is volatile: it is gone or going by itself. */
        link_fail(l, f, detail);
    }
}

static void
link_check_success(struct link *l)
{
    struct attempt *a = l->a;
    if (!a || a->ended || !l->eap_success || !l->activated)
        return;
    sdvm_nm *nm = l->nm;
    a->ended = true;
    timer_clear(&l->grace);
    timer_clear(&l->retrigger);
    timer_clear(&a->auth_timer);
    timer_clear(&a->attempt_timer);
    timer_clear(&a->agent_timer);
    password_wipe(a);
    log_infof("attempt %" PRIu64 ": authenticated on %s in %.3f s", a->id, l->ifname, since(a));
    /* First success wins: every other link goes. */
    for (guint i = 0; i < a->links->len;) {
        struct link *o = a->links->pdata[i];
        if (o == l) {
            i++;
            continue;
        }
        g_ptr_array_remove_index(a->links, i);
        link_detach(o);
    }
    if (l->active && l->state_handler) {
        g_signal_handler_disconnect(l->active, l->state_handler);
        l->state_handler = 0;
    }
    nm->logged_in = true;
    queue_event(nm, EV_SUCCESS, a->id, SDVM_FAILURE_NONE, 0, 0, l->ifname, NULL);
}

static void
added(GObject *source, GAsyncResult *res, gpointer data)
{
    struct link *l = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) result = NULL;
    NMActiveConnection *ac =
        nm_client_add_and_activate_connection2_finish(NM_CLIENT(source), res, &result, &error);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return; /* sdvm_nm_free() */
    l->adding = false;
    if (ac) {
        l->active = ac;
        NMRemoteConnection *rc = nm_active_connection_get_connection(ac);
        if (rc)
            l->remote = g_object_ref(rc);
    }
    if (!l->a || l->remove) {
        link_remove(l);
        return;
    }
    struct attempt *a = l->a;
    if (!ac) {
        if (!nm_client_get_nm_running(l->nm->client)) {
            link_fail(l, SDVM_FAILURE_NM_UNAVAILABLE,
                      "NetworkManager stopped during the login (its connections went with it)");
            return;
        }
        g_autofree char *detail = g_strdup_printf("NetworkManager refused the connection on %s: %s",
                                                  l->ifname, error->message);
        link_fail(l, SDVM_FAILURE_NETWORK_ERROR, detail);
        return;
    }
    log_debugf("attempt %" PRIu64 " %s: connection %s activating (%.3f s)", a->id, l->ifname,
               l->uuid, since(a));
    l->state_handler = g_signal_connect(ac, "state-changed", G_CALLBACK(ac_state_changed), l);
    sdvm_supp_lookup(l->nm->supp, l->ifname);
    NMActiveConnectionState st = nm_active_connection_get_state(ac);
    if (st == NM_ACTIVE_CONNECTION_STATE_ACTIVATED || st == NM_ACTIVE_CONNECTION_STATE_DEACTIVATED)
        ac_state_changed(ac, st, nm_active_connection_get_state_reason(ac), l);
}

/* ---- wpa_supplicant events -------------------------------------------------------------- */

static enum sdvm_failure
cert_failure(const char *parameter)
{
    /* wpa_supplicant's reason texts (tls_openssl.c): name checks say "... mismatch";
     * everything else is the chain not leading to the realm's CA (or an expired, revoked,
     * malformed certificate). */
    if (strstr(parameter, "mismatch") || strstr(parameter, "Mismatch"))
        return SDVM_FAILURE_SERVER_NAME_MISMATCH;
    return SDVM_FAILURE_SERVER_CERT_UNTRUSTED;
}

/* A verdict of the EAP exchange (the RADIUS server said no, or wpa_supplicant refused the
 * server): it ends the attempt on every link at once. */
static void
eap_verdict(struct link *l)
{
    struct attempt *a = l->a;
    const char *ifname = l->ifname;
    g_autofree char *detail = NULL;
    enum sdvm_failure f;
    if (l->cert_failure != SDVM_FAILURE_NONE) {
        f = l->cert_failure;
        detail = g_strdup_printf(
            f == SDVM_FAILURE_SERVER_NAME_MISMATCH
                ? "the RADIUS server's certificate does not carry a server name of realm %s "
                  "(wpa_supplicant: %s); the password was not sent"
                : "the RADIUS server's certificate is not signed by a CA of realm %s "
                  "(wpa_supplicant: %s); the password was not sent",
            a->profile->realm ? a->profile->realm : "?", l->cert_detail);
    } else if (l->rejected_method && !l->method_accepted) {
        f = SDVM_FAILURE_NETWORK_ERROR;
        detail = g_strdup_printf("the RADIUS server does not offer EAP-%s for realm %s (it "
                                 "proposed %s): the realm's profile may be outdated",
                                 sdvm_eap_method_to_string(a->profile->eap),
                                 a->profile->realm ? a->profile->realm : "?", l->rejected_method);
    } else {
        f = SDVM_FAILURE_BAD_CREDENTIALS;
        detail = g_strdup_printf("the RADIUS server rejected %s: wrong password or unknown "
                                 "user (an 802.1X client cannot tell the two apart)",
                                 a->nai);
    }
    log_infof("attempt %" PRIu64 " %s: EAP failure after %.3f s: %s", a->id, ifname, since(a),
              sdvm_failure_to_string(f));
    attempt_fail(a, f, detail);
}

static void
on_eap(const char *ifname, const char *status, const char *parameter, gpointer data)
{
    sdvm_nm *nm = data;
    struct link *l = link_find(nm, ifname);
    if (!l || l->failed || !l->secrets_given)
        return;
    struct attempt *a = l->a;
    log_debugf("attempt %" PRIu64 " %s: EAP %s %s at %.3f s", a->id, ifname, status, parameter,
               since(a));
    if (strcmp(status, "started") == 0) {
        l->eap_started = true;
        timer_clear(&l->retrigger);
        if (!a->eap_started_sent) {
            a->eap_started_sent = true;
            queue_event(nm, EV_EAP_STARTED, a->id, SDVM_FAILURE_NONE, 0, 0, ifname, NULL);
        }
    } else if (strcmp(status, "accept proposed method") == 0) {
        l->method_accepted = true;
    } else if (strcmp(status, "reject proposed method") == 0) {
        g_free(l->rejected_method);
        l->rejected_method = g_strdup(parameter);
    } else if (strcmp(status, "remote certificate verification") == 0) {
        if (strcmp(parameter, "success") == 0) {
            if (!a->cert_sent) {
                a->cert_sent = true;
                queue_event(nm, EV_CERT_ACCEPTED, a->id, SDVM_FAILURE_NONE, 0, 0, ifname,
                            l->subject);
            }
        } else {
            /* wpa_supplicant refused the server and aborts the TLS tunnel: nothing more will
             * be sent, and the server's EAP-Failure (after its reject delay) adds nothing. */
            l->cert_failure = cert_failure(parameter);
            g_free(l->cert_detail);
            l->cert_detail = g_strdup(parameter);
            eap_verdict(l);
        }
    } else if (strcmp(status, "eap parameter needed") == 0) {
        log_warningf("attempt %" PRIu64 " %s: wpa_supplicant lacks the %s", a->id, ifname,
                     parameter);
    } else if (strcmp(status, "completion") == 0) {
        if (strcmp(parameter, "success") == 0) {
            l->eap_success = true;
            a->eap_verdict = true;
            timer_clear(&a->auth_timer);
            timer_clear(&l->grace);
            link_check_success(l);
            return;
        }
        eap_verdict(l);
    }
}

static void
on_cert(const char *ifname, guint depth, const char *subject, gpointer data)
{
    struct link *l = link_find(data, ifname);
    if (l && depth == 0) {
        g_free(l->subject);
        l->subject = g_strdup(subject);
    }
}

static void
on_supp_state(const char *ifname, const char *state, gpointer data)
{
    sdvm_nm *nm = data;
    struct link *l = link_find(nm, ifname);
    if (!l || l->failed || !l->secrets_given || l->eap_started)
        return;
    /* Our network is configured (NetworkManager asked for our secrets first) and the port is
     * up: EAP can start now rather than after the supplicant's 2 s hold-off. */
    if (strcmp(state, "associated") == 0 && nm->params.fast_start && !l->fast_started) {
        l->fast_started = sdvm_supp_eap_start(nm->supp, ifname, false);
        if (l->fast_started)
            l->starts = 1;
        log_debugf("attempt %" PRIu64 " %s: associated at %.3f s, EAPLogon %s", l->a->id, ifname,
                   since(l->a), l->fast_started ? "sent" : "not possible (unknown interface)");
    }
}

static void
on_agent_asked(const char *uuid, gboolean answered, gpointer data)
{
    sdvm_nm *nm = data;
    struct link *l = link_find_uuid(nm, uuid);
    if (!l || !l->a)
        return;
    if (!answered) {
        log_infof("attempt %" PRIu64 " %s: NetworkManager asked for new secrets (refused)",
                  l->a->id, l->ifname);
        return;
    }
    log_debugf("attempt %" PRIu64 " %s: password handed to NetworkManager at %.3f s", l->a->id,
               l->ifname, since(l->a));
    l->secrets_given = true;
    link_ready_for_eap(l);
}

/* ---- attempts --------------------------------------------------------------------------- */

static void
attempt_free(struct attempt *a)
{
    if (!a)
        return;
    password_wipe(a);
    timer_clear(&a->auth_timer);
    timer_clear(&a->attempt_timer);
    timer_clear(&a->agent_timer);
    timer_clear(&a->nm_wait_timer);
    if (a->agent_handler && a->nm->agent)
        g_signal_handler_disconnect(a->nm->agent, a->agent_handler);
    for (guint i = 0; i < a->links->len; i++)
        link_detach(a->links->pdata[i]);
    g_ptr_array_unref(a->links);
    sdvm_auth_profile_free(a->profile);
    g_free(a->nai);
    g_free(a);
}

static void
attempt_fail(struct attempt *a, enum sdvm_failure f, const char *detail)
{
    if (a->ended)
        return;
    sdvm_nm *nm = a->nm;
    a->ended = true;
    log_infof("attempt %" PRIu64 " failed after %.3f s: %s: %s", a->id, since(a),
              sdvm_failure_to_string(f), detail);
    queue_event(nm, EV_FAILURE, a->id, f, 0, 0, detail, NULL);
    if (nm->attempt == a)
        nm->attempt = NULL;
    attempt_free(a);
}

static gboolean
auth_timeout(gpointer data)
{
    struct attempt *a = data;
    timer_clear(&a->auth_timer);
    bool any_started = false;
    GString *ifs = g_string_new(NULL);
    for (guint i = 0; i < a->links->len; i++) {
        struct link *l = a->links->pdata[i];
        any_started = any_started || l->eap_started;
        g_string_append_printf(ifs, "%s%s", ifs->len ? ", " : "", l->ifname);
    }
    g_autofree char *detail =
        any_started ? g_strdup_printf("the RADIUS server did not decide within %.1f s (on %s)",
                                      a->nm->params.auth_timeout_ms / 1000.0, ifs->str)
                    : g_strdup_printf("no 802.1X authenticator answered on %s within %.1f s "
                                      "(is the port 802.1X-enabled, and its RADIUS server up?)",
                                      ifs->len ? ifs->str : "any device",
                                      a->nm->params.auth_timeout_ms / 1000.0);
    g_string_free(ifs, TRUE);
    attempt_fail(a, SDVM_FAILURE_AUTH_TIMEOUT, detail);
    return G_SOURCE_REMOVE;
}

static gboolean
attempt_timeout(gpointer data)
{
    struct attempt *a = data;
    timer_clear(&a->attempt_timer);
    if (a->eap_verdict) {
        g_autofree char *detail = g_strdup_printf(
            "the login was accepted, but NetworkManager did not finish setting up the link "
            "(IP configuration) within %.1f s",
            a->nm->params.attempt_timeout_ms / 1000.0);
        attempt_fail(a, SDVM_FAILURE_NETWORK_ERROR, detail);
    } else {
        auth_timeout(a);
    }
    return G_SOURCE_REMOVE;
}

static bool
client_ready(sdvm_nm *nm)
{
    return nm->client && !nm->client_busy && nm->agent && !nm->agent_busy;
}

static void start_client(sdvm_nm *nm);

/* The attempt can begin once NetworkManager's client and our agent exist. */
static void
attempt_maybe_begin(sdvm_nm *nm)
{
    struct attempt *a = nm->attempt;
    if (!a || a->begun || a->ended || a->checking_nm)
        return;
    if (client_ready(nm)) {
        attempt_begin(a);
        return;
    }
    if (nm->client_busy || nm->agent_busy)
        return; /* called again when they are done */
    if (!nm->client) {
        if (nm->client_error) {
            g_autofree char *detail =
                g_strdup_printf("cannot reach NetworkManager: %s", nm->client_error);
            g_clear_pointer(&nm->client_error, g_free);
            attempt_fail(a, SDVM_FAILURE_NM_UNAVAILABLE, detail);
            return;
        }
        start_client(nm);
    }
}

static gboolean
agent_wait_over(gpointer data)
{
    struct attempt *a = data;
    timer_clear(&a->agent_timer);
    attempt_fail(a, SDVM_FAILURE_NM_UNAVAILABLE,
                 "NetworkManager did not register sdvm's secret agent in time");
    return G_SOURCE_REMOVE;
}

static void
agent_registered(GObject *agent, GParamSpec *pspec, gpointer data)
{
    struct attempt *a = data;
    if (!nm_secret_agent_old_get_registered(NM_SECRET_AGENT_OLD(agent)))
        return;
    g_signal_handler_disconnect(agent, a->agent_handler);
    a->agent_handler = 0;
    timer_clear(&a->agent_timer);
    a->begun = false;
    a->waiting_agent = false;
    attempt_begin(a);
}

static bool
device_ok(NMDevice *d)
{
    NMDeviceState st = nm_device_get_state(d);
    return nm_device_get_managed(d) && st >= NM_DEVICE_STATE_DISCONNECTED;
}

static bool
wifi_has_ssid(NMDeviceWifi *w, const char *ssid)
{
    const GPtrArray *aps = nm_device_wifi_get_access_points(w);
    for (guint i = 0; aps && i < aps->len; i++) {
        GBytes *b = nm_access_point_get_ssid(aps->pdata[i]);
        gsize n = 0;
        const void *p = b ? g_bytes_get_data(b, &n) : NULL;
        if (p && n == strlen(ssid) && memcmp(p, ssid, n) == 0)
            return true;
    }
    return false;
}

struct nm_check {
    sdvm_nm *nm;
    uint64_t id;
};

static gboolean
nm_wait_over(gpointer data)
{
    struct attempt *a = data;
    timer_clear(&a->nm_wait_timer);
    attempt_fail(a, SDVM_FAILURE_NM_UNAVAILABLE,
                 "NetworkManager is on the bus but did not become ready in time");
    return G_SOURCE_REMOVE;
}

static void
nm_owner_checked(GObject *source, GAsyncResult *res, gpointer data)
{
    struct nm_check *check = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply =
        g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
    sdvm_nm *nm = check->nm;
    uint64_t id = check->id;
    g_free(check);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    struct attempt *a = nm->attempt;
    if (!a || a->id != id || a->ended)
        return;
    a->checking_nm = false;
    a->nm_checked = true;
    if (!reply) {
        attempt_fail(a, SDVM_FAILURE_NM_UNAVAILABLE, "NetworkManager is not running");
        return;
    }
    /* It is (re)starting: libnm reports it running once it has read its objects. */
    if (nm_client_get_nm_running(nm->client))
        attempt_begin(a);
    else
        a->nm_wait_timer = timer_new(nm, AGENT_WAIT_MS, nm_wait_over, a);
}

static void
attempt_begin(struct attempt *a)
{
    sdvm_nm *nm = a->nm;
    if (!nm_client_get_nm_running(nm->client)) {
        if (a->nm_checked) {
            attempt_fail(a, SDVM_FAILURE_NM_UNAVAILABLE, "NetworkManager is not running");
            return;
        }
        /* libnm may not have caught up with a NetworkManager that just started: ask the bus. */
        a->checking_nm = true;
        struct nm_check *check = g_new0(struct nm_check, 1);
        check->nm = nm;
        check->id = a->id;
        g_dbus_connection_call(nm_client_get_dbus_connection(nm->client), "org.freedesktop.DBus",
                               "/org/freedesktop/DBus", "org.freedesktop.DBus", "GetNameOwner",
                               g_variant_new("(s)", NM_DBUS_SERVICE), G_VARIANT_TYPE("(s)"),
                               G_DBUS_CALL_FLAGS_NONE, 2000, nm->cancellable, nm_owner_checked,
                               check);
        return;
    }
    timer_clear(&a->nm_wait_timer);
    a->begun = true;

    /* The devices: every managed ethernet port with a cable, the Wi-Fi device(s). */
    const GPtrArray *devs = nm_client_get_devices(nm->client);
    GPtrArray *chosen = g_ptr_array_new();
    GString *why = g_string_new(NULL);
    for (guint i = 0; devs && i < devs->len; i++) {
        NMDevice *d = devs->pdata[i];
        const char *ifname = nm_device_get_iface(d);
        if (NM_IS_DEVICE_ETHERNET(d) && nm->params.use_wired) {
            if (!nm_device_get_managed(d)) {
                continue;
            } else if (!nm_device_ethernet_get_carrier(NM_DEVICE_ETHERNET(d))) {
                g_string_append_printf(why, "%s%s has no cable", why->len ? ", " : "", ifname);
            } else if (!device_ok(d)) {
                g_string_append_printf(why, "%s%s is not available", why->len ? ", " : "", ifname);
            } else {
                g_ptr_array_add(chosen, d);
            }
        } else if (NM_IS_DEVICE_WIFI(d) && nm->params.use_wifi) {
            if (!nm_device_get_managed(d))
                continue;
            if (!nm_client_wireless_get_enabled(nm->client) || !device_ok(d))
                g_string_append_printf(why, "%sWi-Fi %s is off", why->len ? ", " : "", ifname);
            else if (!wifi_has_ssid(NM_DEVICE_WIFI(d), nm->ssid))
                g_string_append_printf(why, "%sno Wi-Fi network \"%s\" in range of %s",
                                       why->len ? ", " : "", nm->ssid, ifname);
            else
                g_ptr_array_add(chosen, d);
        }
    }
    if (chosen->len == 0) {
        g_autofree char *detail =
            g_strdup_printf("no network to log in on: %s",
                            why->len ? why->str
                                     : "no ethernet or Wi-Fi device (or all are disabled in "
                                       "sdvm.conf [Network])");
        g_ptr_array_unref(chosen);
        g_string_free(why, TRUE);
        attempt_fail(a, SDVM_FAILURE_NO_NETWORK, detail);
        return;
    }
    g_string_free(why, TRUE);

    const char *version = nm_client_get_version(nm->client);
    guint32 v = sdvm_nm_parse_version(version);
    if (v < SDVM_NM_VERSION_MIN) {
        g_autofree char *detail = g_strdup_printf(
            "NetworkManager %s is too old: nm-glue needs 1.16 or later", version ? version : "?");
        g_ptr_array_unref(chosen);
        attempt_fail(a, SDVM_FAILURE_NETWORK_ERROR, detail);
        return;
    }
    g_autofree char *pdetail = NULL;
    enum sdvm_failure pf = sdvm_nm_check_profile(a->profile, v, &pdetail);
    if (pf != SDVM_FAILURE_NONE) {
        g_ptr_array_unref(chosen);
        attempt_fail(a, pf, pdetail);
        return;
    }
    if (!nm_secret_agent_old_get_registered(NM_SECRET_AGENT_OLD(nm->agent))) {
        /* NetworkManager just (re)started: wait for it to take our agent. */
        g_ptr_array_unref(chosen);
        a->waiting_agent = true;
        a->agent_handler = g_signal_connect(nm->agent, "notify::" NM_SECRET_AGENT_OLD_REGISTERED,
                                            G_CALLBACK(agent_registered), a);
        a->agent_timer = timer_new(nm, AGENT_WAIT_MS, agent_wait_over, a);
        log_debugf("attempt %" PRIu64 ": waiting for the secret agent to register", a->id);
        return;
    }

    /* Build every connection first: a profile problem must stop the attempt before anything
     * is sent. */
    GPtrArray *conns = g_ptr_array_new_with_free_func(g_object_unref);
    for (guint i = 0; i < chosen->len; i++) {
        NMDevice *d = chosen->pdata[i];
        bool wifi = NM_IS_DEVICE_WIFI(d);
        struct sdvm_nm_build b = {
            .profile = a->profile,
            .nai = a->nai,
            .type = wifi ? SDVM_NM_LINK_WIFI : SDVM_NM_LINK_WIRED,
            .ifname = nm_device_get_iface(d),
            .ssid = nm->ssid,
            .route_metric = wifi ? nm->params.wifi_route_metric : nm->params.wired_route_metric,
            .configure_ip = nm->params.configure_ip,
            /* NetworkManager's own timeout only as a backstop behind ours. */
            .auth_timeout_s = nm->params.auth_timeout_ms / 1000 + 5,
            .nm_version = v,
        };
        NMConnection *c = NULL;
        g_autofree char *detail = NULL;
        enum sdvm_failure f = sdvm_nm_build_connection(&b, &c, &detail);
        if (f != SDVM_FAILURE_NONE) {
            g_ptr_array_unref(conns);
            g_ptr_array_unref(chosen);
            attempt_fail(a, f, detail);
            return;
        }
        g_ptr_array_add(conns, c);
    }

    GPtrArray *uuids = g_ptr_array_new();
    for (guint i = 0; i < conns->len; i++)
        g_ptr_array_add(uuids, (gpointer)nm_connection_get_uuid(conns->pdata[i]));
    g_ptr_array_add(uuids, NULL);
    sdvm_nm_agent_lend(nm->agent, (const char *const *)uuids->pdata, a->password, on_agent_asked,
                       nm);
    g_ptr_array_unref(uuids);

    GVariantBuilder opts;
    g_variant_builder_init(&opts, G_VARIANT_TYPE_VARDICT);
    g_variant_builder_add(&opts, "{sv}", "persist", g_variant_new_string("volatile"));
    GVariant *options = g_variant_ref_sink(g_variant_builder_end(&opts));
    for (guint i = 0; i < chosen->len; i++) {
        NMDevice *d = chosen->pdata[i];
        NMConnection *c = conns->pdata[i];
        struct link *l = g_new0(struct link, 1);
        l->nm = nm;
        l->a = a;
        l->type = NM_IS_DEVICE_WIFI(d) ? SDVM_NM_LINK_WIFI : SDVM_NM_LINK_WIRED;
        l->ifname = g_strdup(nm_device_get_iface(d));
        l->uuid = g_strdup(nm_connection_get_uuid(c));
        l->device = g_object_ref(d);
        l->adding = true;
        g_ptr_array_add(a->links, l);
        sdvm_supp_lookup(nm->supp, l->ifname);
        log_debugf("attempt %" PRIu64 ": activating %s on %s", a->id, l->uuid, l->ifname);
        nm_client_add_and_activate_connection2(nm->client, c, d, NULL, options, nm->cancellable,
                                               added, l);
    }
    g_variant_unref(options);
    log_infof("attempt %" PRIu64 ": %s/%s for %s on %u link(s), NetworkManager %s", a->id,
              sdvm_eap_method_to_string(a->profile->eap),
              sdvm_inner_method_to_string(a->profile->inner), a->nai, chosen->len, version);
    queue_event(nm, EV_STARTED, a->id, SDVM_FAILURE_NONE, chosen->len, 0, NULL, NULL);
    g_ptr_array_unref(conns);
    g_ptr_array_unref(chosen);
}

/* ---- NetworkManager client -------------------------------------------------------------- */

static void
nm_running_changed(GObject *client, GParamSpec *pspec, gpointer data)
{
    sdvm_nm *nm = data;
    bool running = nm_client_get_nm_running(nm->client);
    log_infof("NetworkManager %s", running ? "is running" : "went away");
    if (running) {
        cleanup_stale(nm);
        attempt_maybe_begin(nm);
        return;
    }
    /* Its connections went with it. */
    for (guint i = nm->orphans->len; i > 0; i--) {
        struct link *l = nm->orphans->pdata[i - 1];
        if (l->awaiting_removal)
            finish_deleted(l);
    }
    struct attempt *a = nm->attempt;
    if (a && !a->ended && a->begun)
        attempt_fail(a, SDVM_FAILURE_NM_UNAVAILABLE,
                     "NetworkManager stopped during the login (its connections went with it)");
}

static void
agent_ready(GObject *source, GAsyncResult *res, gpointer data)
{
    sdvm_nm *nm = data;
    g_autoptr(GError) error = NULL;
    GObject *agent = g_async_initable_new_finish(G_ASYNC_INITABLE(source), res, &error);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    nm->agent_busy = false;
    if (!agent) {
        log_errorf("cannot create the secret agent: %s", error->message);
        nm->client_error = g_strdup_printf("secret agent: %s", error->message);
        g_clear_object(&nm->client);
        sdvm_supp_free(nm->supp);
        nm->supp = NULL;
        attempt_maybe_begin(nm);
        return;
    }
    nm->agent = (SdvmNmAgent *)agent;
    attempt_maybe_begin(nm);
}

static void
client_ready_cb(GObject *source, GAsyncResult *res, gpointer data)
{
    sdvm_nm *nm = data;
    g_autoptr(GError) error = NULL;
    NMClient *client = nm_client_new_finish(res, &error);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    WITH_CONTEXT(nm);
    nm->client_busy = false;
    if (!client) {
        log_warningf("cannot connect to NetworkManager: %s", error->message);
        nm->client_error = g_strdup(error->message);
        if (nm->logout_waits_client)
            logout_sweep(nm);
        attempt_maybe_begin(nm);
        return;
    }
    nm->client = client;
    log_infof("NetworkManager %s (%s)", nm_client_get_version(client) ?: "-",
              nm_client_get_nm_running(client) ? "running" : "not running");
    nm->running_handler = g_signal_connect(client, "notify::" NM_CLIENT_NM_RUNNING,
                                           G_CALLBACK(nm_running_changed), nm);
    nm->removed_handler =
        g_signal_connect_after(client, NM_CLIENT_CONNECTION_REMOVED, G_CALLBACK(cache_changed), nm);
    nm->ac_removed_handler = g_signal_connect_after(client, NM_CLIENT_ACTIVE_CONNECTION_REMOVED,
                                                    G_CALLBACK(cache_changed), nm);
    GDBusConnection *bus = nm_client_get_dbus_connection(client);
    static const struct sdvm_supp_events ev = {
        .eap = on_eap,
        .certification = on_cert,
        .state = on_supp_state,
    };
    nm->supp = sdvm_supp_new(bus, &ev, nm);
    if (!nm->agent) {
        static unsigned counter;
        g_autofree char *id =
            g_strdup_printf("org.sdvm.nm-glue.p%ld.%u", (long)getpid(), ++counter);
        nm->agent_busy = true;
        sdvm_nm_agent_new_async(bus, id, nm->cancellable, agent_ready, nm);
    }
    if (nm->logout_waits_client)
        logout_sweep(nm);
    else if (nm_client_get_nm_running(client))
        cleanup_stale(nm);
    attempt_maybe_begin(nm);
}

static void
start_client(sdvm_nm *nm)
{
    nm->client_busy = true;
    nm_client_new_async(nm->cancellable, client_ready_cb, nm);
}

/* ---- stale connections and logout ------------------------------------------------------- */

static bool
uuid_in_use(sdvm_nm *nm, const char *uuid)
{
    if (nm->attempt && link_find_uuid(nm, uuid))
        return true;
    for (guint i = 0; i < nm->orphans->len; i++) {
        struct link *l = nm->orphans->pdata[i];
        if (strcmp(l->uuid, uuid) == 0)
            return true;
    }
    return false;
}

static void
stale_deleted(GObject *source, GAsyncResult *res, gpointer data)
{
    sdvm_nm *nm = data;
    g_autoptr(GError) error = NULL;
    bool ok = nm_remote_connection_delete_finish(NM_REMOTE_CONNECTION(source), res, &error);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    if (!ok)
        log_warningf("cannot delete a leftover sdvm connection: %s", error->message);
    if (nm->logout_running) {
        if (ok)
            nm->logout_removed++;
        logout_step_done(nm);
    }
}

/* Delete every connection marked as ours that no live link owns; returns how many. */
static unsigned
delete_marked(sdvm_nm *nm, bool for_logout)
{
    unsigned n = 0;
    const GPtrArray *conns = nm_client_get_connections(nm->client);
    for (guint i = 0; conns && i < conns->len; i++) {
        NMConnection *c = conns->pdata[i];
        if (!sdvm_nm_connection_is_ours(c) || uuid_in_use(nm, nm_connection_get_uuid(c)))
            continue;
        log_infof("removing connection \"%s\" (%s) left by an earlier sdvmd",
                  nm_connection_get_id(c), nm_connection_get_uuid(c));
        if (for_logout)
            nm->logout_pending++;
        nm_remote_connection_delete_async(NM_REMOTE_CONNECTION(c), nm->cancellable, stale_deleted,
                                          nm);
        n++;
    }
    return n;
}

static void
cleanup_stale(sdvm_nm *nm)
{
    /* A logged-in session keeps its link; leftovers of a crash (or of a NetworkManager that
     * restarted and re-read its in-memory profiles) go. */
    delete_marked(nm, false);
}

/* The logout's own step: every connection marked as ours that no link owns. */
static void
logout_sweep(sdvm_nm *nm)
{
    nm->logout_waits_client = false;
    if (nm->client && nm_client_get_nm_running(nm->client))
        delete_marked(nm, true);
    else
        nm->logout_error = -ENOTCONN;
    logout_step_done(nm);
}

static void
logout_finish(sdvm_nm *nm)
{
    nm->logout_running = false;
    log_infof("logout: %u connection(s) removed", nm->logout_removed);
    queue_event(nm, EV_LOGGED_OUT, 0, SDVM_FAILURE_NONE, nm->logout_removed, nm->logout_error, NULL,
                NULL);
}

static void
logout_step_done(sdvm_nm *nm)
{
    if (nm->logout_pending > 0)
        nm->logout_pending--;
    if (nm->logout_pending == 0 && nm->logout_running)
        logout_finish(nm);
}

/* ---- public API ------------------------------------------------------------------------- */

void
sdvm_nm_params_init(struct sdvm_nm_params *p)
{
    memset(p, 0, sizeof(*p));
    p->wifi_ssid = NULL;
    p->use_wired = true;
    p->use_wifi = true;
    p->auth_timeout_ms = 25000;
    p->eap_start_timeout_ms = 3000;
    p->attempt_timeout_ms = 60000;
    p->wired_route_metric = 100;
    p->wifi_route_metric = 600;
    p->configure_ip = true;
    p->fast_start = true;
}

int
sdvm_nm_new(const struct sdvm_nm_params *params, const struct sdvm_nm_listener *listener,
            void *userdata, sdvm_nm **out)
{
    if (!out)
        return -EINVAL;
    *out = NULL;
    if (!params || !listener || listener->size < offsetof(struct sdvm_nm_listener, logged_out) ||
        !listener->success || !listener->failure)
        return -EINVAL;
    if (params->auth_timeout_ms == 0 || params->eap_start_timeout_ms == 0 ||
        params->attempt_timeout_ms == 0)
        return -EINVAL;
    if (params->wifi_ssid && (!*params->wifi_ssid || strlen(params->wifi_ssid) > 32))
        return -EINVAL;
    sdvm_nm *nm = g_new0(sdvm_nm, 1);
    nm->ctx = g_main_context_ref_thread_default();
    nm->params = *params;
    nm->ssid = g_strdup(params->wifi_ssid ? params->wifi_ssid : "eduroam");
    nm->params.wifi_ssid = nm->ssid;
    memcpy(&nm->listener, listener, MIN(listener->size, sizeof(struct sdvm_nm_listener)));
    nm->listener.size = sizeof(struct sdvm_nm_listener);
    nm->userdata = userdata;
    nm->cancellable = g_cancellable_new();
    nm->orphans = g_ptr_array_new();
    g_queue_init(&nm->events);
    WITH_CONTEXT(nm);
    start_client(nm);
    *out = nm;
    return 0;
}

static void
nm_destroy(sdvm_nm *nm)
{
    WITH_CONTEXT(nm);
    g_cancellable_cancel(nm->cancellable);
    timer_clear(&nm->event_source);
    g_queue_clear_full(&nm->events, (GDestroyNotify)event_free);
    for (guint i = 0; i < nm->orphans->len; i++)
        link_free(nm->orphans->pdata[i]);
    g_ptr_array_unref(nm->orphans);
    if (nm->agent) {
        nm_secret_agent_old_destroy(NM_SECRET_AGENT_OLD(nm->agent));
        g_object_unref(nm->agent);
    }
    sdvm_supp_free(nm->supp);
    if (nm->client) {
        if (nm->running_handler)
            g_signal_handler_disconnect(nm->client, nm->running_handler);
        if (nm->removed_handler)
            g_signal_handler_disconnect(nm->client, nm->removed_handler);
        if (nm->ac_removed_handler)
            g_signal_handler_disconnect(nm->client, nm->ac_removed_handler);
        g_object_unref(nm->client);
    }
    g_free(nm->client_error);
    g_free(nm->ssid);
    g_object_unref(nm->cancellable);
    g_main_context_unref(nm->ctx);
    g_free(nm);
}

void
sdvm_nm_free(sdvm_nm *nm)
{
    if (!nm || nm->free_requested)
        return;
    WITH_CONTEXT(nm);
    nm->shut_down = true;
    struct attempt *a = nm->attempt;
    nm->attempt = NULL;
    if (a) {
        /* Abandon: the deletions go out now, nobody waits for their answer. */
        a->ended = true;
        if (nm->logged_in && a->links->len == 1) {
            /* The logged-in link stays up: logout decides about it. */
            struct link *l = a->links->pdata[0];
            g_ptr_array_remove_index(a->links, 0);
            link_free(l);
        }
        attempt_free(a);
    }
    for (guint i = 0; i < nm->orphans->len; i++) {
        struct link *l = nm->orphans->pdata[i];
        if (l->remote && !l->deleting)
            nm_remote_connection_delete_async(l->remote, NULL, NULL, NULL);
    }
    nm->free_requested = true;
    if (!nm->dispatching)
        nm_destroy(nm);
}

int
sdvm_nm_login(sdvm_nm *nm, const struct sdvm_auth_profile *profile, const char *nai,
              const char *password, uint64_t *attempt)
{
    if (!nm || !profile || !nai || !*nai || !password || !*password || !attempt)
        return -EINVAL;
    if (nm->attempt || nm->logged_in || nm->logout_running)
        return -EBUSY;
    WITH_CONTEXT(nm);
    struct attempt *a = g_new0(struct attempt, 1);
    a->nm = nm;
    a->links = g_ptr_array_new();
    a->t0 = g_get_monotonic_time();
    a->profile = sdvm_auth_profile_copy(profile);
    a->nai = g_strdup(nai);
    if (!a->profile || !password_keep(a, password)) {
        attempt_free(a);
        return -ENOMEM;
    }
    a->id = ++nm->last_id;
    nm->attempt = a;
    *attempt = a->id;

    /* What needs no NetworkManager is decided now: nothing leaves the machine for an
     * insecure or unusable profile. */
    g_autofree char *detail = NULL;
    enum sdvm_failure f = sdvm_nm_check_profile(profile, SDVM_NM_VERSION(255, 0, 0), &detail);
    if (f != SDVM_FAILURE_NONE) {
        attempt_fail(a, f, detail);
        return 0;
    }
    a->auth_timer = timer_new(nm, nm->params.auth_timeout_ms, auth_timeout, a);
    a->attempt_timer = timer_new(nm, nm->params.attempt_timeout_ms, attempt_timeout, a);
    attempt_maybe_begin(nm);
    return 0;
}

int
sdvm_nm_cancel(sdvm_nm *nm, uint64_t attempt)
{
    if (!nm || attempt == 0 || attempt > nm->last_id)
        return -EINVAL;
    struct attempt *a = nm->attempt;
    if (!a || a->id != attempt || a->ended)
        return 0;
    WITH_CONTEXT(nm);
    attempt_fail(a, SDVM_FAILURE_CANCELLED, "the login was cancelled");
    return 0;
}

int
sdvm_nm_logout(sdvm_nm *nm)
{
    if (!nm)
        return -EINVAL;
    if (nm->logout_running)
        return -EBUSY;
    WITH_CONTEXT(nm);
    nm->logout_running = true;
    nm->logout_removed = 0;
    nm->logout_pending = 1; /* this function's own step, done at its end */
    nm->logout_error = 0;
    struct attempt *a = nm->attempt;
    if (a && !a->ended) {
        attempt_fail(a, SDVM_FAILURE_CANCELLED, "the login was cancelled by a logout");
    } else if (a) {
        /* The logged-in attempt: its link becomes an orphan that is being deleted. */
        nm->attempt = NULL;
        attempt_free(a);
    }
    nm->logged_in = false;
    /* Every link still being removed (this session's, cancelled attempts') is waited for. */
    for (guint i = 0; i < nm->orphans->len; i++) {
        struct link *l = nm->orphans->pdata[i];
        if (!l->counts_for_logout) {
            l->counts_for_logout = true;
            nm->logout_pending++;
        }
    }
    if (nm->client_busy) {
        /* Connecting to NetworkManager: the sweep runs once the client is there. */
        nm->logout_waits_client = true;
        return 0;
    }
    logout_sweep(nm);
    return 0;
}

bool
sdvm_nm_logged_in(const sdvm_nm *nm)
{
    return nm && nm->logged_in;
}
