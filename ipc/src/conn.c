/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sdvm-ipc connections: buffered non-blocking I/O on a UNIX stream socket, and the socket
 * helpers both ends need (connect, listen, accept, the SO_PEERCRED check).
 */
#include "sdvm/ipc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

void
sdvm_ipc_conn_init(struct sdvm_ipc_conn *conn, int fd, enum sdvm_ipc_side side)
{
    memset(conn, 0, sizeof(*conn));
    conn->fd = fd;
    conn->side = side;
}

void
sdvm_ipc_conn_close(struct sdvm_ipc_conn *conn)
{
    sdvm_ipc_buf_free(&conn->in);
    sdvm_ipc_buf_free(&conn->out);
    if (conn->fd >= 0)
        close(conn->fd);
    conn->fd = -1;
}

int
sdvm_ipc_conn_fill(struct sdvm_ipc_conn *conn)
{
    for (;;) {
        /* Never buffer more than one whole frame: the peer cannot make us grow. */
        if (conn->in.len >= SDVM_IPC_MAX_FRAME)
            return 0;
        size_t want = SDVM_IPC_MAX_FRAME - conn->in.len;
        if (want > 16384)
            want = 16384;
        int r = sdvm_ipc_buf_reserve(&conn->in, want);
        if (r < 0)
            return r;
        ssize_t n = recv(conn->fd, conn->in.data + conn->in.len, want, MSG_DONTWAIT);
        if (n > 0) {
            conn->in.len += (size_t)n;
            continue;
        }
        if (n == 0)
            return -EPIPE;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        if (errno == ECONNRESET)
            return -EPIPE;
        return -errno;
    }
}

int
sdvm_ipc_conn_next(struct sdvm_ipc_conn *conn, struct sdvm_ipc_msg *msg, struct sdvm_ipc_error *err)
{
    memset(msg, 0, sizeof(*msg));
    if (err)
        err->text[0] = '\0';
    struct sdvm_ipc_frame f;
    int r = sdvm_ipc_frame_parse(conn->in.data, conn->in.len, &f, err);
    if (r <= 0) {
        if (r < 0)
            sdvm_ipc_buf_consume(&conn->in, conn->in.len); /* garbage: wipe it all */
        return r;
    }
    bool want_request = conn->side == SDVM_IPC_SIDE_SERVER;
    if (want_request ? !sdvm_ipc_type_is_request(f.type) : !sdvm_ipc_type_is_event(f.type)) {
        if (err)
            snprintf(err->text, sizeof(err->text), "%s sent to the %s",
                     sdvm_ipc_type_to_string((enum sdvm_ipc_type)f.type),
                     want_request ? "server" : "client");
        sdvm_ipc_buf_consume(&conn->in, conn->in.len);
        return -EPROTO;
    }
    r = sdvm_ipc_decode(f.type, f.payload, f.payload_len, msg, err);
    /* The frame's bytes (a LOGIN holds the password) are wiped whatever the outcome. */
    sdvm_ipc_buf_consume(&conn->in, f.frame_len);
    if (r < 0) {
        sdvm_ipc_msg_clear(msg);
        sdvm_ipc_buf_consume(&conn->in, conn->in.len);
        return r;
    }
    return 1;
}

int
sdvm_ipc_conn_queue(struct sdvm_ipc_conn *conn, const struct sdvm_ipc_msg *msg)
{
    bool is_request = sdvm_ipc_type_is_request((uint16_t)msg->type);
    if (conn->side == SDVM_IPC_SIDE_SERVER ? is_request : !is_request)
        return -EINVAL; /* wrong direction */
    return sdvm_ipc_encode(msg, &conn->out);
}

