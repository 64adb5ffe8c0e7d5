/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Realm lookup: the admin's realms.d/NAME.conf first (loaded by realms-local.c), then the
 * compiled CAT database (db-read.c); the matched profile's CA bundle is written once to CaDir
 * under a content-addressed name (ca-bundle.c). A handle is not thread-safe (sdvmd looks
 * realms up from one thread).
 */
#include "cat-private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <strings.h>
#include <unistd.h>

#include "sdvm/log.h"
#include "sdvm/realms.h"

struct sdvm_realms {
    char *ca_dir;
    struct cat_local_realm *locals; /* sorted by key */
    size_t n_locals;
    struct cat_db *db;
    char **db_bundles;          /* memo per database profile */
    uint32_t n_db_profiles;
};

/* ----- open / free ----- */

int
sdvm_realms_open(const char *realms_dir, const char *db_path, const char *ca_dir,
                 sdvm_realms **out, char **error)
{
    *out = NULL;
    sdvm_realms *r = calloc(1, sizeof(*r));
    if (!r)
        return cat_fail(error, -ENOMEM, "out of memory");
    int rc = 0;
    if (ca_dir && !(r->ca_dir = strdup(ca_dir)))
        rc = cat_fail(error, -ENOMEM, "out of memory");
    if (rc == 0 && realms_dir)
        rc = cat_local_load_dir(realms_dir, &r->locals, &r->n_locals, error);
    if (rc == 0 && db_path) {
        if (access(db_path, F_OK) < 0 && errno == ENOENT) {
            log_warningf("realm database %s does not exist: only realms.d is used", db_path);
        } else {
            rc = cat_db_open(db_path, &r->db, error);
            if (rc == 0) {
                uint32_t n = cat_db_profile_count(r->db);
                r->n_db_profiles = n;
                r->db_bundles = calloc(n ? n : 1, sizeof(char *));
                if (!r->db_bundles)
                    rc = cat_fail(error, -ENOMEM, "out of memory");
            }
        }
    }
    if (rc) {
        sdvm_realms_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

void
sdvm_realms_free(sdvm_realms *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_locals; i++)
        cat_local_clear(&r->locals[i]);
    free(r->locals);
    if (r->db_bundles)
        for (uint32_t i = 0; i < r->n_db_profiles; i++)
            free(r->db_bundles[i]);
    free(r->db_bundles);
    cat_db_free(r->db);
    free(r->ca_dir);
    free(r);
}

size_t
sdvm_realms_db_count(const sdvm_realms *r)
{
    return r->db ? cat_db_realm_count(r->db) : 0;
}

size_t
sdvm_realms_local_count(const sdvm_realms *r)
{
    return r->n_locals;
}

/* ----- resolution ----- */

struct resolved {
    enum sdvm_failure failure;
    char *detail;
    const char *matched;        /* points into key */
    bool parent;
    struct cat_local_realm *local;
    long db_index;              /* -1 when no database profile is involved */
    struct cat_db_profile dbp;
};

static struct cat_local_realm *
find_local(sdvm_realms *r, const char *key)
{
    size_t lo = 0, hi = r->n_locals;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(key, r->locals[mid].key);
        if (c == 0)
            return &r->locals[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

/* Walk from the realm to its two-label parent; key is the normalized realm. */
static void
resolve(sdvm_realms *r, const char *key, struct resolved *res)
{
    memset(res, 0, sizeof(*res));
    res->db_index = -1;
    const char *skipped = NULL, *skipped_source = NULL, *public_suffix = NULL;
    for (const char *k = key; k && strchr(k, '.'); k = strchr(k, '.') + 1) {
        bool parent = k != key;
        /* M1: a public suffix (ac.uk) is nobody's realm, so never a parent to match, and a
         * database entry for one (a database older than this rule) is not used either. */
        bool psl = cat_is_public_suffix(k);
        if (psl && parent) {
            public_suffix = k;
            break;
        }
        struct cat_local_realm *l = find_local(r, k);
        if (l && (!parent || l->sub_realms)) {
            res->matched = k;
            res->parent = parent;
            res->local = l;
            if (l->from_cat && r->db) {
                res->db_index = l->cat_profile[0] ? cat_db_find_cat_profile(r->db, l->cat_profile)
                                                  : cat_db_find(r->db, k);
                if (res->db_index >= 0 &&
                    cat_db_profile(r->db, (uint32_t)res->db_index, &res->dbp) < 0) {
                    res->failure = SDVM_FAILURE_INTERNAL;
                    res->detail = cat_strdupf("the CAT database's entry for %s is corrupt", k);
                    return;
                }
            }
            if (l->cat_profile[0] && res->db_index < 0 && !l->has_method) {
                res->failure = SDVM_FAILURE_UNKNOWN_REALM;
                res->detail = cat_strdupf("%s maps %s to CAT profile %s, which the CAT database"
                                          " does not have (%s)", l->source, k, l->cat_profile,
                                          r->db ? "a wrong id, or a database older than"
                                                  " CatProfile=: run sdvm-cat sync"
                                                : "no CAT database");
            } else if (l->cat_profile[0] && res->db_index >= 0 && res->dbp.failure &&
                       !l->has_method) {
                res->failure = res->dbp.failure;
                res->detail = cat_strdupf("%s: CAT profile %s: %s", l->source, l->cat_profile,
                                          res->dbp.reason ? res->dbp.reason : "unusable");
            } else if (l->from_cat && res->db_index < 0 && !l->has_method) {
                res->failure = SDVM_FAILURE_UNKNOWN_REALM;
                res->detail = cat_strdupf("%s overrides the CAT profile of %s, but the CAT"
                                          " database has no such realm", l->source, k);
            }
            return;
        }
        if (l && !skipped) {
            skipped = k;
            skipped_source = l->source;
        }
        long idx = r->db && !psl ? cat_db_find(r->db, k) : -1;
        if (idx >= 0) {
            struct cat_db_profile p;
            if (cat_db_profile(r->db, (uint32_t)idx, &p) < 0) {
                res->matched = k;
                res->failure = SDVM_FAILURE_INTERNAL;
                res->detail = cat_strdupf("the CAT database's entry for %s is corrupt", k);
                return;
            }
            if (parent && (p.flags & CAT_DB_HINT)) {
                if (!skipped) {
                    skipped = k;
                    skipped_source = p.source;
                }
                continue;
            }
            res->matched = k;
            res->parent = parent;
            res->db_index = idx;
            res->dbp = p;
            if (p.failure) {
                res->failure = p.failure;
                res->detail = cat_strdupf("%s (%s): %s", k, p.source ? p.source : "cat-db",
                                          p.reason ? p.reason : "unusable");
            } else if (p.valid_until > 0 && (time_t)p.valid_until < time(NULL)) {
                /* ValidUntil is enforced (issue 15 §5): a newer profile is needed. */
                res->failure = SDVM_FAILURE_PROFILE_EXPIRED;
                res->detail = cat_strdupf("%s (%s): the profile expired (ValidUntil %lld);"
                                          " run sdvm-cat sync", k,
                                          p.source ? p.source : "cat-db",
                                          (long long)p.valid_until);
            }
            return;
        }
    }
    res->failure = SDVM_FAILURE_UNKNOWN_REALM;
    if (skipped && public_suffix)
        res->detail = cat_strdupf("%s is in neither realms.d nor the CAT database; its parent"
                                  " realm %s (%s) does not accept sub-realms, and %s is a public"
                                  " suffix, which no institution owns", key, skipped,
                                  skipped_source ? skipped_source : "?", public_suffix);
    else if (public_suffix)
        res->detail = cat_strdupf("%s is in neither realms.d%s; its parent %s is a public"
                                  " suffix, which no institution owns, so it is not looked up",
                                  key, r->db ? " nor the CAT database" : "", public_suffix);
    else if (skipped)
        res->detail = cat_strdupf("%s is in neither realms.d nor the CAT database; its parent"
                                  " realm %s (%s) does not accept sub-realms", key, skipped,
                                  skipped_source ? skipped_source : "?");
    else
        res->detail = cat_strdupf("%s is in neither realms.d%s", key,
                                  r->db ? " nor the CAT database" : " (no CAT database)");
}

static int
collect_certs(sdvm_realms *r, const struct resolved *res, struct cat_certref **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (res->local && res->local->has_ca) {
        struct cat_local_realm *l = res->local;
        if (!l->n_certs)
            return 0;
        struct cat_certref *v = calloc(l->n_certs, sizeof(*v));
        if (!v)
            return -ENOMEM;
        for (size_t i = 0; i < l->n_certs; i++)
            v[i] = (struct cat_certref){l->certs[i].der, l->certs[i].der_len,
                                        l->certs[i].sha256, l->certs[i].subject};
        *out = v;
        *n = l->n_certs;
        return 0;
    }
    if (res->db_index < 0 || !res->dbp.n_certs)
        return 0;
    struct cat_certref *v = calloc(res->dbp.n_certs, sizeof(*v));
    if (!v)
        return -ENOMEM;
    for (uint32_t i = 0; i < res->dbp.n_certs; i++) {
        int rc = cat_db_cert(r->db, cat_db_word(res->dbp.certs, i), &v[i].der, &v[i].len,
                             &v[i].sha256, &v[i].subject);
        if (rc < 0) {
            free(v);
            return rc;
        }
    }
    *out = v;
    *n = res->dbp.n_certs;
    return 0;
}

static int
dup_into(char **dst, const char *src)
{
    if (!src || !*src)
        return 0;
    return (*dst = strdup(src)) ? 0 : -ENOMEM;
}

/*
 * Build the neutral profile of a resolved realm (res->failure == NONE). Writes the CA bundle
 * when write is set and a CaDir was given.
 */
/*
 * The realm of an outer identity ("anonymous@uni.edu" -> "uni.edu"; "@uni.edu" too), or NULL
 * when it has none. Points into identity.
 */
static const char *
outer_realm(const char *identity)
{
    const char *at = strrchr(identity, '@');
    return at && at[1] ? at + 1 : NULL;
}

/* True when realm (any case) is login (a lower-case key) or a parent of it. */
static bool
is_login_or_parent(const char *realm, const char *login)
{
    size_t lr = strlen(realm), ll = strlen(login);
    if (lr > ll || !strchr(realm, '.'))
        return false;
    if (strcasecmp(login + ll - lr, realm) != 0)
        return false;
    return lr == ll || login[ll - lr - 1] == '.';
}

/*
 * M1: the outer identity routes the EAP conversation through the federation, so CAT data
 * must not send a login to another institution's RADIUS server (anonymous@evil.example for
 * a login @uni.edu). Its realm must be the login's realm or a parent of it; else "@" + the
 * login's realm (RFC 7542's anonymous form) goes out instead, and *note says so. realms.d's
 * AnonymousIdentity is the administrator's and is kept as written.
 */
static int
check_outer_identity(struct sdvm_auth_profile *p, const char *key, bool from_local,
                     char **note)
{
    if (!p->anonymous_identity || from_local)
        return 0;
    const char *realm = outer_realm(p->anonymous_identity);
    if (realm && is_login_or_parent(realm, key))
        return 0;
    char *fixed = cat_strdupf("@%s", key);
    char *why = cat_strdupf("the CAT profile's outer identity %.100s %s, so %s is sent"
                            " instead", p->anonymous_identity,
                            realm ? "belongs to another realm" : "has no realm", fixed);
    if (!fixed || !why) {
        free(fixed);
        free(why);
        return -ENOMEM;
    }
    free(p->anonymous_identity);
    p->anonymous_identity = fixed;
    if (note) {
        free(*note);
        *note = why;
    } else {
        free(why);
    }
    return 0;
}

static enum sdvm_failure
make_profile(sdvm_realms *r, struct resolved *res, const char *key, bool write,
             struct sdvm_auth_profile **out, char **detail)
{
    *out = NULL;
    struct sdvm_auth_profile *p = sdvm_auth_profile_new();
    if (!p)
        return SDVM_FAILURE_INTERNAL;
    const struct cat_local_realm *l = res->local;
    const struct cat_db_profile *d = res->db_index >= 0 ? &res->dbp : NULL;
    int rc = 0;
    rc |= dup_into(&p->realm, res->matched);
    if (l && d)
        p->source = cat_strdupf("%s over cat-db:%s", l->source, d->source ? d->source : "?");
    else if (l)
        p->source = strdup(l->source);
    else
        p->source = cat_strdupf("cat-db:%s", d->source ? d->source : "?");
    if (!p->source)
        rc = -ENOMEM;

    /* Database values first, realms.d on top. */
    if (d) {
        p->eap = d->eap;
        p->inner = d->inner;
        rc |= dup_into(&p->institution, d->display_name);
        rc |= dup_into(&p->anonymous_identity, d->outer_identity);
        rc |= dup_into(&p->helpdesk_email, d->email);
        rc |= dup_into(&p->helpdesk_phone, d->phone);
        rc |= dup_into(&p->helpdesk_url, d->url);
        if (d->n_server_ids && (!l || !l->has_servers)) {
            p->server_names = calloc(d->n_server_ids + 1, sizeof(char *));
            if (!p->server_names)
                rc = -ENOMEM;
            for (uint32_t i = 0; i < d->n_server_ids && p->server_names; i++)
                rc |= dup_into(&p->server_names[i],
                               cat_db_string(r->db, cat_db_word(d->server_ids, i)));
        }
    }
    if (l) {
        if (l->has_method) {
            p->eap = l->eap;
            p->inner = l->has_inner ? l->inner : SDVM_INNER_NONE;
        }
        if (l->has_anon) {
            free(p->anonymous_identity);
            p->anonymous_identity = NULL;
            rc |= dup_into(&p->anonymous_identity, l->anon);
        }
        if (l->has_servers) {
            size_t n = 0;
            while (l->server_names[n])
                n++;
            p->server_names = calloc(n + 1, sizeof(char *));
            if (!p->server_names)
                rc = -ENOMEM;
            for (size_t i = 0; i < n && p->server_names; i++)
                rc |= dup_into(&p->server_names[i], l->server_names[i]);
        }
        if (l->has_exact)
            p->server_names_exact = l->exact;
        if (l->has_phase1)
            p->phase1_flags = l->phase1;
        if (l->has_insecure)
            p->allow_insecure = l->allow_insecure;
        if (l->has_unprotected_wired)
            p->allow_unprotected_wired = l->allow_unprotected_wired;
        char **dst[4] = {&p->institution, &p->helpdesk_email, &p->helpdesk_phone,
                         &p->helpdesk_url};
        const char *src[4] = {l->display, l->email, l->phone, l->url};
        for (int i = 0; i < 4; i++)
            if (src[i]) {
                free(*dst[i]);
                *dst[i] = NULL;
                rc |= dup_into(dst[i], src[i]);
            }
    }
    char *note = NULL;
    if (rc == 0)
        rc = check_outer_identity(p, key, l && l->has_anon, &note);
    if (rc) {
        free(note);
        sdvm_auth_profile_free(p);
        return SDVM_FAILURE_INTERNAL;
    }

    /* Certificates: realms.d's if it lists any, else the database's. Then the one
     * server-validation rule (core's, the one nm-glue applies at login). */
    bool local_ca = l && l->has_ca;
    size_t n_certs = local_ca ? l->n_certs : d ? d->n_certs : 0;
    char *why = NULL;
    if (sdvm_auth_profile_check_server(p, n_certs > 0, &why) != SDVM_FAILURE_NONE) {
        if (detail)
            *detail = cat_strdupf("%s (%s)", why ? why : "no server validation", p->source);
        free(why);
        free(note);
        sdvm_auth_profile_free(p);
        return SDVM_FAILURE_INSECURE_PROFILE;
    }
    struct cat_certref *certs = NULL;
    if (n_certs && write && r->ca_dir) {
        char **memo = local_ca ? &res->local->bundle_path : &r->db_bundles[res->db_index];
        if (!*memo) {
            /* First use of this CA set by this handle: build the bundle, write it once. */
            size_t n = 0;
            if (collect_certs(r, res, &certs, &n) < 0) {
                free(note);
                sdvm_auth_profile_free(p);
                if (detail)
                    *detail = cat_strdupf("%s: the CAT database's certificate section is"
                                          " corrupt", key);
                return SDVM_FAILURE_INTERNAL;
            }
            int wrc = cat_bundle_write(r->ca_dir, certs, n, memo);
            if (wrc < 0) {
                free(certs);
                free(note);
                sdvm_auth_profile_free(p);
                if (detail)
                    *detail = cat_strdupf("cannot write the CA bundle for %s to %s: %s",
                                          res->matched, r->ca_dir, strerror(-wrc));
                return SDVM_FAILURE_INTERNAL;
            }
        }
        if (!(p->ca_bundle_path = strdup(*memo))) {
            free(certs);
            free(note);
            sdvm_auth_profile_free(p);
            return SDVM_FAILURE_INTERNAL;
        }
    }
    free(certs);
    /* On success *detail carries the note (or stays NULL): sdvmd logs it. */
    if (detail)
        *detail = note;
    else
        free(note);
    *out = p;
    return SDVM_FAILURE_NONE;
}

enum sdvm_failure
sdvm_realms_lookup(sdvm_realms *r, const char *realm, struct sdvm_auth_profile **out,
                   char **detail)
{
    *out = NULL;
    if (detail)
        *detail = NULL;
    if (!r || !realm)
        return SDVM_FAILURE_INTERNAL;
    char *key = cat_realm_key(realm);
    if (!key) {
        if (errno == ENOMEM)
            return SDVM_FAILURE_INTERNAL;
        if (detail)
            *detail = cat_strdupf("\"%.80s\" is not a realm (two labels or more, no spaces)",
                                  realm);
        return SDVM_FAILURE_INVALID_NAI;
    }
    struct resolved res;
    resolve(r, key, &res);
    enum sdvm_failure f = res.failure;
    if (f == SDVM_FAILURE_NONE) {
        f = make_profile(r, &res, key, true, out, detail);
    } else if (detail) {
        *detail = res.detail;
        res.detail = NULL;
    }
    free(res.detail);
    free(key);
    return f;
}

int
sdvm_realms_explain(sdvm_realms *r, const char *realm, struct sdvm_realm_explain **out)
{
    *out = NULL;
    struct sdvm_realm_explain *e = calloc(1, sizeof(*e));
    if (!e)
        return -ENOMEM;
    char *key = cat_realm_key(realm);
    if (!key) {
        if (errno == ENOMEM) {
            free(e);
            return -ENOMEM;
        }
        e->failure = SDVM_FAILURE_INVALID_NAI;
        e->detail = cat_strdupf("\"%.80s\" is not a realm (two labels or more, no spaces)",
                                realm);
        *out = e;
        return 0;
    }
    struct resolved res;
    resolve(r, key, &res);
    e->failure = res.failure;
    e->detail = res.detail;
    if (res.matched) {
        e->matched_key = strdup(res.matched);
        e->from_parent = res.parent;
    }
    if (res.db_index >= 0) {
        e->cat_compat = (res.dbp.flags & CAT_DB_COMPAT) && !(res.local && res.local->has_method);
        e->inner_hint = res.dbp.flags & CAT_DB_HINT;
        e->valid_until = (time_t)res.dbp.valid_until;
        if (res.dbp.inner_suffix)
            e->inner_suffix = strdup(res.dbp.inner_suffix);
    }
    if (e->failure == SDVM_FAILURE_NONE) {
        char *d = NULL;
        e->failure = make_profile(r, &res, key, true, &e->profile, &d);
        if (e->failure == SDVM_FAILURE_NONE)
            e->outer_note = d;
        else
            e->detail = d;
        struct cat_certref *certs = NULL;
        size_t n = 0;
        if (e->failure == SDVM_FAILURE_NONE && collect_certs(r, &res, &certs, &n) == 0 && n) {
            e->ca_fingerprints = calloc(n + 1, sizeof(char *));
            e->ca_subjects = calloc(n + 1, sizeof(char *));
            for (size_t i = 0; i < n && e->ca_fingerprints && e->ca_subjects; i++) {
                e->ca_fingerprints[i] = malloc(97);
                if (e->ca_fingerprints[i])
                    sdvm_cat_fingerprint(certs[i].sha256, e->ca_fingerprints[i]);
                e->ca_subjects[i] = strdup(certs[i].subject ? certs[i].subject : "");
            }
        }
        free(certs);
        if (e->failure == SDVM_FAILURE_NONE && res.parent && !e->detail)
            e->detail = cat_strdupf("matched the parent realm %s", res.matched);
    }
    free(key);
    *out = e;
    return 0;
}

void
sdvm_realm_explain_free(struct sdvm_realm_explain *e)
{
    if (!e)
        return;
    free(e->detail);
    free(e->matched_key);
    sdvm_auth_profile_free(e->profile);
    if (e->ca_fingerprints)
        for (char **s = e->ca_fingerprints; *s; s++)
            free(*s);
    free(e->ca_fingerprints);
    if (e->ca_subjects)
        for (char **s = e->ca_subjects; *s; s++)
            free(*s);
    free(e->ca_subjects);
    free(e->inner_suffix);
    free(e->outer_note);
    free(e);
}
