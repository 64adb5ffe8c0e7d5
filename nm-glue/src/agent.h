/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * nm-glue's NetworkManager secret agent: it answers GetSecrets for the connections of the
 * running attempt only (by UUID), with the password it is lent, once per request, and
 * refuses REQUEST_NEW (NetworkManager asks for "new" secrets after a failure: a login never
 * retries with the same password behind the user's back). It saves nothing.
 */
#ifndef SDVM_NM_AGENT_H
#define SDVM_NM_AGENT_H

#include <NetworkManager.h>
#include <nm-secret-agent-old.h>

G_BEGIN_DECLS

#define SDVM_TYPE_NM_AGENT (sdvm_nm_agent_get_type())
#define SDVM_NM_AGENT(o) (G_TYPE_CHECK_INSTANCE_CAST((o), SDVM_TYPE_NM_AGENT, SdvmNmAgent))
/* Declared by hand: libnm 1.42 has no autoptr cleanup for NMSecretAgentOld, which
 * G_DECLARE_FINAL_TYPE would need. */
typedef struct _SdvmNmAgent SdvmNmAgent;
typedef struct {
    NMSecretAgentOldClass parent_class;
} SdvmNmAgentClass;
GType sdvm_nm_agent_get_type(void);

/* Called when NetworkManager asked for (or was refused) secrets of a connection. */
typedef void (*SdvmNmAgentAskedFn)(const char *uuid, gboolean answered, gpointer userdata);

/* Start creating (and registering) the agent on `bus`; finish with g_async_initable_new_finish. */
void sdvm_nm_agent_new_async(GDBusConnection *bus, const char *identifier,
                             GCancellable *cancellable, GAsyncReadyCallback callback,
                             gpointer userdata);

/* Lend the password for the connections with these UUIDs (NULL-terminated); the agent keeps
 * pointers only: `password` must stay valid until sdvm_nm_agent_forget(). */
void sdvm_nm_agent_lend(SdvmNmAgent *agent, const char *const *uuids, const char *password,
                        SdvmNmAgentAskedFn asked, gpointer userdata);
void sdvm_nm_agent_add_uuid(SdvmNmAgent *agent, const char *uuid);
/* Forget the password and the UUIDs: later requests are refused. */
void sdvm_nm_agent_forget(SdvmNmAgent *agent);

/* How many GetSecrets requests were answered with the password (for tests and logs). */
guint sdvm_nm_agent_answered(SdvmNmAgent *agent);

G_END_DECLS

#endif
