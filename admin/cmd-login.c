/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sdvm-admin login NAI [--image ID] [--timeout SECONDS] [--follow]: one login through libsdvm's ABI,
 * as the greeter would make it (SDVM_BACKEND=fake for the scripted fake). The password is
 * read from a prompt without echo when stdin is a terminal, else from the first line of
 * stdin; it is wiped once libsdvm has it. Every stage and the outcome are printed.
 *
 * With --follow it stays connected through the session, printing the guest's output lines
 * that sdvmd passes on, until sdvmd closes the connection at the session's end.
 *
 * Exit status: 0 the login succeeded (launching) and, with --follow, the guest ended
 * normally; 1 it failed, the guest failed, or sdvmd cannot be reached; 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "sdvm.h"
#include "sdvm/log.h"

#define PASSWORD_MAX 1024
#define DEFAULT_TIMEOUT_S 300

struct login_state {
    bool done;
    bool launched;
    bool gone;           /* disconnected: with --follow, the session is over */
    bool session_failed; /* an error message after launching: the guest ended badly */
    enum sdvm_failure failure;
};

static volatile sig_atomic_t interrupted;

static void
on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static const char *
stage_words(enum sdvm_stage stage)
{
    switch (stage) {
    case SDVM_STAGE_CHECKING_REALM:
        return "checking the realm";
    case SDVM_STAGE_CONNECTING_WIRED:
        return "802.1X on the wired network";
    case SDVM_STAGE_CONNECTING_WIFI:
        return "802.1X on Wi-Fi";
    case SDVM_STAGE_AUTHENTICATING:
        return "authenticating with the home server";
    case SDVM_STAGE_PREPARING_DISK:
        return "preparing the disk";
    case SDVM_STAGE_STARTING:
        return "starting";
    case SDVM_STAGE_HOME_SERVER_SLOW:
        return "the home server is slow to answer; still waiting";
    case SDVM_STAGE_DISK_RENEWED:
        return "the disk was made on a base that has changed: kept aside, a new disk made";
    }
    return "unknown stage";
}

static void
on_progress(sdvm_ctx *ctx, uint64_t op, enum sdvm_stage stage, void *ud)
{
    (void)ctx;
    (void)op;
    (void)ud;
    printf("stage: %s (%s)\n", sdvm_stage_to_string(stage), stage_words(stage));
    fflush(stdout);
}

static void
on_message(sdvm_ctx *ctx, uint64_t op, int is_error, const char *text, void *ud)
{
    (void)ctx;
    struct login_state *st = ud;
    if (st->launched && op == 0 && is_error)
        st->session_failed = true;
    printf("%s: %s\n", is_error ? "error message" : "message", text);
    fflush(stdout);
}

static void
on_finished(sdvm_ctx *ctx, uint64_t op, const struct sdvm_outcome *o, void *ud)
{
    (void)ctx;
    (void)op;
    struct login_state *st = ud;
    st->done = true;
    st->failure = o->failure;
    printf("failed: %s: %s\n", sdvm_failure_to_string(o->failure),
           sdvm_failure_describe(o->failure));
    if (o->detail)
        printf("detail: %s\n", o->detail);
    if (o->failure == SDVM_FAILURE_THROTTLED)
        printf("retry after: %u s\n", o->retry_after_s);
    if (o->institution)
        printf("institution: %s\n", o->institution);
    if (o->helpdesk_email)
        printf("helpdesk e-mail: %s\n", o->helpdesk_email);
    if (o->helpdesk_phone)
        printf("helpdesk phone: %s\n", o->helpdesk_phone);
    if (o->helpdesk_url)
        printf("helpdesk web: %s\n", o->helpdesk_url);
    fflush(stdout);
}

static void
on_launching(sdvm_ctx *ctx, uint64_t op, void *ud)
{
    (void)ctx;
    (void)op;
    struct login_state *st = ud;
    st->done = true;
    st->launched = true;
    printf("launching: the login succeeded; sdvmd starts the guest\n");
    fflush(stdout);
}

static void
on_disconnected(sdvm_ctx *ctx, void *ud)
{
    (void)ctx;
    struct login_state *st = ud;
    st->gone = true;
    printf("disconnected: sdvmd closed the connection\n");
    fflush(stdout);
}

static void
log_to_stderr(enum sdvm_log_level level, const char *msg, void *userdata)
{
    static const char *const names[] = {"", "error", "warning", "info", "debug"};
    (void)userdata;
    fprintf(stderr, "sdvm-admin: libsdvm: %s: %s\n", names[level <= SDVM_LOG_DEBUG ? level : 0],
            msg);
}

/* Read the password: a prompt without echo on a terminal, else one line of stdin. */
static int
read_password(const char *nai, char *buf, size_t size)
{
    bool tty = isatty(STDIN_FILENO);
    struct termios old, quiet;
    if (tty) {
        if (tcgetattr(STDIN_FILENO, &old) < 0)
            return -errno;
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
        quiet.c_lflag |= ICANON;
        fprintf(stderr, "Password for %s: ", nai);
        fflush(stderr);
        if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) < 0)
            return -errno;
    }
    /* read(2), not stdio: nothing of the password stays in a FILE buffer. */
    size_t n = 0;
    int r = 0;
    for (;;) {
        char c;
        ssize_t got = read(STDIN_FILENO, &c, 1);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            r = -errno;
            break;
        }
        if (got == 0 || c == '\n')
            break;
        if (n + 1 >= size) {
            r = -EMSGSIZE;
            break;
        }
        buf[n++] = c;
    }
    if (n > 0 && buf[n - 1] == '\r')
        n--;
    buf[n] = '\0';
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fputc('\n', stderr);
    }
    if (r == 0 && n == 0)
        r = -ENODATA;
    return r;
}

