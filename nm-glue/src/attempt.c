/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * nm-glue: one login attempt. It keeps the password in locked memory until it ends, decides
 * what needs no network, waits for NetworkManager's client, for NetworkManager itself (libnm
 * can lag a NetworkManager that just started) and for the secret agent, then begins: it
 * chooses the devices, builds one connection per device (all of them before anything is
 * sent), lends the password to the agent and activates the links. Its two timeouts
 * (AuthTimeout, AttemptTimeout) end it when no verdict, or no usable link, comes in time.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "answer.h"
#include "private.h"
#include "sdvm/log.h"

/* How long a login waits for NetworkManager to accept the secret agent. */
#define AGENT_WAIT_MS 5000

static void attempt_begin(struct attempt *a);

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
    /* Not swapped out (best effort: RLIMIT_MEMLOCK may forbid it), and never in a core dump
     * even where sdvmd's own PR_SET_DUMPABLE and LimitCORE=0 are lifted (review M5). */
    (void)mlock(a->password, a->password_size);
    (void)madvise(a->password, a->password_size, MADV_DONTDUMP);
    memcpy(a->password, password, n);
    return true;
}

void
attempt_wipe_password(struct attempt *a)
{
    if (!a->password)
        return;
    if (a->nm->agent)
        sdvm_nm_agent_forget(a->nm->agent);
    explicit_bzero(a->password, a->password_size);
    (void)madvise(a->password, a->password_size, MADV_DODUMP); /* back to malloc as it came */
    munlock(a->password, a->password_size);
    free(a->password);
    a->password = NULL;
}

/* ---- life and end ----------------------------------------------------------------------- */

void
attempt_free(struct attempt *a)
{
    if (!a)
        return;
    attempt_wipe_password(a);
    timer_clear(&a->auth_timer);
    timer_clear(&a->slow_timer);
    timer_clear(&a->attempt_timer);
    timer_clear(&a->agent_timer);
    timer_clear(&a->nm_wait_timer);
    timer_clear(&a->wired_wait);
    if (a->agent_handler && a->nm->agent)
        g_signal_handler_disconnect(a->nm->agent, a->agent_handler);
    for (guint i = 0; i < a->links->len; i++)
        link_detach(a->links->pdata[i]);
    g_ptr_array_unref(a->links);
    sdvm_auth_profile_free(a->profile);
    g_free(a->nai);
    g_free(a);
}

void
attempt_fail(struct attempt *a, enum sdvm_failure f, const char *detail)
{
    if (a->ended)
        return;
    sdvm_nm *nm = a->nm;
    a->ended = true;
    log_infof("attempt %" PRIu64 " failed after %.3f s: %s: %s", a->id, since(a),
              sdvm_failure_to_string(f), detail ? detail : "before it began");
    event_failure(nm, a->id, f, detail);
    if (nm->attempt == a)
        nm->attempt = NULL;
    attempt_free(a);
}

static gboolean
auth_timeout(gpointer data)
{
    struct attempt *a = data;
    timer_clear(&a->auth_timer);
    /* "The switch spoke EAP" is wpa_supplicant's EAP "started": it reports it when the
     * authenticator's EAP-Request/Identity arrives (a switch answers the identity itself, the
     * home server is asked only from the identity response on). NetworkManager's NEED_AUTH
     * or CONFIG states cannot tell this: NetworkManager enters them before any frame is on
     * the wire (it asks our agent for the password first). Once the switch spoke, a missing
     * verdict is the home server's (or the federation proxies' in between): the port, the
     * cable and the switch work. "accept proposed method" says the server answered at least
     * once (the EAP method is its proposal). */
    bool any_started = false, any_method = false;
    GString *ifs = g_string_new(NULL);
    for (guint i = 0; i < a->links->len; i++) {
        struct link *l = a->links->pdata[i];
        any_started = any_started || l->eap_started;
        any_method = any_method || (l->eap_started && l->method_accepted);
        g_string_append_printf(ifs, "%s%s", ifs->len ? ", " : "", l->ifname);
    }
    double s = a->nm->params.auth_timeout_ms / 1000.0;
    g_autofree char *detail =
        any_started
            ? g_strdup_printf(any_method ? "the switch answered 802.1X on %s, the home RADIUS "
                                           "server began the EAP exchange and then did not "
                                           "decide within %.1f s"
                                         : "the switch answered 802.1X on %s, but the home "
                                           "RADIUS server never answered it within %.1f s",
                              ifs->str, s)
            : g_strdup_printf("no 802.1X authenticator answered on %s within %.1f s "
                              "(is the port 802.1X-enabled?)",
                              ifs->len ? ifs->str : "any device", s);
    g_string_free(ifs, TRUE);
    attempt_fail(a, any_started ? SDVM_FAILURE_HOME_SERVER_TIMEOUT : SDVM_FAILURE_AUTH_TIMEOUT,
                 detail);
    return G_SOURCE_REMOVE;
}

