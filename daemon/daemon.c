/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "daemon.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "greeter-process.h"
#include "guest-runner.h"
#include "metrics.h"
#include "power.h"
#include "sdvm/catalog.h"
#include "sdvm/log.h"
#include "sdvm/nai.h"
#include "sdvm/realms.h"
#include "sdvm/store.h"
#include "sdvm/user-id.h"
#include "server.h"
#include "session-record.h"
#include "throttle.h"

#define DEFAULT_GREETER_EXIT_TIMEOUT_MS 5000
/* Long enough to read the DISK_RENEWED notice once. */
#define DEFAULT_DISK_NOTICE_MS 8000
#define METRICS_INTERVAL_S 15

/* Where one login is. Each phase has exactly one thing that moves it on. */
enum phase {
    PHASE_NETWORK,   /* net->start ... done() */
    PHASE_LAUNCHING, /* LAUNCHING sent; waiting for the greeter to be gone */
    PHASE_GUEST,     /* run-guest running */
};

struct login {
    uint64_t op;
    sdvmd_client *client; /* NULL once the client is gone (normal after LAUNCHING) */
    sdvm_nai *nai;
    char user_id[SDVM_USER_ID_SIZE];
    char *image_id;
    char *image_version;
    char *os_type;
    char *base_path;
    char *disk_path;
    struct sdvm_auth_profile *profile;
    enum phase phase;
    bool cancelled;
    bool throttle_counted; /* sdvmd_throttle_begin() ran: end it with the outcome */
    gint64 started_at;
    gint64 launched_at;       /* the disk was ready */
    gint64 guest_started_at; /* run-guest started: the session */
};

struct sdvmd {
    struct sdvm_config *config;
    struct sdvmd_options options;
    char **run_guest_args;
    char **run_guest_env;

    sdvmd_net *net;
    sdvm_catalog *catalog;
    sdvm_realms *realms;
    sdvm_store *store;
    sdvmd_throttle *throttle;
    sdvmd_power *power;
    sdvmd_server *server;
    sdvmd_greeter *greeter;
    sdvmd_guest *guest;
    sdvmd_guest *recovery; /* run-guest --recover, before the first greeter */
    struct login *login;
    sdvmd_metrics *metrics;
    GFileMonitor *images_monitor; /* an .ini renamed in: sdvm-image activated a version */
    guint catalog_reload;
    uint64_t greeter_restarts;
    guint metrics_timer;
    guint launch_idle;
    bool shutting_down;
    bool logout_pending; /* a logout() whose logged_out() has not come */
    bool final_logout;   /* shutting down: the last logout was asked for */
    sdvmd_stopped_fn stopped;
    void *stopped_data;
    guint stopped_idle;
    char hostname[256];
};

static void maybe_stopped(sdvmd *d);
static void guest_params_env(const sdvmd *d, GPtrArray *env);

/* Every connection of the last login goes; logged_out() says when (net.h). */
static void
logout(sdvmd *d)
{
    d->logout_pending = true;
    d->net->ops->logout(d->net);
}

static void
on_net_logged_out(void *userdata)
{
    sdvmd *d = userdata;
    d->logout_pending = false;
    maybe_stopped(d);
}

static uint64_t
ms_since(gint64 since_us)
{
    return (uint64_t)((g_get_monotonic_time() - since_us) / 1000);
}

static uint64_t
now_ms(void)
{
    return (uint64_t)(g_get_monotonic_time() / 1000);
}

/* ---- events to the client --------------------------------------------------------------- */

static void
send_progress(sdvmd *d, enum sdvm_stage stage)
{
    struct login *l = d->login;
    if (!l->client)
        return;
    struct sdvm_ipc_msg ev = {.type = SDVM_IPC_EV_PROGRESS, .op = l->op, .stage = stage};
    sdvmd_client_send(l->client, &ev);
}

static void
send_finished(sdvmd_client *client, uint64_t op, enum sdvm_failure failure, const char *detail,
              uint32_t retry_after_s, const struct sdvm_auth_profile *profile)
{
    struct sdvm_ipc_msg ev = {
        .type = SDVM_IPC_EV_FINISHED,
        .op = op,
        .failure = failure,
        .detail = detail,
        .retry_after_s = retry_after_s,
    };
    if (profile) {
        ev.institution = profile->institution;
        ev.helpdesk_email = profile->helpdesk_email;
        ev.helpdesk_phone = profile->helpdesk_phone;
        ev.helpdesk_url = profile->helpdesk_url;
    }
    sdvmd_client_send(client, &ev);
}

static void
send_message(sdvmd_client *client, uint64_t op, bool is_error, const char *text)
{
    struct sdvm_ipc_msg ev = {.type = SDVM_IPC_EV_MESSAGE, .op = op, .is_error = is_error,
                              .text = text};
    sdvmd_client_send(client, &ev);
}

/* ---- the image list --------------------------------------------------------------------- */

