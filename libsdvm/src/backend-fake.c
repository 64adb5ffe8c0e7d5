/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The fake backend (SDVM_BACKEND=fake): no daemon, no root, no network. A scripted
 * behaviour for greeter and theme development and tests, documented in sdvm-ipc(7),
 * section "THE FAKE BACKEND". Stages advance on a timerfd on the context's epoll fd.
 *
 * Environment:
 *   SDVM_FAKE_DELAY_MS  delay between two steps of a login (default 150, 0..60000)
 *   SDVM_FAKE_LOG       append "LOGIN nai=... image=... password-length=N" lines (and CANCEL,
 *                       POWER) to this file; never the password itself
 *   SDVM_FAKE_HOSTNAME  host name to report (default "lab-terminal-01")
 *   SDVM_FAKE_POWER     power actions offered: "none" or a ';' or ',' separated list of
 *                       poweroff, reboot, suspend, hibernate, hybrid-sleep
 *                       (default "poweroff;reboot;suspend")
 *   SDVM_FAKE_RELOAD_MS once, this long after the context is created, "reload" the catalog:
 *                       images_changed() with ubuntu-24.04 available and fedora-41 added
 */
#include "private.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#define FAKE_DEFAULT_DELAY_MS 150
#define FAKE_MAX_DELAY_MS 60000
#define FAKE_THROTTLE_SECONDS 30
#define FAKE_MAX_STEPS 12

enum step_kind {
    STEP_PROGRESS,
    STEP_MESSAGE,
    STEP_FINISHED,
    STEP_LAUNCHING,
};

struct step {
    enum step_kind kind;
    bool delayed; /* wait one delay before this step */
    enum sdvm_stage stage;
    int is_error;
    const char *text;
    enum sdvm_failure failure;
    const char *detail;
    uint32_t retry_after_s;
    bool with_institution; /* fill institution and helpdesk fields from the realm */
};

struct fake {
    int timerfd;
    int reloadfd;  /* SDVM_FAKE_RELOAD_MS, -1 if not set */
    bool reloaded; /* logins use fake_images_reloaded */
    int logfd;
    unsigned delay_ms;
    uint64_t op; /* the running login, 0 if none */
    struct step steps[FAKE_MAX_STEPS];
    size_t n_steps, next;
    char detail[256];
    char institution[300];
    char email[300];
    char url[300];
};

/* The catalog after SDVM_FAKE_RELOAD_MS: the missing image arrived, a new one was added. */
static const struct sdvm_image fake_images_reloaded[] = {
    {.id = "windows-11",
     .name = "Windows 11 Education",
     .os_type = "windows",
     .comment = "Office, MATLAB, SolidWorks",
     .is_default = 1,
     .available = 1},
    {.id = "debian-12",
     .name = "Debian GNU/Linux 12",
     .os_type = "linux",
     .comment = "GCC, Python, R, LaTeX",
     .available = 1},
    {.id = "ubuntu-24.04",
     .name = "Ubuntu 24.04 LTS",
     .os_type = "linux",
     .comment = "",
     .available = 1},
    {.id = "fedora-41",
     .name = "Fedora Linux 41",
     .os_type = "linux",
     .comment = "Added by the reload",
     .available = 1},
};

static const struct sdvm_image fake_images[] = {
    {
        .id = "windows-11",
        .name = "Windows 11 Education",
        .os_type = "windows",
        .comment = "Office, MATLAB, SolidWorks",
        .is_default = 1,
        .available = 1,
    },
    {
        .id = "debian-12",
        .name = "Debian GNU/Linux 12",
        .os_type = "linux",
        .comment = "GCC, Python, R, LaTeX",
        .is_default = 0,
        .available = 1,
    },
    {
        .id = "ubuntu-24.04",
        .name = "Ubuntu 24.04 LTS",
        .os_type = "linux",
        .comment = "",
        .is_default = 0,
        .available = 0,
        .unavailable_reason = "the base image ubuntu-24.04.qcow2 is missing",
        .unavailable_status = SDVM_IMAGE_QCOW2_MISSING,
    },
};

/* ---- the transcript file ------------------------------------------------------------ */

/* Append one line; NAI and image are escaped so a test can never be fooled by a newline. */
static void
fake_log_escaped(char *out, size_t size, const char *s)
{
    size_t o = 0;
    for (; *s && o + 5 < size; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f || c == '\\' || c == ' ') {
            o += (size_t)snprintf(out + o, size - o, "\\x%02x", c);
        } else {
            out[o++] = (char)c;
        }
    }
    out[o] = '\0';
}

