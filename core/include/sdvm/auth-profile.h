/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The authentication profile of one realm: what the realm lookup (eduroam-cat: realms.d or
 * the CAT database) hands to nm-glue. Neutral: no NetworkManager and no XML types here.
 */
#ifndef SDVM_AUTH_PROFILE_H
#define SDVM_AUTH_PROFILE_H

#include <stdbool.h>
#include <stdint.h>

#include "sdvm-failure.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Outer EAP method; values are the IANA EAP type numbers. */
enum sdvm_eap_method {
    SDVM_EAP_NONE = 0,
    SDVM_EAP_TTLS = 21,
    SDVM_EAP_PEAP = 25,
    SDVM_EAP_PWD = 52,
};

/* Inner (phase 2) method. NON_EAP_* are TTLS's non-EAP methods; EAP_* are inner EAP. */
enum sdvm_inner_method {
    SDVM_INNER_NONE = 0,
    SDVM_INNER_PAP = 1,
    SDVM_INNER_MSCHAP = 2,
    SDVM_INNER_MSCHAPV2 = 3,      /* TTLS non-EAP MSCHAPv2 */
    SDVM_INNER_EAP_MSCHAPV2 = 26, /* PEAP's usual inner method; TTLS + inner EAP-MSCHAPv2 */
    SDVM_INNER_EAP_GTC = 6,
};

/*
 * TLS phase-1 flags as NetworkManager numbers them (NMSetting8021xAuthFlags): a realm
 * override in realms.d may pin or re-enable TLS versions for old RADIUS servers.
 */
enum sdvm_phase1_flags {
    SDVM_PHASE1_TLS_1_0_DISABLE = 0x1,
    SDVM_PHASE1_TLS_1_1_DISABLE = 0x2,
    SDVM_PHASE1_TLS_1_2_DISABLE = 0x4,
    SDVM_PHASE1_TLS_DISABLE_TIME_CHECKS = 0x8,
    SDVM_PHASE1_TLS_1_3_DISABLE = 0x10,
    SDVM_PHASE1_TLS_1_0_ENABLE = 0x20,
    SDVM_PHASE1_TLS_1_1_ENABLE = 0x40,
    SDVM_PHASE1_TLS_1_2_ENABLE = 0x80,
    SDVM_PHASE1_TLS_1_3_ENABLE = 0x100,
};

struct sdvm_auth_profile {
    char *realm;                  /* the realm that matched (lower case), e.g. "uni-a.test" */
    char *source;                 /* where it came from: "realms.d/uni-a.conf", "cat-db" */
    char *institution;            /* display name; may be NULL */
    enum sdvm_eap_method eap;
    enum sdvm_inner_method inner;
    char *anonymous_identity;     /* outer identity; NULL = send the real NAI outside */
    char *ca_bundle_path;         /* absolute, root-owned PEM bundle; NULL = none */
    char **server_names;          /* NULL-terminated; domain-suffix-match (or exact) */
    bool server_names_exact;      /* true: domain-match (full names) instead of suffixes */
    uint32_t phase1_flags;        /* enum sdvm_phase1_flags; 0 = NetworkManager default */
    bool allow_insecure;          /* admin explicitly allowed a profile without CA */
    /* realms.d AllowUnprotectedWired=true: the administrator knowingly accepts, for this
     * realm, an inner method whose success the home server does not prove (TTLS-PAP, ...)
     * on wired links, where an EAP-Success can be forged on the cable (see below). */
    bool allow_unprotected_wired;
    char *helpdesk_email;         /* shown on failures; each may be NULL */
    char *helpdesk_phone;
    char *helpdesk_url;
};

struct sdvm_auth_profile *sdvm_auth_profile_new(void);
/* Deep copy; NULL on allocation failure. */
struct sdvm_auth_profile *sdvm_auth_profile_copy(const struct sdvm_auth_profile *profile);
/* NULL is accepted. */
void sdvm_auth_profile_free(struct sdvm_auth_profile *profile);

