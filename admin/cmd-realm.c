/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sdvm-admin realm NAI: what a login with that NAI would use (source, method, inner method,
 * outer identity, CA fingerprints, server names), or why there is none. Reads RealmsDir and
 * CatDatabase from the configuration exactly as sdvmd does; writes nothing (CA bundles are
 * written by sdvmd at the first login of a realm).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "admin.h"
#include "sdvm/nai.h"
#include "sdvm/realms.h"

static void
print_phase1(uint32_t flags)
{
    static const struct {
        uint32_t bit;
        const char *name;
    } names[] = {
        {SDVM_PHASE1_TLS_1_0_DISABLE, "tls-1-0-disable"},
        {SDVM_PHASE1_TLS_1_1_DISABLE, "tls-1-1-disable"},
        {SDVM_PHASE1_TLS_1_2_DISABLE, "tls-1-2-disable"},
        {SDVM_PHASE1_TLS_DISABLE_TIME_CHECKS, "tls-disable-time-checks"},
        {SDVM_PHASE1_TLS_1_3_DISABLE, "tls-1-3-disable"},
        {SDVM_PHASE1_TLS_1_0_ENABLE, "tls-1-0-enable"},
        {SDVM_PHASE1_TLS_1_1_ENABLE, "tls-1-1-enable"},
        {SDVM_PHASE1_TLS_1_2_ENABLE, "tls-1-2-enable"},
        {SDVM_PHASE1_TLS_1_3_ENABLE, "tls-1-3-enable"},
    };
    if (!flags) {
        printf("tls:            NetworkManager defaults\n");
        return;
    }
    printf("tls:            0x%x", flags);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (flags & names[i].bit)
            printf(" %s", names[i].name);
    printf("\n");
}

/* The wired policy, as a login applies it (sdvm_auth_profile_wired_check: one rule). */
static void
print_wired_policy(const struct sdvm_auth_profile *p, bool terminal_opt_in)
{
    const char *opt_in = NULL;
    char *detail = NULL;
    enum sdvm_failure f = sdvm_auth_profile_wired_check(p, terminal_opt_in, &opt_in, &detail);
    free(detail);
    if (f != SDVM_FAILURE_NONE)
        printf("wired:          refused (%s): the home server does not prove the success of "
               "%s-%s, so an EAP-Success forged on the cable would pass; nothing is sent "
               "(AllowUnprotectedWired=true in realms.d or sdvm.conf [Network] accepts it)\n",
               sdvm_failure_to_string(f), sdvm_eap_method_to_string(p->eap),
               sdvm_inner_method_to_string(p->inner));
    else if (opt_in)
        printf("wired:          allowed by opt-in (%s), although the home server does not "
               "prove the success of %s-%s: an EAP-Success forged on the cable would pass; "
               "every such login is logged\n",
               opt_in, sdvm_eap_method_to_string(p->eap), sdvm_inner_method_to_string(p->inner));
    else
        printf("wired:          allowed: the home server proves its answer (%s%s%s)\n",
               sdvm_eap_method_to_string(p->eap), p->inner ? "-" : "",
               p->inner ? sdvm_inner_method_to_string(p->inner) : "");
    printf("wi-fi:          not affected (the 4-way handshake binds the answer to the home "
           "server's keys)\n");
}

