/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The terminal's realm lookup (library sdvm-realms, linked by sdvmd and sdvm-admin): the
 * admin's realms.d files, the compiled realm database that `sdvm-cat build` wrote (only read
 * here: no XML parser, no HTTP client), and the CA bundles a profile points at.
 *
 *   sdvm_realms_open()     realms.d + db   -> an opaque lookup handle
 *   sdvm_realms_lookup()   realm           -> struct sdvm_auth_profile, or a numbered failure
 *
 * Sync calls return 0 or -errno; a human-readable explanation goes to *error (malloc'd,
 * caller frees) when the caller passes a non-NULL pointer.
 */
#ifndef SDVM_REALMS_H
#define SDVM_REALMS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "sdvm-failure.h"
#include "sdvm/auth-profile.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sdvm_realms sdvm_realms;

/*
 * Open the realm sources. realms_dir (admin-written *.conf, may be NULL or missing) and
 * db_path (may be NULL or missing: realms.d only). ca_dir is where CA bundles are written
 * (content-addressed, mode 0644); NULL means never write one (ca_bundle_path stays NULL,
 * for tools that only explain). Returns -EINVAL for a bad realms.d file, -EBADMSG for a
 * corrupt database; *error says which file and why.
 */
int sdvm_realms_open(const char *realms_dir, const char *db_path, const char *ca_dir,
                     sdvm_realms **out, char **error);
void sdvm_realms_free(sdvm_realms *r);

size_t sdvm_realms_db_count(const sdvm_realms *r);    /* realm keys in the database */
size_t sdvm_realms_local_count(const sdvm_realms *r); /* realms from realms.d */

/*
 * Find the profile for a realm (case-insensitive): at each level from the realm itself up to
 * its two-label parent, realms.d first, then the database; a parent matches only if its
 * profile allows sub-realms. On success returns SDVM_FAILURE_NONE and a new profile (caller
 * frees with sdvm_auth_profile_free), with the CA bundle written to ca_dir, and *detail
 * is NULL or a note for the log (the CAT profile's outer identity was replaced). Otherwise
 * UNKNOWN_REALM, REALM_UNSUPPORTED, INSECURE_PROFILE, CONFIG or INTERNAL, and *detail
 * (malloc'd, may be NULL) says why.
 *
 * Whose profile a realm gets (sdvm-cat(1), "HOW A REALM IS FOUND"): a public suffix
 * (libpsl: ac.uk, edu.br) is never matched as a parent; a CAT outer identity whose realm is
 * not the login's realm or a parent of it is replaced by "@" + the login's realm; a TTLS or
 * PEAP profile needs a CA and a server name that nm-glue accepts (core's
 * sdvm_auth_profile_check_server()), else INSECURE_PROFILE.
 */
enum sdvm_failure sdvm_realms_lookup(sdvm_realms *r, const char *realm,
                                     struct sdvm_auth_profile **out, char **detail);

/* Everything a lookup decided, for `sdvm-admin realm` and `sdvm-cat show`. */
struct sdvm_realm_explain {
    enum sdvm_failure failure;
    char *detail;                    /* why not, or notes (e.g. "matched parent realm") */
    char *matched_key;               /* the realm key that matched */
    bool from_parent;                /* matched a parent realm, not the realm itself */
    struct sdvm_auth_profile *profile; /* NULL unless failure == NONE */
    bool cat_compat;                 /* inner EAP-MSCHAPv2 is the alternative to try */
    char **ca_fingerprints;          /* NULL-terminated SHA-256 fingerprints of the bundle */
    char **ca_subjects;              /* same order */
    char *inner_suffix;
    bool inner_hint;
    char *outer_note;                /* set when the CAT outer identity was replaced: why */
    time_t valid_until;
};

int sdvm_realms_explain(sdvm_realms *r, const char *realm, struct sdvm_realm_explain **out);
void sdvm_realm_explain_free(struct sdvm_realm_explain *e);

#ifdef __cplusplus
}
#endif

#endif