static gboolean
slow_notice(gpointer data)
{
    struct attempt *a = data;
    timer_clear(&a->slow_timer);
    if (a->ended || a->eap_verdict)
        return G_SOURCE_REMOVE;
    const char *ifname = "?";
    for (guint i = 0; i < a->links->len; i++) {
        struct link *l = a->links->pdata[i];
        if (l->eap_started && !l->failed) {
            ifname = l->ifname;
            break;
        }
    }
    log_infof("attempt %" PRIu64 " %s: the home server has not decided %.1f s after the "
              "switch answered; still waiting (at most %.1f s in all)",
              a->id, ifname, a->nm->params.slow_server_notice_ms / 1000.0,
              a->nm->params.auth_timeout_ms / 1000.0);
    event_home_server_slow(a->nm, a->id, ifname);
    return G_SOURCE_REMOVE;
}

void
attempt_eap_started(struct attempt *a)
{
    if (a->slow_timer || a->slow_notice_armed || a->nm->params.slow_server_notice_ms == 0)
        return;
    a->slow_notice_armed = true;
    a->slow_timer = timer_new(a->nm, a->nm->params.slow_server_notice_ms, slow_notice, a);
}

static gboolean
attempt_timeout(gpointer data)
{
    struct attempt *a = data;
    timer_clear(&a->attempt_timer);
    if (a->held) {
        /* The bound came while a Wi-Fi success waited for the wired link: it is usable. */
        link_end_hold(a);
        return G_SOURCE_REMOVE;
    }
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

int
attempt_new(sdvm_nm *nm, const struct sdvm_auth_profile *profile, const char *nai,
            const char *password, uint64_t *id)
{
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
    *id = a->id;
    if (nm->logout_running) {
        /* The last session's connections are still going: this login's must not meet them. */
        a->waiting_logout = true;
        log_debugf("attempt %" PRIu64 ": waits for the last session's logout", a->id);
        return 0;
    }
    attempt_start(a);
    return 0;
}

void
attempt_start(struct attempt *a)
{
    sdvm_nm *nm = a->nm;
    /* A login that waited for a logout starts now: its timeouts count from here. */
    a->waiting_logout = false;
    a->t0 = g_get_monotonic_time();
    /* What needs no NetworkManager is decided now: nothing leaves the machine for an
     * insecure or unusable profile. */
    g_autofree char *detail = NULL;
    enum sdvm_failure f = sdvm_nm_check_profile(a->profile, SDVM_NM_VERSION(255, 0, 0), &detail);
    if (f != SDVM_FAILURE_NONE) {
        attempt_fail(a, f, detail);
        return;
    }
    a->auth_timer = timer_new(nm, nm->params.auth_timeout_ms, auth_timeout, a);
    a->attempt_timer = timer_new(nm, nm->params.attempt_timeout_ms, attempt_timeout, a);
    attempt_maybe_begin(nm);
}

/* ---- waiting for NetworkManager and the agent ------------------------------------------ */

/* The attempt can begin once NetworkManager's client and our agent exist. */
void
attempt_maybe_begin(sdvm_nm *nm)
{
    struct attempt *a = nm->attempt;
    if (!a || a->waiting_logout || a->begun || a->ended || a->checking_nm)
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
        client_start(nm);
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

static gboolean
nm_wait_over(gpointer data)
{
    struct attempt *a = data;
    timer_clear(&a->nm_wait_timer);
    attempt_fail(a, SDVM_FAILURE_NM_UNAVAILABLE,
                 "NetworkManager is on the bus but did not become ready in time");
    return G_SOURCE_REMOVE;
}

/* key: the attempt's id (a later attempt may be running by the time the answer comes). */
static void
nm_owner_checked(gpointer owner, const char *key, GObject *source, GAsyncResult *res)
{
    sdvm_nm *nm = owner;
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply =
        g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
    struct attempt *a = nm->attempt;
    if (!a || a->id != g_ascii_strtoull(key, NULL, 10) || a->ended)
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

/* libnm may not have caught up with a NetworkManager that just started: ask the bus. */
static void
ask_bus_for_nm(struct attempt *a)
{
    sdvm_nm *nm = a->nm;
    a->checking_nm = true;
    char key[24];
    g_snprintf(key, sizeof(key), "%" PRIu64, a->id);
    g_dbus_connection_call(nm_client_get_dbus_connection(nm->client), "org.freedesktop.DBus",
                           "/org/freedesktop/DBus", "org.freedesktop.DBus", "GetNameOwner",
                           g_variant_new("(s)", NM_DBUS_SERVICE), G_VARIANT_TYPE("(s)"),
                           G_DBUS_CALL_FLAGS_NONE, 2000, nm->cancellable, sdvm_answer_ready,
                           sdvm_answer_new(nm_owner_checked, nm, key, nm->cancellable));
}

/* NetworkManager just (re)started and has not taken our agent yet: wait for it to. */
static bool
agent_missing(struct attempt *a)
{
    sdvm_nm *nm = a->nm;
    if (nm_secret_agent_old_get_registered(NM_SECRET_AGENT_OLD(nm->agent)))
        return false;
    a->waiting_agent = true;
    a->agent_handler = g_signal_connect(nm->agent, "notify::" NM_SECRET_AGENT_OLD_REGISTERED,
                                        G_CALLBACK(agent_registered), a);
    a->agent_timer = timer_new(nm, AGENT_WAIT_MS, agent_wait_over, a);
    log_debugf("attempt %" PRIu64 ": waiting for the secret agent to register", a->id);
    return true;
}

/* ---- beginning: devices, connections, links --------------------------------------------- */

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

/* Every managed ethernet port with a cable, the Wi-Fi device(s) that see the SSID. None: the
 * attempt fails (NO_NETWORK, naming why) and NULL is returned. Devices NetworkManager does not
 * manage are named only when nothing else explains it: a terminal may have many (bridges,
 * veths) that have nothing to do with the login. */
static GPtrArray *
choose_devices(struct attempt *a)
{
    sdvm_nm *nm = a->nm;
    const GPtrArray *devs = nm_client_get_devices(nm->client);
    GPtrArray *chosen = g_ptr_array_new();
    g_autoptr(GString) why = g_string_new(NULL);
    g_autoptr(GString) unmanaged = g_string_new(NULL);
    /* The wired policy (sdvm_auth_profile_wired_check, core/auth-profile.h): decided before
     * any connection exists, so a refused wired port never sees the credentials. */
    const char *opt_in = NULL;
    g_autofree char *refusal = NULL;
    bool wired_ok = sdvm_auth_profile_wired_check(a->profile, nm->params.allow_unprotected_wired,
                                                  &opt_in, &refusal) == SDVM_FAILURE_NONE;
    bool wired_refused = false, wired_opt_in = false;
    for (guint i = 0; devs && i < devs->len; i++) {
        NMDevice *d = devs->pdata[i];
        const char *ifname = nm_device_get_iface(d);
        bool wanted = (NM_IS_DEVICE_ETHERNET(d) && nm->params.use_wired) ||
                      (NM_IS_DEVICE_WIFI(d) && nm->params.use_wifi);
        if (wanted && !nm_device_get_managed(d)) {
            g_string_append_printf(unmanaged, "%s%s", unmanaged->len ? ", " : "", ifname);
            continue;
        }
        if (NM_IS_DEVICE_ETHERNET(d) && nm->params.use_wired) {
            if (!nm_device_ethernet_get_carrier(NM_DEVICE_ETHERNET(d))) {
                g_string_append_printf(why, "%s%s has no cable", why->len ? ", " : "", ifname);
            } else if (!device_ok(d)) {
                g_string_append_printf(why, "%s%s is not available", why->len ? ", " : "", ifname);
            } else if (!wired_ok) {
                wired_refused = true;
                g_string_append_printf(why, "%s%s refused (UNPROTECTED_RESULT)",
                                       why->len ? ", " : "", ifname);
            } else {
                wired_opt_in = wired_opt_in || opt_in;
                g_ptr_array_add(chosen, d);
            }
        } else if (NM_IS_DEVICE_WIFI(d) && nm->params.use_wifi) {
            if (!nm_client_wireless_get_enabled(nm->client) || !device_ok(d))
                g_string_append_printf(why, "%sWi-Fi %s is off", why->len ? ", " : "", ifname);
            else if (!wifi_has_ssid(NM_DEVICE_WIFI(d), nm->ssid))
                g_string_append_printf(why, "%sno Wi-Fi network \"%s\" in range of %s",
                                       why->len ? ", " : "", nm->ssid, ifname);
            else
                g_ptr_array_add(chosen, d);
        }
    }
    if (wired_opt_in)
        /* Every such login says so (the administrator's knowing exception, in the journal). */
        log_warningf("attempt %" PRIu64 ": %s-%s for %s on a wired link, allowed by %s: the "
                     "home server does not prove this method's success, an EAP-Success forged "
                     "on the cable would pass",
                     a->id, sdvm_eap_method_to_string(a->profile->eap),
                     sdvm_inner_method_to_string(a->profile->inner), a->nai, opt_in);
    if (wired_refused)
        log_infof("attempt %" PRIu64 ": wired links not used: %s", a->id,
                  refusal ? refusal : "UNPROTECTED_RESULT");
    if (chosen->len > 0)
        return chosen;
    g_ptr_array_unref(chosen);
    if (wired_refused) {
        attempt_fail(a, SDVM_FAILURE_UNPROTECTED_RESULT,
                     refusal ? refusal : "the realm's inner method is refused on wired links");
        return NULL;
    }
    if (!why->len && unmanaged->len)
        g_string_append_printf(why, "%s %s not managed by NetworkManager", unmanaged->str,
                               strchr(unmanaged->str, ',') ? "are" : "is");
    g_autofree char *detail =
        g_strdup_printf("no network to log in on: %s",
                        why->len ? why->str
                                 : "no ethernet or Wi-Fi device (or all are disabled in "
                                   "sdvm.conf [Network])");
    attempt_fail(a, SDVM_FAILURE_NO_NETWORK, detail);
    return NULL;
}

/* NetworkManager's version, when nm-glue can drive it and it can carry the realm's profile;
 * otherwise the attempt fails and 0 is returned. */
static guint32
usable_version(struct attempt *a)
{
    const char *version = nm_client_get_version(a->nm->client);
    guint32 v = sdvm_nm_parse_version(version);
    if (v < SDVM_NM_VERSION_MIN) {
        g_autofree char *detail = g_strdup_printf(
            "NetworkManager %s is too old: nm-glue needs 1.16 or later", version ? version : "?");
        attempt_fail(a, SDVM_FAILURE_NETWORK_ERROR, detail);
        return 0;
    }
    g_autofree char *detail = NULL;
    enum sdvm_failure f = sdvm_nm_check_profile(a->profile, v, &detail);
    if (f != SDVM_FAILURE_NONE) {
        attempt_fail(a, f, detail);
        return 0;
    }
    return v;
}

/* One connection per device, all of them before anything is sent: a profile problem stops
 * the attempt first (and NULL is returned). */
static GPtrArray *
build_connections(struct attempt *a, const GPtrArray *devices, guint32 nm_version)
{
    sdvm_nm *nm = a->nm;
    GPtrArray *conns = g_ptr_array_new_with_free_func(g_object_unref);
    for (guint i = 0; i < devices->len; i++) {
        NMDevice *d = devices->pdata[i];
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
            .nm_version = nm_version,
        };
        NMConnection *c = NULL;
        g_autofree char *detail = NULL;
        enum sdvm_failure f = sdvm_nm_build_connection(&b, &c, &detail);
        if (f != SDVM_FAILURE_NONE) {
            g_ptr_array_unref(conns);
            attempt_fail(a, f, detail);
            return NULL;
        }
        g_ptr_array_add(conns, c);
    }
    return conns;
}

/* Lend the password to the agent for exactly these connections, then activate them all at
 * once, in memory only (persist=volatile). */
static void
activate_links(struct attempt *a, const GPtrArray *devices, const GPtrArray *conns)
{
    sdvm_nm *nm = a->nm;
    g_autoptr(GPtrArray) uuids = g_ptr_array_new();
    for (guint i = 0; i < conns->len; i++)
        g_ptr_array_add(uuids, (gpointer)nm_connection_get_uuid(conns->pdata[i]));
    g_ptr_array_add(uuids, NULL);
    sdvm_nm_agent_lend(nm->agent, (const char *const *)uuids->pdata, a->password,
                       verdict_agent_asked, nm);

    GVariantBuilder opts;
    g_variant_builder_init(&opts, G_VARIANT_TYPE_VARDICT);
    g_variant_builder_add(&opts, "{sv}", "persist", g_variant_new_string("volatile"));
    g_autoptr(GVariant) options = g_variant_ref_sink(g_variant_builder_end(&opts));
    for (guint i = 0; i < devices->len; i++)
        link_activate(a, devices->pdata[i], conns->pdata[i], options);
    log_infof("attempt %" PRIu64 ": %s/%s for %s on %u link(s), NetworkManager %s", a->id,
              sdvm_eap_method_to_string(a->profile->eap),
              sdvm_inner_method_to_string(a->profile->inner), a->nai, devices->len,
              nm_client_get_version(nm->client));
    event_started(nm, a->id, devices->len);
}

static void
attempt_begin(struct attempt *a)
{
    sdvm_nm *nm = a->nm;
    if (!nm_client_get_nm_running(nm->client)) {
        if (a->nm_checked)
            attempt_fail(a, SDVM_FAILURE_NM_UNAVAILABLE, "NetworkManager is not running");
        else
            ask_bus_for_nm(a);
        return;
    }
    timer_clear(&a->nm_wait_timer);
    a->begun = true;

    g_autoptr(GPtrArray) devices = choose_devices(a);
    if (!devices)
        return;
    guint32 version = usable_version(a);
    if (!version || agent_missing(a))
        return;
    g_autoptr(GPtrArray) conns = build_connections(a, devices, version);
    if (conns)
        activate_links(a, devices, conns);
}
