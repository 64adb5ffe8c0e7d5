/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "supplicant.h"

#include <string.h>

#include "answer.h"
#include "sdvm/log.h"

#define WPAS_NAME "fi.w1.wpa_supplicant1"
#define WPAS_PATH "/fi/w1/wpa_supplicant1"
#define WPAS_IFACE "fi.w1.wpa_supplicant1.Interface"
#define CALL_TIMEOUT_MS 5000

struct pending_signal {
    char *member;
    GVariant *params;
};

struct iface {
    char *path;
    char *ifname; /* NULL while being resolved */
    char *state;
    GQueue pending; /* struct pending_signal: arrived before the ifname was known */
};

struct sdvm_supp {
    GDBusConnection *bus;
    struct sdvm_supp_events events;
    gpointer userdata;
    GCancellable *cancellable;
    GHashTable *by_path; /* path -> struct iface */
    guint sub_iface, sub_props, sub_global, name_watch;
};

static void
pending_free(gpointer p)
{
    struct pending_signal *s = p;
    g_free(s->member);
    g_variant_unref(s->params);
    g_free(s);
}

static void
iface_free(gpointer p)
{
    struct iface *i = p;
    g_free(i->path);
    g_free(i->ifname);
    g_free(i->state);
    g_queue_clear_full(&i->pending, pending_free);
    g_free(i);
}

static struct iface *
iface_get(sdvm_supp *s, const char *path)
{
    struct iface *i = g_hash_table_lookup(s->by_path, path);
    if (!i) {
        i = g_new0(struct iface, 1);
        i->path = g_strdup(path);
        g_queue_init(&i->pending);
        g_hash_table_insert(s->by_path, i->path, i);
    }
    return i;
}

static struct iface *
iface_by_name(sdvm_supp *s, const char *ifname)
{
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, s->by_path);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        struct iface *i = value;
        if (i->ifname && strcmp(i->ifname, ifname) == 0)
            return i;
    }
    return NULL;
}

static void
set_state(sdvm_supp *s, struct iface *i, const char *state)
{
    /* Reported even when equal: wpa_supplicant batches property changes, so
     * "associated -> disconnected -> associated" may arrive as one "associated". */
    g_free(i->state);
    i->state = g_strdup(state);
    log_debugf("wpa_supplicant %s: state %s", i->ifname ? i->ifname : i->path, state);
    if (i->ifname && s->events.state)
        s->events.state(i->ifname, state, s->userdata);
}

static void
dispatch(sdvm_supp *s, struct iface *i, const char *member, GVariant *params)
{
    if (strcmp(member, "EAP") == 0 && g_variant_is_of_type(params, G_VARIANT_TYPE("(ss)"))) {
        const char *status, *parameter;
        g_variant_get(params, "(&s&s)", &status, &parameter);
        log_debugf("wpa_supplicant %s: EAP %s %s", i->ifname, status, parameter);
        if (s->events.eap)
            s->events.eap(i->ifname, status, parameter, s->userdata);
    } else if (strcmp(member, "Certification") == 0 &&
               g_variant_is_of_type(params, G_VARIANT_TYPE("(a{sv})"))) {
        g_autoptr(GVariant) dict = g_variant_get_child_value(params, 0);
        guint32 depth = 0;
        const char *subject = "";
        g_variant_lookup(dict, "depth", "u", &depth);
        g_variant_lookup(dict, "subject", "&s", &subject);
        if (s->events.certification)
            s->events.certification(i->ifname, depth, subject, s->userdata);
    } else if (strcmp(member, "PropertiesChanged") == 0) {
        /* org.freedesktop.DBus.Properties: (sa{sv}as); legacy interface signal: (a{sv}). */
        g_autoptr(GVariant) dict = NULL;
        if (g_variant_is_of_type(params, G_VARIANT_TYPE("(sa{sv}as)")))
            dict = g_variant_get_child_value(params, 1);
        else if (g_variant_is_of_type(params, G_VARIANT_TYPE("(a{sv})")))
            dict = g_variant_get_child_value(params, 0);
        const char *state;
        if (dict && g_variant_lookup(dict, "State", "&s", &state))
            set_state(s, i, state);
    }
}

static void
resolved(sdvm_supp *s, struct iface *i, const char *ifname)
{
    if (!i->ifname)
        i->ifname = g_strdup(ifname);
    struct pending_signal *p;
    while ((p = g_queue_pop_head(&i->pending))) {
        dispatch(s, i, p->member, p->params);
        pending_free(p);
    }
}

