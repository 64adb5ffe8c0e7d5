/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "answer.h"

struct answer {
    SdvmAnswerFn fn;
    gpointer owner;
    char *key;
    GCancellable *cancellable;
};

gpointer
sdvm_answer_new(SdvmAnswerFn fn, gpointer owner, const char *key, GCancellable *cancellable)
{
    struct answer *a = g_new0(struct answer, 1);
    a->fn = fn;
    a->owner = owner;
    a->key = g_strdup(key);
    a->cancellable = g_object_ref(cancellable);
    return a;
}

void
sdvm_answer_ready(GObject *source, GAsyncResult *res, gpointer data)
{
    struct answer *a = data;
    /* Not finishing a cancelled call leaks nothing: its result goes with the GTask. */
    if (!g_cancellable_is_cancelled(a->cancellable))
        a->fn(a->owner, a->key, source, res);
    g_object_unref(a->cancellable);
    g_free(a->key);
    g_free(a);
}
