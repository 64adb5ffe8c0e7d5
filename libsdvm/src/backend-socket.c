/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sdvmd socket backend: not written yet (the fake backend comes first). */
#include "private.h"

#include <errno.h>

static int
socket_open(sdvm_ctx *ctx)
{
    lib_errorf(ctx, "the socket backend is not available yet; use SDVM_BACKEND=fake");
    return -EPROTONOSUPPORT;
}

static void
socket_close(sdvm_ctx *ctx)
{
    (void)ctx;
}

static int
socket_process(sdvm_ctx *ctx, enum sdvm_failure *failure)
{
    (void)ctx;
    (void)failure;
    return 0;
}

static int
socket_login(sdvm_ctx *ctx, uint64_t op, const char *nai, const char *password,
             const char *image_id)
{
    return -EPROTONOSUPPORT;
}

static int
socket_cancel(sdvm_ctx *ctx, uint64_t op)
{
    return -EPROTONOSUPPORT;
}

static int
socket_power(sdvm_ctx *ctx, enum sdvm_power_action action)
{
    return -EPROTONOSUPPORT;
}

const struct backend_ops sdvm_backend_socket = {
    .name = "socket",
    .open = socket_open,
    .close = socket_close,
    .process = socket_process,
    .login = socket_login,
    .cancel = socket_cancel,
    .power = socket_power,
};