static void
resolve_done(gpointer owner, const char *path, GObject *source, GAsyncResult *res)
{
    sdvm_supp *s = owner;
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply =
        g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
    struct iface *i = g_hash_table_lookup(s->by_path, path);
    if (!i)
        return;
    if (!reply) {
        log_debugf("wpa_supplicant %s: no Ifname: %s", path, error->message);
        g_hash_table_remove(s->by_path, path);
        return;
    }
    g_autoptr(GVariant) v = NULL;
    g_variant_get(reply, "(v)", &v);
    if (g_variant_is_of_type(v, G_VARIANT_TYPE_STRING))
        resolved(s, i, g_variant_get_string(v, NULL));
}

static void
resolve(sdvm_supp *s, const char *path)
{
    g_dbus_connection_call(s->bus, WPAS_NAME, path, "org.freedesktop.DBus.Properties", "Get",
                           g_variant_new("(ss)", WPAS_IFACE, "Ifname"), G_VARIANT_TYPE("(v)"),
                           G_DBUS_CALL_FLAGS_NO_AUTO_START, CALL_TIMEOUT_MS, s->cancellable,
                           sdvm_answer_ready,
                           sdvm_answer_new(resolve_done, s, path, s->cancellable));
}

static void
on_iface_signal(GDBusConnection *bus, const char *sender, const char *path, const char *interface,
                const char *member, GVariant *params, gpointer data)
{
    sdvm_supp *s = data;
    if (!g_str_has_prefix(path, WPAS_PATH "/Interfaces/"))
        return;
    bool known = g_hash_table_contains(s->by_path, path);
    struct iface *i = iface_get(s, path);
    if (i->ifname) {
        dispatch(s, i, member, params);
        return;
    }
    struct pending_signal *p = g_new0(struct pending_signal, 1);
    p->member = g_strdup(member);
    p->params = g_variant_ref(params);
    g_queue_push_tail(&i->pending, p);
    if (!known)
        resolve(s, path);
}

static void
on_global_signal(GDBusConnection *bus, const char *sender, const char *path, const char *interface,
                 const char *member, GVariant *params, gpointer data)
{
    sdvm_supp *s = data;
    if (strcmp(member, "InterfaceAdded") == 0 &&
        g_variant_is_of_type(params, G_VARIANT_TYPE("(oa{sv})"))) {
        const char *obj;
        g_autoptr(GVariant) props = NULL;
        g_variant_get(params, "(&o@a{sv})", &obj, &props);
        const char *ifname = NULL, *state = NULL;
        g_variant_lookup(props, "Ifname", "&s", &ifname);
        g_variant_lookup(props, "State", "&s", &state);
        struct iface *i = iface_get(s, obj);
        if (ifname) {
            /* A stale object for the same ifname (wpa_supplicant restarted it) goes. */
            struct iface *old = iface_by_name(s, ifname);
            if (old && old != i)
                g_hash_table_remove(s->by_path, old->path);
            resolved(s, i, ifname);
        }
        if (state)
            set_state(s, i, state);
        log_debugf("wpa_supplicant: interface %s added (%s)", ifname ? ifname : "?", obj);
    } else if (strcmp(member, "InterfaceRemoved") == 0 &&
               g_variant_is_of_type(params, G_VARIANT_TYPE("(o)"))) {
        const char *obj;
        g_variant_get(params, "(&o)", &obj);
        g_hash_table_remove(s->by_path, obj);
    }
}

static void
name_vanished(GDBusConnection *bus, const char *name, gpointer data)
{
    sdvm_supp *s = data;
    if (g_hash_table_size(s->by_path))
        log_infof("wpa_supplicant left the bus");
    g_hash_table_remove_all(s->by_path);
}

static void
name_appeared(GDBusConnection *bus, const char *name, const char *owner, gpointer data)
{
    log_debugf("wpa_supplicant is %s", owner);
}

sdvm_supp *
sdvm_supp_new(GDBusConnection *bus, const struct sdvm_supp_events *events, gpointer userdata)
{
    sdvm_supp *s = g_new0(sdvm_supp, 1);
    s->bus = g_object_ref(bus);
    s->events = *events;
    s->userdata = userdata;
    s->cancellable = g_cancellable_new();
    s->by_path = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, iface_free);
    s->sub_iface =
        g_dbus_connection_signal_subscribe(bus, WPAS_NAME, WPAS_IFACE, NULL, NULL, NULL,
                                           G_DBUS_SIGNAL_FLAGS_NONE, on_iface_signal, s, NULL);
    s->sub_props = g_dbus_connection_signal_subscribe(
        bus, WPAS_NAME, "org.freedesktop.DBus.Properties", "PropertiesChanged", NULL, WPAS_IFACE,
        G_DBUS_SIGNAL_FLAGS_NONE, on_iface_signal, s, NULL);
    s->sub_global =
        g_dbus_connection_signal_subscribe(bus, WPAS_NAME, WPAS_NAME, NULL, WPAS_PATH, NULL,
                                           G_DBUS_SIGNAL_FLAGS_NONE, on_global_signal, s, NULL);
    s->name_watch = g_bus_watch_name_on_connection(bus, WPAS_NAME, G_BUS_NAME_WATCHER_FLAGS_NONE,
                                                   name_appeared, name_vanished, s, NULL);
    return s;
}

