/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sdvm-cat: the eduroam CAT realm database tool (sdvm-cat(1)).
 *
 *   sdvm-cat check FILE...                 what each eap-config file yields
 *   sdvm-cat build DIR OUT.db              compile a directory of eap-config files
 *   sdvm-cat sync --from URL [...] OUT.db  download from CAT, then build
 *   sdvm-cat lookup [--db F] [--realms-dir D] REALM   what a login with REALM would use
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sdvm/cat.h"
#include "sdvm/log.h"
#include "sdvm/realms.h"

enum { EXIT_USAGE = 2, EXIT_INCOMPLETE = 3 };

static void
usage(FILE *out)
{
    fprintf(out,
            "usage: sdvm-cat check FILE...\n"
            "       sdvm-cat build [--quiet] DIR OUT.db\n"
            "       sdvm-cat sync --from URL [--work-dir DIR] [--cacert FILE] [--time-limit S]\n"
            "                     [--retries N] [--backoff-ms MS] [--timeout S] [--refresh]\n"
            "                     [--resume-max S] [--max-age S] [--max-failed PCT]\n"
            "                     [--connections N] [--json]\n"
            "                     [--quiet] OUT.db\n"
            "       sdvm-cat lookup [--db FILE] [--realms-dir DIR] REALM\n"
            "See sdvm-cat(1).\n");
}

static void
log_to_stderr(enum sdvm_log_level level, const char *msg, void *userdata)
{
    fprintf(stderr, "%s\n", msg);
}

static const char *
method_name(const struct sdvm_cat_method *m)
{
    static char buf[96];
    snprintf(buf, sizeof(buf), "EAP %d, inner %s %d", m->eap_type,
             m->inner_non_eap ? "non-EAP" : "EAP",
             m->inner_non_eap ? m->inner_non_eap : m->inner_eap_type);
    return buf;
}

static int
cmd_check(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    int status = 0;
    for (int i = 1; i < argc; i++) {
        struct sdvm_cat_document *doc;
        char *error = NULL;
        int rc = sdvm_cat_parse_file(argv[i], &doc, &error);
        if (rc < 0) {
            printf("%s: error: %s\n", argv[i], error ? error : strerror(-rc));
            free(error);
            status = 1;
            continue;
        }
        for (size_t p = 0; p < doc->n_providers; p++) {
            const struct sdvm_cat_provider *pr = &doc->providers[p];
            printf("%s: provider %zu: realm %s (%s)\n", argv[i], p + 1,
                   pr->id ? pr->id : "undefined", pr->display_name ? pr->display_name : "-");
            for (size_t m = 0; m < pr->n_methods; m++) {
                const struct sdvm_cat_method *me = &pr->methods[m];
                if (me->eap)
                    printf("  method %zu: %s/%s, %zu CA, %zu server name(s)%s%s\n", m + 1,
                           sdvm_eap_method_to_string(me->eap),
                           sdvm_inner_method_to_string(me->inner), me->n_certs,
                           me->n_server_ids, (int)m == pr->chosen ? " <- used" : "",
                           me->cat_compat ? " (CAT compat encoding)" : "");
                else
                    printf("  method %zu: %s: unusable (%s): %s\n", m + 1, method_name(me),
                           sdvm_failure_to_string(me->failure), me->reason);
            }
            for (size_t w = 0; w < pr->n_warnings; w++)
                printf("  note: %s\n", pr->warnings[w]);
            if (pr->failure)
                printf("  => %s: %s\n", sdvm_failure_to_string(pr->failure), pr->reason);
        }
        sdvm_cat_document_free(doc);
    }
    return status;
}

struct build_stats {
    bool quiet;
    unsigned kept, skipped;
};

static void
build_report(const char *source, bool kept, const char *what, void *userdata)
{
    struct build_stats *st = userdata;
    if (kept)
        st->kept++;
    else
        st->skipped++;
    if (!st->quiet || !kept)
        printf("%s %s: %s\n", kept ? "kept   " : "skipped", source, what);
}

