/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The socket backend (default): sdvmd's UNIX socket, the sdvm-ipc(7) protocol.
 *
 *   sdvm_ctx_new():  connect to $SDVM_SOCKET (default SDVM_DEFAULT_SOCKET), send HELLO and
 *                    wait (at most $SDVM_HANDSHAKE_TIMEOUT_MS, default 5 s) for EV_HELLO with
 *                    the host name, power actions and the image catalog;
 *   afterwards:      the socket is on the context's epoll fd; sdvm_dispatch() reads events
 *                    and queues them; requests are written at once (or when the socket
 *                    takes them: EPOLLOUT).
 *
 * The password exists only in the connection's output buffer, which is wiped as it is sent
 * (and when the connection is closed).
 */
#include "private.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "backend-socket.h"

#ifndef SDVM_DEFAULT_SOCKET
#error "SDVM_DEFAULT_SOCKET must be defined by the build"
#endif

#define HANDSHAKE_TIMEOUT_MS 5000
#define HANDSHAKE_TIMEOUT_MAX_MS 600000

/* The ipc image list as a context image list (deep copy). */
static int
images_from_msg(const struct sdvm_ipc_msg *m, struct image_list *out)
{
    struct sdvm_image tmp[SDVM_IPC_MAX_IMAGES];
    size_t n = m->n_images < SDVM_IPC_MAX_IMAGES ? m->n_images : SDVM_IPC_MAX_IMAGES;
    for (size_t i = 0; i < n; i++) {
        const struct sdvm_ipc_image *s = &m->images[i];
        tmp[i] = (struct sdvm_image){
            .id = s->id,
            .name = s->name,
            .os_type = s->os_type,
            .comment = s->comment ? s->comment : "",
            .is_default = s->is_default,
            .available = s->available,
            .unavailable_reason = s->available            ? NULL
                                  : s->unavailable_reason ? s->unavailable_reason
                                                          : "",
            .unavailable_status = s->available ? SDVM_IMAGE_AVAILABLE
                                               : (enum sdvm_image_status)s->status,
        };
    }
    return image_list_set(out, tmp, n);
}

static int
handshake_timeout(sdvm_ctx *ctx, int *out)
{
    const char *v = env_get("SDVM_HANDSHAKE_TIMEOUT_MS");
    *out = HANDSHAKE_TIMEOUT_MS;
    if (!v)
        return 0;
    char *end;
    errno = 0;
    long ms = strtol(v, &end, 10);
    if (errno || *end || ms <= 0 || ms > HANDSHAKE_TIMEOUT_MAX_MS) {
        lib_errorf(ctx, "SDVM_HANDSHAKE_TIMEOUT_MS=%s: expected milliseconds, 1 to %d", v,
                   HANDSHAKE_TIMEOUT_MAX_MS);
        return -EINVAL;
    }
    *out = (int)ms;
    return 0;
}

/* Update EPOLLOUT interest after a flush. */
static int
flush(sdvm_ctx *ctx)
{
    struct sock *s = ctx->backend_data;
    int r = sdvm_ipc_conn_flush(&s->conn);
    if (r < 0 && r != -EAGAIN)
        return r;
    bool want_out = r == -EAGAIN;
    if (want_out != s->watching_out) {
        int m = ctx_modify_fd(ctx, s->conn.fd, EPOLLIN | (want_out ? EPOLLOUT : 0));
        if (m < 0)
            return m;
        s->watching_out = want_out;
    }
    return 0;
}