static struct sdvm_ipc_image *
catalog_images(const sdvmd *d, size_t *n)
{
    size_t count = d->catalog ? sdvm_catalog_count(d->catalog) : 0;
    if (count > SDVM_IPC_MAX_IMAGES)
        count = SDVM_IPC_MAX_IMAGES;
    struct sdvm_ipc_image *images = g_new0(struct sdvm_ipc_image, count ? count : 1);
    for (size_t i = 0; i < count; i++) {
        const struct sdvm_image_info *info = sdvm_catalog_get(d->catalog, i);
        images[i].id = info->id;
        images[i].name = info->name;
        images[i].os_type = info->os_type;
        images[i].comment = info->comment && *info->comment ? info->comment : NULL;
        images[i].is_default = info->is_default;
        images[i].available = info->status == SDVM_IMAGE_AVAILABLE;
        images[i].unavailable_reason =
            images[i].available ? NULL : sdvm_image_status_describe(info->status);
        images[i].status = images[i].available ? 0 : (uint32_t)info->status;
    }
    *n = count;
    return images;
}

static void
on_hello(sdvmd_client *client, void *userdata)
{
    sdvmd *d = userdata;
    size_t n = 0;
    g_autofree struct sdvm_ipc_image *images = catalog_images(d, &n);
    struct sdvm_ipc_msg ev = {
        .type = SDVM_IPC_EV_HELLO,
        .version = SDVM_IPC_VERSION,
        .software = "sdvmd " PROJECT_VERSION,
        .hostname = d->hostname,
        .has_power_mask = true,
        .power_mask = d->power ? sdvmd_power_available(d->power) : 0,
        .images = images,
        .n_images = n,
    };
    sdvmd_client_send(client, &ev);
}

static void
broadcast_images(sdvmd *d)
{
    size_t n = 0;
    g_autofree struct sdvm_ipc_image *images = catalog_images(d, &n);
    struct sdvm_ipc_msg ev = {
        .type = SDVM_IPC_EV_IMAGES,
        .hostname = d->hostname,
        .has_power_mask = true,
        .power_mask = d->power ? sdvmd_power_available(d->power) : 0,
        .images = images,
        .n_images = n,
    };
    sdvmd_server_broadcast(d->server, &ev);
}

static void
on_power_changed(unsigned mask, void *userdata)
{
    sdvmd *d = userdata;
    if (d->server)
        broadcast_images(d);
}

/* ---- a login's end ---------------------------------------------------------------------- */

static void
login_free(struct login *l)
{
    if (!l)
        return;
    sdvm_nai_free(l->nai);
    g_free(l->image_id);
    g_free(l->image_version);
    g_free(l->os_type);
    g_free(l->base_path);
    g_free(l->disk_path);
    sdvm_auth_profile_free(l->profile);
    g_free(l);
}

static const char *
nai_for_log(const struct login *l)
{
    return l->nai ? sdvm_nai_normalized(l->nai) : "(invalid)";
}

/* The metrics file, now (each event, and every METRICS_INTERVAL_S for the gauges). */
static void
flush_metrics(sdvmd *d)
{
    sdvmd_metrics_set_greeter_restarts(d->metrics, d->greeter_restarts);
    int r = sdvmd_metrics_write(d->metrics, d->config, d->catalog);
    if (r < 0)
        log_warningf("cannot write the metrics to %s: %s", d->config->metrics.textfile,
                     strerror(-r));
}

static gboolean
on_metrics_timer(gpointer data)
{
    flush_metrics(data);
    return G_SOURCE_CONTINUE;
}

static double
seconds_between(gint64 from_us, gint64 to_us)
{
    return (double)(to_us - from_us) / 1e6;
}

static struct sdvmd_session_info
session_info(const sdvmd *d, const struct login *l)
{
    return (struct sdvmd_session_info){
        .wtmp = d->config->paths.wtmp,
        .nai = nai_for_log(l),
        .user_id = l->user_id,
        .image_id = l->image_id,
        .image_version = l->image_version ? l->image_version : "",
    };
}

/* The attempt failed before the guest: tell the client why, log it, become idle. */
static void
fail_login(sdvmd *d, enum sdvm_failure failure, const char *detail)
{
    struct login *l = d->login;
    sdvmd_metrics_login(d->metrics, failure);
    if (l->throttle_counted)
        sdvmd_throttle_end(d->throttle, l->user_id, failure, now_ms());
    l->throttle_counted = false;
    uint32_t wait_s = failure == SDVM_FAILURE_THROTTLED
                          ? 0
                          : sdvmd_throttle_wait_s(d->throttle, l->user_id, now_ms());
    log_infof("login failed: nai=%s user=%s image=%s reason=%s after %" G_GUINT64_FORMAT
              " ms%s%s",
              nai_for_log(l), l->user_id[0] ? l->user_id : "-", l->image_id,
              sdvm_failure_to_string(failure), ms_since(l->started_at), detail ? ": " : "",
              detail ? detail : "");
    if (l->client)
        send_finished(l->client, l->op, failure, detail, wait_s, l->profile);
    d->login = NULL;
    login_free(l);
    flush_metrics(d);
    maybe_stopped(d);
}

/* ---- the session: greeter gone -> run-guest -> teardown ------------------------------- */

static void start_greeter(sdvmd *d);

/*
 * The session is over, whether the guest ran and ended or never started (start_error: why):
 * the user's connections go, the log and the client say why, and the greeter comes back.
 */