int
sdvm_admin_cmd_realm(struct sdvm_admin *adm, int argc, char **argv)
{
    static const struct option options[] = {{NULL, 0, NULL, 0}};
    if (getopt_long(argc, argv, "", options, NULL) != -1 || argc - optind != 1)
        return admin_usage(adm);
    const char *input = argv[optind];
    sdvm_nai *nai = NULL;
    enum sdvm_nai_reject reject;
    if (sdvm_nai_parse(input, SDVM_NAI_NUL_TERMINATED, 0, &nai, &reject) < 0) {
        if (reject != SDVM_NAI_VALID)
            admin_errorf(adm, "not a valid login: %s (%s, failure %s)",
                         sdvm_nai_reject_describe(reject), sdvm_nai_reject_to_string(reject),
                         sdvm_failure_to_string(SDVM_FAILURE_INVALID_NAI));
        else
            admin_errorf(adm, "out of memory");
        return ADMIN_EXIT_FAILED;
    }
    const struct sdvm_config *cfg = admin_config(adm);
    if (!cfg) {
        sdvm_nai_free(nai);
        return ADMIN_EXIT_CONFIG;
    }
    sdvm_realms *realms = NULL;
    char *error = NULL;
    int rc = sdvm_realms_open(cfg->paths.realms_dir, cfg->paths.cat_database, NULL, &realms,
                              &error);
    if (rc < 0) {
        admin_errorf(adm, "%s (failure %s)", error ? error : "cannot open the realm sources",
                     sdvm_failure_to_string(SDVM_FAILURE_CONFIG));
        free(error);
        sdvm_nai_free(nai);
        return ADMIN_EXIT_CONFIG;
    }
    struct sdvm_realm_explain *e = NULL;
    if (sdvm_realms_explain(realms, sdvm_nai_realm(nai), &e) < 0) {
        admin_errorf(adm, "out of memory");
        sdvm_realms_free(realms);
        sdvm_nai_free(nai);
        return ADMIN_EXIT_FAILED;
    }
    printf("login:          %s\n", sdvm_nai_input(nai));
    printf("realm:          %s\n", sdvm_nai_realm(nai));
    printf("sources:        %s (%zu realms), %s (%zu realms)\n",
           cfg->paths.realms_dir ? cfg->paths.realms_dir : "-",
           sdvm_realms_local_count(realms),
           cfg->paths.cat_database ? cfg->paths.cat_database : "-",
           sdvm_realms_db_count(realms));
    int status = ADMIN_EXIT_OK;
    if (e->failure != SDVM_FAILURE_NONE) {
        printf("result:         %s: %s\n", sdvm_failure_to_string(e->failure),
               e->detail ? e->detail : sdvm_failure_describe(e->failure));
        status = ADMIN_EXIT_FAILED;
    } else {
        const struct sdvm_auth_profile *p = e->profile;
        printf("result:         usable\n");
        printf("matched:        %s%s\n", p->realm, e->from_parent ? " (parent realm)" : "");
        printf("source:         %s\n", p->source);
        if (p->institution)
            printf("institution:    %s\n", p->institution);
        printf("method:         %s\n", sdvm_eap_method_to_string(p->eap));
        printf("inner:          %s%s\n", sdvm_inner_method_to_string(p->inner),
               e->cat_compat ? " (CAT's TTLS encoding; eap-mschapv2 is the alternative)" : "");
        print_wired_policy(p, cfg->network.allow_unprotected_wired);
        printf("identity:       %s\n", sdvm_nai_input(nai));
        if (p->anonymous_identity)
            printf("outer identity: %s\n", p->anonymous_identity);
        else
            printf("outer identity: none: the full login goes out in clear, outside the"
                   " tunnel, as CAT's installers do (AnonymousIdentity= in realms.d sets one)\n");
        if (e->outer_note)
            printf("outer note:     %s\n", e->outer_note);
        if (e->ca_fingerprints && e->ca_fingerprints[0]) {
            for (size_t i = 0; e->ca_fingerprints[i]; i++)
                printf("ca sha256:      %s\n                %s\n", e->ca_fingerprints[i],
                       e->ca_subjects[i]);
        } else {
            printf("ca:             none%s\n",
                   p->allow_insecure ? " (AllowInsecure=true: the server is NOT verified)"
                                     : p->eap == SDVM_EAP_PWD ? " (EAP-pwd needs none)" : "");
        }
        if (p->server_names && p->server_names[0])
            for (size_t i = 0; p->server_names[i]; i++)
                printf("server name:    %s (%s)\n", p->server_names[i],
                       p->server_names_exact ? "exact" : "suffix");
        else
            printf("server name:    none: any certificate from the CA is accepted\n");
        print_phase1(p->phase1_flags);
        if (e->inner_suffix)
            printf("realm rule:     %s%s\n", e->inner_suffix,
                   e->inner_hint ? " exactly (no sub-realms)" : " or a sub-realm");
        if (e->valid_until) {
            char when[64];
            struct tm tm;
            gmtime_r(&e->valid_until, &tm);
            strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
            printf("valid until:    %s%s\n", when,
                   e->valid_until < time(NULL) ? " (expired: refresh the database)" : "");
        }
        const char *help[3] = {p->helpdesk_email, p->helpdesk_phone, p->helpdesk_url};
        for (int i = 0; i < 3; i++)
            if (help[i])
                printf("helpdesk:       %s\n", help[i]);
        if (e->detail)
            printf("note:           %s\n", e->detail);
    }
    sdvm_realm_explain_free(e);
    sdvm_realms_free(realms);
    sdvm_nai_free(nai);
    return status;
}