/* Queue one decoded event for the caller. Returns 0 or a negative errno (fatal). */
static int
handle_event(sdvm_ctx *ctx, const struct sdvm_ipc_msg *m, enum sdvm_failure *failure)
{
    switch (m->type) {
    case SDVM_IPC_EV_PROGRESS:
        return ctx_queue_progress(ctx, m->op, (enum sdvm_stage)m->stage);
    case SDVM_IPC_EV_MESSAGE:
        return ctx_queue_message(ctx, m->op, m->is_error, m->text);
    case SDVM_IPC_EV_FINISHED: {
        struct sdvm_outcome o = {
            .size = sizeof(o),
            .failure = (enum sdvm_failure)m->failure,
            .detail = m->detail,
            .retry_after_s = m->retry_after_s,
            .institution = m->institution,
            .helpdesk_email = m->helpdesk_email,
            .helpdesk_phone = m->helpdesk_phone,
            .helpdesk_url = m->helpdesk_url,
        };
        return ctx_queue_finished(ctx, m->op, &o);
    }
    case SDVM_IPC_EV_LAUNCHING:
        return ctx_queue_launching(ctx, m->op);
    case SDVM_IPC_EV_IMAGES: {
        struct image_list list = {0};
        int r = images_from_msg(m, &list);
        if (r == 0)
            r = ctx_queue_images_changed(ctx, &list, m->has_power_mask, m->power_mask, m->hostname);
        image_list_clear(&list);
        return r;
    }
    case SDVM_IPC_EV_ERROR:
        /* Fatal by definition: sdvmd closes the connection after it. */
        lib_errorf(ctx, "sdvmd reports an error (%s): %s",
                   sdvm_failure_to_string((enum sdvm_failure)m->failure), m->text);
        *failure = (enum sdvm_failure)m->failure;
        return -ECONNABORTED;
    case SDVM_IPC_EV_HELLO:
    case SDVM_IPC_HELLO:
    case SDVM_IPC_LOGIN:
    case SDVM_IPC_CANCEL:
    case SDVM_IPC_POWER:
        break;
    }
    lib_errorf(ctx, "sdvmd sent an unexpected %s", sdvm_ipc_type_to_string(m->type));
    *failure = SDVM_FAILURE_PROTOCOL;
    return -EPROTO;
}

/* Decode and queue every whole message buffered. */
static int
drain(sdvm_ctx *ctx, enum sdvm_failure *failure)
{
    struct sock *s = ctx->backend_data;
    for (;;) {
        struct sdvm_ipc_msg m;
        struct sdvm_ipc_error err;
        int r = sdvm_ipc_conn_next(&s->conn, &m, &err);
        if (r == 0)
            return 0;
        if (r < 0) {
            lib_errorf(ctx, "malformed message from sdvmd: %s", err.text);
            *failure = SDVM_FAILURE_PROTOCOL;
            return r;
        }
        r = handle_event(ctx, &m, failure);
        sdvm_ipc_msg_clear(&m);
        if (r < 0)
            return r;
    }
}

static void
socket_close(sdvm_ctx *ctx)
{
    struct sock *s = ctx->backend_data;
    if (!s)
        return;
    if (!s->closed) {
        /* Last requests (the cancel sdvm_ctx_free() sends) go out if the socket takes them. */
        sdvm_ipc_conn_flush(&s->conn);
        ctx_unwatch_fd(ctx, s->conn.fd);
        sdvm_ipc_conn_close(&s->conn);
        s->closed = true;
    }
}

static void
socket_free(sdvm_ctx *ctx)
{
    socket_close(ctx);
    free(ctx->backend_data);
    ctx->backend_data = NULL;
}

