/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libsdvm internals: the context, the event queue between the backends and the caller's
 * callbacks, and the backend vtable. Nothing here is part of the ABI.
 *
 * The flow of one event:
 *   backend (fake timer, socket read)  ->  ctx_queue_*()  ->  queue  ->  sdvm_dispatch()
 *   -> staleness check against the current op  ->  the caller's callback.
 * Backends only ever queue; callbacks only ever run from sdvm_dispatch().
 */
#ifndef SDVM_LIBSDVM_PRIVATE_H
#define SDVM_LIBSDVM_PRIVATE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sdvm.h"

#define SDVM_EXPORT __attribute__((visibility("default")))

/*
 * The image catalog as the context keeps it: every string owned by the list. items is this
 * library's own array (its stride is never seen outside); ptrs is what sdvm_images() hands
 * out: count pointers into items, then NULL.
 */
struct image_list {
    struct sdvm_image *items;
    const struct sdvm_image **ptrs;
    size_t count;
};

void image_list_clear(struct image_list *list);
/* Moves *from into *to (cleared first); *from is left empty. */
void image_list_move(struct image_list *to, struct image_list *from);
/*
 * Deep copy of count images (a backend's own array: size is ignored and set to
 * sizeof(struct sdvm_image)); strings may be NULL only where sdvm_image allows it.
 */
int image_list_set(struct image_list *list, const struct sdvm_image *items, size_t count);

enum event_kind {
    EVENT_PROGRESS,
    EVENT_MESSAGE,
    EVENT_FINISHED,
    EVENT_LAUNCHING,
    EVENT_IMAGES_CHANGED,
    EVENT_DISCONNECTED,
};

/* Owned copy of an outcome; NULL strings stay NULL. */
struct outcome_copy {
    enum sdvm_failure failure;
    char *detail;
    uint32_t retry_after_s;
    char *institution;
    char *helpdesk_email;
    char *helpdesk_phone;
    char *helpdesk_url;
};

struct event {
    struct event *next;
    enum event_kind kind;
    uint64_t op;                 /* 0: not tied to a login (message, images_changed, ...) */
    enum sdvm_stage stage;       /* PROGRESS */
    int is_error;                /* MESSAGE */
    char *text;                  /* MESSAGE */
    struct outcome_copy outcome; /* FINISHED */
    struct image_list images;    /* IMAGES_CHANGED: the new catalog, swapped in on delivery */
    bool has_power_mask;         /* IMAGES_CHANGED may carry a new power mask... */
    unsigned power_mask;
    char *hostname; /* ...and a new host name (NULL: unchanged) */
};

struct backend_ops {
    const char *name;
    /* Connect / set up; fill ctx->images, ctx->hostname, ctx->power_mask. On failure the
     * backend has released everything itself. */
    int (*open)(sdvm_ctx *ctx);
    /* Optional: release the I/O once the backend is gone (its fds leave the epoll set, so
     * the context's fd stops being readable). Idempotent. */
    void (*close)(sdvm_ctx *ctx);
    /* Release everything (sdvm_ctx_free). */
    void (*destroy)(sdvm_ctx *ctx);
    /*
     * Called from sdvm_dispatch() whenever the epoll fd may be ready: never blocks, queues
     * events. Returns 0, or a negative errno when the backend is gone for good (the core
     * then ends the current op and queues disconnected()); *failure names why.
     */
    int (*process)(sdvm_ctx *ctx, enum sdvm_failure *failure);
    /* Start a login for op; must not call back. The password must not outlive the call. */
    int (*login)(sdvm_ctx *ctx, uint64_t op, const char *nai, const char *password,
                 const char *image_id);
    /* Ask to cancel op (the current one); the outcome arrives as an event. */
    int (*cancel)(sdvm_ctx *ctx, uint64_t op);
    int (*power)(sdvm_ctx *ctx, enum sdvm_power_action action);
};

extern const struct backend_ops sdvm_backend_fake;
extern const struct backend_ops sdvm_backend_socket;

struct sdvm_ctx {
    struct sdvm_listener listener; /* copied; callbacks past the caller's size are NULL */
    void *userdata;

    const struct backend_ops *backend;
    void *backend_data;

    int epfd;   /* what sdvm_get_fd() returns: the wake eventfd plus the backend's fds */
    int wakefd; /* eventfd, readable while the queue is not empty */
    struct event *head, *tail;

    uint64_t last_op;    /* the last op id handed out */
    uint64_t current_op; /* the login in progress, 0 if none */
    bool cancelling;     /* current_op was cancelled; only its end is still delivered */

    bool gone;                /* the backend is gone; no new work */
    bool disconnect_reported; /* the disconnected() event has been delivered */
    bool in_dispatch;
    bool free_pending; /* sdvm_ctx_free() called from a callback */

    struct image_list images;
    char *hostname;
    unsigned power_mask;

    enum sdvm_log_level log_level;
    sdvm_log_fn log_fn;
    void *log_userdata;
};

/* Queueing, for backends. Each copies its strings; -ENOMEM on allocation failure. */
int ctx_queue_progress(sdvm_ctx *ctx, uint64_t op, enum sdvm_stage stage);
int ctx_queue_message(sdvm_ctx *ctx, uint64_t op, int is_error, const char *text);
int ctx_queue_finished(sdvm_ctx *ctx, uint64_t op, const struct sdvm_outcome *outcome);
int ctx_queue_launching(sdvm_ctx *ctx, uint64_t op);
/* Takes ownership of *images (left empty). */
int ctx_queue_images_changed(sdvm_ctx *ctx, struct image_list *images, bool has_power_mask,
                             unsigned power_mask, const char *hostname);

/* Remove every queued event of op (the fake backend's cancel: nothing of a cancelled script
 * may still arrive). Returns how many were removed. */
size_t ctx_drop_op_events(sdvm_ctx *ctx, uint64_t op);

/* Register / unregister a backend fd on the context's epoll fd (level-triggered). */
int ctx_watch_fd(sdvm_ctx *ctx, int fd, uint32_t events);
int ctx_modify_fd(sdvm_ctx *ctx, int fd, uint32_t events);
void ctx_unwatch_fd(sdvm_ctx *ctx, int fd);

/* Logging through the context's handler (or the default set with a NULL ctx). */
void ctx_logf(const sdvm_ctx *ctx, enum sdvm_log_level level, const char *file, int line,
              const char *fmt, ...) __attribute__((format(printf, 5, 6)));
#define lib_errorf(ctx, ...) ctx_logf((ctx), SDVM_LOG_ERROR, __FILE__, __LINE__, __VA_ARGS__)
#define lib_warningf(ctx, ...) ctx_logf((ctx), SDVM_LOG_WARNING, __FILE__, __LINE__, __VA_ARGS__)
#define lib_infof(ctx, ...) ctx_logf((ctx), SDVM_LOG_INFO, __FILE__, __LINE__, __VA_ARGS__)
#define lib_debugf(ctx, ...) ctx_logf((ctx), SDVM_LOG_DEBUG, __FILE__, __LINE__, __VA_ARGS__)

/* strdup that maps NULL to NULL; sets *ok = false on allocation failure. */
char *dup_or_null(const char *s, bool *ok);

/* Monotonic milliseconds. */
int64_t now_ms(void);

/* Environment lookups: secure_getenv so a setuid caller cannot be steered. */
const char *env_get(const char *name);

#endif