static void
end_session(sdvmd *d, enum sdvm_failure failure, uint64_t guest_ms, const char *start_error)
{
    struct login *l = d->login;
    sdvmd_guest_free(d->guest);
    d->guest = NULL;
    /* The credential leaves with the session: no connection of this user survives it. */
    logout(d);
    const char *reason = sdvm_failure_to_string(failure);
    if (start_error)
        log_errorf("session ended: nai=%s user=%s image=%s reason=%s (%s)", nai_for_log(l),
                   l->user_id, l->image_id, reason, start_error);
    else
        log_infof("session ended: nai=%s user=%s image=%s guest ran %" G_GUINT64_FORMAT
                  " ms, reason=%s",
                  nai_for_log(l), l->user_id, l->image_id, guest_ms, reason);
    if (!start_error) { /* a session that started has a record and a length */
        struct sdvmd_session_info si = session_info(d, l);
        sdvmd_session_record_end(&si, (double)guest_ms / 1000.0, failure);
        sdvmd_metrics_session_ended(d->metrics, (double)guest_ms / 1000.0);
    }
    if (l->client) {
        char text[160];
        snprintf(text, sizeof(text), "session ended: %s", reason);
        send_message(l->client, 0, failure != SDVM_FAILURE_NONE, text);
        sdvmd_client_close(l->client);
    }
    d->login = NULL;
    login_free(l);
    flush_metrics(d);
    maybe_stopped(d);
    if (failure == SDVM_FAILURE_REBOOT_NEEDED) {
        /* The display cannot come back without a reboot: a greeter would stay black. */
        if (sdvmd_power_reboot_for_recovery(d->power) < 0)
            log_errorf("cannot ask logind to reboot: reboot this terminal by hand");
        return;
    }
    start_greeter(d);
}

static void
on_guest_done(enum sdvm_failure failure, int wait_status, uint64_t duration_ms, void *userdata)
{
    end_session(userdata, failure, duration_ms, NULL);
}

/* The client that logged in (sdvm-admin login --follow) sees the guest's console. */
static void
on_guest_line(const char *line, void *userdata)
{
    sdvmd *d = userdata;
    if (!d->login || !d->login->client)
        return;
    char text[SDVM_IPC_MAX_TEXT + 1];
    g_strlcpy(text, line, sizeof(text));
    if (g_utf8_validate(text, -1, NULL) && *text)
        send_message(d->login->client, 0, false, text);
}

static void
start_guest(sdvmd *d)
{
    struct login *l = d->login;
    l->phase = PHASE_GUEST;
    /* The machine choice comes from sdvm.conf [Guest]; options may add or override. */
    g_autoptr(GPtrArray) env = g_ptr_array_new_with_free_func(g_free);
    guest_params_env(d, env);
    struct sdvmd_guest_params p = {
        .run_guest = d->config->paths.run_guest,
        .args = (const char *const *)d->run_guest_args,
        .disk = l->disk_path,
        .image_id = l->image_id,
        .os_type = l->os_type,
        .user_id = l->user_id,
        .env = (const char *const *)env->pdata,
    };
    d->guest = sdvmd_guest_start(&p, on_guest_done, on_guest_line, d);
    if (!d->guest) { /* nothing ran: a failed start */
        end_session(d, SDVM_FAILURE_GUEST_START, 0, strerror(errno));
        return;
    }
    l->guest_started_at = g_get_monotonic_time();
    sdvmd_metrics_duration(d->metrics, SDVMD_DURATION_GUEST_START,
                           seconds_between(l->launched_at, l->guest_started_at));
    sdvmd_metrics_session_started(d->metrics);
    struct sdvmd_session_info si = session_info(d, l);
    sdvmd_session_record_start(&si);
    flush_metrics(d);
}

static gboolean
launch_without_greeter(gpointer data)
{
    sdvmd *d = data;
    d->launch_idle = 0;
    if (d->login && d->login->phase == PHASE_LAUNCHING)
        start_guest(d);
    return G_SOURCE_REMOVE;
}

static void
on_greeter_exited(int wait_status, bool expected, void *userdata)
{
    sdvmd *d = userdata;
    if (!expected)
        d->greeter_restarts++;
    /* The GPU is free now: the guest may take it. */
    if (expected && d->login && d->login->phase == PHASE_LAUNCHING)
        start_guest(d);
}

static void
start_greeter(sdvmd *d)
{
    if (d->shutting_down || d->recovery)
        return;
    if (d->greeter && sdvmd_greeter_start(d->greeter) < 0)
        log_errorf("cannot start the greeter; retrying when it is asked for again");
}

/* ---- the login: checks, network, disk --------------------------------------------------- */

static void
on_net_stage(enum sdvm_stage stage, void *userdata)
{
    sdvmd *d = userdata;
    /* After a cancel only its answer may follow. */
    if (d->login && d->login->phase == PHASE_NETWORK && !d->login->cancelled)
        send_progress(d, stage);
}

static void launch(sdvmd *d);

static gboolean
disk_notice_read(gpointer data)
{
    sdvmd *d = data;
    d->launch_idle = 0;
    if (d->login && d->login->phase == PHASE_LAUNCHING)
        launch(d);
    return G_SOURCE_REMOVE;
}

