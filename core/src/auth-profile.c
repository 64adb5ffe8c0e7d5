/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "sdvm/auth-profile.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

struct sdvm_auth_profile *
sdvm_auth_profile_new(void)
{
    return calloc(1, sizeof(struct sdvm_auth_profile));
}

static bool
dup_string(char **dst, const char *src)
{
    *dst = NULL;
    if (!src)
        return true;
    *dst = strdup(src);
    return *dst != NULL;
}

static bool
dup_strv(char ***dst, char *const *src)
{
    *dst = NULL;
    if (!src)
        return true;
    size_t n = 0;
    while (src[n])
        n++;
    char **v = calloc(n + 1, sizeof(char *));
    if (!v)
        return false;
    *dst = v;
    for (size_t i = 0; i < n; i++)
        if (!(v[i] = strdup(src[i])))
            return false;
    return true;
}

struct sdvm_auth_profile *
sdvm_auth_profile_copy(const struct sdvm_auth_profile *p)
{
    if (!p)
        return NULL;
    struct sdvm_auth_profile *c = sdvm_auth_profile_new();
    if (!c)
        return NULL;
    c->eap = p->eap;
    c->inner = p->inner;
    c->server_names_exact = p->server_names_exact;
    c->phase1_flags = p->phase1_flags;
    c->allow_insecure = p->allow_insecure;
    c->allow_unprotected_wired = p->allow_unprotected_wired;
    bool ok = dup_string(&c->realm, p->realm) && dup_string(&c->source, p->source) &&
              dup_string(&c->institution, p->institution) &&
              dup_string(&c->anonymous_identity, p->anonymous_identity) &&
              dup_string(&c->ca_bundle_path, p->ca_bundle_path) &&
              dup_strv(&c->server_names, p->server_names) &&
              dup_string(&c->helpdesk_email, p->helpdesk_email) &&
              dup_string(&c->helpdesk_phone, p->helpdesk_phone) &&
              dup_string(&c->helpdesk_url, p->helpdesk_url);
    if (!ok) {
        sdvm_auth_profile_free(c);
        return NULL;
    }
    return c;
}

void
sdvm_auth_profile_free(struct sdvm_auth_profile *p)
{
    if (!p)
        return;
    free(p->realm);
    free(p->source);
    free(p->institution);
    free(p->anonymous_identity);
    free(p->ca_bundle_path);
    if (p->server_names)
        for (char **s = p->server_names; *s; s++)
            free(*s);
    free(p->server_names);
    free(p->helpdesk_email);
    free(p->helpdesk_phone);
    free(p->helpdesk_url);
    free(p);
}

const char *
sdvm_eap_method_to_string(enum sdvm_eap_method method)
{
    switch (method) {
    case SDVM_EAP_TTLS:
        return "ttls";
    case SDVM_EAP_PEAP:
        return "peap";
    case SDVM_EAP_PWD:
        return "pwd";
    case SDVM_EAP_NONE:
        break;
    }
    return "none";
}

const char *
sdvm_inner_method_to_string(enum sdvm_inner_method inner)
{
    switch (inner) {
    case SDVM_INNER_PAP:
        return "pap";
    case SDVM_INNER_MSCHAP:
        return "mschap";
    case SDVM_INNER_MSCHAPV2:
        return "mschapv2";
    case SDVM_INNER_EAP_MSCHAPV2:
        return "eap-mschapv2";
    case SDVM_INNER_EAP_GTC:
        return "eap-gtc";
    case SDVM_INNER_NONE:
        break;
    }
    return "none";
}

/* ----- the server-validation rule (auth-profile.h) ----- */

const char *
sdvm_server_name_strip(const char *name)
{
    return strncasecmp(name, "DNS:", 4) == 0 ? name + 4 : name;
}

static bool
host_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.';
}

const char *
sdvm_server_name_problem(const char *name)
{
    name = sdvm_server_name_strip(name);
    size_t len = strlen(name);
    if (len == 0)
        return "is empty";
    if (len > 253)
        return "is longer than 253 octets";
    if (strchr(name, '*'))
        return "has a '*': NetworkManager matches names literally, so no certificate would"
               " match (give the domain, e.g. x.org for *.x.org)";
    for (const char *p = name; *p; p++)
        if (!host_char(*p))
            return "has characters a host name cannot have";
    if (name[0] == '.' || name[len - 1] == '.' || strstr(name, ".."))
        return "has an empty label";
    if (!strchr(name, '.'))
        return "is a single label, which would accept a certificate for any name under it";
    return NULL;
}