int
sdvm_ipc_conn_queue_error(struct sdvm_ipc_conn *conn, enum sdvm_failure failure, uint64_t op,
                          const char *text)
{
    /* Truncate to the bound at a character boundary; replace control characters. */
    char t[SDVM_IPC_MAX_TEXT + 1];
    size_t n = 0;
    const char *p = text ? text : "";
    for (; *p && n < SDVM_IPC_MAX_TEXT; p++)
        t[n++] = ((unsigned char)*p < 0x20 || *p == 0x7f) ? ' ' : *p;
    if (*p) {
        /* Cut: drop a partial character at the end (continuation bytes, then the lead). */
        while (n > 0 && ((unsigned char)t[n - 1] & 0xc0) == 0x80)
            n--;
        if (n > 0 && ((unsigned char)t[n - 1] & 0xc0) == 0xc0)
            n--;
    }
    t[n] = '\0';
    struct sdvm_ipc_msg m = {
        .type = SDVM_IPC_EV_ERROR,
        .op = op,
        .failure = failure ? (uint32_t)failure : SDVM_FAILURE_PROTOCOL,
        .text = t,
    };
    int r = sdvm_ipc_encode(&m, &conn->out);
    if (r == -EINVAL) {
        m.text = "malformed message"; /* the text was not UTF-8 */
        r = sdvm_ipc_encode(&m, &conn->out);
    }
    return r;
}

int
sdvm_ipc_conn_flush(struct sdvm_ipc_conn *conn)
{
    while (conn->out.len > 0) {
        ssize_t n = send(conn->fd, conn->out.data, conn->out.len, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) {
            sdvm_ipc_buf_consume(&conn->out, (size_t)n); /* wipes what was sent */
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return -EAGAIN;
        if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
            return -EPIPE;
        return n < 0 ? -errno : -EIO;
    }
    return 0;
}

static int64_t
mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
sdvm_ipc_conn_flush_wait(struct sdvm_ipc_conn *conn, int timeout_ms)
{
    int64_t deadline = mono_ms() + timeout_ms;
    for (;;) {
        int r = sdvm_ipc_conn_flush(conn);
        if (r != -EAGAIN)
            return r;
        int64_t left = deadline - mono_ms();
        if (left <= 0)
            return -ETIMEDOUT;
        struct pollfd p = {.fd = conn->fd, .events = POLLOUT};
        if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
            return -errno;
    }
}

/* ---- sockets ------------------------------------------------------------------------ */

static int
make_addr(const char *path, struct sockaddr_un *sa)
{
    if (!path || !*path)
        return -EINVAL;
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    size_t len = strlen(path);
    if (len >= sizeof(sa->sun_path))
        return -ENAMETOOLONG;
    memcpy(sa->sun_path, path, len + 1);
    return 0;
}

int
sdvm_ipc_connect(const char *path)
{
    struct sockaddr_un sa;
    int r = make_addr(path, &sa);
    if (r < 0)
        return r;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -errno;
    /* A UNIX stream connect completes at once or fails (EAGAIN: backlog full). */
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        r = -errno;
        close(fd);
        return r;
    }
    return fd;
}

int
sdvm_ipc_listen(const char *path, mode_t mode, int backlog)
{
    struct sockaddr_un sa;
    int r = make_addr(path, &sa);
    if (r < 0)
        return r;
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode))
            return -EEXIST; /* never remove what is not ours */
        if (unlink(path) < 0)
            return -errno;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -errno;
    /* Bind under a umask that leaves no window with wider permissions than asked for. */
    mode_t old = umask(0777 & ~mode);
    r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    int bind_errno = errno;
    umask(old);
    if (r < 0) {
        close(fd);
        return -bind_errno;
    }
    if (chmod(path, mode) < 0 || listen(fd, backlog) < 0) {
        r = -errno;
        unlink(path);
        close(fd);
        return r;
    }
    return fd;
}

int
sdvm_ipc_accept(int listen_fd)
{
    for (;;) {
        int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd >= 0)
            return fd;
        if (errno != EINTR)
            return -errno;
    }
}

int
sdvm_ipc_peer_check(int fd, const uid_t *allowed, size_t n, struct ucred *cred)
{
    struct ucred c;
    socklen_t len = sizeof(c);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c, &len) < 0)
        return -errno;
    if (len != sizeof(c))
        return -EIO;
    if (cred)
        *cred = c;
    if (c.uid == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (allowed && allowed[i] == c.uid)
            return 0;
    return -EACCES;
}