/* Wait for the EV_HELLO answer to our HELLO. */
static int
handshake(sdvm_ctx *ctx, const char *path, int timeout_ms)
{
    struct sock *s = ctx->backend_data;
    struct sdvm_ipc_msg hello = {
        .type = SDVM_IPC_HELLO,
        .version = SDVM_IPC_VERSION,
        .software = "libsdvm " SDVM_VERSION_STRING,
    };
    int r = sdvm_ipc_conn_queue(&s->conn, &hello);
    if (r < 0)
        return r;
    int64_t deadline = now_ms() + timeout_ms;
    r = sdvm_ipc_conn_flush_wait(&s->conn, timeout_ms);
    if (r < 0) {
        lib_errorf(ctx, "sdvmd at %s: cannot send the hello: %s", path, strerror(-r));
        return r == -EPIPE ? -ECONNRESET : r;
    }
    for (;;) {
        struct sdvm_ipc_msg m;
        struct sdvm_ipc_error err;
        r = sdvm_ipc_conn_next(&s->conn, &m, &err);
        if (r < 0) {
            lib_errorf(ctx, "sdvmd at %s: malformed answer to the hello: %s", path, err.text);
            return -EPROTO;
        }
        if (r == 1) {
            if (m.type == SDVM_IPC_EV_HELLO) {
                if (m.version != SDVM_IPC_VERSION) {
                    lib_errorf(ctx, "sdvmd at %s speaks protocol version %u, this libsdvm %d", path,
                               m.version, SDVM_IPC_VERSION);
                    sdvm_ipc_msg_clear(&m);
                    return -EPROTO;
                }
                char *h = strdup(m.hostname);
                r = h ? images_from_msg(&m, &ctx->images) : -ENOMEM;
                if (r < 0) {
                    free(h);
                    sdvm_ipc_msg_clear(&m);
                    return r;
                }
                free(ctx->hostname);
                ctx->hostname = h;
                ctx->power_mask = m.power_mask;
                lib_debugf(ctx, "connected to %s at %s (protocol %u)",
                           m.software ? m.software : "sdvmd", path, m.version);
                sdvm_ipc_msg_clear(&m);
                return 0;
            }
            if (m.type == SDVM_IPC_EV_ERROR) {
                lib_errorf(ctx, "sdvmd at %s refused the connection (%s): %s", path,
                           sdvm_failure_to_string((enum sdvm_failure)m.failure), m.text);
                r = m.failure == SDVM_FAILURE_DAEMON_UNAVAILABLE ? -EACCES
                    : m.failure == SDVM_FAILURE_BUSY             ? -EBUSY
                                                                 : -EPROTO;
                sdvm_ipc_msg_clear(&m);
                return r;
            }
            lib_errorf(ctx, "sdvmd at %s answered the hello with %s", path,
                       sdvm_ipc_type_to_string(m.type));
            sdvm_ipc_msg_clear(&m);
            return -EPROTO;
        }
        int64_t left = deadline - now_ms();
        if (left <= 0) {
            lib_errorf(ctx, "sdvmd at %s: no answer to the hello within %d ms", path, timeout_ms);
            return -ETIMEDOUT;
        }
        struct pollfd p = {.fd = s->conn.fd, .events = POLLIN};
        int pr = poll(&p, 1, (int)left);
        if (pr < 0 && errno != EINTR)
            return -errno;
        if (pr > 0) {
            r = sdvm_ipc_conn_fill(&s->conn);
            if (r < 0 && s->conn.in.len == 0) {
                lib_errorf(ctx, "sdvmd at %s closed the connection during the hello", path);
                return r == -EPIPE ? -ECONNRESET : r;
            }
            if (r < 0) {
                /* Closed, but something was sent first (an error?): decode it next round. */
                struct sdvm_ipc_frame f;
                if (sdvm_ipc_frame_parse(s->conn.in.data, s->conn.in.len, &f, NULL) == 0) {
                    lib_errorf(ctx, "sdvmd at %s closed the connection mid-message", path);
                    return -ECONNRESET;
                }
            }
        }
    }
}

static int
socket_open(sdvm_ctx *ctx)
{
    const char *path = env_get("SDVM_SOCKET");
    if (!path)
        path = SDVM_DEFAULT_SOCKET;
    int timeout_ms;
    int r = handshake_timeout(ctx, &timeout_ms);
    if (r < 0)
        return r;

    struct sock *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    ctx->backend_data = s;
    int fd = sdvm_ipc_connect(path);
    if (fd < 0) {
        lib_errorf(ctx, "cannot connect to sdvmd at %s: %s", path, strerror(-fd));
        sdvm_ipc_conn_init(&s->conn, -1, SDVM_IPC_SIDE_CLIENT);
        socket_free(ctx);
        return fd;
    }
    sdvm_ipc_conn_init(&s->conn, fd, SDVM_IPC_SIDE_CLIENT);
    r = handshake(ctx, path, timeout_ms);
    if (r == 0)
        r = ctx_watch_fd(ctx, fd, EPOLLIN);
    if (r < 0) {
        socket_free(ctx);
        return r;
    }
    /* Events sent right behind the hello answer are already buffered: queue them now. */
    enum sdvm_failure why = SDVM_FAILURE_PROTOCOL;
    r = drain(ctx, &why);
    if (r < 0) {
        socket_free(ctx);
        return r == -ECONNABORTED ? -ECONNRESET : -EPROTO;
    }
    return 0;
}

