/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * eduroam CAT data, the offline builder (library sdvm-cat-build, linked by the sdvm-cat
 * tool): the eap-config parser (a neutral model, no NetworkManager types), the compiled realm
 * database's writer and the CAT sync. The terminal never links this: it only reads the
 * database, through sdvm/realms.h.
 *
 *   sdvm_cat_parse()       eap-config XML  -> struct sdvm_cat_document (providers, methods)
 *   sdvm_cat_db_builder_*() many documents -> one zlib-compressed realm database file
 *   sdvm_cat_sync()        the CAT API     -> eap-config files -> the database
 *
 * Sync calls return 0 or -errno; a human-readable explanation goes to *error (malloc'd,
 * caller frees) when the caller passes a non-NULL pointer.
 */
#ifndef SDVM_CAT_H
#define SDVM_CAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "sdvm-failure.h"
#include "sdvm/auth-profile.h"
#include "sdvm/cat-cert.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Documents larger than this are refused before parsing (a real one is a few KB to ~100 KB). */
#define SDVM_CAT_MAX_DOCUMENT (4u * 1024u * 1024u)

/* IANA EAP type numbers seen in eap-config files. */
enum sdvm_cat_eap_type {
    SDVM_CAT_EAP_GTC = 6,
    SDVM_CAT_EAP_TLS = 13,
    SDVM_CAT_EAP_TTLS = 21,
    SDVM_CAT_EAP_PEAP = 25,
    SDVM_CAT_EAP_MSCHAPV2 = 26,
    SDVM_CAT_EAP_FAST = 43,
    SDVM_CAT_EAP_PWD = 52,
};

/* One AuthenticationMethod, in the file's (preference) order. */
struct sdvm_cat_method {
    int eap_type;                 /* outer EAPMethod/Type; 0 if missing */
    int inner_eap_type;           /* first InnerAuthenticationMethod/EAPMethod/Type, 0 = none */
    int inner_non_eap;            /* first InnerAuthenticationMethod/NonEAPAuthMethod/Type */
    /* The mapping to the neutral profile; eap == SDVM_EAP_NONE when the method is unusable. */
    enum sdvm_eap_method eap;
    enum sdvm_inner_method inner;
    bool cat_compat;              /* TTLS + inner EAP 26: CAT's eap-generic encoding of
                                     TTLS-MSCHAPv2; inner is SDVM_INNER_MSCHAPV2 (non-EAP) and
                                     inner EAP-MSCHAPv2 is the alternative to try */
    size_t *certs;                /* indexes into the provider's cert array (CA certs only) */
    size_t n_certs;
    char **server_ids;            /* NULL-terminated, de-duplicated, as written */
    size_t n_server_ids;
    char *outer_identity;         /* ClientSideCredential/OuterIdentity; NULL if absent */
    char *inner_suffix;           /* InnerIdentitySuffix; NULL if absent */
    bool inner_hint;              /* InnerIdentityHint: exactly @suffix, no sub-realms */
    bool client_certificate;      /* ClientSideCredential/ClientCertificate present */
    enum sdvm_failure failure;    /* NONE when usable, else REALM_UNSUPPORTED/INSECURE_PROFILE */
    char *reason;                 /* why it is unusable; NULL when usable */
};

struct sdvm_cat_provider {
    char *id;                     /* EAPIdentityProvider/@ID as written; NULL when "undefined" */
    char *display_name;
    char *helpdesk_email;
    char *helpdesk_phone;
    char *helpdesk_url;
    time_t valid_until;           /* 0 = not given */
    struct sdvm_cat_method *methods;
    size_t n_methods;
    struct sdvm_cat_cert *certs;  /* every decodable certificate, de-duplicated by SHA-256 */
    size_t n_certs;
    int chosen;                   /* index of the first usable method, -1 if none */
    enum sdvm_failure failure;    /* NONE, REALM_UNSUPPORTED or INSECURE_PROFILE */
    char *reason;                 /* NULL when usable; else why not (first method's reason) */
    char **warnings;              /* NULL-terminated notes (skipped CA, odd elements) */
    size_t n_warnings;
};

struct sdvm_cat_document {
    struct sdvm_cat_provider *providers;
    size_t n_providers;
};

/*
 * Parse one eap-config document. No DTD is loaded, no entity is expanded and nothing is
 * fetched from the network; documents above SDVM_CAT_MAX_DOCUMENT are refused.
 * Returns 0 (a document with >= 1 provider; some may be unusable, see provider->failure),
 * -EBADMSG (not an eap-config: bad XML, wrong root, no provider), -EFBIG, -ENOMEM.
 */
