/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libsdvm: the context, the event queue, sdvm_dispatch() and the exported entry points.
 * The backends (backend-fake.c, backend-socket.c) sit behind struct backend_ops.
 */
#include "private.h"

#include "sdvm/ipc.h"
#include "sdvm/log-line.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#ifndef SDVM_VERSION_STRING
#error "SDVM_VERSION_STRING must be defined by the build"
#endif

/* The default log handler, for contexts created afterwards and for sdvm_ctx_new() itself. */
static enum sdvm_log_level default_log_level = SDVM_LOG_SILENT;
static sdvm_log_fn default_log_fn;
static void *default_log_userdata;

/* ---- small helpers ------------------------------------------------------------------ */

char *
dup_or_null(const char *s, bool *ok)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *ok = false;
    return d;
}

int64_t
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *
env_get(const char *name)
{
    const char *v = secure_getenv(name);
    return (v && *v) ? v : NULL;
}

void
ctx_logf(const sdvm_ctx *ctx, enum sdvm_log_level level, const char *file, int line,
         const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (ctx)
        sdvm_log_line(ctx->log_fn, ctx->log_userdata, ctx->log_level, level, file, line, fmt, ap);
    else
        sdvm_log_line(default_log_fn, default_log_userdata, default_log_level, level, file, line,
                      fmt, ap);
    va_end(ap);
}

/* ---- image lists -------------------------------------------------------------------- */

static void
image_free_strings(struct sdvm_image *im)
{
    free((char *)im->id);
    free((char *)im->name);
    free((char *)im->os_type);
    free((char *)im->comment);
    free((char *)im->unavailable_reason);
}

void
image_list_clear(struct image_list *list)
{
    for (size_t i = 0; i < list->count; i++)
        image_free_strings(&list->items[i]);
    free(list->items);
    free(list->ptrs);
    list->items = NULL;
    list->ptrs = NULL;
    list->count = 0;
}

void
image_list_move(struct image_list *to, struct image_list *from)
{
    image_list_clear(to);
    *to = *from;
    *from = (struct image_list){0};
}

int
image_list_set(struct image_list *list, const struct sdvm_image *items, size_t count)
{
    struct image_list n = {0};
    n.ptrs = calloc(count + 1, sizeof(*n.ptrs)); /* never NULL, even for no image */
    if (count)
        n.items = calloc(count, sizeof(*n.items));
    if (!n.ptrs || (count && !n.items)) {
        image_list_clear(&n);
        return -ENOMEM;
    }
    bool ok = true;
    for (size_t i = 0; i < count; i++) {
        const struct sdvm_image *s = &items[i];
        struct sdvm_image *d = &n.items[i];
        n.ptrs[i] = d;
        n.count = i + 1;
        d->size = sizeof(*d);
        d->id = dup_or_null(s->id ? s->id : "", &ok);
        d->name = dup_or_null(s->name ? s->name : (s->id ? s->id : ""), &ok);
        d->os_type = dup_or_null(s->os_type ? s->os_type : "", &ok);
        d->comment = dup_or_null(s->comment ? s->comment : "", &ok);
        d->is_default = s->is_default ? 1 : 0;
        d->available = s->available ? 1 : 0;
        d->unavailable_reason =
            s->available ? NULL
                         : dup_or_null(s->unavailable_reason ? s->unavailable_reason : "", &ok);
        d->unavailable_status = s->available ? SDVM_IMAGE_AVAILABLE : s->unavailable_status;
        if (!ok)
            break;
    }
    if (!ok) {
        image_list_clear(&n);
        return -ENOMEM;
    }
    image_list_move(list, &n);
    return 0;
}

/* ---- the event queue ---------------------------------------------------------------- */

static void
outcome_copy_clear(struct outcome_copy *o)
{
    free(o->detail);
    free(o->institution);
    free(o->helpdesk_email);
    free(o->helpdesk_phone);
    free(o->helpdesk_url);
    memset(o, 0, sizeof(*o));
}

static void
event_free(struct event *ev)
{
    if (!ev)
        return;
    free(ev->text);
    free(ev->hostname);
    outcome_copy_clear(&ev->outcome);
    image_list_clear(&ev->images);
    free(ev);
}