static void fake_log(sdvm_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
fake_log(sdvm_ctx *ctx, const char *fmt, ...)
{
    struct fake *f = ctx->backend_data;
    if (f->logfd < 0)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n > sizeof(line) - 2)
        n = (int)sizeof(line) - 2;
    line[n++] = '\n';
    /* One write per line with O_APPEND: lines of concurrent writers never interleave. */
    if (write(f->logfd, line, (size_t)n) != n)
        lib_warningf(ctx, "SDVM_FAKE_LOG: short write: %s", strerror(errno));
}

/* ---- environment -------------------------------------------------------------------- */

static int
parse_delay(sdvm_ctx *ctx, unsigned *out)
{
    const char *v = env_get("SDVM_FAKE_DELAY_MS");
    *out = FAKE_DEFAULT_DELAY_MS;
    if (!v)
        return 0;
    char *end;
    errno = 0;
    long ms = strtol(v, &end, 10);
    if (errno || *end || end == v || ms < 0 || ms > FAKE_MAX_DELAY_MS) {
        lib_errorf(ctx, "SDVM_FAKE_DELAY_MS=%s: expected milliseconds between 0 and %d", v,
                   FAKE_MAX_DELAY_MS);
        return -EINVAL;
    }
    *out = (unsigned)ms;
    return 0;
}

static int
parse_reload(sdvm_ctx *ctx, long *out)
{
    const char *v = env_get("SDVM_FAKE_RELOAD_MS");
    *out = -1;
    if (!v)
        return 0;
    char *end;
    errno = 0;
    long ms = strtol(v, &end, 10);
    if (errno || *end || end == v || ms < 1 || ms > FAKE_MAX_DELAY_MS) {
        lib_errorf(ctx, "SDVM_FAKE_RELOAD_MS=%s: expected milliseconds between 1 and %d", v,
                   FAKE_MAX_DELAY_MS);
        return -EINVAL;
    }
    *out = ms;
    return 0;
}

static int
parse_power(sdvm_ctx *ctx, unsigned *out)
{
    const char *v = env_get("SDVM_FAKE_POWER");
    *out = SDVM_POWER_OFF | SDVM_POWER_REBOOT | SDVM_POWER_SUSPEND;
    if (!v)
        return 0;
    *out = 0;
    if (strcmp(v, "none") == 0)
        return 0;
    static const struct {
        const char *name;
        unsigned bit;
    } names[] = {
        {"poweroff", SDVM_POWER_OFF},
        {"reboot", SDVM_POWER_REBOOT},
        {"suspend", SDVM_POWER_SUSPEND},
        {"hibernate", SDVM_POWER_HIBERNATE},
        {"hybrid-sleep", SDVM_POWER_HYBRID_SLEEP},
    };
    const char *p = v;
    while (*p) {
        size_t len = strcspn(p, ";,");
        bool found = false;
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
            if (strlen(names[i].name) == len && strncmp(names[i].name, p, len) == 0) {
                *out |= names[i].bit;
                found = true;
            }
        }
        if (!found && len > 0) {
            lib_errorf(ctx, "SDVM_FAKE_POWER=%s: unknown action \"%.*s\"", v, (int)len, p);
            return -EINVAL;
        }
        p += len;
        if (*p)
            p++;
    }
    return 0;
}

static const char *
power_name(enum sdvm_power_action action)
{
    switch (action) {
    case SDVM_POWER_OFF:
        return "poweroff";
    case SDVM_POWER_REBOOT:
        return "reboot";
    case SDVM_POWER_SUSPEND:
        return "suspend";
    case SDVM_POWER_HIBERNATE:
        return "hibernate";
    case SDVM_POWER_HYBRID_SLEEP:
        return "hybrid-sleep";
    }
    return "unknown";
}

/* ---- open / close ------------------------------------------------------------------- */

static void
fake_close(sdvm_ctx *ctx)
{
    struct fake *f = ctx->backend_data;
    if (!f)
        return;
    if (f->timerfd >= 0) {
        ctx_unwatch_fd(ctx, f->timerfd);
        close(f->timerfd);
    }
    if (f->reloadfd >= 0) {
        ctx_unwatch_fd(ctx, f->reloadfd);
        close(f->reloadfd);
    }
    if (f->logfd >= 0)
        close(f->logfd);
    free(f);
    ctx->backend_data = NULL;
}

