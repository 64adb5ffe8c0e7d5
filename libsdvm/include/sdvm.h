/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sdvm.h: the small C ABI between a greeter (or any client) and sdvmd.
 *
 * Shape (after libseat and liblightdm):
 *   - one opaque context, one listener struct of callbacks, one userdata pointer;
 *   - sdvm_get_fd() is pollable; callbacks run only inside sdvm_dispatch(), on the caller's
 *     thread, never from inside another sdvm_* call;
 *   - synchronous calls return 0 or -errno (misuse: -EINVAL, wrong state: -EBUSY, ...);
 *   - the outcome of a login arrives asynchronously as an enum sdvm_failure (0 = success);
 *   - every login has an op id carried by every callback; events of an op that is no longer
 *     current are dropped, so a late event never reaches the caller;
 *   - logging is silent until sdvm_set_log_handler() is called.
 *
 * Backends: the daemon socket (default; path from $SDVM_SOCKET or the built-in default) or a
 * scripted fake ($SDVM_BACKEND=fake) for greeter and theme development without root or
 * network. The fake's script is documented in sdvm-ipc(7).
 *
 * Thread safety: a context is used from one thread at a time.
 *
 * Growing: every struct the library hands out or takes can grow at its end. The listener and
 * struct sdvm_outcome carry a leading size; images come as pointers (with a size of their
 * own). A client built against an older header keeps working with a newer library. What
 * changed before SDVM_0 shipped, and why: libsdvm/README.md, "The ABI's history".
 */
#ifndef SDVM_H
#define SDVM_H

#include <stddef.h>
#include <stdint.h>

/* The vocabulary every part of SDVM shares (vocab/): failure reasons, log levels, login
 * stages and power actions. Installed beside this header. */
#include "sdvm-failure.h"
#include "sdvm-log.h"
#include "sdvm-types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sdvm_ctx sdvm_ctx;

/*
 * One bootable image of the catalog. Strings are never NULL except where noted.
 * sdvm_images() hands out pointers to these, never an array of them: an array's stride is
 * the client's sizeof, frozen into every binary, so no field could ever be added. With
 * pointers, fields are appended at the end and an older client reads the prefix it knows;
 * size lets a newer client check that the library it runs with fills a field it wants to
 * read (offsetof(struct sdvm_image, field) < size), as with struct sdvm_outcome.
 */
struct sdvm_image {
    size_t size;                    /* sizeof(struct sdvm_image) as the library knows it */
    const char *id;                 /* [A-Za-z0-9._-]+, what sdvm_login_start() takes */
    const char *name;               /* display name */
    const char *os_type;            /* "windows", "linux", ... (icons, guest options) */
    const char *comment;            /* may be "" */
    int is_default;                 /* the catalog's default image */
    int available;                  /* 0: listed but cannot be started */
    const char *unavailable_reason; /* NULL when available; for logs and details: may name files */
    /* Appended (issue 16): why the image is unavailable, as a number to translate (enum
     * sdvm_image_status, sdvm-types.h); SDVM_IMAGE_AVAILABLE (0) when available or when sdvmd
     * did not say. Read it only when offsetof(struct sdvm_image, unavailable_status) < size. */
    enum sdvm_image_status unavailable_status;
};

/* How a login ended, valid only during the finished callback. */
struct sdvm_outcome {
    size_t size;                    /* sizeof(struct sdvm_outcome) as the library knows it */
    enum sdvm_failure failure;      /* never SDVM_FAILURE_NONE: success is launching() */
    const char *detail;             /* technical detail for logs; may be NULL */
    uint32_t retry_after_s;         /* SDVM_FAILURE_THROTTLED: seconds until a retry is allowed */
    const char *institution;        /* the realm's home institution, NULL if unknown */
    const char *helpdesk_email;     /* helpdesk contacts from eduroam CAT; each may be NULL */
    const char *helpdesk_phone;
    const char *helpdesk_url;
};

/*
 * Callbacks. Each op ends with exactly one of finished() (failure) or launching() (success:
 * the greeter must now release the display and exit; the daemon starts the guest).
 * The listener may grow: set size = sizeof(struct sdvm_listener); callbacks past the size
 * given are treated as NULL. progress, finished and launching are required; message,
 * images_changed and disconnected are optional (NULL: the event is dropped).
 */
struct sdvm_listener {
    size_t size;
    void (*progress)(sdvm_ctx *ctx, uint64_t op, enum sdvm_stage stage, void *userdata);
    /* Optional: information (is_error = 0) or error text to show the person, e.g. "Wi-Fi
     * not found". op 0: a message about the terminal rather than a login ("Shutting down at
     * 18:00"). The outcome of a login never depends on it: finished() carries the reason. */
    void (*message)(sdvm_ctx *ctx, uint64_t op, int is_error, const char *text, void *userdata);
    void (*finished)(sdvm_ctx *ctx, uint64_t op, const struct sdvm_outcome *outcome,
                     void *userdata);
    void (*launching)(sdvm_ctx *ctx, uint64_t op, void *userdata);
    /* Optional: the image list changed (daemon reloaded); call sdvm_images() again. */
    void (*images_changed)(sdvm_ctx *ctx, void *userdata);
    /* Optional: the daemon went away; the context is unusable and should be freed. A login
     * in progress has already ended with finished(DAEMON_UNAVAILABLE or PROTOCOL). */
    void (*disconnected)(sdvm_ctx *ctx, void *userdata);
};