int sdvm_cat_parse(const char *data, size_t len, struct sdvm_cat_document **out, char **error);
int sdvm_cat_parse_file(const char *path, struct sdvm_cat_document **out, char **error);
void sdvm_cat_document_free(struct sdvm_cat_document *doc);

/* ----- building the realm database (the terminal reads it through sdvm/realms.h) ----- */

/* One line of a build report: what happened to a file or a provider. */
typedef void (*sdvm_cat_report_fn)(const char *source, bool kept, const char *what,
                                   void *userdata);

struct sdvm_cat_db_builder;

struct sdvm_cat_db_builder *sdvm_cat_db_builder_new(void);
void sdvm_cat_db_builder_free(struct sdvm_cat_db_builder *b);
/*
 * Add every provider of a parsed document; source names it in reports and in lookups
 * ("uni-a.eap-config", "cat profile 1234"). Realms are indexed by lower-cased ID and by
 * InnerIdentitySuffix. A realm seen before keeps its first usable profile.
 */
int sdvm_cat_db_builder_add(struct sdvm_cat_db_builder *b, const char *source,
                            const struct sdvm_cat_document *doc, sdvm_cat_report_fn report,
                            void *userdata);
/*
 * sdvm_cat_db_builder_add() for one CAT profile, which is also indexed under the key
 * "cat profile PROFILE_ID" (its first usable provider, else its first one): realms.d's
 * CatProfile= reaches it by that key even when it publishes no realm. *realms (may be NULL):
 * how many realm keys the document claimed (0: it cannot be found by realm).
 */
int sdvm_cat_db_builder_add_cat_profile(struct sdvm_cat_db_builder *b, const char *profile_id,
                                        const char *source, const struct sdvm_cat_document *doc,
                                        sdvm_cat_report_fn report, void *userdata,
                                        size_t *realms);
/*
 * Every realm claimed by more than one source (institutions, or several CAT profiles of
 * one): realm, the source that got it (the rule of sdvm_cat_db_builder_add()), and the
 * claimants in the order they were added. Call before sdvm_cat_db_builder_write().
 */
typedef void (*sdvm_cat_conflict_fn)(const char *realm, const char *used,
                                     const char *const *sources, size_t n, void *userdata);
int sdvm_cat_db_builder_conflicts(struct sdvm_cat_db_builder *b, sdvm_cat_conflict_fn fn,
                                  void *userdata);
/* Parse a file and add it; a file that does not parse is reported and skipped (returns 0). */
int sdvm_cat_db_builder_add_file(struct sdvm_cat_db_builder *b, const char *path,
                                 const char *source, sdvm_cat_report_fn report, void *userdata);
/* Write the database atomically (temp file, fsync, rename, fsync of the directory). */
int sdvm_cat_db_builder_write(struct sdvm_cat_db_builder *b, const char *path, char **error);
size_t sdvm_cat_db_builder_realm_count(const struct sdvm_cat_db_builder *b);
size_t sdvm_cat_db_builder_cert_count(const struct sdvm_cat_db_builder *b);

/* Build from every *.eap-config / *.xml file of a directory (sorted by name). */
int sdvm_cat_db_build_dir(const char *dir, const char *out_path, sdvm_cat_report_fn report,
                          void *userdata, char **error);

/* ----- sync (sdvm-cat sync) ----- */

struct sdvm_cat_sync_options {
    const char *api_url;   /* e.g. https://cat.eduroam.org/user/API.php */
    const char *work_dir;  /* cache of downloaded files; resumed from */
    const char *out_path;  /* the database to build */
    const char *ca_file;   /* extra CA bundle for the HTTPS server (tests); NULL = system */
    unsigned time_limit_s; /* overall; 0 = none */
    unsigned retries;      /* per request, after the first try */
    unsigned backoff_ms;   /* first retry delay; doubles up to 30 s */
    unsigned timeout_s;    /* per request */
    bool refresh;          /* discard an interrupted run's files instead of resuming it */
    bool quiet;            /* no progress lines */
    unsigned resume_max_s; /* an interrupted run older than this starts over; 0 = 1 day */
    unsigned max_age_s;    /* a failed profile's last good copy is kept this long; 0 = 30 d */
    unsigned max_failed_pct; /* more failed profiles than this % (1..100): the DB is not
                              * replaced; 0 = 5 % */
    unsigned connections;  /* transfers at once; 0 = 8 */
    bool json;             /* the summary as one JSON object on stdout */
};

/* Returns 0 when the database was built; -ETIMEDOUT when the time limit stopped it (the
 * cache keeps what was fetched: run again to resume), other -errno on failure. */
int sdvm_cat_sync(const struct sdvm_cat_sync_options *opt, char **error);

#ifdef __cplusplus
}
#endif

#endif
