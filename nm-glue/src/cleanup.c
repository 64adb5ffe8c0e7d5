/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * nm-glue: removing connections. At start-up (and whenever NetworkManager (re)starts) the
 * connections an earlier sdvmd left behind go: a crash must not leave a logged-in port. A
 * logout deletes every connection nm-glue made (the logged-in one, leftovers of cancelled
 * attempts, anything marked as ours) and reports logged_out once NetworkManager no longer
 * lists them.
 */
#include <errno.h>
#include <string.h>

#include "answer.h"
#include "private.h"
#include "sdvm/log.h"

static bool
uuid_in_use(sdvm_nm *nm, const char *uuid)
{
    if (nm->attempt && link_find_uuid(nm, uuid))
        return true;
    for (guint i = 0; i < nm->orphans->len; i++) {
        struct link *l = nm->orphans->pdata[i];
        if (strcmp(l->uuid, uuid) == 0)
            return true;
    }
    return false;
}

static void
stale_deleted(gpointer owner, const char *key, GObject *source, GAsyncResult *res)
{
    sdvm_nm *nm = owner;
    g_autoptr(GError) error = NULL;
    bool ok = nm_remote_connection_delete_finish(NM_REMOTE_CONNECTION(source), res, &error);
    if (!ok)
        log_warningf("cannot delete a leftover sdvm connection: %s", error->message);
    if (nm->logout_running) {
        if (ok)
            nm->logout_removed++;
        logout_step_done(nm);
    }
}

/* Delete every connection marked as ours that no live link owns; returns how many. */
static unsigned
delete_marked(sdvm_nm *nm, bool for_logout)
{
    unsigned n = 0;
    const GPtrArray *conns = nm_client_get_connections(nm->client);
    for (guint i = 0; conns && i < conns->len; i++) {
        NMConnection *c = conns->pdata[i];
        if (!sdvm_nm_connection_is_ours(c) || uuid_in_use(nm, nm_connection_get_uuid(c)))
            continue;
        log_infof("removing connection \"%s\" (%s) left by an earlier sdvmd",
                  nm_connection_get_id(c), nm_connection_get_uuid(c));
        if (for_logout)
            nm->logout_pending++;
        nm_remote_connection_delete_async(
            NM_REMOTE_CONNECTION(c), nm->cancellable, sdvm_answer_ready,
            sdvm_answer_new(stale_deleted, nm, NULL, nm->cancellable));
        n++;
    }
    return n;
}

void
cleanup_stale(sdvm_nm *nm)
{
    /* A logged-in session keeps its link; leftovers of a crash (or of a NetworkManager that
     * restarted and re-read its in-memory profiles) go. */
    delete_marked(nm, false);
}

/* The logout's own step: every connection marked as ours that no link owns. */
void
logout_sweep(sdvm_nm *nm)
{
    nm->logout_waits_client = false;
    if (nm->client && nm_client_get_nm_running(nm->client))
        delete_marked(nm, true);
    else
        nm->logout_error = -ENOTCONN;
    logout_step_done(nm);
}

static void
logout_finish(sdvm_nm *nm)
{
    nm->logout_running = false;
    log_infof("logout: %u connection(s) removed", nm->logout_removed);
    event_logged_out(nm, nm->logout_removed, nm->logout_error);
    /* A login asked for meanwhile starts now; its events follow logged_out. */
    if (nm->attempt && nm->attempt->waiting_logout)
        attempt_start(nm->attempt);
}

void
logout_step_done(sdvm_nm *nm)
{
    if (nm->logout_pending > 0)
        nm->logout_pending--;
    if (nm->logout_pending == 0 && nm->logout_running)
        logout_finish(nm);
}

void
logout_begin(sdvm_nm *nm)
{
    nm->logout_running = true;
    nm->logout_removed = 0;
    nm->logout_pending = 1; /* this function's own step, done at its end */
    nm->logout_error = 0;
    struct attempt *a = nm->attempt;
    if (a && !a->ended) {
        attempt_fail(a, SDVM_FAILURE_CANCELLED, "the login was cancelled by a logout");
    } else if (a) {
        /* The logged-in attempt: its link becomes an orphan that is being deleted. */
        nm->attempt = NULL;
        attempt_free(a);
    }
    nm->logged_in = false;
    /* Every link still being removed (this session's, cancelled attempts') is waited for. */
    for (guint i = 0; i < nm->orphans->len; i++) {
        struct link *l = nm->orphans->pdata[i];
        if (!l->counts_for_logout) {
            l->counts_for_logout = true;
            nm->logout_pending++;
        }
    }
    if (nm->client_busy) {
        /* Connecting to NetworkManager: the sweep runs once the client is there. */
        nm->logout_waits_client = true;
        return;
    }
    logout_sweep(nm);
}