static int
cmd_build(int argc, char **argv)
{
    struct build_stats st = {0};
    static const struct option opts[] = {{"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        if (c == 'q')
            st.quiet = true;
        else {
            usage(c == 'h' ? stdout : stderr);
            return c == 'h' ? 0 : EXIT_USAGE;
        }
    }
    if (argc - optind != 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    char *error = NULL;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = sdvm_cat_db_build_dir(argv[optind], argv[optind + 1], build_report, &st, &error);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc < 0) {
        fprintf(stderr, "sdvm-cat build: %s\n", error ? error : strerror(-rc));
        free(error);
        return 1;
    }
    printf("wrote %s: %u realm entries kept, %u skipped, in %.0f ms\n", argv[optind + 1],
           st.kept, st.skipped,
           (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
    return 0;
}

static bool
parse_uint(const char *s, unsigned *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || end == s || v > 1000000000ul)
        return false;
    *out = (unsigned)v;
    return true;
}

static int
cmd_sync(int argc, char **argv)
{
    struct sdvm_cat_sync_options o = {
        .time_limit_s = 3600, .retries = 4, .backoff_ms = 1000, .timeout_s = 60};
    static const struct option opts[] = {
        {"from", required_argument, NULL, 'f'},    {"work-dir", required_argument, NULL, 'w'},
        {"cacert", required_argument, NULL, 'c'},  {"time-limit", required_argument, NULL, 't'},
        {"retries", required_argument, NULL, 'r'}, {"backoff-ms", required_argument, NULL, 'b'},
        {"timeout", required_argument, NULL, 'T'}, {"refresh", no_argument, NULL, 'R'},
        {"quiet", no_argument, NULL, 'q'},         {"help", no_argument, NULL, 'h'},
        {"resume-max", required_argument, NULL, 'M'}, {"max-age", required_argument, NULL, 'A'},
        {"max-failed", required_argument, NULL, 'F'}, {"connections", required_argument, NULL, 'C'},
        {"json", no_argument, NULL, 'j'},
        {NULL, 0, NULL, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "f:w:c:t:r:b:T:RqhM:A:F:C:j", opts, NULL)) != -1) {
        bool ok = true;
        switch (c) {
        case 'f':
            o.api_url = optarg;
            break;
        case 'w':
            o.work_dir = optarg;
            break;
        case 'c':
            o.ca_file = optarg;
            break;
        case 't':
            ok = parse_uint(optarg, &o.time_limit_s);
            break;
        case 'r':
            ok = parse_uint(optarg, &o.retries);
            break;
        case 'b':
            ok = parse_uint(optarg, &o.backoff_ms);
            break;
        case 'T':
            ok = parse_uint(optarg, &o.timeout_s) && o.timeout_s > 0;
            break;
        case 'R':
            o.refresh = true;
            break;
        case 'q':
            o.quiet = true;
            break;
        case 'j':
            o.json = true;
            break;
        case 'C':
            ok = parse_uint(optarg, &o.connections) && o.connections >= 1 && o.connections <= 64;
            break;
        case 'M':
            ok = parse_uint(optarg, &o.resume_max_s) && o.resume_max_s > 0;
            break;
        case 'A':
            ok = parse_uint(optarg, &o.max_age_s) && o.max_age_s > 0;
            break;
        case 'F':
            ok = parse_uint(optarg, &o.max_failed_pct) && o.max_failed_pct >= 1 &&
                 o.max_failed_pct <= 100;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            ok = false;
        }
        if (!ok) {
            if (c != '?')
                fprintf(stderr, "sdvm-cat sync: bad value for an option: %s\n", optarg);
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (argc - optind != 1 || !o.api_url) {
        usage(stderr);
        return EXIT_USAGE;
    }
    o.out_path = argv[optind];
    char *work = NULL;
    if (!o.work_dir) {
        work = malloc(strlen(o.out_path) + 6);
        if (!work)
            return 1;
        sprintf(work, "%s.work", o.out_path);
        o.work_dir = work;
    }
    char *error = NULL;
    int rc = sdvm_cat_sync(&o, &error);
    if (rc < 0)
        fprintf(stderr, "sdvm-cat sync: %s\n", error ? error : strerror(-rc));
    free(error);
    free(work);
    if (rc == -ETIMEDOUT || rc == -EAGAIN)
        return EXIT_INCOMPLETE;
    return rc < 0 ? 1 : 0;
}

static int
cmd_lookup(int argc, char **argv)
{
    const char *db = NULL, *dir = NULL;
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"realms-dir", required_argument, NULL, 'r'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "d:r:h", opts, NULL)) != -1) {
        if (c == 'd')
            db = optarg;
        else if (c == 'r')
            dir = optarg;
        else {
            usage(c == 'h' ? stdout : stderr);
            return c == 'h' ? 0 : EXIT_USAGE;
        }
    }
    if (argc - optind != 1 || (!db && !dir)) {
        usage(stderr);
        return EXIT_USAGE;
    }
    sdvm_realms *r;
    char *error = NULL;
    int rc = sdvm_realms_open(dir, db, NULL, &r, &error);
    if (rc < 0) {
        fprintf(stderr, "sdvm-cat lookup: %s\n", error ? error : strerror(-rc));
        free(error);
        return 1;
    }
    struct sdvm_realm_explain *e;
    rc = sdvm_realms_explain(r, argv[optind], &e);
    if (rc < 0) {
        sdvm_realms_free(r);
        return 1;
    }
    int status = 0;
    if (e->failure) {
        printf("%s: %s: %s\n", argv[optind], sdvm_failure_to_string(e->failure),
               e->detail ? e->detail : sdvm_failure_describe(e->failure));
        status = 1;
    } else {
        const struct sdvm_auth_profile *p = e->profile;
        printf("realm:     %s%s\nsource:    %s\nmethod:    %s\ninner:     %s%s\n", p->realm,
               e->from_parent ? " (parent realm)" : "", p->source,
               sdvm_eap_method_to_string(p->eap), sdvm_inner_method_to_string(p->inner),
               e->cat_compat ? " (or eap-mschapv2: CAT compat encoding)" : "");
        printf("outer id:  %s\n", p->anonymous_identity
                                       ? p->anonymous_identity
                                       : "(none: the full user name goes out in clear)");
        if (e->outer_note)
            printf("note:      %s\n", e->outer_note);
        for (size_t i = 0; e->ca_fingerprints && e->ca_fingerprints[i]; i++)
            printf("CA:        %s\n           %s\n", e->ca_fingerprints[i], e->ca_subjects[i]);
        for (size_t i = 0; p->server_names && p->server_names[i]; i++)
            printf("server:    %s%s\n", p->server_names[i],
                   p->server_names_exact ? " (exact)" : " (suffix)");
    }
    sdvm_realm_explain_free(e);
    sdvm_realms_free(r);
    return status;
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (getenv("SDVM_DEBUG"))
        sdvm_log_set_handler(SDVM_LOG_DEBUG, log_to_stderr, NULL);
    else
        sdvm_log_set_handler(SDVM_LOG_WARNING, log_to_stderr, NULL);
    const char *cmd = argv[1];
    if (!strcmp(cmd, "check"))
        return cmd_check(argc - 1, argv + 1);
    if (!strcmp(cmd, "build"))
        return cmd_build(argc - 1, argv + 1);
    if (!strcmp(cmd, "sync"))
        return cmd_sync(argc - 1, argv + 1);
    if (!strcmp(cmd, "lookup"))
        return cmd_lookup(argc - 1, argv + 1);
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "sdvm-cat: unknown command %s\n", cmd);
    usage(stderr);
    return EXIT_USAGE;
}
