/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal to nm-glue (and its unit tests): the authentication profile -> NMConnection
 * mapping. Pure: no D-Bus, no daemon. The only file set that includes NetworkManager headers
 * is nm-glue/src/.
 */
#ifndef SDVM_NM_BUILDER_H
#define SDVM_NM_BUILDER_H

#include <NetworkManager.h>
#include <stdbool.h>

#include "sdvm-failure.h"
#include "sdvm/auth-profile.h"

G_BEGIN_DECLS

/* NetworkManager versions as one comparable number. */
#define SDVM_NM_VERSION(maj, min, mic) (((guint32)(maj) << 16) | ((guint32)(min) << 8) | (mic))
/* The oldest NetworkManager nm-glue drives (AddAndActivateConnection2). */
#define SDVM_NM_VERSION_MIN SDVM_NM_VERSION(1, 16, 0)

/* "1.42.4" (or "1.42.4-1+deb12u1") -> SDVM_NM_VERSION(1, 42, 4); 0 when unparsable. */
guint32 sdvm_nm_parse_version(const char *version);

enum sdvm_nm_link_type {
    SDVM_NM_LINK_WIRED = 0,
    SDVM_NM_LINK_WIFI = 1,
};

struct sdvm_nm_build {
    const struct sdvm_auth_profile *profile;
    const char *nai; /* the inner identity: user@realm as typed */
    enum sdvm_nm_link_type type;
    const char *ifname;      /* connection.interface-name; NULL = any device */
    const char *ssid;        /* Wi-Fi only */
    int route_metric;        /* < 0: NetworkManager's default */
    bool configure_ip;       /* auto (DHCP/SLAAC) or no IP at all */
    unsigned auth_timeout_s; /* 802-1x.auth-timeout; 0 = NetworkManager's default */
    guint32 nm_version;      /* the running NetworkManager (SDVM_NM_VERSION) */
    const char *uuid;        /* NULL = a fresh one */
};

/*
 * Whether the profile can be used at all, before anything is sent: a TTLS/PEAP profile
 * without a CA is INSECURE_PROFILE (unless allow_insecure), a method nm-glue cannot drive
 * with a password is REALM_UNSUPPORTED, malformed server names are INSECURE_PROFILE.
 * SDVM_FAILURE_NONE when usable; otherwise *detail is set (g_free it).
 */
enum sdvm_failure sdvm_nm_check_profile(const struct sdvm_auth_profile *profile, guint32 nm_version,
                                        char **detail);

/* Build the connection; SDVM_FAILURE_NONE and *out (a new reference), or a failure and
 * *detail. The result passes nm_connection_verify(). */
enum sdvm_failure sdvm_nm_build_connection(const struct sdvm_nm_build *build, NMConnection **out,
                                           char **detail);

/* The longest common suffix of the names on a label boundary ("a.x.org", "b.x.org" ->
 * "x.org"); NULL when they share less than two labels. g_free the result. */
char *sdvm_nm_common_suffix(const char *const *names);

/* Whether a connection carries nm-glue's marks (id prefix or user data). */
bool sdvm_nm_connection_is_ours(NMConnection *connection);

/* The phase-1 flag bits this NetworkManager version knows. */
guint32 sdvm_nm_known_phase1_flags(guint32 nm_version);

G_END_DECLS

#endif