/*
 * The server-validation rule: one place, used by the realm lookup (sdvm-cat lookup,
 * sdvm-admin realm, sdvmd's lookup), by sdvm-cat build's report and by nm-glue before it
 * builds a connection, so that what the tools show is what a login does.
 *
 * sdvm_server_name_strip(): a name without CAT's optional "DNS:" prefix.
 * sdvm_server_name_problem(): NULL when name (prefix allowed) is a host name nm-glue can put
 * in domain-suffix-match/domain-match: host-name characters only (a ';' would widen the
 * match list, a '*' is not a wildcard there), no empty label, at most 253 octets, and at
 * least two labels (a single label, "edu", would be a suffix match for a whole top-level
 * domain). Else a static phrase saying why ("has a '*'...").
 */
const char *sdvm_server_name_strip(const char *name);
const char *sdvm_server_name_problem(const char *name);

/*
 * The profile's server validation (EAP-pwd needs none: it authenticates both ends from the
 * password): TTLS and PEAP need a CA (has_ca: the caller knows whether it has certificates or
 * a bundle path) and at least one server name, unless allow_insecure; every listed name must
 * pass sdvm_server_name_problem(), allow_insecure or not. Returns SDVM_FAILURE_NONE, or
 * SDVM_FAILURE_INSECURE_PROFILE with *detail (malloc'd) naming the realm and the reason.
 */
enum sdvm_failure sdvm_auth_profile_check_server(const struct sdvm_auth_profile *profile,
                                                 bool has_ca, char **detail);

/*
 * The wired policy (docs/design.md, "A forged EAP-Success on a wired port"). On a wired port
 * nothing binds the EAP-Success packet to the RADIUS decision: no 4-way handshake (Wi-Fi has
 * one, keyed from the MSK only the real server has) and no MACsec. wpa_supplicant enters
 * SUCCESS on any EAP-Success while its method's decision is not FAIL, and TTLS with PAP,
 * CHAP, MSCHAP or EAP-GTC decides "conditional success" as soon as it has sent the
 * credentials: a box on the cable that relays the real TLS handshake, drops the server's
 * EAP-Failure and injects an EAP-Success logs anyone in without their password. Only inner
 * methods whose success the server proves inside the tunnel cannot be fooled that way:
 * MSCHAPv2 (the server's authenticator response proves it knows the password hash), as
 * TTLS non-EAP MSCHAPv2, TTLS + EAP-MSCHAPv2 or PEAP + EAP-MSCHAPv2; and EAP-pwd, whose
 * server Confirm proves knowledge of the password before the peer accepts. (EAP-TLS, which
 * proves the server by its Finished message, is not a password method: nm-glue does not
 * drive it.) PEAP + EAP-GTC is refused too: GTC carries no server proof, and what saves it
 * would be PEAP's tunneled Result TLV, which depends on the server's PEAP version.
 *
 * sdvm_auth_profile_result_proven(): true for the methods above.
 * sdvm_auth_profile_wired_check(): the decision for one login on a wired link:
 *   SDVM_FAILURE_NONE with *opt_in NULL: the result is proven, nothing to say;
 *   SDVM_FAILURE_NONE with *opt_in set: allowed only by the administrator's opt-in, *opt_in
 *     is a static phrase naming it ("realms.d AllowUnprotectedWired=true", "sdvm.conf
 *     [Network] AllowUnprotectedWired=true") for the log of every such login;
 *   SDVM_FAILURE_UNPROTECTED_RESULT: refused before anything is sent; *detail (malloc'd,
 *     may be NULL on allocation failure) names the realm, the method and both opt-ins.
 * terminal_opt_in is sdvm.conf's [Network] AllowUnprotectedWired. Wi-Fi never asks this.
 */
bool sdvm_auth_profile_result_proven(enum sdvm_eap_method eap, enum sdvm_inner_method inner);
enum sdvm_failure sdvm_auth_profile_wired_check(const struct sdvm_auth_profile *profile,
                                                bool terminal_opt_in, const char **opt_in,
                                                char **detail);

const char *sdvm_eap_method_to_string(enum sdvm_eap_method method);   /* "ttls", "peap" */
const char *sdvm_inner_method_to_string(enum sdvm_inner_method inner); /* "pap", "eap-mschapv2" */

#ifdef __cplusplus
}
#endif

#endif
