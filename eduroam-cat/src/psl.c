/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Public suffixes (ac.uk, edu.br, github.io, any single label): names no institution can own,
 * so neither a CAT provider's ID nor its InnerIdentitySuffix may be one, and the lookup never
 * matches one as a parent realm (M1 of the 2026-12 review). The list is Debian's
 * (package publicsuffix, through libpsl): psl_latest() takes the newer of the list libpsl was
 * built with and /usr/share/publicsuffix, so a list update reaches us without a rebuild.
 */
#include "cat-private.h"

#include <pthread.h>
#include <string.h>

#include <libpsl.h>

#include "sdvm/log.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static const psl_ctx_t *ctx; /* loaded once per process, kept for its lifetime */

static void
load(void)
{
    psl_ctx_t *latest = psl_latest(NULL);
    if (latest) {
        ctx = latest;
        return;
    }
    ctx = psl_builtin();
    if (!ctx)
        log_warningf("no public suffix list (install the publicsuffix package): only single"
                     " labels count as public suffixes");
}

bool
cat_is_public_suffix(const char *key)
{
    pthread_once(&once, load);
    if (!strchr(key, '.'))
        return true; /* the list's "*" rule: every top-level domain */
    /* PSL_TYPE_ANY: the ICANN and the private section (github.io is no realm either). */
    return ctx && psl_is_public_suffix2(ctx, key, PSL_TYPE_ANY);
}