static void
on_net_done(enum sdvm_failure failure, const char *detail, void *userdata)
{
    sdvmd *d = userdata;
    struct login *l = d->login;
    if (!l || l->phase != PHASE_NETWORK)
        return;
    if (failure != SDVM_FAILURE_NONE) {
        fail_login(d, failure, detail);
        return;
    }
    gint64 authenticated_at = g_get_monotonic_time();
    sdvmd_throttle_end(d->throttle, l->user_id, SDVM_FAILURE_NONE, now_ms());
    l->throttle_counted = false;

    /* Authenticated: now the user's own disk (the user id was computed in begin_login). */
    send_progress(d, SDVM_STAGE_PREPARING_DISK);
    struct sdvm_store_result result = {0};
    char *store_detail = NULL;
    gint64 disk_start = g_get_monotonic_time();
    enum sdvm_failure f =
        sdvm_store_prepare(d->store, l->user_id, l->image_id, l->base_path, &result, &store_detail);
    if (f != SDVM_FAILURE_NONE) {
        logout(d);
        fail_login(d, f, store_detail);
        free(store_detail);
        return;
    }
    l->disk_path = g_strdup(result.disk_path);
    l->launched_at = g_get_monotonic_time();
    enum sdvm_store_renewal renewal = result.renewal;
    if (renewal != SDVM_STORE_RENEWAL_NONE)
        log_warningf("user %s: the disk of image %s was made on a base that has changed (%s); "
                     "kept aside as %s, a new disk made",
                     l->user_id, l->image_id, sdvm_store_renewal_to_string(renewal),
                     result.retired_path);
    sdvmd_metrics_login(d->metrics, SDVM_FAILURE_NONE);
    sdvmd_metrics_duration(d->metrics, SDVMD_DURATION_8021X,
                           seconds_between(l->started_at, authenticated_at));
    sdvmd_metrics_duration(d->metrics, SDVMD_DURATION_DISK,
                           seconds_between(disk_start, l->launched_at));
    sdvmd_metrics_evicted(d->metrics, result.evicted, result.evicted_bytes);
    log_infof("login ok: nai=%s user=%s image=%s disk=%s (%s, %zu evicted) network %" G_GUINT64_FORMAT
              " ms, disk %" G_GUINT64_FORMAT " us",
              nai_for_log(l), l->user_id, l->image_id, result.disk_path,
              result.created ? "created" : "reused", result.evicted,
              (uint64_t)((authenticated_at - l->started_at) / 1000),
              (uint64_t)(g_get_monotonic_time() - disk_start));
    sdvm_store_result_clear(&result);

    l->phase = PHASE_LAUNCHING;
    if (renewal != SDVM_STORE_RENEWAL_NONE && l->client) {
        /* The person is told before the guest takes the screen, and given time to read it. */
        send_progress(d, SDVM_STAGE_DISK_RENEWED);
        unsigned ms = d->options.disk_notice_ms ? d->options.disk_notice_ms : DEFAULT_DISK_NOTICE_MS;
        d->launch_idle = g_timeout_add(ms, disk_notice_read, d);
        return;
    }
    launch(d);
}

/* LAUNCHING to the client, then the greeter goes (or, without one, the guest starts). */
static void
launch(sdvmd *d)
{
    struct login *l = d->login;
    send_progress(d, SDVM_STAGE_STARTING);
    if (l->client) {
        struct sdvm_ipc_msg ev = {.type = SDVM_IPC_EV_LAUNCHING, .op = l->op};
        sdvmd_client_send(l->client, &ev);
    }
    if (d->greeter && sdvmd_greeter_pid(d->greeter) > 0) {
        unsigned timeout = d->options.greeter_exit_timeout_ms ? d->options.greeter_exit_timeout_ms
                                                              : DEFAULT_GREETER_EXIT_TIMEOUT_MS;
        sdvmd_greeter_release(d->greeter, timeout);
    } else {
        if (d->greeter)
            sdvmd_greeter_release(d->greeter, 0); /* stop restarts during the session */
        d->launch_idle = g_idle_add(launch_without_greeter, d);
    }
}

