/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A greeter's view of the installed libsdvm: built with only `pkg-config --cflags --libs
 * sdvm` and the installed headers, strict C11; logs in through the fake backend.
 */
#include <sdvm.h>
#include <stdio.h>
#include <string.h>

static int stages, launched;

static void
progress(sdvm_ctx *ctx, uint64_t op, enum sdvm_stage stage, void *ud)
{
    (void)ctx, (void)op, (void)ud;
    printf("stage %s\n", sdvm_stage_to_string(stage));
    stages++;
}
static void
message(sdvm_ctx *ctx, uint64_t op, int is_error, const char *text, void *ud)
{
    (void)ctx, (void)op, (void)is_error, (void)text, (void)ud;
}
static void
finished(sdvm_ctx *ctx, uint64_t op, const struct sdvm_outcome *o, void *ud)
{
    (void)ctx, (void)op, (void)ud;
    printf("failed %s\n", sdvm_failure_to_string(o->failure));
}
static void
launching(sdvm_ctx *ctx, uint64_t op, void *ud)
{
    (void)ctx, (void)op, (void)ud;
    launched = 1;
}

int
main(void)
{
    const struct sdvm_listener l = {sizeof(l), progress, message, finished, launching, NULL, NULL};
    sdvm_ctx *ctx = NULL;
    if (sdvm_ctx_new(&l, NULL, &ctx) != 0)
        return 1;
    char password[] = "secret";
    uint64_t op;
    if (sdvm_login_start(ctx, "alice@example.org", password, "debian-12", &op) != 0)
        return 1;
    memset(password, 0, sizeof(password));
    while (!launched)
        if (sdvm_dispatch(ctx, 5000) <= 0)
            return 1;
    printf("launched after %d stages on %s (libsdvm %s)\n", stages, sdvm_hostname(ctx),
           sdvm_version());
    sdvm_ctx_free(ctx);
    return stages == 5 ? 0 : 1;
}
