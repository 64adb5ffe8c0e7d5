/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * nm-glue: an 802.1X login through NetworkManager (libnm), for sdvmd.
 *
 * One login attempt brings up one volatile, system-wide connection per ethernet device with
 * carrier (and one Wi-Fi connection for the configured SSID when a Wi-Fi device exists), all
 * at once, with the realm's EAP settings. The password never reaches NetworkManager's
 * settings: password-flags=not-saved, and nm-glue's own secret agent hands it over when
 * NetworkManager asks for it, for our connections only. The first link to authenticate wins,
 * the others are torn down. The outcome is decided from wpa_supplicant's EAP signal plus
 * NetworkManager's state, so a rejected password is reported within about a second of the
 * RADIUS server's answer instead of after NetworkManager's 25 s authentication timeout.
 *
 * Threading and events: everything runs on the GMainContext that was the thread-default
 * context when sdvm_nm_new() was called (sdvmd's main loop). Call every function from that
 * thread. Listener callbacks are never invoked from inside an nm-glue call: they are queued
 * and delivered from an idle source on that context, so a callback may call any nm-glue
 * function (including sdvm_nm_free()). Strings passed to callbacks are valid only during the
 * callback. No NetworkManager or GLib type appears in this header.
 */
#ifndef SDVM_NM_GLUE_H
#define SDVM_NM_GLUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sdvm-failure.h"
#include "sdvm/auth-profile.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sdvm_nm sdvm_nm;

/* What the daemon reads from sdvm.conf [Network]; sdvm_nm_params_init() sets the defaults. */
struct sdvm_nm_params {
    const char *wifi_ssid; /* WifiSsid; NULL = "eduroam" (copied by sdvm_nm_new) */
    bool use_wired;        /* UseWired, default true */
    bool use_wifi;         /* UseWifi, default true */
    /* AllowUnprotectedWired, default false: this terminal accepts, on wired links, inner
     * methods whose success the home server does not prove (TTLS-PAP, -MSCHAP, EAP-GTC):
     * sdvm_auth_profile_wired_check(). Without it (or the realm's own opt-in) such a login
     * uses no wired link and, with no other link, ends with UNPROTECTED_RESULT before
     * anything is sent. Wi-Fi is not affected. */
    bool allow_unprotected_wired;
    /* AuthTimeout: from the request to an EAP verdict (success or failure): the total wait.
     * When it passes without one, the attempt fails with HOME_SERVER_TIMEOUT if the switch
     * spoke EAP on some link (wpa_supplicant's EAP "started": the authenticator sent its
     * EAP-Request/Identity, so only the RADIUS decision is missing), else with AUTH_TIMEOUT
     * (no authenticator answered). Default 25000. */
    unsigned auth_timeout_ms;
    /* SlowServerNotice: this long after the switch's first EAP request without a verdict,
     * home_server_slow is queued (once): the person can be told that their institution is
     * slow to answer while the wait goes on. 0: never. Default 5000. */
    unsigned slow_server_notice_ms;
    /* EapStartTimeout: when no EAP exchange has started this long after the link came up (a
     * port: NetworkManager took the password; Wi-Fi: the station associated) or after the last
     * re-trigger, nm-glue makes wpa_supplicant send a fresh EAPOL-Start.
     * Switches hold a port for a few seconds after an EAP-Failure and ignore EAPOL-Starts
     * meanwhile; this is what makes an immediate retry work. Default 3000. */
    unsigned eap_start_timeout_ms;
    /* AttemptTimeout: from the request to a usable link (NetworkManager ACTIVATED, i.e. with
     * IP configuration). Default 60000. */
    unsigned attempt_timeout_ms;
    int wired_route_metric; /* WiredRouteMetric, default 100 */
    int wifi_route_metric;  /* WifiRouteMetric, default 600 */
    /* true (default): IPv4/IPv6 "auto" (DHCP, SLAAC); false: no IP configuration at all
     * (authenticate only; used by tests and benchmarks). */
    bool configure_ip;
    /* true (default): as soon as wpa_supplicant has associated, ask it (D-Bus EAPLogon) to
     * send its EAPOL-Start now instead of waiting 2 s for the authenticator to speak first.
     * An 802.1X supplicant may send EAPOL-Start at any time (IEEE 802.1X-2004 8.2.11). */
    bool fast_start;
    /* WiredPreference: a Wi-Fi link that authenticates while a wired link of the same attempt
     * is still under way is held this long for the wired one, which wins if it authenticates
     * in that time (a cable is faster, steadier and the lab's own port). When the wired link
     * fails or the time passes, the Wi-Fi link wins. 0: the first link that authenticates
     * wins. Default 5000. */
    unsigned wired_preference_ms;
};

void sdvm_nm_params_init(struct sdvm_nm_params *params);

/*
 * Events. `size` must be sizeof(struct sdvm_nm_listener) of the caller's header, so fields can
 * be appended later. `success` and `failure` are required, the others may be NULL.
 * Every attempt ends with exactly one `success` or one `failure` (never both, never twice);
 * events of an attempt that has ended (or was cancelled) are dropped.
 */
struct sdvm_nm_listener {
    size_t size;
    /* The connections were handed to NetworkManager: n_links of them. */
    void (*started)(sdvm_nm *nm, uint64_t attempt, unsigned n_links, void *userdata);
    /* The authenticator answered: an EAP exchange began on ifname. Once per attempt. */
    void (*eap_started)(sdvm_nm *nm, uint64_t attempt, const char *ifname, void *userdata);
    /* wpa_supplicant verified the RADIUS server's certificate chain and name. subject is the
     * server certificate's subject ("" when wpa_supplicant did not report it). Once. */
    void (*server_cert_accepted)(sdvm_nm *nm, uint64_t attempt, const char *ifname,
                                 const char *subject, void *userdata);
    /* The RADIUS server accepted the credentials and NetworkManager activated ifname. The
     * link stays up until sdvm_nm_logout(). */
    void (*success)(sdvm_nm *nm, uint64_t attempt, const char *ifname, void *userdata);
    /* The attempt failed; every connection it made is being removed. detail is one English
     * sentence for logs (it never contains the password); NULL only for CANCELLED of an
     * attempt that was still waiting for a logout (it never began: nothing else to say). */
    void (*failure)(sdvm_nm *nm, uint64_t attempt, enum sdvm_failure failure, const char *detail,
                    void *userdata);
    /* sdvm_nm_logout() finished: `removed` connections were deleted; error is 0 or -errno
     * (-ENOTCONN: NetworkManager is not running, its volatile connections went with it). */
    void (*logged_out)(sdvm_nm *nm, unsigned removed, int error, void *userdata);
    /* The switch spoke EAP (eap_started) SlowServerNotice ago and the home RADIUS server has
     * not decided yet; the attempt goes on (at most AuthTimeout). Once per attempt, never
     * after an EAP verdict. */
    void (*home_server_slow)(sdvm_nm *nm, uint64_t attempt, const char *ifname, void *userdata);
};

/*
 * Create the glue on the thread-default GMainContext. Connecting to NetworkManager, removing
 * connections an earlier sdvmd left behind (crash) and registering the secret agent happen in
 * the background; a login started meanwhile waits for them. A missing NetworkManager is not an
 * error here (a login then fails with NM_UNAVAILABLE). 0, -EINVAL (bad listener or params),
 * -ENOMEM.
 */
int sdvm_nm_new(const struct sdvm_nm_params *params, const struct sdvm_nm_listener *listener,
                void *userdata, sdvm_nm **out);

/* Stop watching and free. Connections that are up stay up (call sdvm_nm_logout() first and
 * wait for logged_out to remove them); a running attempt is abandoned and its connections
 * are deleted without waiting for the answer. NULL is accepted. */
void sdvm_nm_free(sdvm_nm *nm);

/*
 * Start a login. The password is copied into locked memory and wiped (explicit_bzero) when
 * the attempt ends; nm-glue is its only keeper, the caller may wipe its own copy at once. The
 * outcome always arrives as an event, including refusals that need no network
 * (INSECURE_PROFILE, REALM_UNSUPPORTED).
 *
 * A login started while sdvm_nm_logout() runs waits for it, as one started right after
 * sdvm_nm_new() waits for the client and agent: it begins once logged_out has been queued
 * (its events come after logged_out, its timeouts count from then). Cancelling it meanwhile
 * ends it with CANCELLED and a NULL detail.
 *
 * 0 and *attempt set; -EINVAL (NULL or empty argument); -EBUSY (an attempt is running or
 * waiting, or a login is up: cancel or log out first); -ENOMEM.
 */
int sdvm_nm_login(sdvm_nm *nm, const struct sdvm_auth_profile *profile, const char *nai,
                  const char *password, uint64_t *attempt);

/* Cancel a running attempt: it ends with failure CANCELLED and its connections are removed.
 * Idempotent: 0 also when the attempt already ended; -EINVAL for an id never issued. */
int sdvm_nm_cancel(sdvm_nm *nm, uint64_t attempt);

/* Tear down and delete every connection nm-glue made (the logged-in link, leftovers of
 * cancelled attempts, and any marked as ours by an earlier sdvmd); cancels a running attempt.
 * logged_out follows; a login may be started meanwhile (it waits). 0, or -EBUSY when a logout
 * is already running. */
int sdvm_nm_logout(sdvm_nm *nm);

/* true between a success event and sdvm_nm_logout(). */
bool sdvm_nm_logged_in(const sdvm_nm *nm);

/* The connection id prefix that marks nm-glue's connections ("sdvm-login "). */
#define SDVM_NM_CONNECTION_ID_PREFIX "sdvm-login "
/* The NMSettingUser key that marks them as well (value: "nm-glue"). */
#define SDVM_NM_USER_DATA_KEY "org.sdvm.owner"

#ifdef __cplusplus
}
#endif

#endif /* SDVM_NM_GLUE_H */