void
sdvm_supp_free(sdvm_supp *s)
{
    if (!s)
        return;
    g_cancellable_cancel(s->cancellable);
    g_dbus_connection_signal_unsubscribe(s->bus, s->sub_iface);
    g_dbus_connection_signal_unsubscribe(s->bus, s->sub_props);
    g_dbus_connection_signal_unsubscribe(s->bus, s->sub_global);
    g_bus_unwatch_name(s->name_watch);
    g_hash_table_unref(s->by_path);
    g_object_unref(s->cancellable);
    g_object_unref(s->bus);
    g_free(s);
}

static void
state_done(gpointer owner, const char *ifname, GObject *source, GAsyncResult *res)
{
    sdvm_supp *s = owner;
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply =
        g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
    struct iface *i = iface_by_name(s, ifname);
    if (!reply || !i || i->state)
        return;
    g_autoptr(GVariant) v = NULL;
    g_variant_get(reply, "(v)", &v);
    if (g_variant_is_of_type(v, G_VARIANT_TYPE_STRING))
        set_state(s, i, g_variant_get_string(v, NULL));
}

static void
lookup_done(gpointer owner, const char *ifname, GObject *source, GAsyncResult *res)
{
    sdvm_supp *s = owner;
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply =
        g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
    if (!reply) {
        /* Not there yet: NetworkManager creates it when it activates; InterfaceAdded tells. */
        log_debugf("wpa_supplicant has no interface %s yet: %s", ifname, error->message);
        return;
    }
    const char *path;
    g_variant_get(reply, "(&o)", &path);
    struct iface *i = iface_get(s, path);
    resolved(s, i, ifname);
    if (i->state)
        return;
    g_dbus_connection_call(s->bus, WPAS_NAME, path, "org.freedesktop.DBus.Properties", "Get",
                           g_variant_new("(ss)", WPAS_IFACE, "State"), G_VARIANT_TYPE("(v)"),
                           G_DBUS_CALL_FLAGS_NO_AUTO_START, CALL_TIMEOUT_MS, s->cancellable,
                           sdvm_answer_ready,
                           sdvm_answer_new(state_done, s, ifname, s->cancellable));
}

void
sdvm_supp_lookup(sdvm_supp *s, const char *ifname)
{
    if (iface_by_name(s, ifname))
        return;
    g_dbus_connection_call(
        s->bus, WPAS_NAME, WPAS_PATH, WPAS_NAME, "GetInterface", g_variant_new("(s)", ifname),
        G_VARIANT_TYPE("(o)"), G_DBUS_CALL_FLAGS_NO_AUTO_START, CALL_TIMEOUT_MS, s->cancellable,
        sdvm_answer_ready, sdvm_answer_new(lookup_done, s, ifname, s->cancellable));
}

const char *
sdvm_supp_state(sdvm_supp *s, const char *ifname)
{
    struct iface *i = iface_by_name(s, ifname);
    return i ? i->state : NULL;
}

static void
call_done(GObject *source, GAsyncResult *res, gpointer data)
{
    const char *method = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply =
        g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
    if (!reply && !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        log_warningf("wpa_supplicant %s failed: %s", method, error->message);
}

static void
call(sdvm_supp *s, const char *path, const char *method)
{
    g_dbus_connection_call(s->bus, WPAS_NAME, path, WPAS_IFACE, method, NULL, NULL,
                           G_DBUS_CALL_FLAGS_NO_AUTO_START, CALL_TIMEOUT_MS, s->cancellable,
                           call_done, (gpointer)method);
}

bool
sdvm_supp_eap_start(sdvm_supp *s, const char *ifname, bool restart)
{
    struct iface *i = iface_by_name(s, ifname);
    if (!i)
        return false;
    /* One connection delivers these in order. EAPLogon clears the pending start delay, so
     * wpa_supplicant sends EAPOL-Start at once; after EAPLogoff the state machine passes
     * DISCONNECTED (start counter reset) and CONNECTING re-arms the 2 s delay, which the
     * second EAPLogon clears again. */
    if (restart) {
        call(s, i->path, "EAPLogoff");
        call(s, i->path, "EAPLogon");
    }
    call(s, i->path, "EAPLogon");
    return true;
}