static int
fake_open(sdvm_ctx *ctx)
{
    struct fake *f = calloc(1, sizeof(*f));
    if (!f)
        return -ENOMEM;
    f->timerfd = -1;
    f->reloadfd = -1;
    f->logfd = -1;
    ctx->backend_data = f;

    unsigned power = 0;
    long reload_ms = -1;
    int r = parse_delay(ctx, &f->delay_ms);
    if (r == 0)
        r = parse_power(ctx, &power);
    if (r == 0)
        r = parse_reload(ctx, &reload_ms);
    if (r < 0)
        goto fail;

    const char *log = env_get("SDVM_FAKE_LOG");
    if (log) {
        f->logfd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
        if (f->logfd < 0) {
            r = -errno;
            lib_errorf(ctx, "SDVM_FAKE_LOG=%s: %s", log, strerror(errno));
            goto fail;
        }
    }

    f->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (f->timerfd < 0) {
        r = -errno;
        goto fail;
    }
    r = ctx_watch_fd(ctx, f->timerfd, EPOLLIN);
    if (r < 0)
        goto fail;
    if (reload_ms > 0) {
        f->reloadfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        if (f->reloadfd < 0) {
            r = -errno;
            goto fail;
        }
        struct itimerspec its = {0};
        its.it_value.tv_sec = reload_ms / 1000;
        its.it_value.tv_nsec = (reload_ms % 1000) * 1000000L;
        if (timerfd_settime(f->reloadfd, 0, &its, NULL) < 0) {
            r = -errno;
            goto fail;
        }
        r = ctx_watch_fd(ctx, f->reloadfd, EPOLLIN);
        if (r < 0)
            goto fail;
    }

    const char *host = env_get("SDVM_FAKE_HOSTNAME");
    char *h = strdup(host ? host : "lab-terminal-01");
    if (!h) {
        r = -ENOMEM;
        goto fail;
    }
    free(ctx->hostname);
    ctx->hostname = h;
    ctx->power_mask = power;
    r = image_list_set(&ctx->images, fake_images, sizeof(fake_images) / sizeof(fake_images[0]));
    if (r < 0)
        goto fail;
    lib_debugf(ctx, "fake backend: delay %u ms, power mask 0x%x", f->delay_ms, power);
    return 0;

fail:
    fake_close(ctx);
    return r;
}

/* ---- the script --------------------------------------------------------------------- */

static void
arm(struct fake *f, unsigned ms)
{
    struct itimerspec its = {0};
    its.it_value.tv_sec = ms / 1000;
    its.it_value.tv_nsec = (long)(ms % 1000) * 1000000L;
    timerfd_settime(f->timerfd, 0, &its, NULL);
}

static void
disarm(struct fake *f)
{
    struct itimerspec its = {0};
    timerfd_settime(f->timerfd, 0, &its, NULL);
    uint64_t expirations;
    ssize_t r = read(f->timerfd, &expirations, sizeof(expirations));
    (void)r;
}

static int
emit(sdvm_ctx *ctx, const struct step *s)
{
    struct fake *f = ctx->backend_data;
    switch (s->kind) {
    case STEP_PROGRESS:
        return ctx_queue_progress(ctx, f->op, s->stage);
    case STEP_MESSAGE:
        return ctx_queue_message(ctx, f->op, s->is_error, s->text);
    case STEP_FINISHED: {
        struct sdvm_outcome o = {
            .size = sizeof(o),
            .failure = s->failure,
            .detail = s->detail,
            .retry_after_s = s->retry_after_s,
        };
        if (s->with_institution) {
            o.institution = f->institution;
            o.helpdesk_email = f->email;
            o.helpdesk_phone = "+1 555 0100";
            o.helpdesk_url = f->url;
        }
        return ctx_queue_finished(ctx, f->op, &o);
    }
    case STEP_LAUNCHING:
        return ctx_queue_launching(ctx, f->op);
    }
    return -EINVAL;
}

/* Queue every step that is due; arm the timer for the next delayed one. */
static int
run(sdvm_ctx *ctx, bool timer_fired)
{
    struct fake *f = ctx->backend_data;
    while (f->op && f->next < f->n_steps) {
        const struct step *s = &f->steps[f->next];
        if (s->delayed && f->delay_ms > 0 && !timer_fired) {
            arm(f, f->delay_ms);
            return 0;
        }
        timer_fired = false;
        f->next++;
        int r = emit(ctx, s);
        if (r < 0)
            return r;
    }
    f->op = 0; /* the script ended with finished() or launching() */
    return 0;
}

static struct step *
add(struct fake *f, enum step_kind kind, bool delayed)
{
    struct step *s = &f->steps[f->n_steps++];
    memset(s, 0, sizeof(*s));
    s->kind = kind;
    s->delayed = delayed;
    return s;
}

static void
add_progress(struct fake *f, bool delayed, enum sdvm_stage stage)
{
    add(f, STEP_PROGRESS, delayed)->stage = stage;
}

