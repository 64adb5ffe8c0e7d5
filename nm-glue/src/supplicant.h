/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A watcher of wpa_supplicant's D-Bus API (fi.w1.wpa_supplicant1) on the bus NetworkManager
 * uses: per network interface, the EAP status signal (status, parameter), the server
 * certificate chain (Certification) and the interface State. It also asks wpa_supplicant to
 * send an EAPOL-Start now (EAPLogon), or to restart its EAPOL state machine and send one
 * (EAPLogoff + EAPLogon), which is how nm-glue starts EAP without the 2 s hold-off and
 * re-triggers a port that ignored the first EAPOL-Start.
 *
 * Signals are accepted only from the owner of the well-known name (the bus filters on it).
 * Callbacks run on the thread-default GMainContext of sdvm_supp_new().
 */
#ifndef SDVM_NM_SUPPLICANT_H
#define SDVM_NM_SUPPLICANT_H

#include <gio/gio.h>
#include <stdbool.h>

G_BEGIN_DECLS

typedef struct sdvm_supp sdvm_supp;

struct sdvm_supp_events {
    void (*eap)(const char *ifname, const char *status, const char *parameter, gpointer ud);
    void (*certification)(const char *ifname, guint depth, const char *subject, gpointer ud);
    void (*state)(const char *ifname, const char *state, gpointer ud);
};

sdvm_supp *sdvm_supp_new(GDBusConnection *bus, const struct sdvm_supp_events *events,
                         gpointer userdata);
void sdvm_supp_free(sdvm_supp *supp);

/* Make sure the interface object of ifname is known (asks wpa_supplicant once). */
void sdvm_supp_lookup(sdvm_supp *supp, const char *ifname);

/* The last State seen for ifname ("associated", "completed", ...), NULL when unknown. */
const char *sdvm_supp_state(sdvm_supp *supp, const char *ifname);

/* EAPLogon (restart = false) or EAPLogoff + EAPLogon + EAPLogon (restart = true: the EAPOL
 * state machine starts over, so its EAPOL-Start counter cannot run out). false when the
 * interface is not known (yet). */
bool sdvm_supp_eap_start(sdvm_supp *supp, const char *ifname, bool restart);

G_END_DECLS

#endif
