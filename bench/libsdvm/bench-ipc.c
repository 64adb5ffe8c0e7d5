/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libsdvm / sdvm-ipc benchmark: what the protocol costs in a login.
 *   - encode + decode of a LOGIN and of an EV_HELLO with the largest catalog allowed;
 *   - sdvm_ctx_new() against a minimal server in a child process (connect + handshake);
 *   - a login round trip: sdvm_login_start() -> LOGIN on the wire -> EV_LAUNCHING ->
 *     launching() callback from sdvm_dispatch();
 *   - the same round trip through the fake backend with no delay (library overhead only).
 * Prints medians; usage: bench-ipc [rounds]
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sdvm.h"
#include "sdvm/ipc.h"

static double
now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double
median(double *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double
percentile(double *v, size_t n, double p)
{
    qsort(v, n, sizeof(*v), cmp_double);
    size_t i = (size_t)(p * (double)(n - 1));
    return v[i];
}

/* ---- codec ---------------------------------------------------------------------------- */

static double
codec_us(const struct sdvm_ipc_msg *m, int iterations)
{
    struct sdvm_ipc_buf buf = {0};
    double t0 = now_us();
    for (int i = 0; i < iterations; i++) {
        buf.len = 0;
        if (sdvm_ipc_encode(m, &buf) != 0)
            abort();
        struct sdvm_ipc_frame f;
        struct sdvm_ipc_msg out;
        struct sdvm_ipc_error err;
        if (sdvm_ipc_frame_parse(buf.data, buf.len, &f, &err) != 1 ||
            sdvm_ipc_decode(f.type, f.payload, f.payload_len, &out, &err) != 0)
            abort();
        sdvm_ipc_msg_clear(&out);
    }
    double t = (now_us() - t0) / iterations;
    sdvm_ipc_buf_free(&buf);
    return t;
}

/* ---- a minimal server ----------------------------------------------------------------- */

static struct sdvm_ipc_image catalog[SDVM_IPC_MAX_IMAGES];
static char catalog_ids[SDVM_IPC_MAX_IMAGES][16];

static void
fill_catalog(void)
{
    for (int i = 0; i < SDVM_IPC_MAX_IMAGES; i++) {
        snprintf(catalog_ids[i], sizeof(catalog_ids[i]), "image-%02d", i);
        catalog[i] = (struct sdvm_ipc_image){catalog_ids[i],
                                             "A lab image with a long name",
                                             "linux",
                                             "Compilers, Python, R, LaTeX",
                                             i == 0,
                                             1,
                                             NULL};
    }
}

static int
recv_msg(struct sdvm_ipc_conn *c, struct sdvm_ipc_msg *m)
{
    for (;;) {
        struct sdvm_ipc_error err;
        int r = sdvm_ipc_conn_next(c, m, &err);
        if (r != 0)
            return r;
        struct pollfd p = {.fd = c->fd, .events = POLLIN};
        if (poll(&p, 1, 10000) <= 0)
            return -ETIMEDOUT;
        r = sdvm_ipc_conn_fill(c);
        if (r < 0 && c->in.len == 0)
            return r;
    }
}

/* Serve clients until killed: hello with 8 images, LOGIN -> EV_LAUNCHING at once. */
static void
serve(int lfd)
{
    for (;;) {
        struct pollfd p = {.fd = lfd, .events = POLLIN};
        if (poll(&p, 1, -1) <= 0)
            continue;
        int fd = sdvm_ipc_accept(lfd);
        if (fd < 0)
            continue;
        struct sdvm_ipc_conn c;
        sdvm_ipc_conn_init(&c, fd, SDVM_IPC_SIDE_SERVER);
        struct sdvm_ipc_msg m;
        while (recv_msg(&c, &m) == 1) {
            struct sdvm_ipc_msg ev = {0};
            if (m.type == SDVM_IPC_HELLO) {
                ev.type = SDVM_IPC_EV_HELLO;
                ev.version = 1;
                ev.hostname = "bench";
                ev.has_power_mask = 1;
                ev.power_mask = 3;
                ev.images = catalog;
                ev.n_images = 8;
            } else if (m.type == SDVM_IPC_LOGIN) {
                ev.type = SDVM_IPC_EV_LAUNCHING;
                ev.op = m.op;
            }
            sdvm_ipc_msg_clear(&m);
            if (ev.type &&
                (sdvm_ipc_conn_queue(&c, &ev) < 0 || sdvm_ipc_conn_flush_wait(&c, 5000) < 0))
                break;
        }
        sdvm_ipc_conn_close(&c);
    }
}

/* ---- the client side ------------------------------------------------------------------ */

static int done;

static void
cb_progress(sdvm_ctx *ctx, uint64_t op, enum sdvm_stage s, void *ud)
{
    (void)ctx, (void)op, (void)s, (void)ud;
}
static void
cb_message(sdvm_ctx *ctx, uint64_t op, int e, const char *t, void *ud)
{
    (void)ctx, (void)op, (void)e, (void)t, (void)ud;
}
static void
cb_finished(sdvm_ctx *ctx, uint64_t op, const struct sdvm_outcome *o, void *ud)
{
    (void)ctx, (void)op, (void)ud;
    fprintf(stderr, "unexpected failure %s\n", sdvm_failure_to_string(o->failure));
    exit(1);
}
static void
cb_launching(sdvm_ctx *ctx, uint64_t op, void *ud)
{
    (void)ctx, (void)op, (void)ud;
    done = 1;
}

static const struct sdvm_listener listener = {
    .size = sizeof(listener),
    .progress = cb_progress,
    .message = cb_message,
    .finished = cb_finished,
    .launching = cb_launching,
};

static double
login_round_trip_us(sdvm_ctx *ctx)
{
    uint64_t op;
    done = 0;
    double t0 = now_us();
    if (sdvm_login_start(ctx, "alice@example.org", "correct horse", "debian-12", &op) != 0)
        abort();
    while (!done)
        if (sdvm_dispatch(ctx, 5000) < 0)
            abort();
    return now_us() - t0;
}

int
main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 500;
    if (rounds < 10)
        rounds = 10;
    fill_catalog();

    struct sdvm_ipc_msg login = {.type = SDVM_IPC_LOGIN,
                                 .op = 1,
                                 .nai = "alice@example.org",
                                 .password = "correct horse battery staple",
                                 .image_id = "debian-12"};
    struct sdvm_ipc_msg hello = {.type = SDVM_IPC_EV_HELLO,
                                 .version = 1,
                                 .hostname = "lab-a-12",
                                 .has_power_mask = 1,
                                 .power_mask = 3,
                                 .images = catalog,
                                 .n_images = SDVM_IPC_MAX_IMAGES};
    double samples[41];
    for (int i = 0; i < 41; i++)
        samples[i] = codec_us(&login, 2000);
    printf("LOGIN encode+decode:                 %.2f us (median)\n", median(samples, 41));
    for (int i = 0; i < 41; i++)
        samples[i] = codec_us(&hello, 100);
    printf("EV_HELLO, 64 images, encode+decode:  %.1f us (median)\n", median(samples, 41));

    char dir[] = "/tmp/sdvm-bench-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char path[128];
    snprintf(path, sizeof(path), "%s/sdvmd.sock", dir);
    int lfd = sdvm_ipc_listen(path, 0600, 16);
    if (lfd < 0)
        return 1;
    pid_t server = fork();
    if (server == 0) {
        serve(lfd);
        _exit(0);
    }
    close(lfd);
    setenv("SDVM_SOCKET", path, 1);
    unsetenv("SDVM_BACKEND");

    double *t = calloc((size_t)rounds, sizeof(double));
    for (int i = 0; i < rounds; i++) {
        sdvm_ctx *ctx;
        double t0 = now_us();
        if (sdvm_ctx_new(&listener, NULL, &ctx) != 0)
            abort();
        t[i] = now_us() - t0;
        sdvm_ctx_free(ctx);
    }
    printf("sdvm_ctx_new (connect + handshake):  %.1f us median, %.1f us p95 (%d runs)\n",
           median(t, (size_t)rounds), percentile(t, (size_t)rounds, 0.95), rounds);

    sdvm_ctx *ctx;
    if (sdvm_ctx_new(&listener, NULL, &ctx) != 0)
        abort();
    for (int i = 0; i < rounds; i++)
        t[i] = login_round_trip_us(ctx);
    printf("login round trip over the socket:    %.1f us median, %.1f us p95 (%d runs)\n",
           median(t, (size_t)rounds), percentile(t, (size_t)rounds, 0.95), rounds);
    sdvm_ctx_free(ctx);

    setenv("SDVM_BACKEND", "fake", 1);
    setenv("SDVM_FAKE_DELAY_MS", "0", 1);
    if (sdvm_ctx_new(&listener, NULL, &ctx) != 0)
        abort();
    for (int i = 0; i < rounds; i++)
        t[i] = login_round_trip_us(ctx);
    printf("login round trip, fake backend:      %.1f us median (library overhead)\n",
           median(t, (size_t)rounds));
    sdvm_ctx_free(ctx);
    free(t);

    kill(server, SIGTERM);
    waitpid(server, NULL, 0);
    unlink(path);
    rmdir(dir);
    return 0;
}