static void
wake(sdvm_ctx *ctx)
{
    uint64_t one = 1;
    /* The counter only has to be non-zero; EAGAIN (saturated) is fine too. */
    ssize_t r = write(ctx->wakefd, &one, sizeof(one));
    (void)r;
}

static void
unwake(sdvm_ctx *ctx)
{
    uint64_t v;
    ssize_t r = read(ctx->wakefd, &v, sizeof(v));
    (void)r;
}

static struct event *
event_new(enum event_kind kind, uint64_t op)
{
    struct event *ev = calloc(1, sizeof(*ev));
    if (ev) {
        ev->kind = kind;
        ev->op = op;
    }
    return ev;
}

static void
queue_push(sdvm_ctx *ctx, struct event *ev)
{
    if (ctx->tail)
        ctx->tail->next = ev;
    else
        ctx->head = ev;
    ctx->tail = ev;
    wake(ctx);
}

static struct event *
queue_pop(sdvm_ctx *ctx)
{
    struct event *ev = ctx->head;
    if (ev) {
        ctx->head = ev->next;
        if (!ctx->head)
            ctx->tail = NULL;
        ev->next = NULL;
    }
    return ev;
}

int
ctx_queue_progress(sdvm_ctx *ctx, uint64_t op, enum sdvm_stage stage)
{
    struct event *ev = event_new(EVENT_PROGRESS, op);
    if (!ev)
        return -ENOMEM;
    ev->stage = stage;
    queue_push(ctx, ev);
    return 0;
}

int
ctx_queue_message(sdvm_ctx *ctx, uint64_t op, int is_error, const char *text)
{
    struct event *ev = event_new(EVENT_MESSAGE, op);
    if (!ev)
        return -ENOMEM;
    ev->is_error = is_error ? 1 : 0;
    ev->text = strdup(text ? text : "");
    if (!ev->text) {
        event_free(ev);
        return -ENOMEM;
    }
    queue_push(ctx, ev);
    return 0;
}

int
ctx_queue_finished(sdvm_ctx *ctx, uint64_t op, const struct sdvm_outcome *o)
{
    struct event *ev = event_new(EVENT_FINISHED, op);
    if (!ev)
        return -ENOMEM;
    bool ok = true;
    ev->outcome.failure = o->failure;
    ev->outcome.retry_after_s = o->retry_after_s;
    ev->outcome.detail = dup_or_null(o->detail, &ok);
    ev->outcome.institution = dup_or_null(o->institution, &ok);
    ev->outcome.helpdesk_email = dup_or_null(o->helpdesk_email, &ok);
    ev->outcome.helpdesk_phone = dup_or_null(o->helpdesk_phone, &ok);
    ev->outcome.helpdesk_url = dup_or_null(o->helpdesk_url, &ok);
    if (!ok) {
        event_free(ev);
        return -ENOMEM;
    }
    queue_push(ctx, ev);
    return 0;
}

int
ctx_queue_launching(sdvm_ctx *ctx, uint64_t op)
{
    struct event *ev = event_new(EVENT_LAUNCHING, op);
    if (!ev)
        return -ENOMEM;
    queue_push(ctx, ev);
    return 0;
}

int
ctx_queue_images_changed(sdvm_ctx *ctx, struct image_list *images, bool has_power_mask,
                         unsigned power_mask, const char *hostname)
{
    struct event *ev = event_new(EVENT_IMAGES_CHANGED, 0);
    if (!ev)
        return -ENOMEM;
    if (hostname) {
        ev->hostname = strdup(hostname);
        if (!ev->hostname) {
            event_free(ev);
            return -ENOMEM;
        }
    }
    image_list_move(&ev->images, images);
    ev->has_power_mask = has_power_mask;
    ev->power_mask = power_mask;
    queue_push(ctx, ev);
    return 0;
}

size_t
ctx_drop_op_events(sdvm_ctx *ctx, uint64_t op)
{
    size_t dropped = 0;
    struct event **link = &ctx->head;
    ctx->tail = NULL;
    while (*link) {
        struct event *ev = *link;
        if (ev->op == op) {
            *link = ev->next;
            event_free(ev);
            dropped++;
        } else {
            ctx->tail = ev;
            link = &ev->next;
        }
    }
    return dropped;
}

