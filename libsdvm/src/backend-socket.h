/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The socket backend's state; a header of its own so white-box tests can inspect it. */
#ifndef SDVM_LIBSDVM_BACKEND_SOCKET_H
#define SDVM_LIBSDVM_BACKEND_SOCKET_H

#include <stdbool.h>

#include "sdvm/ipc.h"

struct sock {
    struct sdvm_ipc_conn conn;
    bool watching_out; /* EPOLLOUT registered: requests wait for the socket */
    bool closed;       /* the connection is gone (or was never made) */
};

#endif
