/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * nm-glue: the event queue, NetworkManager's client and the public API. The login itself is
 * in attempt.c, link.c and verdict.c, removing connections in cleanup.c (private.h has the
 * map).
 *
 * Events are queued by the other files (event_*) and dispatched here from an idle source on
 * nm->ctx, never from inside an nm-glue call: a callback may call any nm-glue function,
 * sdvm_nm_free() included (it is deferred until the dispatch loop is done).
 */
#include "sdvm/nm-glue.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "private.h"
#include "sdvm/log.h"

/* ---- events ------------------------------------------------------------------------- */

enum event_type {
    EV_STARTED,
    EV_EAP_STARTED,
    EV_CERT_ACCEPTED,
    EV_HOME_SERVER_SLOW,
    EV_SUCCESS,
    EV_FAILURE,
    EV_LOGGED_OUT,
};

/* One listener call, with its arguments; strings are copies (freed with the event). */
struct event {
    enum event_type type;
    uint64_t attempt;          /* 0 for LOGGED_OUT: it belongs to no attempt */
    enum sdvm_failure failure; /* FAILURE */
    char *detail;              /* FAILURE */
    char *ifname;              /* EAP_STARTED, CERT_ACCEPTED, HOME_SERVER_SLOW, SUCCESS */
    char *subject;             /* CERT_ACCEPTED; NULL when wpa_supplicant did not report it */
    unsigned n_links;          /* STARTED */
    unsigned removed;          /* LOGGED_OUT: connections deleted */
    int error;                 /* LOGGED_OUT: 0 or -errno */
};

static void
event_free(struct event *e)
{
    g_free(e->detail);
    g_free(e->ifname);
    g_free(e->subject);
    g_free(e);
}

static gboolean dispatch_events(gpointer data);

/* A new event at the end of the queue (NULL once sdvm_nm_free() was called: nobody listens). */
static struct event *
event_push(sdvm_nm *nm, enum event_type type, uint64_t attempt, const char *ifname)
{
    if (nm->shut_down)
        return NULL;
    struct event *e = g_new0(struct event, 1);
    e->type = type;
    e->attempt = attempt;
    e->ifname = g_strdup(ifname);
    g_queue_push_tail(&nm->events, e);
    if (!nm->event_source) {
        nm->event_source = g_idle_source_new();
        g_source_set_priority(nm->event_source, G_PRIORITY_DEFAULT);
        g_source_set_callback(nm->event_source, dispatch_events, nm, NULL);
        g_source_attach(nm->event_source, nm->ctx);
    }
    return e;
}

void
event_started(sdvm_nm *nm, uint64_t attempt, unsigned n_links)
{
    struct event *e = event_push(nm, EV_STARTED, attempt, NULL);
    if (e)
        e->n_links = n_links;
}

void
event_eap_started(sdvm_nm *nm, uint64_t attempt, const char *ifname)
{
    event_push(nm, EV_EAP_STARTED, attempt, ifname);
}

void
event_cert_accepted(sdvm_nm *nm, uint64_t attempt, const char *ifname, const char *subject)
{
    struct event *e = event_push(nm, EV_CERT_ACCEPTED, attempt, ifname);
    if (e)
        e->subject = g_strdup(subject);
}

void
event_home_server_slow(sdvm_nm *nm, uint64_t attempt, const char *ifname)
{
    event_push(nm, EV_HOME_SERVER_SLOW, attempt, ifname);
}

void
event_success(sdvm_nm *nm, uint64_t attempt, const char *ifname)
{
    event_push(nm, EV_SUCCESS, attempt, ifname);
}

void
event_failure(sdvm_nm *nm, uint64_t attempt, enum sdvm_failure failure, const char *detail)
{
    struct event *e = event_push(nm, EV_FAILURE, attempt, NULL);
    if (e) {
        e->failure = failure;
        e->detail = g_strdup(detail);
    }
}

void
event_logged_out(sdvm_nm *nm, unsigned removed, int error)
{
    struct event *e = event_push(nm, EV_LOGGED_OUT, 0, NULL);
    if (e) {
        e->removed = removed;
        e->error = error;
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
                l->started(nm, e->attempt, e->n_links, nm->userdata);
            break;
        case EV_EAP_STARTED:
            if (l->eap_started)
                l->eap_started(nm, e->attempt, e->ifname, nm->userdata);
            break;
        case EV_CERT_ACCEPTED:
            if (l->server_cert_accepted)
                l->server_cert_accepted(nm, e->attempt, e->ifname, e->subject ? e->subject : "",
                                        nm->userdata);
            break;
        case EV_HOME_SERVER_SLOW:
            if (l->home_server_slow)
                l->home_server_slow(nm, e->attempt, e->ifname, nm->userdata);
            break;
        case EV_SUCCESS:
            l->success(nm, e->attempt, e->ifname, nm->userdata);
            break;
        case EV_FAILURE:
            l->failure(nm, e->attempt, e->failure, e->detail, nm->userdata);
            break;
        case EV_LOGGED_OUT:
            if (l->logged_out)
                l->logged_out(nm, e->removed, e->error, nm->userdata);
            break;
        }
        event_free(e);
    }
    nm->dispatching = false;
    if (nm->free_requested)
        nm_destroy(nm);
    return G_SOURCE_REMOVE;
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
            link_finish_deleted(l);
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
    nm->removed_handler = g_signal_connect_after(client, NM_CLIENT_CONNECTION_REMOVED,
                                                 G_CALLBACK(links_cache_changed), nm);
    nm->ac_removed_handler = g_signal_connect_after(client, NM_CLIENT_ACTIVE_CONNECTION_REMOVED,
                                                    G_CALLBACK(links_cache_changed), nm);
    GDBusConnection *bus = nm_client_get_dbus_connection(client);
    nm->supp = sdvm_supp_new(bus, &verdict_supp_events, nm);
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

void
client_start(sdvm_nm *nm)
{
    nm->client_busy = true;
    nm_client_new_async(nm->cancellable, client_ready_cb, nm);
}

bool
client_ready(const sdvm_nm *nm)
{
    return nm->client && !nm->client_busy && nm->agent && !nm->agent_busy;
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
    p->slow_server_notice_ms = 5000;
    p->eap_start_timeout_ms = 3000;
    p->attempt_timeout_ms = 60000;
    p->wired_route_metric = 100;
    p->wifi_route_metric = 600;
    p->configure_ip = true;
    p->fast_start = true;
    p->wired_preference_ms = 5000;
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
    client_start(nm);
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
    if (nm->attempt || nm->logged_in)
        return -EBUSY;
    WITH_CONTEXT(nm);
    return attempt_new(nm, profile, nai, password, attempt);
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
    /* One that waited for a logout never began: nothing to say but CANCELLED. */
    attempt_fail(a, SDVM_FAILURE_CANCELLED, a->waiting_logout ? NULL : "the login was cancelled");
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
    logout_begin(nm);
    return 0;
}

bool
sdvm_nm_logged_in(const sdvm_nm *nm)
{
    return nm && nm->logged_in;
}
