/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * nm-glue-login: drive one or more nm-glue logins from the command line (test bed, benchmark,
 * debugging). The password is read from standard input (one line), never from argv.
 *
 *   nm-glue-login [options] NAI < password-file
 *
 * Prints one line per event with the seconds since the request:
 *   started 0.004 links=1 / eap-started 0.051 lab0 / cert-accepted 0.062 lab0 SUBJECT /
 *   success 0.081 lab0 / failure 1.093 BAD_CREDENTIALS DETAIL / logged-out 0.012 removed=1
 * Exit status: 0 when every attempt ended as --expect says (default: success), 1 otherwise,
 * 2 on usage errors.
 */
#include <errno.h>
#include <getopt.h>
#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdvm/log.h"
#include "sdvm/nm-glue.h"

struct run {
    GMainLoop *loop;
    gint64 t0;
    bool done;
    bool ok;
    enum sdvm_failure failure;
    const char *expect;
    bool logged_out;
};

static double
now(struct run *r)
{
    return (double)(g_get_monotonic_time() - r->t0) / 1e6;
}

static void
on_started(sdvm_nm *nm, uint64_t attempt, unsigned n, void *ud)
{
    struct run *r = ud;
    printf("started %.3f links=%u\n", now(r), n);
}

static void
on_eap_started(sdvm_nm *nm, uint64_t attempt, const char *ifname, void *ud)
{
    struct run *r = ud;
    printf("eap-started %.3f %s\n", now(r), ifname);
}

static void
on_cert(sdvm_nm *nm, uint64_t attempt, const char *ifname, const char *subject, void *ud)
{
    struct run *r = ud;
    printf("cert-accepted %.3f %s %s\n", now(r), ifname, subject);
}

static void
on_success(sdvm_nm *nm, uint64_t attempt, const char *ifname, void *ud)
{
    struct run *r = ud;
    printf("success %.3f %s\n", now(r), ifname);
    r->done = true;
    r->ok = true;
    r->failure = SDVM_FAILURE_NONE;
    g_main_loop_quit(r->loop);
}

static void
on_failure(sdvm_nm *nm, uint64_t attempt, enum sdvm_failure f, const char *detail, void *ud)
{
    struct run *r = ud;
    printf("failure %.3f %s %s\n", now(r), sdvm_failure_to_string(f), detail);
    r->done = true;
    r->ok = false;
    r->failure = f;
    g_main_loop_quit(r->loop);
}

static void
on_logged_out(sdvm_nm *nm, unsigned removed, int error, void *ud)
{
    struct run *r = ud;
    printf("logged-out %.3f removed=%u error=%d\n", now(r), removed, error);
    r->logged_out = true;
    g_main_loop_quit(r->loop);
}

struct cancel_req {
    sdvm_nm *nm;
    uint64_t attempt;
    bool fired;
};

static gboolean
cancel_cb(gpointer data)
{
    struct cancel_req *cr = data;
    cr->fired = true;
    sdvm_nm_cancel(cr->nm, cr->attempt);
    return G_SOURCE_REMOVE;
}

static void
log_to_stderr(enum sdvm_log_level level, const char *msg, void *ud)
{
    fprintf(stderr, "%s\n", msg);
}

static enum sdvm_eap_method
parse_eap(const char *s)
{
    if (strcmp(s, "ttls") == 0)
        return SDVM_EAP_TTLS;
    if (strcmp(s, "peap") == 0)
        return SDVM_EAP_PEAP;
    if (strcmp(s, "pwd") == 0)
        return SDVM_EAP_PWD;
    return SDVM_EAP_NONE;
}

static int
parse_inner(const char *s, enum sdvm_inner_method *out)
{
    static const struct {
        const char *name;
        enum sdvm_inner_method m;
    } t[] = {{"pap", SDVM_INNER_PAP},           {"mschap", SDVM_INNER_MSCHAP},
             {"mschapv2", SDVM_INNER_MSCHAPV2}, {"eap-mschapv2", SDVM_INNER_EAP_MSCHAPV2},
             {"eap-gtc", SDVM_INNER_EAP_GTC},   {"none", SDVM_INNER_NONE}};
    for (size_t i = 0; i < G_N_ELEMENTS(t); i++)
        if (strcmp(s, t[i].name) == 0) {
            *out = t[i].m;
            return 0;
        }
    return -1;
}