/* Everything that can be checked without the network, then the network. */
static void
begin_login(sdvmd *d, struct login *l, const char *nai, const char *password)
{
    enum sdvm_nai_reject reject = SDVM_NAI_VALID;
    int r = sdvm_nai_parse(nai, strlen(nai), 0, &l->nai, &reject);
    /* The user id keys the login's throttle counter (so the throttle keeps no NAI). A
     * throttled login gets its answer before anything else happens. */
    if (r == 0 && sdvm_user_id(l->nai, l->user_id) < 0) {
        fail_login(d, SDVM_FAILURE_INTERNAL, "cannot compute the user id");
        return;
    }
    uint32_t wait_s = sdvmd_throttle_wait_s(d->throttle, l->user_id, now_ms());
    if (wait_s > 0) {
        log_infof("login refused: throttled for %u s (%u failures of this login, %u on this"
                  " terminal)", wait_s, sdvmd_throttle_failures(d->throttle, l->user_id),
                  sdvmd_throttle_terminal_failures(d->throttle));
        if (l->client)
            send_finished(l->client, l->op, SDVM_FAILURE_THROTTLED, "too many failed logins",
                          wait_s, NULL);
        d->login = NULL;
        login_free(l);
        return;
    }

    send_progress(d, SDVM_STAGE_CHECKING_REALM);
    if (r < 0) {
        fail_login(d, SDVM_FAILURE_INVALID_NAI, sdvm_nai_reject_describe(reject));
        return;
    }

    const struct sdvm_image_info *image = d->catalog ? sdvm_catalog_find(d->catalog, l->image_id)
                                                     : NULL;
    if (!image) {
        fail_login(d, SDVM_FAILURE_IMAGE_UNKNOWN, "no such image in the catalog");
        return;
    }
    if (image->status != SDVM_IMAGE_AVAILABLE) {
        fail_login(d, SDVM_FAILURE_IMAGE_UNAVAILABLE, image->detail);
        return;
    }
    l->os_type = g_strdup(image->os_type);
    l->image_version = g_strdup(image->version);
    l->base_path = g_strdup(image->qcow2_path);

    char *detail = NULL;
    enum sdvm_failure f = d->realms ? sdvm_realms_lookup(d->realms, sdvm_nai_realm(l->nai),
                                                         &l->profile, &detail)
                                    : SDVM_FAILURE_UNKNOWN_REALM;
    if (f != SDVM_FAILURE_NONE) {
        fail_login(d, f, detail);
        free(detail);
        return;
    }
    if (detail) /* a note of the lookup (the CAT outer identity was replaced) */
        log_infof("realm %s: %s", sdvm_nai_realm(l->nai), detail);
    free(detail);

    l->phase = PHASE_NETWORK;
    /* Counted now, not at the verdict: an attempt cancelled or abandoned before it is a
     * guess too (review L2). */
    sdvmd_throttle_begin(d->throttle, l->user_id, now_ms());
    l->throttle_counted = true;
    r = d->net->ops->start(d->net, l->profile, sdvm_nai_normalized(l->nai), password);
    if (r < 0) {
        char text[96];
        snprintf(text, sizeof(text), "cannot start the network login: %s", strerror(-r));
        fail_login(d, SDVM_FAILURE_INTERNAL, text);
    }
}

static void
on_login(sdvmd_client *client, uint64_t op, const char *nai, const char *password,
         const char *image_id, void *userdata)
{
    sdvmd *d = userdata;
    if (d->login) {
        log_infof("login refused: another login or session is in progress");
        send_finished(client, op, SDVM_FAILURE_BUSY, "another login is in progress", 0, NULL);
        return;
    }
    if (d->recovery || d->shutting_down) {
        log_infof("login refused: %s", d->recovery ? "the host is being cleaned up"
                                                    : "sdvmd is stopping");
        send_finished(client, op, SDVM_FAILURE_BUSY,
                      d->recovery ? "cleaning up after an earlier session" : "shutting down", 0,
                      NULL);
        return;
    }
    struct login *l = g_new0(struct login, 1);
    l->op = op;
    l->client = client;
    l->image_id = g_strdup(image_id);
    l->started_at = g_get_monotonic_time();
    d->login = l;
    begin_login(d, l, nai, password);
}

static void
on_cancel(sdvmd_client *client, uint64_t op, void *userdata)
{
    sdvmd *d = userdata;
    struct login *l = d->login;
    /* Only the client that started it may cancel, and only before the guest starts. */
    if (!l || l->client != client || l->op != op || l->phase != PHASE_NETWORK || l->cancelled)
        return;
    l->cancelled = true;
    log_infof("login cancelled by the client: nai=%s", nai_for_log(l));
    d->net->ops->cancel(d->net); /* done(CANCELLED) follows */
}

static void
on_power(sdvmd_client *client, uint32_t action, void *userdata)
{
    sdvmd *d = userdata;
    if (d->login) {
        send_message(client, 0, true, "power actions are not available during a login");
        return;
    }
    if (!d->power || sdvmd_power_request(d->power, (enum sdvm_power_action)action) < 0)
        send_message(client, 0, true, "this power action is not available");
}

static void
on_disconnected(sdvmd_client *client, void *userdata)
{
    sdvmd *d = userdata;
    struct login *l = d->login;
    if (!l || l->client != client)
        return;
    l->client = NULL;
    /* A client that leaves mid-login abandons it; after LAUNCHING leaving is the plan. */
    if (l->phase == PHASE_NETWORK && !l->cancelled) {
        l->cancelled = true;
        log_infof("client gone during the login: cancelling");
        d->net->ops->cancel(d->net);
    }
}

static const struct sdvmd_server_handlers handlers = {
    .hello = on_hello,
    .login = on_login,
    .cancel = on_cancel,
    .power = on_power,
    .disconnected = on_disconnected,
};

/* ---- the catalog follows ImagesDir ------------------------------------------------------ */

/* sdvm-image makes a version active with one rename of the image's .ini: read the catalog
 * again then, so new logins get the new base at once (a running session keeps its own). */
