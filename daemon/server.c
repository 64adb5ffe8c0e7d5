/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "server.h"

#include <errno.h>
#include <glib-unix.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sdvm/log.h"

#define ERROR_FLUSH_MS 200 /* how long a misbehaving peer gets to read our error */

struct sdvmd_client {
    sdvmd_server *server;
    struct sdvm_ipc_conn conn;
    struct ucred cred;
    guint watch;
    GIOCondition watching;
    guint hello_timer; /* until HELLO (review L1) */
    bool said_hello;
    bool closing;
};

struct sdvmd_server {
    char *path;
    int listen_fd;
    guint listen_watch;
    uid_t *allowed;
    size_t n_allowed;
    unsigned max_clients;
    unsigned hello_timeout_ms;
    GPtrArray *clients;
    guint reap_idle;
    GPtrArray *dead; /* clients to free from an idle callback, never from their own handler */
    struct sdvmd_server_handlers handlers;
    void *userdata;
};

static gboolean on_client_io(gint fd, GIOCondition cond, gpointer data);

static void
watch_client(sdvmd_client *c)
{
    GIOCondition want = G_IO_IN | G_IO_HUP | G_IO_ERR;
    if (sdvm_ipc_conn_has_output(&c->conn))
        want |= G_IO_OUT;
    if (c->watch && want == c->watching)
        return;
    if (c->watch)
        g_source_remove(c->watch);
    c->watching = want;
    c->watch = g_unix_fd_add(c->conn.fd, want, on_client_io, c);
}

static gboolean
reap_dead(gpointer data)
{
    sdvmd_server *s = data;
    s->reap_idle = 0;
    while (s->dead->len > 0) {
        sdvmd_client *c = g_ptr_array_steal_index(s->dead, s->dead->len - 1);
        if (s->handlers.disconnected)
            s->handlers.disconnected(c, s->userdata);
        sdvm_ipc_conn_close(&c->conn);
        g_free(c);
    }
    return G_SOURCE_REMOVE;
}

/* Unhook now; tell the daemon and free from an idle callback (no re-entrancy). */
static void
drop_client(sdvmd_client *c)
{
    sdvmd_server *s = c->server;
    if (!g_ptr_array_remove(s->clients, c))
        return;
    if (c->hello_timer) {
        g_source_remove(c->hello_timer);
        c->hello_timer = 0;
    }
    if (c->watch) {
        g_source_remove(c->watch);
        c->watch = 0;
    }
    g_ptr_array_add(s->dead, c);
    if (!s->reap_idle)
        s->reap_idle = g_idle_add(reap_dead, s);
}

static void
reject(sdvmd_client *c, enum sdvm_failure failure, const char *why)
{
    log_warningf("client pid %d uid %u: %s; closing", (int)c->cred.pid, (unsigned)c->cred.uid,
                 why);
    sdvm_ipc_conn_queue_error(&c->conn, failure, 0, why);
    sdvm_ipc_conn_flush_wait(&c->conn, ERROR_FLUSH_MS);
    drop_client(c);
}

static void
handle(sdvmd_client *c, const struct sdvm_ipc_msg *msg)
{
    sdvmd_server *s = c->server;
    if (!c->said_hello && msg->type != SDVM_IPC_HELLO) {
        reject(c, SDVM_FAILURE_PROTOCOL, "the first message must be HELLO");
        return;
    }
    switch (msg->type) {
    case SDVM_IPC_HELLO:
        if (c->said_hello) {
            reject(c, SDVM_FAILURE_PROTOCOL, "HELLO sent twice");
            return;
        }
        if (msg->version != SDVM_IPC_VERSION) {
            char why[96];
            snprintf(why, sizeof(why), "protocol version %u not supported (this is %u)",
                     (unsigned)msg->version, (unsigned)SDVM_IPC_VERSION);
            reject(c, SDVM_FAILURE_PROTOCOL, why);
            return;
        }
        c->said_hello = true;
        if (c->hello_timer) {
            g_source_remove(c->hello_timer);
            c->hello_timer = 0;
        }
        log_debugf("client pid %d uid %u: hello (%s)", (int)c->cred.pid, (unsigned)c->cred.uid,
                   msg->software ? msg->software : "unknown software");
        s->handlers.hello(c, s->userdata);
        break;
    case SDVM_IPC_LOGIN:
        s->handlers.login(c, msg->op, msg->nai, msg->password, msg->image_id, s->userdata);
        break;
    case SDVM_IPC_CANCEL:
        s->handlers.cancel(c, msg->op, s->userdata);
        break;
    case SDVM_IPC_POWER:
        s->handlers.power(c, msg->power_action, s->userdata);
        break;
    case SDVM_IPC_EV_HELLO:
    case SDVM_IPC_EV_PROGRESS:
    case SDVM_IPC_EV_MESSAGE:
    case SDVM_IPC_EV_FINISHED:
    case SDVM_IPC_EV_LAUNCHING:
    case SDVM_IPC_EV_IMAGES:
    case SDVM_IPC_EV_ERROR:
        /* conn_next refuses events on the server side; keep the switch exhaustive. */
        reject(c, SDVM_FAILURE_PROTOCOL, "events are not requests");
        break;
    }
}