static void
add_message(struct fake *f, bool delayed, int is_error, const char *text)
{
    struct step *s = add(f, STEP_MESSAGE, delayed);
    s->is_error = is_error;
    s->text = text;
}

static void
add_finished(struct fake *f, bool delayed, enum sdvm_failure failure, const char *detail,
             bool with_institution)
{
    struct step *s = add(f, STEP_FINISHED, delayed);
    s->failure = failure;
    s->detail = detail;
    s->with_institution = with_institution;
}

/* user@realm with one '@', a non-empty user and a realm of letters, digits, '.' and '-'. */
static const char *
nai_realm(const char *nai)
{
    size_t len = strlen(nai);
    if (len > 253)
        return NULL;
    for (const char *p = nai; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return NULL;
    const char *at = strchr(nai, '@');
    if (!at || at == nai || strchr(at + 1, '@'))
        return NULL;
    const char *realm = at + 1;
    if (!*realm || *realm == '.' || realm[strlen(realm) - 1] == '.')
        return NULL;
    for (const char *p = realm; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-')
            return NULL;
    return realm;
}

static const struct sdvm_image *
find_image(const struct fake *f, const char *id)
{
    const struct sdvm_image *list = f->reloaded ? fake_images_reloaded : fake_images;
    size_t n = f->reloaded ? sizeof(fake_images_reloaded) / sizeof(fake_images_reloaded[0])
                           : sizeof(fake_images) / sizeof(fake_images[0]);
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i].id, id) == 0)
            return &list[i];
    return NULL;
}

static void
build_script(struct fake *f, const char *nai, const char *password, const char *image_id)
{
    f->n_steps = 0;
    f->next = 0;
    const char *realm = nai_realm(nai);
    if (!realm) {
        add_finished(f, false, SDVM_FAILURE_INVALID_NAI, "expected user@realm", false);
        return;
    }
    const struct sdvm_image *image = find_image(f, image_id);
    if (!image) {
        add_finished(f, false, SDVM_FAILURE_IMAGE_UNKNOWN, "no such image in the catalog", false);
        return;
    }
    if (!image->available) {
        add_finished(f, false, SDVM_FAILURE_IMAGE_UNAVAILABLE, image->unavailable_reason, false);
        return;
    }
    if (strcmp(password, "slow") == 0 || strcmp(password, "throttle") == 0) {
        add_finished(f, false, SDVM_FAILURE_THROTTLED,
                     "too many failed logins on this terminal (fake)", false);
        f->steps[f->n_steps - 1].retry_after_s = FAKE_THROTTLE_SECONDS;
        return;
    }

    snprintf(f->institution, sizeof(f->institution), "Example University (%s)", realm);
    snprintf(f->email, sizeof(f->email), "helpdesk@%s", realm);
    snprintf(f->url, sizeof(f->url), "https://%s/helpdesk", realm);
#define REALM_IS(name) (strcasecmp(realm, name) == 0)

    add_progress(f, false, SDVM_STAGE_CHECKING_REALM);
    if (REALM_IS("unknown.test")) {
        add_finished(f, false, SDVM_FAILURE_UNKNOWN_REALM,
                     "realm unknown.test is in neither realms.d nor the CAT database (fake)",
                     false);
        return;
    }
    if (REALM_IS("insecure.test")) {
        add_finished(f, false, SDVM_FAILURE_INSECURE_PROFILE,
                     "the realm's profile has no CA certificate (fake)", true);
        return;
    }
    if (REALM_IS("tls-only.test")) {
        add_finished(f, false, SDVM_FAILURE_REALM_UNSUPPORTED,
                     "the realm only offers EAP-TLS (fake)", true);
        return;
    }
    if (REALM_IS("nocarrier.test")) {
        add_message(f, true, 1, "No network cable is connected and no Wi-Fi adapter was found.");
        add_finished(f, false, SDVM_FAILURE_NO_NETWORK, "no carrier on any ethernet port (fake)",
                     false);
        return;
    }
    add_progress(f, true,
                 REALM_IS("wifi.test") ? SDVM_STAGE_CONNECTING_WIFI : SDVM_STAGE_CONNECTING_WIRED);
    if (REALM_IS("timeout.test")) {
        add_finished(f, true, SDVM_FAILURE_AUTH_TIMEOUT, "no EAP-Request/Identity (fake)", true);
        return;
    }
    add_progress(f, true, SDVM_STAGE_AUTHENTICATING);
    if (REALM_IS("cert.test")) {
        add_finished(f, true, SDVM_FAILURE_SERVER_CERT_UNTRUSTED,
                     "certificate of radius.cert.test not signed by the realm's CA (fake)", true);
        return;
    }
    if (REALM_IS("name.test")) {
        add_finished(f, true, SDVM_FAILURE_SERVER_NAME_MISMATCH,
                     "certificate names radius.other.test, expected radius.name.test (fake)", true);
        return;
    }
    if (strcmp(password, "wrong") == 0) {
        add_finished(f, true, SDVM_FAILURE_BAD_CREDENTIALS,
                     "EAP-Failure from the home server (fake)", true);
        return;
    }
    if (REALM_IS("notice.test"))
        add_message(f, true, 0, "Your password expires in 3 days.");
    add_progress(f, !REALM_IS("notice.test"), SDVM_STAGE_PREPARING_DISK);
    if (REALM_IS("diskfull.test")) {
        add_finished(f, true, SDVM_FAILURE_DISK_FULL,
                     "need 20 GiB for the overlay, 2 GiB free after eviction (fake)", false);
        return;
    }
    add_progress(f, true, SDVM_STAGE_STARTING);
    add(f, STEP_LAUNCHING, true);
#undef REALM_IS
}