enum sdvm_failure
sdvm_auth_profile_check_server(const struct sdvm_auth_profile *p, bool has_ca, char **detail)
{
    *detail = NULL;
    if (p->eap != SDVM_EAP_TTLS && p->eap != SDVM_EAP_PEAP)
        return SDVM_FAILURE_NONE;
    const char *realm = p->realm ? p->realm : "(unnamed)";
    int rc = 0;
    for (char **n = p->server_names; n && *n; n++) {
        const char *why = sdvm_server_name_problem(*n);
        if (why) {
            rc = asprintf(detail, "realm %s: the server name \"%.100s\" %s, so the RADIUS"
                          " server could not be verified and nothing would be sent", realm,
                          *n, why);
            if (rc < 0)
                *detail = NULL;
            return SDVM_FAILURE_INSECURE_PROFILE;
        }
    }
    if (p->allow_insecure)
        return SDVM_FAILURE_NONE; /* the administrator's explicit exception (realms.d) */
    bool has_names = p->server_names && p->server_names[0];
    if (!has_ca || !has_names) {
        rc = asprintf(detail, "realm %s has %s: its RADIUS server could not be verified, so"
                      " nothing would be sent (set %s in realms.d, or AllowInsecure=true)",
                      realm, !has_ca && !has_names ? "no CA certificate and no server name"
                             : !has_ca             ? "no CA certificate"
                                                   : "a CA but no server name (any certificate"
                                                     " from that CA would pass)",
                      !has_ca ? "CaFile=" : "ServerNames=");
        if (rc < 0)
            *detail = NULL;
        return SDVM_FAILURE_INSECURE_PROFILE;
    }
    return SDVM_FAILURE_NONE;
}

bool
sdvm_auth_profile_result_proven(enum sdvm_eap_method eap, enum sdvm_inner_method inner)
{
    switch (eap) {
    case SDVM_EAP_PWD:
        return true; /* the server's Confirm proves the password; no inner method */
    case SDVM_EAP_TTLS:
        return inner == SDVM_INNER_MSCHAPV2 || inner == SDVM_INNER_EAP_MSCHAPV2;
    case SDVM_EAP_PEAP:
        /* PEAP's MSCHAPv2 is EAP-MSCHAPv2 (nm-glue sends both spellings as mschapv2). */
        return inner == SDVM_INNER_MSCHAPV2 || inner == SDVM_INNER_EAP_MSCHAPV2;
    case SDVM_EAP_NONE:
        break;
    }
    return false;
}

enum sdvm_failure
sdvm_auth_profile_wired_check(const struct sdvm_auth_profile *p, bool terminal_opt_in,
                              const char **opt_in, char **detail)
{
    *opt_in = NULL;
    *detail = NULL;
    if (sdvm_auth_profile_result_proven(p->eap, p->inner))
        return SDVM_FAILURE_NONE;
    /* The realm's own opt-in is named first: it is the narrower one. */
    if (p->allow_unprotected_wired) {
        *opt_in = "realms.d AllowUnprotectedWired=true";
        return SDVM_FAILURE_NONE;
    }
    if (terminal_opt_in) {
        *opt_in = "sdvm.conf [Network] AllowUnprotectedWired=true";
        return SDVM_FAILURE_NONE;
    }
    if (asprintf(detail,
                 "realm %s uses %s-%s, whose success the home server does not prove: on a "
                 "wired port an EAP-Success can be forged on the cable, so nothing was sent "
                 "(Wi-Fi is not affected; AllowUnprotectedWired=true in the realm's realms.d "
                 "entry or in sdvm.conf [Network] accepts it knowingly)",
                 p->realm ? p->realm : "(unnamed)", sdvm_eap_method_to_string(p->eap),
                 sdvm_inner_method_to_string(p->inner)) < 0)
        *detail = NULL;
    return SDVM_FAILURE_UNPROTECTED_RESULT;
}
