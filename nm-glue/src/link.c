/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * nm-glue: one link, i.e. one device's connection of an attempt. It is handed to
 * NetworkManager (AddAndActivateConnection2), followed through NetworkManager's states,
 * re-triggered when no EAP exchange starts, and deleted when it fails or its attempt ends.
 * A link of an ended attempt is an orphan (nm->orphans) until NetworkManager no longer lists
 * its connection; a running logout waits for that.
 */
#include <inttypes.h>
#include <string.h>

#include "private.h"
#include "sdvm/log.h"

/* How long NetworkManager may show ACTIVATED before wpa_supplicant's EAP success arrives. */
#define ACTIVATED_GRACE_MS 500
/* wpa_supplicant's dot1xSuppMaxStart: unanswered EAPOL-Starts before it holds the port. */
#define SUPP_MAX_START 3

static void link_remove(struct link *l);
static void link_win(struct link *l);

/* A wired link of the attempt that has neither failed nor won yet. */
static struct link *
wired_under_way(const struct attempt *a)
{
    for (guint i = 0; i < a->links->len; i++) {
        struct link *o = a->links->pdata[i];
        if (o->type == SDVM_NM_LINK_WIRED && !o->failed)
            return o;
    }
    return NULL;
}

/* Another Wi-Fi link of the attempt that is authenticated and ACTIVATED (a second adapter
 * that got there while the first one was held), or NULL. */
static struct link *
wifi_spare(const struct attempt *a, const struct link *except)
{
    for (guint i = 0; i < a->links->len; i++) {
        struct link *o = a->links->pdata[i];
        if (o != except && o->type == SDVM_NM_LINK_WIFI && !o->failed && o->eap_success &&
            o->activated)
            return o;
    }
    return NULL;
}

void
link_free(struct link *l)
{
    timer_clear(&l->removal_timer);
    timer_clear(&l->retrigger);
    timer_clear(&l->grace);
    timer_clear(&l->confirm);
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

struct link *
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

struct link *
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
        SDVM_FAILURE_UNPROTECTED_RESULT,
        SDVM_FAILURE_AUTH_TIMEOUT,
        SDVM_FAILURE_HOME_SERVER_TIMEOUT,
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
    timer_clear(&l->confirm);
    l->remove = true;
    link_remove(l);
    if (a->held == l) {
        a->held = NULL;
        timer_clear(&a->wired_wait);
        /* A spare Wi-Fi success is held in its place (for a whole WiredPreference again). */
        struct link *spare = wifi_spare(a, l);
        if (spare) {
            link_check_success(spare);
            return;
        }
    } else if (a->held && !wired_under_way(a)) {
        link_win(a->held);
        return;
    }
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

void
link_finish_deleted(struct link *l)
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
    link_finish_deleted(l);
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
    link_finish_deleted(l);
}

/* A profile or an active connection left NetworkManager's lists: finish the deletions
 * that waited for it. */
void
links_cache_changed(NMClient *client, GObject *object, gpointer data)
{
    sdvm_nm *nm = data;
    for (guint i = nm->orphans->len; i > 0; i--) {
        struct link *l = nm->orphans->pdata[i - 1];
        if (l->awaiting_removal && !in_cache(nm, l->uuid)) {
            log_debugf("connection %s (%s) deleted", l->uuid, l->ifname);
            link_finish_deleted(l);
        }
    }
    /* Failed links of a running attempt are deleted while the others go on. */
    struct attempt *a = nm->attempt;
    for (guint i = 0; a && i < a->links->len; i++) {
        struct link *l = a->links->pdata[i];
        if (l->awaiting_removal && !in_cache(nm, l->uuid))
            link_finish_deleted(l);
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
void
link_detach(struct link *l)
{
    sdvm_nm *nm = l->nm;
    l->a = NULL;
    timer_clear(&l->retrigger);
    timer_clear(&l->grace);
    timer_clear(&l->confirm);
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

void
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
    timer_clear(&l->confirm);
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

static gboolean
wired_wait_over(gpointer data)
{
    struct attempt *a = data;
    timer_clear(&a->wired_wait);
    struct link *w = wired_under_way(a);
    log_infof("attempt %" PRIu64 ": %s did not authenticate within %.1f s of %s: %s wins", a->id,
              w ? w->ifname : "the wired link", a->nm->params.wired_preference_ms / 1000.0,
              a->held->ifname, a->held->ifname);
    link_end_hold(a);
    return G_SOURCE_REMOVE;
}

void
link_end_hold(struct attempt *a)
{
    link_win(a->held);
}

void
link_check_success(struct link *l)
{
    struct attempt *a = l->a;
    if (!a || a->ended || !l->eap_success || !l->activated || a->held == l)
        return;
    sdvm_nm *nm = l->nm;
    struct link *wired = wired_under_way(a);
    if (l->type == SDVM_NM_LINK_WIFI && wired && nm->params.wired_preference_ms) {
        if (a->held) {
            /* One hold at a time: this one is a spare should the held link fail. */
            log_infof("attempt %" PRIu64 ": authenticated on %s in %.3f s; %s already waits for "
                      "the wired link %s",
                      a->id, l->ifname, since(a), a->held->ifname, wired->ifname);
            return;
        }
        a->held = l;
        a->wired_wait = timer_new(nm, nm->params.wired_preference_ms, wired_wait_over, a);
        log_infof("attempt %" PRIu64 ": authenticated on %s in %.3f s; waiting up to %.1f s for "
                  "the wired link %s",
                  a->id, l->ifname, since(a), nm->params.wired_preference_ms / 1000.0,
                  wired->ifname);
        return;
    }
    link_win(l);
}

/* The RADIUS server or wpa_supplicant refused the login on l: the whole attempt ends
 * (private.h), unless another link's EAP success already proved the credentials (a held Wi-Fi
 * link, or one still waiting for ACTIVATED): then only l goes, and that link can win. */
void
link_refused(struct link *l, enum sdvm_failure f, const char *detail)
{
    struct attempt *a = l->a;
    struct link *proven = NULL; /* a held link is one too: it has its EAP success */
    for (guint i = 0; !proven && i < a->links->len; i++) {
        struct link *o = a->links->pdata[i];
        if (o != l && !o->failed && o->eap_success)
            proven = o;
    }
    if (proven) {
        log_warningf("attempt %" PRIu64 " %s: %s although %s authenticated: %s", a->id, l->ifname,
                     sdvm_failure_to_string(f), proven->ifname, detail);
        link_fail(l, f, detail);
        return;
    }
    attempt_fail(a, f, detail);
}

static void
link_win(struct link *l)
{
    struct attempt *a = l->a;
    sdvm_nm *nm = l->nm;
    a->ended = true;
    a->held = NULL;
    timer_clear(&a->wired_wait);
    timer_clear(&l->grace);
    timer_clear(&l->confirm);
    timer_clear(&l->retrigger);
    timer_clear(&a->auth_timer);
    timer_clear(&a->attempt_timer);
    timer_clear(&a->agent_timer);
    attempt_wipe_password(a);
    log_infof("attempt %" PRIu64 ": authenticated on %s in %.3f s", a->id, l->ifname, since(a));
    /* The winner stays: every other link goes. */
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
    event_success(nm, a->id, l->ifname);
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

void
link_activate(struct attempt *a, NMDevice *d, NMConnection *c, GVariant *options)
{
    sdvm_nm *nm = a->nm;
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
    nm_client_add_and_activate_connection2(nm->client, c, d, NULL, options, nm->cancellable, added,
                                           l);
}