static int
fake_login(sdvm_ctx *ctx, uint64_t op, const char *nai, const char *password, const char *image_id)
{
    struct fake *f = ctx->backend_data;
    char nai_esc[1100], image_esc[1100];
    fake_log_escaped(nai_esc, sizeof(nai_esc), nai);
    fake_log_escaped(image_esc, sizeof(image_esc), image_id);
    /* The length only: the password itself never reaches a file or a log. */
    fake_log(ctx, "LOGIN nai=%s image=%s password-length=%zu", nai_esc, image_esc,
             strlen(password));
    lib_debugf(ctx, "fake login op %llu: nai %s, image %s", (unsigned long long)op, nai_esc,
               image_esc);
    build_script(f, nai, password, image_id);
    f->op = op;
    return run(ctx, false);
}

static int
fake_cancel(sdvm_ctx *ctx, uint64_t op)
{
    struct fake *f = ctx->backend_data;
    fake_log(ctx, "CANCEL op=%llu", (unsigned long long)op);
    /* The core only cancels its current op, so nothing of it has been delivered yet that
     * ends it: whatever the script queued (even its launching()) is withdrawn. */
    size_t dropped = ctx_drop_op_events(ctx, op);
    lib_debugf(ctx, "fake cancel op %llu: %zu queued events withdrawn", (unsigned long long)op,
               dropped);
    disarm(f);
    f->op = 0;
    f->n_steps = 0;
    f->next = 0;
    struct sdvm_outcome o = {
        .size = sizeof(o),
        .failure = SDVM_FAILURE_CANCELLED,
        .detail = "cancelled by the client",
    };
    return ctx_queue_finished(ctx, op, &o);
}

static int
fake_process(sdvm_ctx *ctx, enum sdvm_failure *failure)
{
    (void)failure;
    struct fake *f = ctx->backend_data;
    uint64_t expirations = 0;
    if (f->reloadfd >= 0 &&
        read(f->reloadfd, &expirations, sizeof(expirations)) == (ssize_t)sizeof(expirations)) {
        struct image_list list = {0};
        int q = image_list_set(&list, fake_images_reloaded,
                               sizeof(fake_images_reloaded) / sizeof(fake_images_reloaded[0]));
        if (q == 0)
            q = ctx_queue_images_changed(ctx, &list, false, 0, NULL);
        image_list_clear(&list);
        if (q < 0)
            lib_errorf(ctx, "fake backend: %s", strerror(-q));
        f->reloaded = true;
        fake_log(ctx, "RELOAD");
    }
    expirations = 0;
    ssize_t r = read(f->timerfd, &expirations, sizeof(expirations));
    if (r != (ssize_t)sizeof(expirations) || expirations == 0 || !f->op)
        return 0;
    int q = run(ctx, true);
    if (q < 0)
        lib_errorf(ctx, "fake backend: %s", strerror(-q));
    return 0;
}

static int
fake_power(sdvm_ctx *ctx, enum sdvm_power_action action)
{
    fake_log(ctx, "POWER action=%s", power_name(action));
    lib_infof(ctx, "fake backend: power action %s (nothing happens)", power_name(action));
    return 0;
}

const struct backend_ops sdvm_backend_fake = {
    .name = "fake",
    .open = fake_open,
    .close = NULL,
    .destroy = fake_close,
    .process = fake_process,
    .login = fake_login,
    .cancel = fake_cancel,
    .power = fake_power,
};
