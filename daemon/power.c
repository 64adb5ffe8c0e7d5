/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "power.h"

#include <errno.h>
#include <string.h>

#include "sdvm/log.h"

#define LOGIN1_NAME "org.freedesktop.login1"
#define LOGIN1_PATH "/org/freedesktop/login1"
#define LOGIN1_MANAGER "org.freedesktop.login1.Manager"
#define CALL_TIMEOUT_MS 3000

struct action_info {
    enum sdvm_power_action action;
    const char *name;      /* for logs, as in sdvm.conf */
    const char *can_method;
    const char *do_method;
};

static const struct action_info actions[] = {
    {SDVM_POWER_OFF, "poweroff", "CanPowerOff", "PowerOff"},
    {SDVM_POWER_REBOOT, "reboot", "CanReboot", "Reboot"},
    {SDVM_POWER_SUSPEND, "suspend", "CanSuspend", "Suspend"},
    {SDVM_POWER_HIBERNATE, "hibernate", "CanHibernate", "Hibernate"},
    {SDVM_POWER_HYBRID_SLEEP, "hybrid-sleep", "CanHybridSleep", "HybridSleep"},
};
#define N_ACTIONS (sizeof(actions) / sizeof(actions[0]))

struct sdvmd_power {
    GDBusConnection *bus;
    unsigned allowed;
    unsigned available;
    sdvmd_power_changed_fn changed;
    void *userdata;
    GCancellable *cancellable;
    /* One refresh = N_ACTIONS Can* calls; the mask is published when all have answered. */
    unsigned refresh_pending;
    unsigned refresh_mask;
};

/* A refresh in flight holds a reference to this, so freeing the object mid-call is safe. */
struct refresh_call {
    sdvmd_power *power;
    GCancellable *cancellable;
    enum sdvm_power_action action;
};

sdvmd_power *
sdvmd_power_new(GDBusConnection *bus, unsigned allowed_mask, sdvmd_power_changed_fn changed,
               void *userdata)
{
    sdvmd_power *p = g_new0(sdvmd_power, 1);
    p->bus = bus ? g_object_ref(bus) : NULL;
    p->allowed = allowed_mask;
    p->changed = changed;
    p->userdata = userdata;
    p->cancellable = g_cancellable_new();
    return p;
}

void
sdvmd_power_free(sdvmd_power *p)
{
    if (!p)
        return;
    g_cancellable_cancel(p->cancellable);
    g_object_unref(p->cancellable);
    g_clear_object(&p->bus);
    g_free(p);
}

static void
can_done(GObject *source, GAsyncResult *res, gpointer data)
{
    struct refresh_call *call = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res,
                                                              &error);
    if (g_cancellable_is_cancelled(call->cancellable)) {
        g_object_unref(call->cancellable);
        g_free(call);
        return;
    }
    sdvmd_power *p = call->power;
    if (reply) {
        const char *answer = NULL;
        g_variant_get(reply, "(&s)", &answer);
        if (g_strcmp0(answer, "yes") == 0)
            p->refresh_mask |= call->action;
    } else {
        log_debugf("logind: %s", error->message);
    }
    g_object_unref(call->cancellable);
    g_free(call);

    if (--p->refresh_pending > 0)
        return;
    unsigned mask = p->refresh_mask & p->allowed;
    if (mask != p->available) {
        p->available = mask;
        log_infof("power actions available: 0x%x", mask);
        if (p->changed)
            p->changed(mask, p->userdata);
    }
}

void
sdvmd_power_set_allowed(sdvmd_power *p, unsigned allowed_mask)
{
    p->allowed = allowed_mask;
}

void
sdvmd_power_refresh(sdvmd_power *p)
{
    if (!p->bus || p->refresh_pending > 0)
        return;
    p->refresh_mask = 0;
    for (size_t i = 0; i < N_ACTIONS; i++) {
        if (!(p->allowed & actions[i].action))
            continue;
        struct refresh_call *call = g_new0(struct refresh_call, 1);
        call->power = p;
        call->cancellable = g_object_ref(p->cancellable);
        call->action = actions[i].action;
        p->refresh_pending++;
        g_dbus_connection_call(p->bus, LOGIN1_NAME, LOGIN1_PATH, LOGIN1_MANAGER,
                               actions[i].can_method, NULL, G_VARIANT_TYPE("(s)"),
                               G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS, p->cancellable,
                               can_done, call);
    }
}

unsigned
sdvmd_power_available(const sdvmd_power *p)
{
    return p->available;
}

static void
request_done(GObject *source, GAsyncResult *res, gpointer data)
{
    const char *method = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res,
                                                              &error);
    if (!reply)
        log_errorf("logind %s failed: %s", method, error->message);
}

int
sdvmd_power_request(sdvmd_power *p, enum sdvm_power_action action)
{
    for (size_t i = 0; i < N_ACTIONS; i++) {
        if (actions[i].action != action)
            continue;
        if (!(p->available & action) || !p->bus)
            return -EPERM;
        log_infof("power action requested: %s", actions[i].name);
        /* interactive = false: there is nobody to answer a polkit prompt at a greeter. */
        g_dbus_connection_call(p->bus, LOGIN1_NAME, LOGIN1_PATH, LOGIN1_MANAGER,
                               actions[i].do_method, g_variant_new("(b)", FALSE), NULL,
                               G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS, NULL, request_done,
                               (gpointer)actions[i].do_method);
        return 0;
    }
    return -EINVAL;
}

int
sdvmd_power_reboot_for_recovery(sdvmd_power *p)
{
    if (!p->bus)
        return -ENOTCONN;
    log_errorf("rebooting: the graphics device could not be given back to the host");
    g_dbus_connection_call(p->bus, LOGIN1_NAME, LOGIN1_PATH, LOGIN1_MANAGER, "Reboot",
                           g_variant_new("(b)", FALSE), NULL, G_DBUS_CALL_FLAGS_NONE,
                           CALL_TIMEOUT_MS, NULL, request_done, (gpointer) "Reboot");
    return 0;
}
