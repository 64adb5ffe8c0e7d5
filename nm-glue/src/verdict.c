/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * nm-glue: how a verdict is reached. wpa_supplicant's EAP signal (status, parameter) and its
 * certificate events, plus the secret agent's report that NetworkManager took the password,
 * move a link on: EAP started, certificate accepted or refused, EAP success (which, with
 * NetworkManager's ACTIVATED, is the login: link.c) or failure. A refusal of the RADIUS
 * server or of its certificate ends the whole attempt at once (private.h says why).
 */
#include <inttypes.h>
#include <string.h>

#include "private.h"
#include "sdvm/log.h"

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
    link_refused(l, f, detail);
}

/* How long an EAP-Success may wait for wpa_supplicant's state to reach "completed". A real
 * success gets there within milliseconds; a success wpa_supplicant refuses (a forged one on
 * a method whose success the server proves, e.g. MSCHAPv2 without the server's proof) never
 * does: wpa_supplicant goes to its FAILURE state and says nothing more on D-Bus. */
#define EAP_CONFIRM_MS 1500

/* wpa_supplicant's interface state reached "completed" after an EAP-Success: that success is
 * the login's (with NetworkManager's ACTIVATED, link.c). */
static void
eap_confirmed(struct link *l)
{
    struct attempt *a = l->a;
    l->eap_success = true;
    a->eap_verdict = true;
    timer_clear(&l->confirm);
    timer_clear(&a->auth_timer);
    timer_clear(&a->slow_timer);
    timer_clear(&l->grace);
    link_check_success(l);
}

static gboolean
confirm_over(gpointer data)
{
    struct link *l = data;
    timer_clear(&l->confirm);
    if (!l->a || l->failed || l->eap_success)
        return G_SOURCE_REMOVE;
    struct attempt *a = l->a;
    g_autofree char *detail =
        g_strdup_printf("the RADIUS server's answer for %s was not a proven success: "
                        "wpa_supplicant received an EAP-Success but refused it (the server's "
                        "own proof was missing: a wrong password, and the success forged on "
                        "the way)",
                        a->nai);
    log_warningf("attempt %" PRIu64 " %s: EAP-Success refused by wpa_supplicant after %.3f s",
                 a->id, l->ifname, since(a));
    link_refused(l, SDVM_FAILURE_BAD_CREDENTIALS, detail);
    return G_SOURCE_REMOVE;
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
            event_eap_started(nm, a->id, ifname);
        }
        attempt_eap_started(a);
    } else if (strcmp(status, "accept proposed method") == 0) {
        l->method_accepted = true;
    } else if (strcmp(status, "reject proposed method") == 0) {
        g_free(l->rejected_method);
        l->rejected_method = g_strdup(parameter);
    } else if (strcmp(status, "remote certificate verification") == 0) {
        if (strcmp(parameter, "success") == 0) {
            if (!a->cert_sent) {
                a->cert_sent = true;
                event_cert_accepted(nm, a->id, ifname, l->subject);
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
            /* wpa_supplicant says "completion success" as soon as an EAP-Success frame
             * arrives, before it decides whether to believe it: only its state "completed"
             * says it did. */
            l->eap_claimed = true;
            const char *st = sdvm_supp_state(nm->supp, ifname);
            if (st && strcmp(st, "completed") == 0)
                eap_confirmed(l);
            else if (!l->confirm)
                l->confirm = timer_new(nm, EAP_CONFIRM_MS, confirm_over, l);
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

/* wpa_supplicant's interface states from association on (its wpa_states, as D-Bus names). */
static bool
wifi_associated(const char *state)
{
    return strcmp(state, "associated") == 0 || strcmp(state, "4way_handshake") == 0 ||
           strcmp(state, "group_handshake") == 0 || strcmp(state, "completed") == 0;
}

static void
on_supp_state(const char *ifname, const char *state, gpointer data)
{
    sdvm_nm *nm = data;
    struct link *l = link_find(nm, ifname);
    if (!l || l->failed || !l->secrets_given)
        return;
    if (strcmp(state, "completed") == 0 && l->eap_claimed && !l->eap_success) {
        eap_confirmed(l);
        return;
    }
    if (l->eap_started)
        return;
    if (l->type == SDVM_NM_LINK_WIFI) {
        /* On Wi-Fi the access point speaks first, once the station has associated; scanning
         * and associating may well take longer than EapStartTimeout (many channels, a slow
         * radio). The re-trigger counts from association, and stops when the station drops
         * off again: wpa_supplicant's EAPOL machine starts afresh on the next association,
         * and a restart of it (EAPLogoff) before then would only disturb that. */
        if (strcmp(state, "associated") == 0) {
            link_ready_for_eap(l);
        } else if (!wifi_associated(state)) {
            timer_clear(&l->retrigger);
            l->starts = 0;
            l->fast_started = false;
        }
    }
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

void
verdict_agent_asked(const char *uuid, gboolean answered, gpointer data)
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
    if (l->type != SDVM_NM_LINK_WIFI) /* Wi-Fi: from association on (on_supp_state) */
        link_ready_for_eap(l);
}

const struct sdvm_supp_events verdict_supp_events = {
    .eap = on_eap,
    .certification = on_cert,
    .state = on_supp_state,
};