static void
usage(FILE *f)
{
    fputs("usage: nm-glue-login [options] NAI < password\n"
          "  --eap ttls|peap|pwd        outer method (ttls)\n"
          "  --inner METHOD             pap, mschap, mschapv2, eap-mschapv2, eap-gtc (pap)\n"
          "  --anonymous ID             outer identity\n"
          "  --ca PATH                  the realm's CA bundle\n"
          "  --server NAME              a server name (repeatable); --exact: domain-match\n"
          "  --insecure                 allow a profile without CA\n"
          "  --allow-unprotected-wired  accept TTLS-PAP & co. on wired (AllowUnprotectedWired)\n"
          "  --auth-timeout MS  --eap-start-timeout MS  --attempt-timeout MS\n"
          "  --no-ip  --no-fast-start  --no-wired  --no-wifi\n"
          "  --repeat N                 log in N times (logout in between)\n"
          "  --hold                     stay logged in until stdin closes (no logout)\n"
          "  --expect FAILURE           the expected outcome: SUCCESS (default) or a failure\n"
          "                             name such as BAD_CREDENTIALS\n"
          "  --cancel-after MS          cancel the attempt after MS milliseconds\n"
          "  -v                         debug log on stderr\n",
          f);
}

int
main(int argc, char **argv)
{
    struct sdvm_nm_params params;
    sdvm_nm_params_init(&params);
    struct sdvm_auth_profile profile = {.eap = SDVM_EAP_TTLS, .inner = SDVM_INNER_PAP};
    GPtrArray *servers = g_ptr_array_new();
    int repeat = 1, cancel_after = -1;
    bool hold = false, verbose = false;
    const char *expect = "SUCCESS";
    enum {
        O_EAP = 256,
        O_INNER,
        O_ANON,
        O_CA,
        O_SERVER,
        O_EXACT,
        O_INSECURE,
        O_UNPROTECTED,
        O_AUTH,
        O_START,
        O_ATTEMPT,
        O_NOIP,
        O_NOFAST,
        O_NOWIRED,
        O_NOWIFI,
        O_REPEAT,
        O_HOLD,
        O_EXPECT,
        O_CANCEL,
    };
    static const struct option opts[] = {
        {"eap", required_argument, NULL, O_EAP},
        {"inner", required_argument, NULL, O_INNER},
        {"anonymous", required_argument, NULL, O_ANON},
        {"ca", required_argument, NULL, O_CA},
        {"server", required_argument, NULL, O_SERVER},
        {"exact", no_argument, NULL, O_EXACT},
        {"insecure", no_argument, NULL, O_INSECURE},
        {"allow-unprotected-wired", no_argument, NULL, O_UNPROTECTED},
        {"auth-timeout", required_argument, NULL, O_AUTH},
        {"eap-start-timeout", required_argument, NULL, O_START},
        {"attempt-timeout", required_argument, NULL, O_ATTEMPT},
        {"no-ip", no_argument, NULL, O_NOIP},
        {"no-fast-start", no_argument, NULL, O_NOFAST},
        {"no-wired", no_argument, NULL, O_NOWIRED},
        {"no-wifi", no_argument, NULL, O_NOWIFI},
        {"repeat", required_argument, NULL, O_REPEAT},
        {"hold", no_argument, NULL, O_HOLD},
        {"expect", required_argument, NULL, O_EXPECT},
        {"cancel-after", required_argument, NULL, O_CANCEL},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "hv", opts, NULL)) != -1) {
        switch (c) {
        case O_EAP:
            profile.eap = parse_eap(optarg);
            if (profile.eap == SDVM_EAP_NONE) {
                fprintf(stderr, "nm-glue-login: unknown EAP method %s\n", optarg);
                return 2;
            }
            break;
        case O_INNER:
            if (parse_inner(optarg, &profile.inner) < 0) {
                fprintf(stderr, "nm-glue-login: unknown inner method %s\n", optarg);
                return 2;
            }
            break;
        case O_ANON:
            profile.anonymous_identity = optarg;
            break;
        case O_CA:
            profile.ca_bundle_path = optarg;
            break;
        case O_SERVER:
            g_ptr_array_add(servers, optarg);
            break;
        case O_EXACT:
            profile.server_names_exact = true;
            break;
        case O_INSECURE:
            profile.allow_insecure = true;
            break;
        case O_UNPROTECTED:
            params.allow_unprotected_wired = true;
            break;
        case O_AUTH:
            params.auth_timeout_ms = (unsigned)atoi(optarg);
            break;
        case O_START:
            params.eap_start_timeout_ms = (unsigned)atoi(optarg);
            break;
        case O_ATTEMPT:
            params.attempt_timeout_ms = (unsigned)atoi(optarg);
            break;
        case O_NOIP:
            params.configure_ip = false;
            break;
        case O_NOFAST:
            params.fast_start = false;
            break;
        case O_NOWIRED:
            params.use_wired = false;
            break;
        case O_NOWIFI:
            params.use_wifi = false;
            break;
        case O_REPEAT:
            repeat = atoi(optarg);
            break;
        case O_HOLD:
            hold = true;
            break;
        case O_EXPECT:
            expect = optarg;
            break;
        case O_CANCEL:
            cancel_after = atoi(optarg);
            break;
        case 'v':
            verbose = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind + 1 != argc || repeat < 1) {
        usage(stderr);
        return 2;
    }
    const char *nai = argv[optind];
    char *at = strrchr(nai, '@');
    g_autofree char *realm = g_ascii_strdown(at ? at + 1 : "", -1);
    profile.realm = realm;
    g_ptr_array_add(servers, NULL);
    profile.server_names = (char **)servers->pdata;

    char password[1024];
    if (!fgets(password, sizeof(password), stdin)) {
        fprintf(stderr, "nm-glue-login: no password on standard input\n");
        return 2;
    }
    password[strcspn(password, "\n")] = '\0';

    if (verbose)
        sdvm_log_set_handler(SDVM_LOG_DEBUG, log_to_stderr, NULL);
    setvbuf(stdout, NULL, _IOLBF, 0);

    struct run r = {.loop = g_main_loop_new(NULL, FALSE), .expect = expect};
    struct sdvm_nm_listener l = {
        .size = sizeof(l),
        .started = on_started,
        .eap_started = on_eap_started,
        .server_cert_accepted = on_cert,
        .success = on_success,
        .failure = on_failure,
        .logged_out = on_logged_out,
    };
    sdvm_nm *nm = NULL;
    int err = sdvm_nm_new(&params, &l, &r, &nm);
    if (err < 0) {
        fprintf(stderr, "nm-glue-login: sdvm_nm_new: %s\n", strerror(-err));
        explicit_bzero(password, sizeof(password));
        return 2;
    }
    int status = 0;
    for (int i = 0; i < repeat; i++) {
        uint64_t attempt = 0;
        r.done = false;
        r.t0 = g_get_monotonic_time();
        err = sdvm_nm_login(nm, &profile, nai, password, &attempt);
        if (err < 0) {
            fprintf(stderr, "nm-glue-login: sdvm_nm_login: %s\n", strerror(-err));
            status = 1;
            break;
        }
        struct cancel_req cr = {.nm = nm, .attempt = attempt};
        guint cancel_id = 0;
        if (cancel_after >= 0)
            cancel_id = g_timeout_add((guint)cancel_after, cancel_cb, &cr);
        while (!r.done)
            g_main_loop_run(r.loop);
        if (cancel_id && !cr.fired)
            g_source_remove(cancel_id);
        const char *got = r.ok ? "SUCCESS" : sdvm_failure_to_string(r.failure);
        if (strcmp(got, expect) != 0) {
            fprintf(stderr, "nm-glue-login: expected %s, got %s\n", expect, got);
            status = 1;
        }
        if (hold && r.ok) {
            char buf[64];
            while (fgets(buf, sizeof(buf), stdin))
                ;
        }
        if (r.ok && !hold) {
            r.logged_out = false;
            r.t0 = g_get_monotonic_time();
            sdvm_nm_logout(nm);
            while (!r.logged_out)
                g_main_loop_run(r.loop);
        }
    }
    explicit_bzero(password, sizeof(password));
    sdvm_nm_free(nm);
    g_main_loop_unref(r.loop);
    g_ptr_array_unref(servers);
    return status;
}