static gboolean
reload_catalog(gpointer data)
{
    sdvmd *d = data;
    d->catalog_reload = 0;
    sdvm_catalog *catalog = NULL;
    int r = sdvm_catalog_load(d->config->paths.images_dir, &catalog);
    if (r < 0) {
        log_warningf("cannot read the image catalog again: %s", strerror(-r));
        return G_SOURCE_REMOVE;
    }
    sdvm_catalog_free(d->catalog);
    d->catalog = catalog;
    log_infof("image catalog changed: %zu images", sdvm_catalog_count(catalog));
    broadcast_images(d);
    flush_metrics(d);
    return G_SOURCE_REMOVE;
}

static void
on_images_changed(GFileMonitor *monitor, GFile *file, GFile *other, GFileMonitorEvent event,
                  gpointer data)
{
    sdvmd *d = data;
    g_autofree char *name = g_file_get_basename(other && event == G_FILE_MONITOR_EVENT_RENAMED
                                                    ? other
                                                    : file);
    if (!name || name[0] == '.' || !g_str_has_suffix(name, ".ini"))
        return; /* sdvm-image's hidden temporary .ini, the staging area, ... */
    /* A burst of events for one change: read once, a moment later. */
    if (!d->catalog_reload)
        d->catalog_reload = g_timeout_add(300, reload_catalog, d);
}

static void
watch_images(sdvmd *d)
{
    g_autoptr(GFile) dir = g_file_new_for_path(d->config->paths.images_dir);
    g_autoptr(GError) err = NULL;
    d->images_monitor = g_file_monitor_directory(dir, G_FILE_MONITOR_WATCH_MOVES, NULL, &err);
    if (!d->images_monitor) {
        log_warningf("cannot watch %s (new image versions need systemctl reload sdvmd): %s",
                     d->config->paths.images_dir, err->message);
        return;
    }
    g_signal_connect(d->images_monitor, "changed", G_CALLBACK(on_images_changed), d);
}

/* ---- set-up and tear-down --------------------------------------------------------------- */

static void
guest_params_env(const sdvmd *d, GPtrArray *env)
{
    g_ptr_array_add(env, g_strdup_printf("SDVM_MACHINE=%s", d->config->guest.machine));
    g_ptr_array_add(env, g_strdup_printf("SDVM_MACHINES_DIR=%s", d->config->paths.machines_dir));
    g_ptr_array_add(env, g_strdup_printf("SDVM_HOST_RESERVE_MIB=%" G_GUINT64_FORMAT,
                                         d->config->guest.host_reserve_mib));
    for (char **e = d->run_guest_env; e && *e; e++)
        g_ptr_array_add(env, g_strdup(*e));
    g_ptr_array_add(env, NULL);
}

/* The clean-up of earlier sessions is over (or could not run): logins are no longer BUSY,
 * the greeter starts. Scripts that log in without a greeter (the demo, the fleet tests) wait
 * for this line. */
static void
open_logins(sdvmd *d)
{
    log_infof("logins open");
    start_greeter(d);
}

/* run-guest --recover is over: the host holds nothing of an earlier session any more (or
 * could not take a device back: the log says so; the greeter starts anyway, a reboot from
 * it repairs that, an automatic one at every start could loop). */
static void
on_recovered(enum sdvm_failure failure, int wait_status, uint64_t duration_ms, void *userdata)
{
    sdvmd *d = userdata;
    sdvmd_guest_free(d->recovery);
    d->recovery = NULL;
    if (failure == SDVM_FAILURE_REBOOT_NEEDED)
        log_errorf("a device of an earlier session could not be given back to its host "
                   "driver: reboot this terminal");
    else if (failure != SDVM_FAILURE_NONE)
        log_errorf("cleaning up after an earlier session failed: %s",
                   sdvm_failure_to_string(failure));
    open_logins(d);
    maybe_stopped(d);
}

/* Before the first greeter, after any start (a stop, a crash, a reboot): what an earlier
 * session left on the host (its run-guest, its QEMU, devices on vfio-pci, hugepages) is
 * stopped and undone from run-guest's journal (review M7). The greeter follows. */
static void
start_recovery(sdvmd *d)
{
    g_autoptr(GPtrArray) env = g_ptr_array_new_with_free_func(g_free);
    guest_params_env(d, env);
    struct sdvmd_guest_params p = {
        .run_guest = d->config->paths.run_guest,
        .recover = true,
        .env = (const char *const *)env->pdata,
    };
    d->recovery = sdvmd_guest_start(&p, on_recovered, NULL, d);
    if (d->recovery)
        return;
    log_warningf("cannot run %s --recover: what an earlier session left on the host "
                 "stays until the next guest starts", d->config->paths.run_guest);
    open_logins(d);
}

static int
load_sources(sdvmd *d, sdvm_catalog **catalog, sdvm_realms **realms, char **error)
{
    int r = sdvm_catalog_load(d->config->paths.images_dir, catalog);
    if (r < 0) {
        *error = g_strdup_printf("cannot read the image catalog %s: %s",
                                 d->config->paths.images_dir, strerror(-r));
        return r;
    }
    char *detail = NULL;
    r = sdvm_realms_open(d->config->paths.realms_dir, d->config->paths.cat_database,
                         d->config->paths.ca_dir, realms, &detail);
    if (r < 0) {
        *error = g_strdup_printf("cannot read the realms: %s", detail ? detail : strerror(-r));
        free(detail);
        sdvm_catalog_free(*catalog);
        *catalog = NULL;
        return r;
    }
    return 0;
}

