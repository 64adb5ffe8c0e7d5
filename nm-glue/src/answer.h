/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The answer to an async call whose owner may be freed, and whose object may be gone, by the
 * time it comes. Such a call passes sdvm_answer_ready as its callback and sdvm_answer_new()
 * as its user data:
 *   - when `cancellable` (the owner's) was cancelled, the owner is being freed: nothing runs;
 *   - otherwise `fn` gets the owner, the key its object is to be looked up by again (the
 *     object may have gone meanwhile; NULL when there is none) and the source and result,
 *     to finish the call with.
 * The cancellable is asked rather than the call's error: a call that completed just before
 * the cancel must not reach a freed owner either.
 */
#ifndef SDVM_NM_ANSWER_H
#define SDVM_NM_ANSWER_H

#include <gio/gio.h>

G_BEGIN_DECLS

typedef void (*SdvmAnswerFn)(gpointer owner, const char *key, GObject *source, GAsyncResult *res);

/* key is copied; the cancellable is referenced until the answer came. */
gpointer sdvm_answer_new(SdvmAnswerFn fn, gpointer owner, const char *key,
                         GCancellable *cancellable);

/* The GAsyncReadyCallback for a call made with sdvm_answer_new()'s user data. */
void sdvm_answer_ready(GObject *source, GAsyncResult *res, gpointer answer);

G_END_DECLS

#endif
