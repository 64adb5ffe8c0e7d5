/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The sdvm-ipc(7) server: a listening UNIX socket, one connection per client (the greeter,
 * or sdvm-admin as root). Peers are checked with SO_PEERCRED (root or the greeter's user
 * only); the first message must be HELLO with our protocol version; garbage gets an error
 * event and a closed connection. Requests reach the daemon through handlers, always from
 * the main loop, never from inside a server call.
 */
#ifndef SDVM_DAEMON_SERVER_H
#define SDVM_DAEMON_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "sdvm/ipc.h"

typedef struct sdvmd_server sdvmd_server;
typedef struct sdvmd_client sdvmd_client;

struct sdvmd_server_handlers {
    /* A client said hello: answer with sdvmd_client_send(EV_HELLO). */
    void (*hello)(sdvmd_client *client, void *userdata);
    /* password points into the decoded message: copy it; it is wiped after the call. */
    void (*login)(sdvmd_client *client, uint64_t op, const char *nai, const char *password,
                  const char *image_id, void *userdata);
    void (*cancel)(sdvmd_client *client, uint64_t op, void *userdata);
    void (*power)(sdvmd_client *client, uint32_t action, void *userdata);
    /* The client is gone (closed, garbage, or dropped); it is freed after this returns. */
    void (*disconnected)(sdvmd_client *client, void *userdata);
};

struct sdvmd_server_params {
    const char *path;         /* socket path; its directory must exist */
    const uid_t *allowed_uids;/* besides root */
    size_t n_allowed_uids;
    gid_t socket_gid;         /* group of the socket file (mode 0660); (gid_t)-1 = keep */
    unsigned max_clients;     /* further connections are refused; the last slot is root's */
    unsigned hello_timeout_ms;/* a client silent this long after connecting is dropped, so
                                 max_clients silent connections cannot lock everyone out;
                                 0 = SDVMD_HELLO_TIMEOUT_MS */
};

#define SDVMD_HELLO_TIMEOUT_MS 5000u

/* 0 and *out, or -errno (socket, bind, permissions). */
int sdvmd_server_new(const struct sdvmd_server_params *params,
                     const struct sdvmd_server_handlers *handlers, void *userdata,
                     sdvmd_server **out);
/* Closes every client (without disconnected callbacks) and removes the socket file. */
void sdvmd_server_free(sdvmd_server *server);

/* Queue one event for the client; written as the socket takes it. 0 or -errno. */
int sdvmd_client_send(sdvmd_client *client, const struct sdvm_ipc_msg *event);
/* Send an event to every client that has said hello. */
void sdvmd_server_broadcast(sdvmd_server *server, const struct sdvm_ipc_msg *event);
/* Drop the client (after flushing what is queued); disconnected() follows from the loop. */
void sdvmd_client_close(sdvmd_client *client);
unsigned sdvmd_server_client_count(const sdvmd_server *server);

#endif