static const char *
default_image(sdvm_ctx *ctx)
{
    const struct sdvm_image *const *im;
    size_t n;
    if (sdvm_images(ctx, &im, &n) < 0)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (im[i]->is_default)
            return im[i]->id;
    for (size_t i = 0; i < n; i++)
        if (im[i]->available)
            return im[i]->id;
    return n ? im[0]->id : NULL;
}

static int64_t
mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
sdvm_admin_cmd_login(struct sdvm_admin *adm, int argc, char **argv)
{
    static const struct option options[] = {
        {"image", required_argument, NULL, 'i'},
        {"timeout", required_argument, NULL, 't'},
        {"follow", no_argument, NULL, 'f'},
        {NULL, 0, NULL, 0},
    };
    const char *image = NULL;
    long timeout_s = DEFAULT_TIMEOUT_S;
    bool follow = false;
    int c;
    while ((c = getopt_long(argc, argv, "i:t:f", options, NULL)) != -1) {
        switch (c) {
        case 'f':
            follow = true;
            break;
        case 'i':
            image = optarg;
            break;
        case 't': {
            char *end;
            errno = 0;
            timeout_s = strtol(optarg, &end, 10);
            if (errno || *end || end == optarg || timeout_s <= 0 || timeout_s > 86400) {
                admin_errorf(adm, "--timeout %s: expected seconds, 1 to 86400", optarg);
                return ADMIN_EXIT_USAGE;
            }
            break;
        }
        default:
            return admin_usage(adm);
        }
    }
    if (argc - optind != 1)
        return admin_usage(adm);
    const char *nai = argv[optind];

    enum sdvm_log_level level = sdvm_log_get_level();
    if (level != SDVM_LOG_SILENT)
        sdvm_set_log_handler(NULL, level, log_to_stderr, NULL);

    struct login_state st = {0};
    const struct sdvm_listener listener = {
        .size = sizeof(listener),
        .progress = on_progress,
        .message = on_message,
        .finished = on_finished,
        .launching = on_launching,
        .disconnected = on_disconnected,
    };
    sdvm_ctx *ctx = NULL;
    int r = sdvm_ctx_new(&listener, &st, &ctx);
    if (r < 0) {
        const char *backend = getenv("SDVM_BACKEND");
        const char *sock = getenv("SDVM_SOCKET");
        if (backend && strcmp(backend, "socket") != 0)
            admin_errorf(adm, "cannot open the %s backend: %s", backend, strerror(-r));
        else
            admin_errorf(adm, "cannot reach sdvmd%s%s: %s", sock ? " at " : "", sock ? sock : "",
                         strerror(-r));
        return ADMIN_EXIT_FAILED;
    }
    if (!image) {
        image = default_image(ctx);
        if (!image) {
            admin_errorf(adm, "the catalog is empty; give --image ID");
            sdvm_ctx_free(ctx);
            return ADMIN_EXIT_FAILED;
        }
    }

    char password[PASSWORD_MAX + 2];
    r = read_password(nai, password, sizeof(password));
    if (r < 0) {
        explicit_bzero(password, sizeof(password));
        admin_errorf(adm, "%s",
                     r == -ENODATA    ? "no password given"
                     : r == -EMSGSIZE ? "the password is too long"
                                      : strerror(-r));
        sdvm_ctx_free(ctx);
        return ADMIN_EXIT_FAILED;
    }
    printf("login: %s on %s, image %s\n", nai, sdvm_hostname(ctx), image);
    fflush(stdout);
    uint64_t op = 0;
    r = sdvm_login_start(ctx, nai, password, image, &op);
    explicit_bzero(password, sizeof(password));
    if (r < 0) {
        admin_errorf(adm, "cannot start the login: %s", strerror(-r));
        sdvm_ctx_free(ctx);
        return ADMIN_EXIT_FAILED;
    }

    struct sigaction sa = {.sa_handler = on_signal}, old_int, old_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    int64_t deadline = mono_ms() + timeout_s * 1000;
    bool cancelled = false;
    struct pollfd p = {.fd = sdvm_get_fd(ctx), .events = POLLIN};
    while (!st.done) {
        if ((interrupted || mono_ms() >= deadline) && !cancelled) {
            printf("cancelling: %s\n", interrupted ? "interrupted" : "timed out");
            fflush(stdout);
            sdvm_login_cancel(ctx, op);
            cancelled = true;
            deadline = mono_ms() + 10000; /* for the answer to the cancel */
        } else if (cancelled && mono_ms() >= deadline) {
            admin_errorf(adm, "no answer to the cancel within 10 s");
            break;
        }
        int pr = poll(&p, 1, 200);
        if (pr < 0 && errno != EINTR)
            break;
        r = sdvm_dispatch(ctx, 0);
        if (r < 0 && !st.done) {
            admin_errorf(adm, "lost sdvmd: %s", strerror(-r));
            break;
        }
    }
    /*
     * --follow: stay connected through the session. sdvmd passes the guest's output lines
     * (op 0 messages) to the client that logged in, and closes the connection when the
     * session has ended. Ctrl-C stops following; the session goes on.
     */
    if (follow && st.launched) {
        interrupted = 0;
        while (!st.gone && !interrupted) {
            int pr = poll(&p, 1, 500);
            if (pr < 0 && errno != EINTR)
                break;
            if (sdvm_dispatch(ctx, 0) < 0)
                break;
        }
        if (!st.gone)
            printf("stopped following; the session goes on\n");
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    sdvm_ctx_free(ctx);
    if (!st.launched || (follow && st.session_failed))
        return ADMIN_EXIT_FAILED;
    return ADMIN_EXIT_OK;
}
