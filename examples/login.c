/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The smallest libsdvm client: one login, from the image catalog to launching().
 *   cc -std=c11 login.c $(pkg-config --cflags --libs sdvm) -o login
 *   SDVM_BACKEND=fake ./login      # the scripted fake: no daemon, no root, no network
 * A greeter does the same from its own event loop: when sdvm_get_fd() is readable, it
 * calls sdvm_dispatch(ctx, 0). Built and run by the test libsdvm-installed.
 */
#define _DEFAULT_SOURCE /* explicit_bzero */
#include <sdvm.h>
#include <stdio.h>
#include <string.h>

static int stages, ended, launched;

static void
progress(sdvm_ctx *ctx, uint64_t op, enum sdvm_stage stage, void *ud)
{
    (void)ctx, (void)op, (void)ud;
    printf("stage %s\n", sdvm_stage_to_string(stage));
    stages++;
}

static void
finished(sdvm_ctx *ctx, uint64_t op, const struct sdvm_outcome *o, void *ud)
{
    (void)ctx, (void)op, (void)ud;
    printf("failed: %s\n", sdvm_failure_to_string(o->failure));
    ended = 1;
}

static void
launching(sdvm_ctx *ctx, uint64_t op, void *ud)
{
    (void)ctx, (void)op, (void)ud;
    ended = launched = 1; /* a greeter exits now: the guest gets the display */
}

int
main(void)
{
    const struct sdvm_listener l = {
        .size = sizeof(l), .progress = progress, .finished = finished, .launching = launching,
    };
    sdvm_ctx *ctx;
    int r = sdvm_ctx_new(&l, NULL, &ctx);
    if (r < 0) {
        fprintf(stderr, "sdvm_ctx_new: %s\n", strerror(-r));
        return 1;
    }
    const struct sdvm_image *const *images; /* pointers: the struct may grow */
    size_t n;
    const char *image = NULL;
    if (sdvm_images(ctx, &images, &n) == 0)
        for (size_t i = 0; i < n; i++)
            if (images[i]->is_default && images[i]->available)
                image = images[i]->id;

    char password[] = "secret"; /* a greeter reads it from the person */
    uint64_t op;
    r = image ? sdvm_login_start(ctx, "alice@example.org", password, image, &op) : -1;
    explicit_bzero(password, sizeof(password)); /* the library made its own copy */
    while (r == 0 && !ended)
        if (sdvm_dispatch(ctx, -1) < 0) /* -EPIPE: the daemon went away */
            break;
    printf("%s %s after %d stages on %s (libsdvm %s)\n", launched ? "launched" : "stopped",
           image ? image : "(no default image)", stages, sdvm_hostname(ctx), sdvm_version());
    sdvm_ctx_free(ctx);
    return launched ? 0 : 1;
}
