/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal helpers shared by the eduroam-cat sources of both libraries: cert.c and util.c
 * (in sdvm-realms, used by the builder too) and the database reader the lookup uses. The
 * database's file format, which the reader and the writer share, is db-format.h.
 */
#ifndef SDVM_CAT_PRIVATE_H
#define SDVM_CAT_PRIVATE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sdvm-failure.h"
#include "sdvm/auth-profile.h"
#include "sdvm/cat-cert.h"

/* base64 with embedded whitespace; -EBADMSG when not base64. */
int cat_base64_decode(const char *text, size_t len, unsigned char **out, size_t *out_len);
/* Parse DER with OpenSSL (the whole buffer must be one certificate); fills cert. */
int cat_cert_from_der(const unsigned char *der, size_t der_len, struct sdvm_cat_cert *cert);
void cat_cert_clear(struct sdvm_cat_cert *cert);

/* malloc'd printf; NULL on failure. */
char *cat_strdupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* *error = message when error != NULL; returns rc. */
int cat_fail(char **error, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Normalize a realm into a lookup key: trimmed, ASCII lower-cased, at least two labels,
 * no empty label, no '@', no whitespace or control characters, at most 253 octets.
 * Returns a malloc'd key, or NULL (errno EINVAL or ENOMEM).
 */
char *cat_realm_key(const char *realm);

/*
 * True when key (a lower-case realm key) is a public suffix on Debian's list (psl.c): no
 * institution owns it, so it is neither a provider's realm nor a parent to match.
 */
bool cat_is_public_suffix(const char *key);


/* Read a whole file, refusing more than max bytes. */
int cat_read_file(const char *path, size_t max, char **data, size_t *len);

/* ----- the compiled database: its reader (db-read.c; the format is db-format.h) ----- */

enum cat_db_flags {
    CAT_DB_HINT = 1,   /* InnerIdentityHint: no sub-realms */
    CAT_DB_COMPAT = 2, /* TTLS + inner EAP 26 (CAT compat); inner EAP-MSCHAPv2 is the alternative */
};

/* A profile as the reader sees it: pointers into the loaded database (valid while open). */
struct cat_db_profile {
    const char *source, *id, *display_name, *email, *phone, *url, *outer_identity,
        *inner_suffix, *reason;
    const uint32_t *certs; /* indexes into the cert table (little-endian words) */
    uint32_t n_certs;
    const uint32_t *server_ids; /* string offsets */
    uint32_t n_server_ids;
    int64_t valid_until;
    enum sdvm_eap_method eap;
    enum sdvm_inner_method inner;
    enum sdvm_failure failure;
    unsigned flags;
};

struct cat_db;
int cat_db_open(const char *path, struct cat_db **out, char **error);
void cat_db_free(struct cat_db *db);
/* Realm keys (the "cat profile N" keys are not counted). */
uint32_t cat_db_realm_count(const struct cat_db *db);
/*
 * The sync also indexes every CAT profile under the key "cat profile N" (N its CAT profile
 * id), so that realms.d's CatProfile=N reaches a profile that publishes no realm (issue 15
 * §4). A realm key never holds a space (cat_realm_key), so the two never collide.
 */
#define CAT_DB_PROFILE_KEY "cat profile "
/* Every index key, in sorted order: the realms and the "cat profile N" keys. */
uint32_t cat_db_key_count(const struct cat_db *db);
const char *cat_db_key_at(const struct cat_db *db, uint32_t i, uint32_t *profile);
/* Profile index of CAT profile id ("1234"), or -1. */
long cat_db_find_cat_profile(const struct cat_db *db, const char *id);
uint32_t cat_db_profile_count(const struct cat_db *db);
/* Profile index for an exact lower-case key, or -1. */
long cat_db_find(const struct cat_db *db, const char *key);
/* Inflates the strings the profile uses; -EBADMSG when they are corrupt. */
int cat_db_profile(struct cat_db *db, uint32_t index, struct cat_db_profile *out);
const char *cat_db_string(const struct cat_db *db, uint32_t offset);
/* DER, SHA-256 and subject of a cert; inflates the cert section on first use. */
int cat_db_cert(struct cat_db *db, uint32_t index, const unsigned char **der, size_t *der_len,
                const unsigned char **sha256, const char **subject);
int64_t cat_db_created(const struct cat_db *db);
/* Lists are little-endian u32 words; read them through this, never by dereference. */
uint32_t cat_db_word(const uint32_t *list, uint32_t i);

/* ----- realms.d (realms-local.c) ----- */

/* One [Realm] group of a realms.d file; has_* says which keys it set (the rest come from the
 * CAT database when FromCat=true). */
struct cat_local_realm {
    char *key;
    char *source;   /* "realms.d/uni-a.conf" */
    bool from_cat;  /* an override of the CAT database's profile for the same realm */
    char cat_profile[24]; /* CatProfile=: the CAT profile id to take instead ("": the realm's) */
    bool sub_realms;
    bool has_method, has_inner, has_anon, has_ca, has_servers, has_exact, has_phase1,
        has_insecure, has_unprotected_wired;
    enum sdvm_eap_method eap;
    enum sdvm_inner_method inner;
    char *anon;     /* NULL with has_anon: explicitly none */
    struct sdvm_cat_cert *certs;
    size_t n_certs;
    char **server_names;
    bool exact;
    uint32_t phase1;
    bool allow_insecure;
    bool allow_unprotected_wired; /* AllowUnprotectedWired (sdvm_auth_profile_wired_check) */
    char *display, *email, *phone, *url;
    char *bundle_path; /* memo: CA bundle written for the local certs */
};

/*
 * Append every realm of dir's *.conf files (sorted by name; a missing dir has none) to
 * *locals, then sort them by key. -EINVAL (*error names the file, section and key) for a bad
 * file or a realm defined twice. On failure too, the caller frees what was appended with
 * cat_local_clear() on each entry and free(*locals).
 */
int cat_local_load_dir(const char *dir, struct cat_local_realm **locals, size_t *n_locals,
                       char **error);
void cat_local_clear(struct cat_local_realm *l);

/* ----- CA bundles (ca-bundle.c) ----- */

/* The certificates a resolved profile trusts, as (der, len, sha256, subject) tuples. */
struct cat_certref {
    const unsigned char *der;
    size_t len;
    const unsigned char *sha256;
    const char *subject;
};

/* Write (once) the PEM bundle of certs to ca_dir/<sha256 of the bundle>.pem; *path_out is
 * its path (malloc'd). A file already there with our owner, mode and size is kept. */
int cat_bundle_write(const char *ca_dir, const struct cat_certref *certs, size_t n,
                     char **path_out);

#endif