int
sdvmd_new(struct sdvm_config *config, sdvmd_net *net, GDBusConnection *system_bus,
          const struct sdvmd_options *options, sdvmd **out, char **error)
{
    *error = NULL;
    sdvmd *d = g_new0(sdvmd, 1);
    d->config = config;
    d->net = net;
    if (options)
        d->options = *options;
    d->run_guest_args = g_strdupv((char **)d->options.run_guest_args);
    d->run_guest_env = g_strdupv((char **)d->options.run_guest_env);
    d->metrics = sdvmd_metrics_new();
    net->events.stage = on_net_stage;
    net->events.done = on_net_done;
    net->events.logged_out = on_net_logged_out;
    net->userdata = d;
    if (gethostname(d->hostname, sizeof(d->hostname) - 1) != 0)
        d->hostname[0] = '\0';

    int r = load_sources(d, &d->catalog, &d->realms, error);
    if (r < 0)
        goto fail;
    if ((r = sdvm_store_new_from_config(config, &d->store)) < 0) {
        *error = g_strdup_printf("cannot open the disk store %s: %s", config->paths.users_dir,
                                 strerror(-r));
        goto fail;
    }
    int removed = sdvm_store_cleanup_temp(d->store, 0);
    if (removed > 0)
        log_infof("removed %d temporary disk files left by a crash", removed);

    d->throttle = sdvmd_throttle_new(config->login.throttle_after, config->login.throttle_base_s,
                                     config->login.throttle_max_s);
    d->power = sdvmd_power_new(system_bus, config->greeter.power_actions, on_power_changed, d);
    sdvmd_power_refresh(d->power);

    uid_t greeter_uid = (uid_t)-1;
    gid_t greeter_gid = (gid_t)-1;
    struct passwd *pw = getpwnam(config->greeter.user);
    if (pw) {
        greeter_uid = pw->pw_uid;
        greeter_gid = pw->pw_gid;
    } else if (!d->options.no_greeter) {
        *error = g_strdup_printf("the greeter user %s does not exist", config->greeter.user);
        r = -ENOENT;
        goto fail;
    }
    struct sdvmd_server_params sp = {
        .path = config->paths.socket,
        .allowed_uids = &greeter_uid,
        .n_allowed_uids = pw ? 1 : 0,
        .socket_gid = greeter_gid,
        .max_clients = 8,
    };
    if ((r = sdvmd_server_new(&sp, &handlers, d, &d->server)) < 0) {
        *error = g_strdup_printf("cannot listen on %s: %s", config->paths.socket, strerror(-r));
        goto fail;
    }

    if (!d->options.no_greeter) {
        d->greeter = sdvmd_greeter_new_from_config(config, d->options.greeter_args,
                                                   d->options.greeter_env,
                                                   d->options.greeter_vt, on_greeter_exited, d);
        if (!d->greeter) {
            r = -errno;
            *error = g_strdup_printf("cannot set up the greeter: %s", strerror(errno));
            goto fail;
        }
    }
    start_recovery(d); /* then the greeter */
    flush_metrics(d);
    d->metrics_timer = g_timeout_add_seconds(METRICS_INTERVAL_S, on_metrics_timer, d);
    watch_images(d);
    log_infof("sdvmd ready: %zu images, %zu local realms, %zu CAT realms, socket %s",
              sdvm_catalog_count(d->catalog), sdvm_realms_local_count(d->realms),
              sdvm_realms_db_count(d->realms), config->paths.socket);
    *out = d;
    return 0;

fail:
    sdvmd_free(d);
    return r < 0 ? r : -EINVAL;
}

void
sdvmd_free(sdvmd *d)
{
    if (!d)
        return;
    if (d->launch_idle)
        g_source_remove(d->launch_idle);
    if (d->stopped_idle)
        g_source_remove(d->stopped_idle);
    sdvmd_guest_free(d->recovery);
    if (d->metrics_timer)
        g_source_remove(d->metrics_timer);
    if (d->catalog_reload)
        g_source_remove(d->catalog_reload);
    g_clear_object(&d->images_monitor);
    sdvmd_guest_free(d->guest); /* run-guest stops QEMU and gives the devices back */
    if (d->login && d->login->phase == PHASE_NETWORK)
        d->net->ops->cancel(d->net);
    if (d->login)
        d->net->ops->logout(d->net);
    login_free(d->login);
    sdvmd_greeter_free(d->greeter);
    sdvmd_server_free(d->server);
    sdvmd_power_free(d->power);
    sdvmd_throttle_free(d->throttle);
    sdvm_store_free(d->store);
    sdvm_realms_free(d->realms);
    sdvm_catalog_free(d->catalog);
    if (d->net)
        d->net->ops->free(d->net);
    sdvm_config_free(d->config);
    sdvmd_metrics_free(d->metrics);
    g_strfreev(d->run_guest_args);
    g_strfreev(d->run_guest_env);
    g_free(d);
}

static bool
same(const char *a, const char *b)
{
    return g_strcmp0(a, b) == 0;
}

