/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "net-nm.h"

#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "sdvm/log.h"
#include "sdvm/nm-glue.h"

struct net_nm {
    sdvmd_net base;
    sdvm_nm *nm;
    uint64_t attempt; /* 0 when none runs */
    bool logging_out; /* a logout is running: nm-glue takes no login until it is done */
    /* A login asked for while the last session's logout finishes; started when it is done. */
    struct sdvm_auth_profile *pending_profile;
    char *pending_nai;
    char *pending_password;
};

static void
clear_pending(struct net_nm *n)
{
    sdvm_auth_profile_free(n->pending_profile);
    n->pending_profile = NULL;
    g_free(n->pending_nai);
    n->pending_nai = NULL;
    if (n->pending_password) {
        explicit_bzero(n->pending_password, strlen(n->pending_password));
        g_free(n->pending_password);
        n->pending_password = NULL;
    }
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
    n->logging_out = false;
    if (error < 0 && error != -ENOTCONN)
        log_errorf("802.1X: logout failed: %s", strerror(-error));
    else
        log_infof("802.1X: logged out, %u connection(s) removed", removed);
    if (!n->pending_profile)
        return;
    int r = sdvm_nm_login(n->nm, n->pending_profile, n->pending_nai, n->pending_password,
                          &n->attempt);
    clear_pending(n);
    if (r < 0) {
        char detail[80];
        snprintf(detail, sizeof(detail), "cannot start the 802.1X login: %s", strerror(-r));
        n->base.events.done(SDVM_FAILURE_INTERNAL, detail, n->base.userdata);
    }
}

static const struct sdvm_nm_listener listener = {
    .size = sizeof(struct sdvm_nm_listener),
    .started = on_started,
    .eap_started = on_eap_started,
    .server_cert_accepted = on_cert_accepted,
    .success = on_success,
    .failure = on_failure,
    .logged_out = on_logged_out,
};

static int
nm_start(sdvmd_net *net, const struct sdvm_auth_profile *profile, const char *nai,
         const char *password)
{
    struct net_nm *n = (struct net_nm *)net;
    if (n->logging_out) {
        if (n->pending_profile)
            return -EBUSY;
        n->pending_profile = sdvm_auth_profile_copy(profile);
        n->pending_nai = g_strdup(nai);
        n->pending_password = g_strdup(password);
        if (!n->pending_profile) {
            clear_pending(n);
            return -ENOMEM;
        }
        log_debugf("802.1X: login waits for the last session's logout");
        return 0;
    }
    return sdvm_nm_login(n->nm, profile, nai, password, &n->attempt);
}

static gboolean
report_cancelled(gpointer data)
{
    struct net_nm *n = data;
    n->base.events.done(SDVM_FAILURE_CANCELLED, NULL, n->base.userdata);
    return G_SOURCE_REMOVE;
}

static void
nm_cancel(sdvmd_net *net)
{
    struct net_nm *n = (struct net_nm *)net;
    if (n->pending_profile) {
        clear_pending(n); /* never started: report the cancel from the loop ourselves */
        g_idle_add(report_cancelled, n);
        return;
    }
    if (n->attempt)
        sdvm_nm_cancel(n->nm, n->attempt);
}

static void
nm_logout(sdvmd_net *net)
{
    struct net_nm *n = (struct net_nm *)net;
    int r = sdvm_nm_logout(n->nm);
    if (r == 0)
        n->logging_out = true;
    else if (r != -EBUSY)
        log_errorf("802.1X: cannot log out: %s", strerror(-r));
}

static void
nm_free(sdvmd_net *net)
{
    struct net_nm *n = (struct net_nm *)net;
    clear_pending(n);
    g_idle_remove_by_data(n);
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
    p.eap_start_timeout_ms = config->network.eap_start_timeout_ms;
    p.attempt_timeout_ms = config->network.attempt_timeout_ms;
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