/*
 * Create a context and connect the backend. Returns 0 and *out, or -EINVAL (NULL or
 * incomplete listener, unknown $SDVM_BACKEND, a bad setting in the environment), -ENOMEM,
 * -ECONNREFUSED/-ENOENT (no daemon), -ENAMETOOLONG (socket path), -EPROTO (handshake:
 * garbage or another protocol version), -ETIMEDOUT (no answer to the hello), -ECONNRESET
 * (the daemon hung up), -EACCES (the daemon does not serve this user), -EBUSY (it serves
 * another client). The socket handshake blocks, at most $SDVM_HANDSHAKE_TIMEOUT_MS (5 s).
 */
int sdvm_ctx_new(const struct sdvm_listener *listener, void *userdata, sdvm_ctx **out);
/*
 * Frees the context; cancels a login in progress (no callback follows). NULL is accepted.
 * Called from a callback, the context is freed when sdvm_dispatch() returns.
 */
void sdvm_ctx_free(sdvm_ctx *ctx);

/*
 * A file descriptor that becomes readable when sdvm_dispatch() has work to do (level-
 * triggered; owned by the context). Once the daemon is gone and disconnected() has run, it
 * stays quiet.
 */
int sdvm_get_fd(sdvm_ctx *ctx);
/*
 * Run pending callbacks; wait up to timeout_ms for one (0: do not wait, -1: wait forever).
 * Returns the number of callbacks run (>= 0) or -errno: -EPIPE from the call that ran
 * disconnected() on, -EDEADLK when called from a callback, -EINVAL.
 */
int sdvm_dispatch(sdvm_ctx *ctx, int timeout_ms);

/*
 * The image catalog: *images is an array of *count pointers followed by a NULL (never NULL
 * itself, also for an empty catalog). The array and the images are owned by the context and
 * stay valid until images_changed() is delivered or the context is freed.
 *
 *     const struct sdvm_image *const *images;
 *     size_t n;
 *     sdvm_images(ctx, &images, &n);
 *     for (size_t i = 0; i < n; i++)
 *         show(images[i]->name, images[i]->available);
 */
int sdvm_images(sdvm_ctx *ctx, const struct sdvm_image *const **images, size_t *count);

/*
 * Start a login. The password is copied and the copy wiped once sent; the caller should
 * wipe its own. Returns 0 and *op (never 0), -EINVAL (NULL/empty argument, or a password
 * over 1024 bytes or not UTF-8), -EBUSY (a login is in progress, including one cancelled
 * whose finished() has not been dispatched yet), -EPIPE (disconnected). Callbacks follow from
 * sdvm_dispatch(); a malformed NAI or image id ends in finished(INVALID_NAI / IMAGE_UNKNOWN).
 */
int sdvm_login_start(sdvm_ctx *ctx, const char *nai, const char *password,
                     const char *image_id, uint64_t *op);
/*
 * Cancel a login; idempotent: 0 also when op already ended or is being cancelled, -EINVAL
 * for op 0 or an op never started. finished(CANCELLED) follows; progress and messages of the
 * op are dropped from then on. With sdvmd, a login already past the point of no return ends
 * with launching() instead (sdvm-ipc(7)).
 */
int sdvm_login_cancel(sdvm_ctx *ctx, uint64_t op);

/* Power actions: mask of enum sdvm_power_action allowed now; request one (-EPERM if not). */
unsigned sdvm_power_available(sdvm_ctx *ctx);
int sdvm_power(sdvm_ctx *ctx, enum sdvm_power_action action);

/* The terminal's host name ("" if unknown); owned by the context. */
const char *sdvm_hostname(sdvm_ctx *ctx);

/*
 * Logging: silent by default. fn NULL restores silence. ctx NULL sets the default for
 * contexts created afterwards and for sdvm_ctx_new()'s own messages (call it before creating
 * contexts; it is not thread-safe).
 */
void sdvm_set_log_handler(sdvm_ctx *ctx, enum sdvm_log_level level, sdvm_log_fn fn,
                          void *userdata);

/* Stable identifier of a stage for logs ("AUTHENTICATING"). */
const char *sdvm_stage_to_string(enum sdvm_stage stage);

/* Library version, "MAJOR.MINOR.PATCH". */
const char *sdvm_version(void);

#ifdef __cplusplus
}
#endif

#endif /* SDVM_H */