/* What a reload cannot change under a running daemon. */
static void
warn_restart_needed(const struct sdvm_config *old, const struct sdvm_config *new)
{
    if (!same(old->paths.socket, new->paths.socket) || !same(old->greeter.user, new->greeter.user) ||
        !same(old->greeter.command, new->greeter.command))
        log_warningf("reload: the socket and [Greeter] User and Command apply when sdvmd "
                     "restarts");
    if (!same(old->network.wifi_ssid, new->network.wifi_ssid) ||
        old->network.use_wired != new->network.use_wired ||
        old->network.use_wifi != new->network.use_wifi ||
        old->network.allow_unprotected_wired != new->network.allow_unprotected_wired ||
        old->network.auth_timeout_ms != new->network.auth_timeout_ms ||
        old->network.slow_server_notice_ms != new->network.slow_server_notice_ms ||
        old->network.eap_start_timeout_ms != new->network.eap_start_timeout_ms ||
        old->network.attempt_timeout_ms != new->network.attempt_timeout_ms ||
        old->network.wired_preference_ms != new->network.wired_preference_ms)
        log_warningf("reload: [Network] settings apply when sdvmd restarts");
}

int
sdvmd_reload(sdvmd *d, struct sdvm_config *config, char **error)
{
    *error = NULL;
    struct sdvm_config *old = d->config;
    if (config)
        d->config = config; /* load_sources reads the paths from here */
    sdvm_catalog *catalog = NULL;
    sdvm_realms *realms = NULL;
    sdvm_store *store = NULL;
    int r = load_sources(d, &catalog, &realms, error);
    /* The store keeps a cache of the users' directories: keep it unless its settings moved. */
    bool new_store = config && (!same(config->paths.users_dir, old->paths.users_dir) ||
                                config->store.backend != old->store.backend ||
                                config->store.reserve_mib != old->store.reserve_mib);
    if (r == 0 && new_store && (r = sdvm_store_new_from_config(config, &store)) < 0) {
        *error = g_strdup_printf("cannot open the disk store %s: %s", config->paths.users_dir,
                                 strerror(-r));
        sdvm_catalog_free(catalog);
        sdvm_realms_free(realms);
    }
    if (r < 0) {
        d->config = old; /* keep serving with what we had */
        sdvm_config_free(config);
        return r;
    }
    sdvm_catalog_free(d->catalog);
    sdvm_realms_free(d->realms);
    d->catalog = catalog;
    d->realms = realms;
    if (config) {
        warn_restart_needed(old, config);
        if (new_store) {
            sdvm_store_free(d->store);
            d->store = store;
        }
        /* The counts survive a reload (a nightly CAT database install is a SIGHUP). */
        sdvmd_throttle_configure(d->throttle, config->login.throttle_after,
                                 config->login.throttle_base_s, config->login.throttle_max_s);
        sdvmd_power_set_allowed(d->power, config->greeter.power_actions);
        if (d->greeter)
            sdvmd_greeter_reconfigure(d->greeter, config); /* for its next start */
        sdvm_config_free(old);
    }
    log_infof("reloaded: %zu images, %zu local realms, %zu CAT realms",
              sdvm_catalog_count(catalog), sdvm_realms_local_count(realms),
              sdvm_realms_db_count(realms));
    sdvmd_power_refresh(d->power);
    broadcast_images(d);
    flush_metrics(d);
    return 0;
}

static gboolean
notify_stopped(gpointer data)
{
    sdvmd *d = data;
    d->stopped_idle = 0;
    d->stopped(d->stopped_data);
    return G_SOURCE_REMOVE;
}

/* Shutting down and nothing left to wait for: one last logout (leftovers of a cancelled
 * attempt too), then stopped() from the loop. */
static void
maybe_stopped(sdvmd *d)
{
    if (!d->shutting_down || !d->stopped || d->stopped_idle)
        return;
    if (d->login || d->guest || d->recovery)
        return;
    if (!d->final_logout) {
        d->final_logout = true;
        logout(d);
        return;
    }
    if (d->logout_pending)
        return;
    log_infof("stopped: no guest, no connection left");
    d->stopped_idle = g_idle_add(notify_stopped, d);
}

void
sdvmd_shutdown(sdvmd *d, sdvmd_stopped_fn stopped, void *userdata)
{
    if (d->shutting_down)
        return;
    d->shutting_down = true;
    d->stopped = stopped;
    d->stopped_data = userdata;
    struct login *l = d->login;
    if (d->recovery)
        log_infof("shutting down: waiting for run-guest --recover");
    if (l && d->guest) {
        log_infof("shutting down: asking the guest to stop");
        sdvmd_guest_stop(d->guest); /* on_guest_done logs out */
    } else if (l && l->phase == PHASE_NETWORK && !l->cancelled) {
        l->cancelled = true;
        d->net->ops->cancel(d->net); /* fail_login follows */
    } else if (l && l->phase == PHASE_LAUNCHING) {
        if (d->launch_idle) {
            g_source_remove(d->launch_idle);
            d->launch_idle = 0;
        }
        d->login = NULL;
        login_free(l);
    }
    maybe_stopped(d);
}

bool
sdvmd_busy(const sdvmd *d)
{
    return d->login || d->guest || d->recovery || d->logout_pending;
}