static int
socket_process(sdvm_ctx *ctx, enum sdvm_failure *failure)
{
    struct sock *s = ctx->backend_data;
    if (s->closed)
        return -EPIPE;
    *failure = SDVM_FAILURE_DAEMON_UNAVAILABLE;
    int fr = 0;
    if (s->watching_out)
        fr = flush(ctx);
    int rr = sdvm_ipc_conn_fill(&s->conn);
    /* What arrived before a close is still delivered (a finished() right before EOF). */
    int r = drain(ctx, failure);
    if (r < 0)
        return r;
    if (rr < 0)
        return rr;
    if (fr < 0)
        return fr;
    return 0;
}

static int
send_request(sdvm_ctx *ctx, const struct sdvm_ipc_msg *m)
{
    struct sock *s = ctx->backend_data;
    if (s->closed)
        return -EPIPE;
    int r = sdvm_ipc_conn_queue(&s->conn, m);
    if (r < 0)
        return r;
    /* A write error shows up as EOF on the next dispatch; the request itself is queued. */
    r = flush(ctx);
    if (r < 0)
        lib_debugf(ctx, "sending %s: %s", sdvm_ipc_type_to_string(m->type), strerror(-r));
    return 0;
}

static int
socket_login(sdvm_ctx *ctx, uint64_t op, const char *nai, const char *password,
             const char *image_id)
{
    /* What the wire cannot carry is answered here, as sdvmd would answer it. */
    enum sdvm_failure local = SDVM_FAILURE_NONE;
    if (sdvm_ipc_check_string(SDVM_IPC_TAG_NAI, nai) < 0)
        local = SDVM_FAILURE_INVALID_NAI;
    else if (sdvm_ipc_check_string(SDVM_IPC_TAG_IMAGE_ID, image_id) < 0)
        local = SDVM_FAILURE_IMAGE_UNKNOWN;
    if (local != SDVM_FAILURE_NONE) {
        struct sdvm_outcome o = {
            .size = sizeof(o),
            .failure = local,
            .detail = local == SDVM_FAILURE_INVALID_NAI
                          ? "the login is too long or has characters a NAI cannot have"
                          : "an image id is made of letters, digits, '.', '_' and '-'",
        };
        return ctx_queue_finished(ctx, op, &o);
    }
    struct sdvm_ipc_msg m = {
        .type = SDVM_IPC_LOGIN,
        .op = op,
        .nai = nai,
        .password = password,
        .image_id = image_id,
    };
    /* The password is copied into the output buffer, which is wiped as it is sent. */
    return send_request(ctx, &m);
}

static int
socket_cancel(sdvm_ctx *ctx, uint64_t op)
{
    struct sdvm_ipc_msg m = {.type = SDVM_IPC_CANCEL, .op = op};
    return send_request(ctx, &m);
}

static int
socket_power(sdvm_ctx *ctx, enum sdvm_power_action action)
{
    struct sdvm_ipc_msg m = {.type = SDVM_IPC_POWER, .power_action = (uint32_t)action};
    return send_request(ctx, &m);
}

const struct backend_ops sdvm_backend_socket = {
    .name = "socket",
    .open = socket_open,
    .close = socket_close,
    .destroy = socket_free,
    .process = socket_process,
    .login = socket_login,
    .cancel = socket_cancel,
    .power = socket_power,
};
