/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sdvmd's network port (net.h) over nm-glue: a mapping of calls and events, with no state
 * but the running attempt's id. nm-glue keeps the password (in locked memory) and makes a
 * login wait for the last session's logout.
 */
#include "net-nm.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

#include "sdvm/log.h"
#include "sdvm/nm-glue.h"

struct net_nm {
    sdvmd_net base;
    sdvm_nm *nm;
    uint64_t attempt;   /* 0 when none runs */
    unsigned logouts;   /* logout() calls whose logged_out() is owed */
    guint logout_idle;  /* logged_out() owed for a logout nm-glue refused */
};

static void
owe_logged_out(struct net_nm *n, unsigned count)
{
    for (; count > 0; count--)
        n->base.events.logged_out(n->base.userdata);
}

static void
on_started(sdvm_nm *nm, uint64_t attempt, unsigned n_links, void *userdata)
{
    struct net_nm *n = userdata;
    log_debugf("802.1X: %u link(s) handed to NetworkManager", n_links);
    n->base.events.stage(SDVM_STAGE_CONNECTING_WIRED, n->base.userdata);
}

static void
on_eap_started(sdvm_nm *nm, uint64_t attempt, const char *ifname, void *userdata)
{
    struct net_nm *n = userdata;
    log_debugf("802.1X: EAP started on %s", ifname);
    n->base.events.stage(SDVM_STAGE_AUTHENTICATING, n->base.userdata);
}

static void
on_cert_accepted(sdvm_nm *nm, uint64_t attempt, const char *ifname, const char *subject,
                 void *userdata)
{
    log_infof("802.1X: RADIUS server certificate accepted on %s (%s)", ifname,
              subject && *subject ? subject : "subject not reported");
}

static void
on_home_server_slow(sdvm_nm *nm, uint64_t attempt, const char *ifname, void *userdata)
{
    struct net_nm *n = userdata;
    log_infof("802.1X: the switch answered on %s, the home server is slow to decide; "
              "still waiting", ifname);
    n->base.events.stage(SDVM_STAGE_HOME_SERVER_SLOW, n->base.userdata);
}

static void
on_success(sdvm_nm *nm, uint64_t attempt, const char *ifname, void *userdata)
{
    struct net_nm *n = userdata;
    n->attempt = 0;
    log_infof("802.1X: authenticated on %s", ifname);
    n->base.events.done(SDVM_FAILURE_NONE, NULL, n->base.userdata);
}

static void
on_failure(sdvm_nm *nm, uint64_t attempt, enum sdvm_failure failure, const char *detail,
           void *userdata)
{
    struct net_nm *n = userdata;
    n->attempt = 0;
    n->base.events.done(failure, detail, n->base.userdata);
}

static void
on_logged_out(sdvm_nm *nm, unsigned removed, int error, void *userdata)
{
    struct net_nm *n = userdata;
    if (error < 0 && error != -ENOTCONN)
        log_errorf("802.1X: logout failed: %s", strerror(-error));
    else
        log_infof("802.1X: logged out, %u connection(s) removed", removed);
    /* Every logout() asked meanwhile was part of this one (nm-glue said -EBUSY). */
    unsigned owed = n->logouts;
    n->logouts = 0;
    if (n->logout_idle) {
        g_source_remove(n->logout_idle);
        n->logout_idle = 0;
    }
    owe_logged_out(n, owed);
}

static gboolean
logout_refused(gpointer data)
{
    struct net_nm *n = data;
    n->logout_idle = 0;
    unsigned owed = n->logouts;
    n->logouts = 0;
    owe_logged_out(n, owed);
    return G_SOURCE_REMOVE;
}

static const struct sdvm_nm_listener listener = {
    .size = sizeof(struct sdvm_nm_listener),
    .started = on_started,
    .eap_started = on_eap_started,
    .server_cert_accepted = on_cert_accepted,
    .success = on_success,
    .failure = on_failure,
    .logged_out = on_logged_out,
    .home_server_slow = on_home_server_slow,
};

static int
nm_start(sdvmd_net *net, const struct sdvm_auth_profile *profile, const char *nai,
         const char *password)
{
    struct net_nm *n = (struct net_nm *)net;
    return sdvm_nm_login(n->nm, profile, nai, password, &n->attempt);
}

static void
nm_cancel(sdvmd_net *net)
{
    struct net_nm *n = (struct net_nm *)net;
    if (n->attempt)
        sdvm_nm_cancel(n->nm, n->attempt);
}

static void
nm_logout(sdvmd_net *net)
{
    struct net_nm *n = (struct net_nm *)net;
    n->logouts++;
    int r = sdvm_nm_logout(n->nm);
    if (r < 0 && r != -EBUSY) { /* nothing follows from nm-glue: say it is over, later */
        log_errorf("802.1X: cannot log out: %s", strerror(-r));
        if (!n->logout_idle)
            n->logout_idle = g_idle_add(logout_refused, n);
    }
}

static void
nm_free(sdvmd_net *net)
{
    struct net_nm *n = (struct net_nm *)net;
    if (n->logout_idle)
        g_source_remove(n->logout_idle);
    sdvm_nm_free(n->nm);
    g_free(n);
}

static const struct sdvmd_net_ops ops = {nm_start, nm_cancel, nm_logout, nm_free};

sdvmd_net *
sdvmd_net_nm_new(const struct sdvm_config *config, bool configure_ip)
{
    struct sdvm_nm_params p;
    sdvm_nm_params_init(&p);
    p.wifi_ssid = config->network.wifi_ssid;
    p.use_wired = config->network.use_wired;
    p.use_wifi = config->network.use_wifi;
    p.auth_timeout_ms = config->network.auth_timeout_ms;
    p.allow_unprotected_wired = config->network.allow_unprotected_wired;
    p.slow_server_notice_ms = config->network.slow_server_notice_ms;
    p.eap_start_timeout_ms = config->network.eap_start_timeout_ms;
    p.attempt_timeout_ms = config->network.attempt_timeout_ms;
    p.wired_preference_ms = config->network.wired_preference_ms;
    p.wired_route_metric = (int)config->network.wired_route_metric;
    p.wifi_route_metric = (int)config->network.wifi_route_metric;
    p.configure_ip = configure_ip;

    struct net_nm *n = g_new0(struct net_nm, 1);
    n->base.ops = &ops;
    int r = sdvm_nm_new(&p, &listener, n, &n->nm);
    if (r < 0) {
        g_free(n);
        errno = -r;
        return NULL;
    }
    return &n->base;
}