/* ---- epoll -------------------------------------------------------------------------- */

int
ctx_watch_fd(sdvm_ctx *ctx, int fd, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.fd = fd};
    return epoll_ctl(ctx->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

int
ctx_modify_fd(sdvm_ctx *ctx, int fd, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.fd = fd};
    return epoll_ctl(ctx->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

void
ctx_unwatch_fd(sdvm_ctx *ctx, int fd)
{
    if (fd >= 0)
        epoll_ctl(ctx->epfd, EPOLL_CTL_DEL, fd, NULL);
}

/* ---- context ------------------------------------------------------------------------ */

static const struct backend_ops *
pick_backend(const char **name_out)
{
    const char *name = env_get("SDVM_BACKEND");
    *name_out = name ? name : "socket";
    if (!name || strcmp(name, "socket") == 0)
        return &sdvm_backend_socket;
    if (strcmp(name, "fake") == 0)
        return &sdvm_backend_fake;
    return NULL;
}

static void ctx_destroy(sdvm_ctx *ctx);

/* The smallest listener we accept: everything up to and including launching. */
#define LISTENER_MIN_SIZE                                                                          \
    (offsetof(struct sdvm_listener, launching) + sizeof(((struct sdvm_listener *)0)->launching))

SDVM_EXPORT int
sdvm_ctx_new(const struct sdvm_listener *listener, void *userdata, sdvm_ctx **out)
{
    if (!out)
        return -EINVAL;
    *out = NULL;
    if (!listener || listener->size < LISTENER_MIN_SIZE) {
        lib_errorf(NULL, "sdvm_ctx_new: listener is NULL or its size is too small");
        return -EINVAL;
    }
    struct sdvm_listener l = {0};
    memcpy(&l, listener, listener->size < sizeof(l) ? listener->size : sizeof(l));
    l.size = sizeof(l);
    if (!l.progress || !l.finished || !l.launching) {
        lib_errorf(NULL, "sdvm_ctx_new: progress, finished and launching are required");
        return -EINVAL;
    }

    const char *backend_name;
    const struct backend_ops *backend = pick_backend(&backend_name);
    if (!backend) {
        lib_errorf(NULL, "SDVM_BACKEND=%s: unknown backend (use \"socket\" or \"fake\")",
                   backend_name);
        return -EINVAL;
    }

    sdvm_ctx *ctx = calloc(1, sizeof(*ctx));
    if (!ctx)
        return -ENOMEM;
    ctx->listener = l;
    ctx->userdata = userdata;
    ctx->backend = backend;
    ctx->log_level = default_log_level;
    ctx->log_fn = default_log_fn;
    ctx->log_userdata = default_log_userdata;
    ctx->wakefd = -1;
    ctx->epfd = epoll_create1(EPOLL_CLOEXEC);
    int r;
    if (ctx->epfd < 0) {
        r = -errno;
        goto fail;
    }
    ctx->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (ctx->wakefd < 0) {
        r = -errno;
        goto fail;
    }
    r = ctx_watch_fd(ctx, ctx->wakefd, EPOLLIN);
    if (r < 0)
        goto fail;
    ctx->hostname = strdup("");
    if (!ctx->hostname) {
        r = -ENOMEM;
        goto fail;
    }
    r = backend->open(ctx);
    if (r < 0) {
        lib_debugf(ctx, "backend %s: open failed: %s", backend->name, strerror(-r));
        goto fail;
    }
    lib_debugf(ctx, "backend %s ready: %zu images, host \"%s\"", backend->name, ctx->images.count,
               ctx->hostname);
    *out = ctx;
    return 0;

fail:
    ctx->backend = NULL; /* the backend released itself */
    ctx_destroy(ctx);
    return r;
}

static void
ctx_destroy(sdvm_ctx *ctx)
{
    if (ctx->backend) {
        if (ctx->current_op && !ctx->cancelling && !ctx->gone)
            ctx->backend->cancel(ctx, ctx->current_op);
        ctx->backend->destroy(ctx);
    }
    struct event *ev;
    while ((ev = queue_pop(ctx)))
        event_free(ev);
    image_list_clear(&ctx->images);
    free(ctx->hostname);
    if (ctx->wakefd >= 0)
        close(ctx->wakefd);
    if (ctx->epfd >= 0)
        close(ctx->epfd);
    free(ctx);
}

SDVM_EXPORT void
sdvm_ctx_free(sdvm_ctx *ctx)
{
    if (!ctx)
        return;
    if (ctx->in_dispatch) {
        /* Called from a callback: finish once sdvm_dispatch() unwinds. */
        ctx->free_pending = true;
        return;
    }
    ctx_destroy(ctx);
}

SDVM_EXPORT int
sdvm_get_fd(sdvm_ctx *ctx)
{
    if (!ctx)
        return -EINVAL;
    return ctx->epfd;
}

/* The backend went away: end the login in progress, then report the disconnect. */
static void
backend_gone(sdvm_ctx *ctx, int err, enum sdvm_failure failure)
{
    ctx->gone = true;
    lib_warningf(ctx, "backend %s gone: %s (%s)", ctx->backend->name, strerror(-err),
                 sdvm_failure_to_string(failure));
    if (ctx->backend->close)
        ctx->backend->close(ctx);
    if (ctx->current_op) {
        struct sdvm_outcome o = {
            .size = sizeof(o),
            .failure = failure,
            .detail = failure == SDVM_FAILURE_PROTOCOL ? "sdvmd sent a malformed message"
                                                       : "the connection to sdvmd was lost",
        };
        if (ctx_queue_finished(ctx, ctx->current_op, &o) < 0)
            lib_errorf(ctx, "out of memory queueing the end of op %llu",
                       (unsigned long long)ctx->current_op);
    }
    struct event *ev = event_new(EVENT_DISCONNECTED, 0);
    if (ev)
        queue_push(ctx, ev);
    else
        ctx->disconnect_reported = true; /* cannot report it; -EPIPE still tells */
}

/* Is ev still wanted? Events of ops that are not current are stale and dropped. */
static bool
event_is_current(const sdvm_ctx *ctx, const struct event *ev)
{
    switch (ev->kind) {
    case EVENT_PROGRESS:
    case EVENT_MESSAGE:
        if (ev->kind == EVENT_MESSAGE && ev->op == 0)
            return true; /* a message about the terminal, not about a login */
        return ev->op == ctx->current_op && !ctx->cancelling;
    case EVENT_FINISHED:
    case EVENT_LAUNCHING:
        return ev->op != 0 && ev->op == ctx->current_op;
    case EVENT_IMAGES_CHANGED:
    case EVENT_DISCONNECTED:
        return true;
    }
    return false;
}

static const char *
event_kind_name(enum event_kind kind)
{
    switch (kind) {
    case EVENT_PROGRESS:
        return "progress";
    case EVENT_MESSAGE:
        return "message";
    case EVENT_FINISHED:
        return "finished";
    case EVENT_LAUNCHING:
        return "launching";
    case EVENT_IMAGES_CHANGED:
        return "images_changed";
    case EVENT_DISCONNECTED:
        return "disconnected";
    }
    return "?";
}

/* Deliver one event; returns 1 if a callback ran, 0 if it was dropped. */
static int
deliver(sdvm_ctx *ctx, struct event *ev)
{
    const struct sdvm_listener *l = &ctx->listener;
    if (!event_is_current(ctx, ev)) {
        lib_debugf(ctx, "dropping stale %s event of op %llu (current op %llu%s)",
                   event_kind_name(ev->kind), (unsigned long long)ev->op,
                   (unsigned long long)ctx->current_op, ctx->cancelling ? ", cancelling" : "");
        return 0;
    }
    switch (ev->kind) {
    case EVENT_PROGRESS:
        l->progress(ctx, ev->op, ev->stage, ctx->userdata);
        return 1;
    case EVENT_MESSAGE:
        if (!l->message)
            return 0; /* optional: a client that shows no messages */
        l->message(ctx, ev->op, ev->is_error, ev->text, ctx->userdata);
        return 1;
    case EVENT_FINISHED: {
        /* The op ends before the callback, so the callback may start the next login. */
        ctx->current_op = 0;
        ctx->cancelling = false;
        struct sdvm_outcome o = {
            .size = sizeof(o),
            .failure = ev->outcome.failure,
            .detail = ev->outcome.detail,
            .retry_after_s = ev->outcome.retry_after_s,
            .institution = ev->outcome.institution,
            .helpdesk_email = ev->outcome.helpdesk_email,
            .helpdesk_phone = ev->outcome.helpdesk_phone,
            .helpdesk_url = ev->outcome.helpdesk_url,
        };
        l->finished(ctx, ev->op, &o, ctx->userdata);
        return 1;
    }
    case EVENT_LAUNCHING:
        ctx->current_op = 0;
        ctx->cancelling = false;
        l->launching(ctx, ev->op, ctx->userdata);
        return 1;
    case EVENT_IMAGES_CHANGED:
        /* The old array stays valid until this very moment, as sdvm.h promises. */
        image_list_move(&ctx->images, &ev->images);
        if (ev->has_power_mask)
            ctx->power_mask = ev->power_mask;
        if (ev->hostname) {
            free(ctx->hostname);
            ctx->hostname = ev->hostname;
            ev->hostname = NULL;
        }
        if (!l->images_changed)
            return 0;
        l->images_changed(ctx, ctx->userdata);
        return 1;
    case EVENT_DISCONNECTED:
        ctx->disconnect_reported = true;
        if (!l->disconnected)
            return 0;
        l->disconnected(ctx, ctx->userdata);
        return 1;
    }
    return 0;
}

SDVM_EXPORT int
sdvm_dispatch(sdvm_ctx *ctx, int timeout_ms)
{
    if (!ctx || timeout_ms < -1)
        return -EINVAL;
    if (ctx->in_dispatch)
        return -EDEADLK; /* called from a callback: callbacks are never re-entered */

    int64_t deadline = timeout_ms > 0 ? now_ms() + timeout_ms : 0;
    int ran = 0;
    ctx->in_dispatch = true;
    for (;;) {
        if (!ctx->head && !ctx->gone) {
            int wait = timeout_ms;
            if (timeout_ms > 0) {
                int64_t left = deadline - now_ms();
                wait = left > 0 ? (int)(left > INT_MAX ? INT_MAX : left) : 0;
            }
            struct epoll_event evs[8];
            int n = epoll_wait(ctx->epfd, evs, 8, wait);
            if (n < 0 && errno != EINTR) {
                int err = -errno;
                ctx->in_dispatch = false;
                return err;
            }
        }
        if (!ctx->gone) {
            enum sdvm_failure why = SDVM_FAILURE_DAEMON_UNAVAILABLE;
            int r = ctx->backend->process(ctx, &why);
            if (r < 0)
                backend_gone(ctx, r, why);
        }
        struct event *ev;
        while ((ev = queue_pop(ctx))) {
            ran += deliver(ctx, ev);
            event_free(ev);
            if (ctx->free_pending) {
                ctx->in_dispatch = false;
                ctx_destroy(ctx);
                return ran;
            }
        }
        unwake(ctx);
        if (ran > 0 || ctx->disconnect_reported || timeout_ms == 0)
            break;
        if (timeout_ms > 0 && now_ms() >= deadline)
            break;
    }
    ctx->in_dispatch = false;
    if (ctx->disconnect_reported)
        return -EPIPE;
    return ran;
}

SDVM_EXPORT int
sdvm_images(sdvm_ctx *ctx, const struct sdvm_image *const **images, size_t *count)
{
    static const struct sdvm_image *const none[] = {NULL};
    if (!ctx || !images || !count)
        return -EINVAL;
    *images = ctx->images.ptrs ? (const struct sdvm_image *const *)ctx->images.ptrs : none;
    *count = ctx->images.count;
    return 0;
}

SDVM_EXPORT int
sdvm_login_start(sdvm_ctx *ctx, const char *nai, const char *password, const char *image_id,
                 uint64_t *op)
{
    if (!ctx || !nai || !*nai || !password || !*password || !image_id || !*image_id || !op)
        return -EINVAL;
    if (ctx->gone)
        return -EPIPE;
    if (ctx->current_op)
        return -EBUSY;
    /* No backend can carry a password over the wire's bound or one that is not UTF-8. */
    if (sdvm_ipc_check_string(SDVM_IPC_TAG_PASSWORD, password) < 0)
        return -EINVAL;
    uint64_t id = ctx->last_op + 1;
    int r = ctx->backend->login(ctx, id, nai, password, image_id);
    if (r < 0) {
        lib_debugf(ctx, "login start failed: %s", strerror(-r));
        return r;
    }
    ctx->last_op = id;
    ctx->current_op = id;
    ctx->cancelling = false;
    *op = id;
    return 0;
}

SDVM_EXPORT int
sdvm_login_cancel(sdvm_ctx *ctx, uint64_t op)
{
    if (!ctx || op == 0 || op > ctx->last_op)
        return -EINVAL;
    if (op != ctx->current_op || ctx->cancelling || ctx->gone)
        return 0; /* already ended, or already being cancelled */
    int r = ctx->backend->cancel(ctx, op);
    if (r < 0)
        return r;
    ctx->cancelling = true;
    return 0;
}

#define POWER_ALL                                                                                  \
    (SDVM_POWER_OFF | SDVM_POWER_REBOOT | SDVM_POWER_SUSPEND | SDVM_POWER_HIBERNATE |              \
     SDVM_POWER_HYBRID_SLEEP)

SDVM_EXPORT unsigned
sdvm_power_available(sdvm_ctx *ctx)
{
    if (!ctx || ctx->gone)
        return 0;
    return ctx->power_mask & POWER_ALL;
}

SDVM_EXPORT int
sdvm_power(sdvm_ctx *ctx, enum sdvm_power_action action)
{
    unsigned a = (unsigned)action;
    if (!ctx || a == 0 || (a & (a - 1)) != 0 || (a & ~(unsigned)POWER_ALL) != 0)
        return -EINVAL;
    if (ctx->gone)
        return -EPIPE;
    if (!(ctx->power_mask & a))
        return -EPERM;
    return ctx->backend->power(ctx, action);
}

SDVM_EXPORT const char *
sdvm_hostname(sdvm_ctx *ctx)
{
    if (!ctx || !ctx->hostname)
        return "";
    return ctx->hostname;
}

SDVM_EXPORT void
sdvm_set_log_handler(sdvm_ctx *ctx, enum sdvm_log_level level, sdvm_log_fn fn, void *userdata)
{
    if (level < SDVM_LOG_SILENT)
        level = SDVM_LOG_SILENT;
    if (level > SDVM_LOG_DEBUG)
        level = SDVM_LOG_DEBUG;
    if (!fn)
        level = SDVM_LOG_SILENT;
    if (!ctx) {
        default_log_level = level;
        default_log_fn = fn;
        default_log_userdata = userdata;
        return;
    }
    ctx->log_level = level;
    ctx->log_fn = fn;
    ctx->log_userdata = userdata;
}

SDVM_EXPORT const char *
sdvm_stage_to_string(enum sdvm_stage stage)
{
    switch (stage) {
    case SDVM_STAGE_CHECKING_REALM:
        return "CHECKING_REALM";
    case SDVM_STAGE_CONNECTING_WIRED:
        return "CONNECTING_WIRED";
    case SDVM_STAGE_CONNECTING_WIFI:
        return "CONNECTING_WIFI";
    case SDVM_STAGE_AUTHENTICATING:
        return "AUTHENTICATING";
    case SDVM_STAGE_PREPARING_DISK:
        return "PREPARING_DISK";
    case SDVM_STAGE_STARTING:
        return "STARTING";
    case SDVM_STAGE_HOME_SERVER_SLOW:
        return "HOME_SERVER_SLOW";
    case SDVM_STAGE_DISK_RENEWED:
        return "DISK_RENEWED";
    }
    return "UNKNOWN";
}

SDVM_EXPORT const char *
sdvm_version(void)
{
    return SDVM_VERSION_STRING;
}
