/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "agent.h"

#include <string.h>

#include "sdvm/log.h"

struct _SdvmNmAgent {
    NMSecretAgentOld parent;
    GHashTable *uuids;    /* the running attempt's connections */
    const char *password; /* borrowed from the attempt; NULL once it ended */
    SdvmNmAgentAskedFn asked;
    gpointer asked_data;
    guint answered;
};

G_DEFINE_TYPE(SdvmNmAgent, sdvm_nm_agent, NM_TYPE_SECRET_AGENT_OLD)

/* The copy inside the reply variant is wiped when GDBus lets go of it. */
static void
wipe_and_free(gpointer data)
{
    explicit_bzero(data, strlen(data));
    g_free(data);
}

static GVariant *
password_variant(const char *password)
{
    size_t n = strlen(password) + 1;
    char *copy = g_memdup2(password, n);
    GVariant *s =
        g_variant_new_from_data(G_VARIANT_TYPE_STRING, copy, n, TRUE, wipe_and_free, copy);
    GVariantBuilder setting, conn;
    g_variant_builder_init(&setting, NM_VARIANT_TYPE_SETTING);
    g_variant_builder_add(&setting, "{sv}", NM_SETTING_802_1X_PASSWORD, s);
    g_variant_builder_init(&conn, NM_VARIANT_TYPE_CONNECTION);
    g_variant_builder_add(&conn, "{sa{sv}}", NM_SETTING_802_1X_SETTING_NAME, &setting);
    return g_variant_ref_sink(g_variant_builder_end(&conn));
}

static void
refuse(NMSecretAgentOld *agent, NMConnection *connection, NMSecretAgentError code, const char *why,
       NMSecretAgentOldGetSecretsFunc callback, gpointer user_data)
{
    g_autoptr(GError) error = g_error_new_literal(NM_SECRET_AGENT_ERROR, code, why);
    callback(agent, connection, NULL, error, user_data);
}

static void
get_secrets(NMSecretAgentOld *agent, NMConnection *connection, const char *connection_path,
            const char *setting_name, const char **hints, NMSecretAgentGetSecretsFlags flags,
            NMSecretAgentOldGetSecretsFunc callback, gpointer user_data)
{
    SdvmNmAgent *self = SDVM_NM_AGENT(agent);
    const char *uuid = nm_connection_get_uuid(connection);
    if (!uuid || !g_hash_table_contains(self->uuids, uuid)) {
        /* Not ours: let NetworkManager ask another agent. */
        refuse(agent, connection, NM_SECRET_AGENT_ERROR_NO_SECRETS,
               "not a connection of the running sdvm login", callback, user_data);
        return;
    }
    log_debugf("NetworkManager asks for %s secrets of %s (flags 0x%x)", setting_name,
               connection_path, (unsigned)flags);
    const char *why = NULL;
    if (flags & NM_SECRET_AGENT_GET_SECRETS_FLAG_REQUEST_NEW)
        why = "the login does not retry with another password behind the user's back";
    else if (g_strcmp0(setting_name, NM_SETTING_802_1X_SETTING_NAME) != 0)
        why = "sdvm holds only the 802.1X password";
    else if (!self->password)
        why = "the login attempt has ended";
    if (why) {
        log_debugf("secrets refused for %s: %s", connection_path, why);
        refuse(agent, connection, NM_SECRET_AGENT_ERROR_USER_CANCELED, why, callback, user_data);
        if (self->asked)
            self->asked(uuid, FALSE, self->asked_data);
        return;
    }
    g_autoptr(GVariant) secrets = password_variant(self->password);
    self->answered++;
    callback(agent, connection, secrets, NULL, user_data);
    if (self->asked)
        self->asked(uuid, TRUE, self->asked_data);
}

static void
cancel_get_secrets(NMSecretAgentOld *agent, const char *connection_path, const char *setting_name)
{
    /* Every request is answered at once: nothing is ever pending here. */
}

static void
save_secrets(NMSecretAgentOld *agent, NMConnection *connection, const char *connection_path,
             NMSecretAgentOldSaveSecretsFunc callback, gpointer user_data)
{
    /* Nothing is ever stored: the password lives only as long as the attempt. */
    callback(agent, connection, NULL, user_data);
}

static void
delete_secrets(NMSecretAgentOld *agent, NMConnection *connection, const char *connection_path,
               NMSecretAgentOldDeleteSecretsFunc callback, gpointer user_data)
{
    callback(agent, connection, NULL, user_data);
}

static void
sdvm_nm_agent_init(SdvmNmAgent *self)
{
    self->uuids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
}

static void
finalize(GObject *object)
{
    SdvmNmAgent *self = SDVM_NM_AGENT(object);
    g_hash_table_unref(self->uuids);
    G_OBJECT_CLASS(sdvm_nm_agent_parent_class)->finalize(object);
}

static void
sdvm_nm_agent_class_init(SdvmNmAgentClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    NMSecretAgentOldClass *agent_class = NM_SECRET_AGENT_OLD_CLASS(klass);
    object_class->finalize = finalize;
    agent_class->get_secrets = get_secrets;
    agent_class->cancel_get_secrets = cancel_get_secrets;
    agent_class->save_secrets = save_secrets;
    agent_class->delete_secrets = delete_secrets;
}

void
sdvm_nm_agent_new_async(GDBusConnection *bus, const char *identifier, GCancellable *cancellable,
                        GAsyncReadyCallback callback, gpointer userdata)
{
    g_async_initable_new_async(SDVM_TYPE_NM_AGENT, G_PRIORITY_DEFAULT, cancellable, callback,
                               userdata, NM_SECRET_AGENT_OLD_IDENTIFIER, identifier,
                               NM_SECRET_AGENT_OLD_AUTO_REGISTER, TRUE,
                               NM_SECRET_AGENT_OLD_CAPABILITIES, NM_SECRET_AGENT_CAPABILITY_NONE,
                               NM_SECRET_AGENT_OLD_DBUS_CONNECTION, bus, NULL);
}

void
sdvm_nm_agent_lend(SdvmNmAgent *self, const char *const *uuids, const char *password,
                   SdvmNmAgentAskedFn asked, gpointer userdata)
{
    g_hash_table_remove_all(self->uuids);
    for (const char *const *u = uuids; u && *u; u++)
        g_hash_table_add(self->uuids, g_strdup(*u));
    self->password = password;
    self->asked = asked;
    self->asked_data = userdata;
}

void
sdvm_nm_agent_add_uuid(SdvmNmAgent *self, const char *uuid)
{
    g_hash_table_add(self->uuids, g_strdup(uuid));
}

void
sdvm_nm_agent_forget(SdvmNmAgent *self)
{
    g_hash_table_remove_all(self->uuids);
    self->password = NULL;
    self->asked = NULL;
    self->asked_data = NULL;
}

guint
sdvm_nm_agent_answered(SdvmNmAgent *self)
{
    return self->answered;
}