static gboolean
on_client_io(gint fd, GIOCondition cond, gpointer data)
{
    sdvmd_client *c = data;
    sdvmd_server *s = c->server;

    if (cond & G_IO_OUT) {
        int r = sdvm_ipc_conn_flush(&c->conn);
        if (r < 0 && r != -EAGAIN) {
            c->watch = 0;
            drop_client(c);
            return G_SOURCE_REMOVE;
        }
        if (c->closing && !sdvm_ipc_conn_has_output(&c->conn)) {
            c->watch = 0;
            drop_client(c);
            return G_SOURCE_REMOVE;
        }
    }
    if (cond & (G_IO_IN | G_IO_HUP | G_IO_ERR)) {
        int r = sdvm_ipc_conn_fill(&c->conn);
        /* Handle whatever whole messages arrived, also when the peer then hung up. */
        for (;;) {
            struct sdvm_ipc_msg msg;
            struct sdvm_ipc_error err = {{0}};
            int n = sdvm_ipc_conn_next(&c->conn, &msg, &err);
            if (n == 0)
                break;
            if (n < 0) {
                sdvm_ipc_msg_clear(&msg);
                char why[200];
                snprintf(why, sizeof(why), "malformed message: %s", err.text);
                c->watch = 0; /* reject() removes the source; returning REMOVE is then a no-op */
                reject(c, SDVM_FAILURE_PROTOCOL, why);
                return G_SOURCE_REMOVE;
            }
            handle(c, &msg);
            sdvm_ipc_msg_clear(&msg); /* wipes the password */
            if (!g_ptr_array_find(s->clients, c, NULL)) {
                return G_SOURCE_REMOVE; /* dropped while handling */
            }
        }
        if (r < 0 || (cond & (G_IO_HUP | G_IO_ERR))) {
            c->watch = 0;
            drop_client(c);
            return G_SOURCE_REMOVE;
        }
    }
    if (!g_ptr_array_find(s->clients, c, NULL))
        return G_SOURCE_REMOVE;
    /* Re-arm with or without G_IO_OUT depending on what is queued. */
    GIOCondition before = c->watching;
    guint id = c->watch;
    watch_client(c);
    return c->watch == id && c->watching == before ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static gboolean
on_hello_timeout(gpointer data)
{
    sdvmd_client *c = data;
    c->hello_timer = 0;
    reject(c, SDVM_FAILURE_PROTOCOL, "no HELLO in time");
    return G_SOURCE_REMOVE;
}

static gboolean
on_accept(gint fd, GIOCondition cond, gpointer data)
{
    sdvmd_server *s = data;
    for (;;) {
        int cfd = sdvm_ipc_accept(fd);
        if (cfd < 0) {
            if (cfd != -EAGAIN)
                log_warningf("accept: %s", strerror(-cfd));
            break;
        }
        struct ucred cred = {0, (uid_t)-1, (gid_t)-1};
        int r = sdvm_ipc_peer_check(cfd, s->allowed, s->n_allowed, &cred);
        if (r < 0) {
            log_warningf("refused a client (pid %d uid %u): %s", (int)cred.pid,
                         (unsigned)cred.uid,
                         r == -EACCES ? "not root and not the greeter user" : strerror(-r));
            struct sdvm_ipc_conn tmp;
            sdvm_ipc_conn_init(&tmp, cfd, SDVM_IPC_SIDE_SERVER);
            sdvm_ipc_conn_queue_error(&tmp, SDVM_FAILURE_DAEMON_UNAVAILABLE, 0,
                                      "permission denied: not root and not the greeter user");
            sdvm_ipc_conn_flush_wait(&tmp, ERROR_FLUSH_MS);
            sdvm_ipc_conn_close(&tmp);
            continue;
        }
        /* The last slot is root's: sdvm-admin gets in even when the greeter's user (whose
         * processes run theme code) holds every other one. */
        unsigned limit = cred.uid == 0 || s->max_clients < 2 ? s->max_clients
                                                             : s->max_clients - 1;
        if (s->clients->len >= limit) {
            log_warningf("refused a client (pid %d): %u clients already", (int)cred.pid,
                         s->clients->len);
            close(cfd);
            continue;
        }
        sdvmd_client *c = g_new0(sdvmd_client, 1);
        c->server = s;
        c->cred = cred;
        sdvm_ipc_conn_init(&c->conn, cfd, SDVM_IPC_SIDE_SERVER);
        g_ptr_array_add(s->clients, c);
        c->hello_timer = g_timeout_add(s->hello_timeout_ms, on_hello_timeout, c);
        watch_client(c);
        log_debugf("client connected: pid %d uid %u", (int)cred.pid, (unsigned)cred.uid);
    }
    return G_SOURCE_CONTINUE;
}

int
sdvmd_server_new(const struct sdvmd_server_params *p, const struct sdvmd_server_handlers *h,
                 void *userdata, sdvmd_server **out)
{
    if (!p->path || !h->hello || !h->login || !h->cancel || !h->power)
        return -EINVAL;
    int fd = sdvm_ipc_listen(p->path, 0660, 16);
    if (fd < 0)
        return fd;
    if (p->socket_gid != (gid_t)-1 && chown(p->path, 0, p->socket_gid) != 0) {
        int r = -errno;
        close(fd);
        unlink(p->path);
        return r;
    }
    sdvmd_server *s = g_new0(sdvmd_server, 1);
    s->path = g_strdup(p->path);
    s->listen_fd = fd;
    s->allowed = g_memdup2(p->allowed_uids, p->n_allowed_uids * sizeof(uid_t));
    s->n_allowed = p->n_allowed_uids;
    s->max_clients = p->max_clients ? p->max_clients : 8;
    s->hello_timeout_ms = p->hello_timeout_ms ? p->hello_timeout_ms : SDVMD_HELLO_TIMEOUT_MS;
    s->clients = g_ptr_array_new();
    s->dead = g_ptr_array_new();
    s->handlers = *h;
    s->userdata = userdata;
    s->listen_watch = g_unix_fd_add(fd, G_IO_IN, on_accept, s);
    *out = s;
    return 0;
}

static void
free_client_now(sdvmd_client *c)
{
    if (c->hello_timer)
        g_source_remove(c->hello_timer);
    if (c->watch)
        g_source_remove(c->watch);
    sdvm_ipc_conn_close(&c->conn);
    g_free(c);
}

void
sdvmd_server_free(sdvmd_server *s)
{
    if (!s)
        return;
    g_source_remove(s->listen_watch);
    if (s->reap_idle)
        g_source_remove(s->reap_idle);
    for (guint i = 0; i < s->clients->len; i++)
        free_client_now(s->clients->pdata[i]);
    for (guint i = 0; i < s->dead->len; i++)
        free_client_now(s->dead->pdata[i]);
    g_ptr_array_free(s->clients, TRUE);
    g_ptr_array_free(s->dead, TRUE);
    close(s->listen_fd);
    unlink(s->path);
    g_free(s->path);
    g_free(s->allowed);
    g_free(s);
}

int
sdvmd_client_send(sdvmd_client *c, const struct sdvm_ipc_msg *event)
{
    if (c->closing)
        return -EPIPE;
    int r = sdvm_ipc_conn_queue(&c->conn, event);
    if (r < 0) {
        log_errorf("cannot encode %s: %s", sdvm_ipc_type_to_string(event->type), strerror(-r));
        return r;
    }
    r = sdvm_ipc_conn_flush(&c->conn);
    if (r < 0 && r != -EAGAIN)
        return r; /* the io watch sees the hang-up and drops the client */
    watch_client(c);
    return 0;
}

void
sdvmd_server_broadcast(sdvmd_server *s, const struct sdvm_ipc_msg *event)
{
    for (guint i = 0; i < s->clients->len; i++) {
        sdvmd_client *c = s->clients->pdata[i];
        if (c->said_hello)
            sdvmd_client_send(c, event);
    }
}

void
sdvmd_client_close(sdvmd_client *c)
{
    if (!sdvm_ipc_conn_has_output(&c->conn)) {
        drop_client(c);
        return;
    }
    c->closing = true;
    watch_client(c);
}

unsigned
sdvmd_server_client_count(const sdvmd_server *s)
{
    return s->clients->len;
}
