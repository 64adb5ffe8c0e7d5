/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The compiled realm database, write side: the builder that sdvm-cat (offline, on a machine
 * with the eap-config files) fills from parsed documents and writes in the format of
 * db-format.h, and sdvm_cat_db_build_dir() over a directory of eap-config files. The terminal
 * only ever reads the result (db-read.c).
 */
#include "cat-private.h"
#include "sdvm/atomic-file.h"
#include "db-format.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <dirent.h>
#include <zlib.h>

#include "sdvm/cat.h"

#define STR_MAX 4000u /* longer strings are cut: they are names and reasons */

/* ===================================================================== builder */

struct buf {
    unsigned char *data;
    size_t len, cap;
};

static int
buf_reserve(struct buf *b, size_t extra)
{
    if (b->len + extra <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + extra)
        cap *= 2;
    unsigned char *d = realloc(b->data, cap);
    if (!d)
        return -ENOMEM;
    b->data = d;
    b->cap = cap;
    return 0;
}

static int
buf_add(struct buf *b, const void *data, size_t len)
{
    if (len == 0)
        return 0;
    if (buf_reserve(b, len) < 0)
        return -ENOMEM;
    memcpy(b->data + b->len, data, len);
    b->len += len;
    return 0;
}

static uint64_t
fnv1a(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

/* Open-addressing table of u32 values (offset+1 or index+1), keyed by an external compare. */
struct table {
    uint32_t *slots;
    size_t cap, used;
};

static int
table_grow(struct table *t, uint64_t (*hash)(void *, uint32_t), void *ctx)
{
    size_t cap = t->cap ? t->cap * 2 : 1024;
    uint32_t *slots = calloc(cap, sizeof(uint32_t));
    if (!slots)
        return -ENOMEM;
    for (size_t i = 0; i < t->cap; i++) {
        if (!t->slots[i])
            continue;
        size_t j = hash(ctx, t->slots[i] - 1) & (cap - 1);
        while (slots[j])
            j = (j + 1) & (cap - 1);
        slots[j] = t->slots[i];
    }
    free(t->slots);
    t->slots = slots;
    t->cap = cap;
    return 0;
}

struct bprofile {
    uint32_t str[9]; /* source, id, display, email, phone, url, outer, suffix, reason */
    uint32_t cert_list, n_certs, server_list, n_servers;
    int64_t valid_until;
    uint8_t eap, inner, failure, flags;
};

struct brealm {
    uint32_t key;     /* string offset */
    uint32_t profile;
    bool own;         /* the key is the profile's own ID (not only its InnerIdentitySuffix) */
};

struct sdvm_cat_db_builder {
    struct buf keys;    /* realm keys (eager area) */
    struct buf strings; /* everything else (block-aligned string area) */
    struct table string_table;
    struct buf der;
    struct bcert {
        uint32_t der_off, der_len, subject;
        unsigned char sha256[32];
    } *certs;
    size_t n_certs, cap_certs;
    struct table cert_table;
    uint32_t *lists;
    size_t n_lists, cap_lists;
    struct bprofile *profiles;
    size_t n_profiles, cap_profiles;
    struct brealm *realms;
    size_t n_realms, cap_realms;
    struct table realm_table; /* realm index + 1 by key */
    size_t n_profile_keys;    /* "cat profile N" keys among the realms */
    /* Every claim of a realm by a source, in the order they came (the conflicts report). */
    struct claim {
        char *key;
        uint32_t source; /* string offset */
        size_t order;
    } *claims;
    size_t n_claims, cap_claims;
    bool written;             /* the realm table is gone: no more adds or conflict reports */
};

static uint64_t
string_hash(void *ctx, uint32_t off)
{
    struct sdvm_cat_db_builder *b = ctx;
    const char *s = (const char *)b->strings.data + off;
    return fnv1a(s, strlen(s));
}

/* Intern a string; 0 for NULL/empty. Returns -1 (as uint32 max) never: errors via *rc. */
static uint32_t
intern(struct sdvm_cat_db_builder *b, const char *s, int *rc)
{
    if (!s || !*s || *rc)
        return 0;
    size_t len = strlen(s);
    char cut[STR_MAX + 1];
    if (len > STR_MAX) {
        memcpy(cut, s, STR_MAX);
        cut[STR_MAX] = '\0';
        s = cut;
        len = STR_MAX;
    }
    if (b->string_table.used * 2 >= b->string_table.cap &&
        table_grow(&b->string_table, string_hash, b) < 0) {
        *rc = -ENOMEM;
        return 0;
    }
    size_t j = fnv1a(s, len) & (b->string_table.cap - 1);
    while (b->string_table.slots[j]) {
        uint32_t off = b->string_table.slots[j] - 1;
        if (!strcmp((const char *)b->strings.data + off, s))
            return off;
        j = (j + 1) & (b->string_table.cap - 1);
    }
    if (b->strings.len + len + 1 > UINT32_MAX - 1) {
        *rc = -EFBIG;
        return 0;
    }
    /* A string never crosses a block boundary: pad up to the next block instead. */
    size_t in_block = b->strings.len % STR_BLOCK;
    if (in_block + len + 1 > STR_BLOCK) {
        size_t pad = STR_BLOCK - in_block;
        if (buf_reserve(&b->strings, pad) < 0) {
            *rc = -ENOMEM;
            return 0;
        }
        memset(b->strings.data + b->strings.len, 0, pad);
        b->strings.len += pad;
    }
    uint32_t off = (uint32_t)b->strings.len;
    if (buf_add(&b->strings, s, len + 1) < 0) {
        *rc = -ENOMEM;
        return 0;
    }
    b->string_table.slots[j] = off + 1;
    b->string_table.used++;
    return off;
}

static uint64_t
cert_hash(void *ctx, uint32_t idx)
{
    struct sdvm_cat_db_builder *b = ctx;
    uint64_t h;
    memcpy(&h, b->certs[idx].sha256, sizeof(h));
    return h;
}

static uint32_t
add_cert(struct sdvm_cat_db_builder *b, const struct sdvm_cat_cert *c, int *rc)
{
    if (*rc)
        return 0;
    if (b->cert_table.used * 2 >= b->cert_table.cap &&
        table_grow(&b->cert_table, cert_hash, b) < 0) {
        *rc = -ENOMEM;
        return 0;
    }
    uint64_t h;
    memcpy(&h, c->sha256, sizeof(h));
    size_t j = h & (b->cert_table.cap - 1);
    while (b->cert_table.slots[j]) {
        uint32_t idx = b->cert_table.slots[j] - 1;
        if (!memcmp(b->certs[idx].sha256, c->sha256, 32))
            return idx;
        j = (j + 1) & (b->cert_table.cap - 1);
    }
    if (b->n_certs == b->cap_certs) {
        size_t cap = b->cap_certs ? b->cap_certs * 2 : 256;
        struct bcert *v = realloc(b->certs, cap * sizeof(*v));
        if (!v) {
            *rc = -ENOMEM;
            return 0;
        }
        b->certs = v;
        b->cap_certs = cap;
    }
    struct bcert *bc = &b->certs[b->n_certs];
    bc->der_off = (uint32_t)b->der.len;
    bc->der_len = (uint32_t)c->der_len;
    memcpy(bc->sha256, c->sha256, 32);
    bc->subject = intern(b, c->subject, rc);
    if (*rc || buf_add(&b->der, c->der, c->der_len) < 0) {
        *rc = *rc ? *rc : -ENOMEM;
        return 0;
    }
    b->cert_table.slots[j] = (uint32_t)b->n_certs + 1;
    b->cert_table.used++;
    return (uint32_t)b->n_certs++;
}

static uint32_t
add_list_word(struct sdvm_cat_db_builder *b, uint32_t w, int *rc)
{
    if (*rc)
        return 0;
    if (b->n_lists == b->cap_lists) {
        size_t cap = b->cap_lists ? b->cap_lists * 2 : 1024;
        uint32_t *v = realloc(b->lists, cap * sizeof(*v));
        if (!v) {
            *rc = -ENOMEM;
            return 0;
        }
        b->lists = v;
        b->cap_lists = cap;
    }
    b->lists[b->n_lists] = w;
    return (uint32_t)b->n_lists++;
}

static uint64_t
realm_hash(void *ctx, uint32_t idx)
{
    struct sdvm_cat_db_builder *b = ctx;
    const char *s = (const char *)b->keys.data + b->realms[idx].key;
    return fnv1a(s, strlen(s));
}

/* Realm index slot for key: returns the slot; *found = realm index or -1. */
static size_t
realm_slot(struct sdvm_cat_db_builder *b, const char *key, long *found)
{
    size_t j = fnv1a(key, strlen(key)) & (b->realm_table.cap - 1);
    *found = -1;
    while (b->realm_table.slots[j]) {
        uint32_t idx = b->realm_table.slots[j] - 1;
        if (!strcmp((const char *)b->keys.data + b->realms[idx].key, key)) {
            *found = idx;
            return j;
        }
        j = (j + 1) & (b->realm_table.cap - 1);
    }
    return j;
}

struct sdvm_cat_db_builder *
sdvm_cat_db_builder_new(void)
{
    struct sdvm_cat_db_builder *b = calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    /* Offset 0 is the empty string, which stands for "none". */
    if (buf_add(&b->strings, "", 1) < 0 || buf_add(&b->keys, "", 1) < 0 ||
        table_grow(&b->realm_table, realm_hash, b) < 0) {
        sdvm_cat_db_builder_free(b);
        return NULL;
    }
    return b;
}

void
sdvm_cat_db_builder_free(struct sdvm_cat_db_builder *b)
{
    if (!b)
        return;
    free(b->keys.data);
    free(b->strings.data);
    free(b->string_table.slots);
    free(b->der.data);
    free(b->certs);
    free(b->cert_table.slots);
    free(b->lists);
    free(b->profiles);
    free(b->realms);
    free(b->realm_table.slots);
    for (size_t i = 0; i < b->n_claims; i++)
        free(b->claims[i].key);
    free(b->claims);
    free(b);
}

size_t
sdvm_cat_db_builder_realm_count(const struct sdvm_cat_db_builder *b)
{
    return b->n_realms - b->n_profile_keys;
}

size_t
sdvm_cat_db_builder_cert_count(const struct sdvm_cat_db_builder *b)
{
    return b->n_certs;
}

static void
report(sdvm_cat_report_fn fn, void *userdata, const char *source, bool kept, const char *fmt,
       ...) __attribute__((format(printf, 5, 6)));

static void
report(sdvm_cat_report_fn fn, void *userdata, const char *source, bool kept, const char *fmt,
       ...)
{
    if (!fn)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    fn(source, kept, msg ? msg : "(out of memory)", userdata);
    free(msg);
}

static int
add_profile(struct sdvm_cat_db_builder *b, const char *source, const struct sdvm_cat_provider *p,
            uint32_t *out)
{
    int rc = 0;
    if (b->n_profiles == b->cap_profiles) {
        size_t cap = b->cap_profiles ? b->cap_profiles * 2 : 256;
        struct bprofile *v = realloc(b->profiles, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        b->profiles = v;
        b->cap_profiles = cap;
    }
    struct bprofile bp;
    memset(&bp, 0, sizeof(bp));
    const struct sdvm_cat_method *m = p->chosen >= 0 ? &p->methods[p->chosen] : NULL;
    bp.str[0] = intern(b, source, &rc);
    bp.str[1] = intern(b, p->id, &rc);
    bp.str[2] = intern(b, p->display_name, &rc);
    bp.str[3] = intern(b, p->helpdesk_email, &rc);
    bp.str[4] = intern(b, p->helpdesk_phone, &rc);
    bp.str[5] = intern(b, p->helpdesk_url, &rc);
    bp.valid_until = (int64_t)p->valid_until;
    bp.failure = (uint8_t)p->failure;
    if (m) {
        bp.str[6] = intern(b, m->outer_identity, &rc);
        bp.str[7] = intern(b, m->inner_suffix, &rc);
        bp.eap = (uint8_t)m->eap;
        bp.inner = (uint8_t)m->inner;
        bp.flags = (m->inner_hint ? CAT_DB_HINT : 0) | (m->cat_compat ? CAT_DB_COMPAT : 0);
        bp.cert_list = (uint32_t)b->n_lists;
        for (size_t i = 0; i < m->n_certs; i++)
            add_list_word(b, add_cert(b, &p->certs[m->certs[i]], &rc), &rc);
        bp.n_certs = (uint32_t)m->n_certs;
        bp.server_list = (uint32_t)b->n_lists;
        for (size_t i = 0; i < m->n_server_ids; i++)
            add_list_word(b, intern(b, m->server_ids[i], &rc), &rc);
        bp.n_servers = (uint32_t)m->n_server_ids;
    } else {
        bp.str[8] = intern(b, p->reason, &rc);
        /* Keep the hint of the first method so sub-realm rules still apply. */
        if (p->n_methods)
            bp.flags = p->methods[0].inner_hint ? CAT_DB_HINT : 0;
    }
    if (rc)
        return rc;
    b->profiles[b->n_profiles] = bp;
    *out = (uint32_t)b->n_profiles++;
    return 0;
}

/*
 * Index key → profile; returns 1 when the key was new or replaced, 0 when kept as it was.
 * own: key is the provider's own ID (else its InnerIdentitySuffix, a sub-realm of the ID).
 * Who owns a realm (M1 of the 2026-12 review): the profile whose own ID it is beats a suffix
 * claim; between equals the first file (in name order) is kept and the other reported as a
 * conflict; a usable profile never replaces an unusable one of another file (an institution
 * whose own profile is EAP-TLS only must not be taken over by someone else's TTLS profile).
 */
static int
index_key(struct sdvm_cat_db_builder *b, const char *key, uint32_t profile, bool own,
          bool usable, const char *source, sdvm_cat_report_fn fn, void *userdata)
{
    if (b->realm_table.used * 2 >= b->realm_table.cap &&
        table_grow(&b->realm_table, realm_hash, b) < 0)
        return -ENOMEM;
    long found;
    size_t slot = realm_slot(b, key, &found);
    if (found >= 0) {
        struct brealm *r = &b->realms[found];
        if (r->profile == profile)
            return 0;
        const struct bprofile *old = &b->profiles[r->profile];
        const char *old_source = (const char *)b->strings.data + old->str[0];
        const char *old_id = (const char *)b->strings.data + old->str[1];
        if (!strcmp(old_source, source)) {
            /* One file, several providers (one per network): the same institution. */
            if (!old->failure || !usable || r->own != own)
                return 0;
            r->profile = profile;
            return 1;
        }
        if (own && !r->own) {
            report(fn, userdata, source, true, "realm %s: CONFLICT: it is this provider's own"
                   " ID; %s's claim through InnerIdentitySuffix (provider %s) is dropped", key,
                   old_source, old_id);
            report(fn, userdata, old_source, false, "realm %s: CONFLICT: claimed through"
                   " InnerIdentitySuffix, but it is the own ID of a provider in %s, which is"
                   " used instead", key, source);
            r->profile = profile;
            r->own = true;
            return 1;
        }
        report(fn, userdata, source, false, "realm %s: CONFLICT: %s%s already %s it%s; that"
               " one is kept, this one is not used for %s", key, old_source,
               r->own ? "" : " (through InnerIdentitySuffix)",
               r->own ? "defines" : "claims", own ? "" : " (this one only through"
               " InnerIdentitySuffix)", key);
        return 0;
    }
    if (b->n_realms == b->cap_realms) {
        size_t cap = b->cap_realms ? b->cap_realms * 2 : 256;
        struct brealm *v = realloc(b->realms, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        b->realms = v;
        b->cap_realms = cap;
    }
    if (b->keys.len + strlen(key) + 1 > UINT32_MAX / 2)
        return -EFBIG;
    uint32_t koff = (uint32_t)b->keys.len;
    if (buf_add(&b->keys, key, strlen(key) + 1) < 0)
        return -ENOMEM;
    b->realms[b->n_realms].key = koff;
    b->realms[b->n_realms].profile = profile;
    b->realms[b->n_realms].own = own;
    b->realm_table.slots[slot] = (uint32_t)b->n_realms + 1;
    b->realm_table.used++;
    b->n_realms++;
    return 1;
}

/* index_key() for a realm: the claim is recorded for sdvm_cat_db_builder_conflicts(). */
static int
index_realm(struct sdvm_cat_db_builder *b, const char *key, uint32_t profile, bool own,
            bool usable, const char *source, sdvm_cat_report_fn fn, void *userdata)
{
    if (b->n_claims == b->cap_claims) {
        size_t cap = b->cap_claims ? b->cap_claims * 2 : 256;
        struct claim *v = realloc(b->claims, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        b->claims = v;
        b->cap_claims = cap;
    }
    int rc = 0;
    struct claim *c = &b->claims[b->n_claims];
    c->source = intern(b, source, &rc);
    if (rc)
        return rc;
    if (!(c->key = strdup(key)))
        return -ENOMEM;
    c->order = b->n_claims++;
    return index_key(b, key, profile, own, usable, source, fn, userdata);
}

/* True when sub is key itself or a sub-realm of it ("cs.uni.edu" of "uni.edu"). */
static bool
is_same_or_sub_realm(const char *sub, const char *key)
{
    size_t ls = strlen(sub), lk = strlen(key);
    return !strcmp(sub, key) || (ls > lk && sub[ls - lk - 1] == '.' && !strcmp(sub + ls - lk, key));
}

int
sdvm_cat_db_builder_add(struct sdvm_cat_db_builder *b, const char *source,
                        const struct sdvm_cat_document *doc, sdvm_cat_report_fn fn,
                        void *userdata)
{
    for (size_t i = 0; i < doc->n_providers; i++) {
        const struct sdvm_cat_provider *p = &doc->providers[i];
        const struct sdvm_cat_method *m = p->chosen >= 0 ? &p->methods[p->chosen] : NULL;
        char *keys[2] = {NULL, NULL};
        if (p->id && !(keys[0] = cat_realm_key(p->id))) {
            if (errno == ENOMEM)
                return -ENOMEM;
            report(fn, userdata, source, false, "provider %zu: ID \"%.80s\" is not a realm"
                   " (needs two labels, no spaces or '@'); skipped", i + 1, p->id);
            continue;
        }
        if (keys[0] && cat_is_public_suffix(keys[0])) {
            report(fn, userdata, source, false, "provider %zu: REFUSED: ID %s is a public"
                   " suffix, which no institution owns; skipped", i + 1, keys[0]);
            free(keys[0]);
            continue;
        }
        const char *suffix = m ? m->inner_suffix : (p->n_methods ? p->methods[0].inner_suffix
                                                                 : NULL);
        if (suffix) {
            keys[1] = cat_realm_key(suffix);
            if (!keys[1] && errno == ENOMEM) {
                free(keys[0]);
                return -ENOMEM;
            }
            /* The suffix is a realm only when it is the ID or a sub-realm of it: a provider
             * cannot claim another institution's realm, nor a public suffix. */
            const char *refused = NULL;
            if (keys[1] && !keys[0])
                refused = "the provider has no realm ID to check it against";
            else if (keys[1] && cat_is_public_suffix(keys[1]))
                refused = "it is a public suffix";
            else if (keys[1] && !is_same_or_sub_realm(keys[1], keys[0]))
                refused = "it is neither the provider's ID nor a sub-realm of it";
            if (refused)
                report(fn, userdata, source, false, "provider %zu (%s): REFUSED:"
                       " InnerIdentitySuffix %s is not indexed: %s", i + 1,
                       keys[0] ? keys[0] : "undefined", keys[1], refused);
            if (refused || (keys[0] && keys[1] && !strcmp(keys[0], keys[1]))) {
                free(keys[1]);
                keys[1] = NULL;
            }
        }
        if (!keys[0] && !keys[1]) {
            report(fn, userdata, source, false, "provider %zu: ID \"undefined\": cannot be"
                   " found by realm; skipped", i + 1);
            continue;
        }
        /* Several providers of one file (one per network) usually repeat the same realm. */
        bool same_file_dup = false;
        for (int k = 0; k < 2 && !same_file_dup; k++) {
            long found;
            if (keys[k] && (realm_slot(b, keys[k], &found), found >= 0)) {
                const struct bprofile *old = &b->profiles[b->realms[found].profile];
                same_file_dup = !strcmp((const char *)b->strings.data + old->str[0], source) &&
                                (!old->failure || p->failure);
            }
        }
        if (same_file_dup) {
            free(keys[0]);
            free(keys[1]);
            continue;
        }
        uint32_t profile = 0;
        int rc = add_profile(b, source, p, &profile);
        if (rc < 0) {
            free(keys[0]);
            free(keys[1]);
            return rc;
        }
        int indexed = 0;
        for (int k = 0; k < 2; k++) {
            if (!keys[k])
                continue;
            rc = index_realm(b, keys[k], profile, k == 0, p->failure == SDVM_FAILURE_NONE,
                             source, fn, userdata);
            if (rc < 0) {
                free(keys[0]);
                free(keys[1]);
                return rc;
            }
            indexed += rc;
        }
        if (indexed) {
            if (p->failure)
                report(fn, userdata, source, true, "realm %s%s%s: recorded as %s: %s",
                       keys[0] ? keys[0] : keys[1], keys[0] && keys[1] ? ", " : "",
                       keys[0] && keys[1] ? keys[1] : "", sdvm_failure_to_string(p->failure),
                       p->reason);
            else
                report(fn, userdata, source, true, "realm %s%s%s: %s/%s, %zu CA, %zu server"
                       " name%s%s", keys[0] ? keys[0] : keys[1],
                       keys[0] && keys[1] ? ", " : "", keys[0] && keys[1] ? keys[1] : "",
                       sdvm_eap_method_to_string(m->eap), sdvm_inner_method_to_string(m->inner),
                       m->n_certs, m->n_server_ids, m->n_server_ids == 1 ? "" : "s",
                       m->cat_compat ? " (CAT TTLS compat encoding)" : "");
        } else {
            /* Nothing points at it: drop the record again (it is the last one). */
            b->n_profiles--;
        }
        free(keys[0]);
        free(keys[1]);
    }
    return 0;
}

int
sdvm_cat_db_builder_add_cat_profile(struct sdvm_cat_db_builder *b, const char *profile_id,
                                    const char *source, const struct sdvm_cat_document *doc,
                                    sdvm_cat_report_fn fn, void *userdata, size_t *realms)
{
    if (realms)
        *realms = 0;
    if (b->written)
        return -EINVAL;
    size_t before = b->n_claims;
    int rc = sdvm_cat_db_builder_add(b, source, doc, fn, userdata);
    if (rc < 0)
        return rc;
    if (realms)
        *realms = b->n_claims - before;
    /* The profile the key leads to: its first usable provider, else its first one. */
    const struct sdvm_cat_provider *p = NULL;
    for (size_t i = 0; i < doc->n_providers && !p; i++)
        if (doc->providers[i].failure == SDVM_FAILURE_NONE)
            p = &doc->providers[i];
    if (!p && doc->n_providers)
        p = &doc->providers[0];
    if (!p || !profile_id || !*profile_id || strlen(profile_id) > 24)
        return 0;
    char key[64];
    snprintf(key, sizeof(key), "%s%s", CAT_DB_PROFILE_KEY, profile_id);
    uint32_t profile = 0;
    if ((rc = add_profile(b, source, p, &profile)) < 0)
        return rc;
    rc = index_key(b, key, profile, true, p->failure == SDVM_FAILURE_NONE, source, NULL, NULL);
    if (rc < 0)
        return rc;
    if (rc == 1)
        b->n_profile_keys++;
    else
        b->n_profiles--; /* the same id twice: the first one is kept */
    return 0;
}

static int
cmp_claim(const void *a, const void *b)
{
    const struct claim *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : x->order < y->order ? -1 : x->order > y->order;
}

int
sdvm_cat_db_builder_conflicts(struct sdvm_cat_db_builder *b, sdvm_cat_conflict_fn fn,
                              void *userdata)
{
    if (b->written)
        return -EINVAL;
    if (b->n_claims > 1)
        qsort(b->claims, b->n_claims, sizeof(*b->claims), cmp_claim);
    const char **sources = calloc(b->n_claims ? b->n_claims : 1, sizeof(char *));
    if (!sources)
        return -ENOMEM;
    for (size_t i = 0; i < b->n_claims;) {
        size_t j = i, n = 0;
        for (; j < b->n_claims && !strcmp(b->claims[j].key, b->claims[i].key); j++) {
            const char *src = (const char *)b->strings.data + b->claims[j].source;
            bool seen = false;
            for (size_t k = 0; k < n && !seen; k++)
                seen = !strcmp(sources[k], src);
            if (!seen)
                sources[n++] = src;
        }
        if (n > 1) {
            long found;
            realm_slot(b, b->claims[i].key, &found);
            const char *used = found >= 0
                ? (const char *)b->strings.data +
                      b->profiles[b->realms[found].profile].str[0]
                : NULL;
            fn(b->claims[i].key, used, sources, n, userdata);
        }
        i = j;
    }
    free(sources);
    return 0;
}

int
sdvm_cat_db_builder_add_file(struct sdvm_cat_db_builder *b, const char *path,
                             const char *source, sdvm_cat_report_fn fn, void *userdata)
{
    struct sdvm_cat_document *doc = NULL;
    char *error = NULL;
    int rc = sdvm_cat_parse_file(path, &doc, &error);
    if (rc == -ENOMEM) {
        free(error);
        return rc;
    }
    if (rc < 0) {
        report(fn, userdata, source, false, "skipped: %s", error ? error : strerror(-rc));
        free(error);
        return 0;
    }
    rc = sdvm_cat_db_builder_add(b, source, doc, fn, userdata);
    sdvm_cat_document_free(doc);
    return rc;
}

static int
cmp_realm(const void *a, const void *b, void *ctx)
{
    const struct brealm *x = a, *y = b;
    const struct sdvm_cat_db_builder *builder = ctx;
    return strcmp((const char *)builder->keys.data + x->key,
                  (const char *)builder->keys.data + y->key);
}

static int
deflate_buf(const unsigned char *in, size_t len, unsigned char **out, size_t *out_len)
{
    uLongf cap = compressBound((uLong)len);
    unsigned char *z = malloc(cap ? cap : 1);
    if (!z)
        return -ENOMEM;
    if (compress2(z, &cap, in, (uLong)len, Z_BEST_COMPRESSION) != Z_OK) {
        free(z);
        return -EIO;
    }
    *out = z;
    *out_len = cap;
    return 0;
}

int
sdvm_cat_db_builder_write(struct sdvm_cat_db_builder *b, const char *path, char **error)
{
    if (b->n_realms > UINT32_MAX / 64 || b->der.len > UINT32_MAX / 2)
        return cat_fail(error, -EFBIG, "too many realms for one database");
    /* Sorted realm index. The sort breaks the hash table; it is not needed any more. */
    if (b->n_realms)
        qsort_r(b->realms, b->n_realms, sizeof(*b->realms), cmp_realm, b);
    b->written = true;
    free(b->realm_table.slots);
    memset(&b->realm_table, 0, sizeof(b->realm_table));
    table_grow(&b->realm_table, realm_hash, b); /* empty again; re-adding is not supported */

    /* The string blocks, each its own zlib stream. */
    size_t n_blocks = (b->strings.len + STR_BLOCK - 1) / STR_BLOCK;
    uint32_t *block_at = calloc(n_blocks + 1, sizeof(uint32_t));
    struct buf zstrings = {0};
    if (!block_at)
        return cat_fail(error, -ENOMEM, "out of memory");
    for (size_t i = 0; i < n_blocks; i++) {
        size_t raw = i + 1 < n_blocks ? STR_BLOCK : b->strings.len - i * STR_BLOCK;
        unsigned char *z;
        size_t zlen;
        int zrc = deflate_buf(b->strings.data + i * STR_BLOCK, raw, &z, &zlen);
        if (zrc == 0) {
            zrc = buf_add(&zstrings, z, zlen);
            free(z);
        }
        if (zrc < 0 || zstrings.len > UINT32_MAX / 2) {
            free(block_at);
            free(zstrings.data);
            return cat_fail(error, zrc < 0 ? zrc : -EFBIG, "compression failed");
        }
        block_at[i + 1] = (uint32_t)zstrings.len;
    }

    size_t realm_off = META_HEAD;
    size_t prof_off = realm_off + b->n_realms * REALM_REC;
    size_t cert_off = prof_off + b->n_profiles * PROF_REC;
    size_t list_off = cert_off + b->n_certs * CERT_REC;
    size_t block_off = list_off + b->n_lists * 4;
    size_t key_off = block_off + (n_blocks + 1) * 4;
    size_t meta_len = key_off + b->keys.len;
    unsigned char *meta = meta_len <= UINT32_MAX / 2 ? calloc(1, meta_len) : NULL;
    if (!meta) {
        free(block_at);
        free(zstrings.data);
        return cat_fail(error, meta_len > UINT32_MAX / 2 ? -EFBIG : -ENOMEM,
                        "database too large or out of memory");
    }
    wr32(meta + 0, (uint32_t)realm_off);
    wr32(meta + 4, (uint32_t)prof_off);
    wr32(meta + 8, (uint32_t)cert_off);
    wr32(meta + 12, (uint32_t)list_off);
    wr32(meta + 16, (uint32_t)b->n_lists);
    wr32(meta + 20, (uint32_t)key_off);
    wr32(meta + 24, (uint32_t)b->keys.len);
    wr32(meta + 28, (uint32_t)block_off);
    wr32(meta + 32, (uint32_t)n_blocks);
    for (size_t i = 0; i < b->n_realms; i++) {
        wr32(meta + realm_off + i * REALM_REC, b->realms[i].key);
        wr32(meta + realm_off + i * REALM_REC + 4, b->realms[i].profile);
    }
    for (size_t i = 0; i < b->n_profiles; i++) {
        unsigned char *r = meta + prof_off + i * PROF_REC;
        const struct bprofile *p = &b->profiles[i];
        for (int k = 0; k < 9; k++)
            wr32(r + 4 * k, p->str[k]);
        wr32(r + PROF_CERT_LIST, p->cert_list);
        wr32(r + PROF_CERT_N, p->n_certs);
        wr32(r + PROF_SERVER_LIST, p->server_list);
        wr32(r + PROF_SERVER_N, p->n_servers);
        wr64(r + PROF_VALID_UNTIL, (uint64_t)p->valid_until);
        r[PROF_EAP] = p->eap;
        r[PROF_INNER] = p->inner;
        r[PROF_FAILURE] = p->failure;
        r[PROF_FLAGS] = p->flags;
    }
    for (size_t i = 0; i < b->n_certs; i++) {
        unsigned char *r = meta + cert_off + i * CERT_REC;
        wr32(r, b->certs[i].der_off);
        wr32(r + 4, b->certs[i].der_len);
        wr32(r + 8, b->certs[i].subject);
        memcpy(r + 12, b->certs[i].sha256, 32);
    }
    for (size_t i = 0; i < b->n_lists; i++)
        wr32(meta + list_off + 4 * i, b->lists[i]);
    for (size_t i = 0; i <= n_blocks; i++)
        wr32(meta + block_off + 4 * i, block_at[i]);
    memcpy(meta + key_off, b->keys.data, b->keys.len);
    free(block_at);

    unsigned char *zmeta = NULL, *zcerts = NULL;
    size_t zmeta_len = 0, zcerts_len = 0;
    int rc = deflate_buf(meta, meta_len, &zmeta, &zmeta_len);
    if (rc == 0)
        rc = deflate_buf(b->der.data ? b->der.data : (const unsigned char *)"", b->der.len,
                         &zcerts, &zcerts_len);
    free(meta);
    if (rc < 0) {
        free(zmeta);
        free(zstrings.data);
        return cat_fail(error, rc, "compression failed");
    }
    size_t total = HEADER_SIZE + zmeta_len + zstrings.len + zcerts_len;
    unsigned char *file = malloc(total);
    if (!file) {
        free(zmeta);
        free(zcerts);
        free(zstrings.data);
        return cat_fail(error, -ENOMEM, "out of memory");
    }
    memset(file, 0, HEADER_SIZE);
    memcpy(file, CAT_DB_MAGIC, 8);
    wr32(file + 8, CAT_DB_VERSION);
    wr32(file + 12, HEADER_SIZE);
    /* SOURCE_DATE_EPOCH (reproducible builds): the same inputs give the same bytes. */
    uint64_t when = (uint64_t)time(NULL);
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    if (sde && *sde) {
        char *end;
        unsigned long long v = strtoull(sde, &end, 10);
        if (!*end)
            when = v;
    }
    wr64(file + 16, when);
    wr32(file + 24, (uint32_t)b->n_realms);
    wr32(file + 28, (uint32_t)b->n_profiles);
    wr32(file + 32, (uint32_t)b->n_certs);
    wr32(file + 36, (uint32_t)meta_len);
    wr32(file + 40, (uint32_t)zmeta_len);
    wr32(file + 44, (uint32_t)b->der.len);
    wr32(file + 48, (uint32_t)zcerts_len);
    wr32(file + 52, (uint32_t)b->strings.len);
    wr32(file + 56, (uint32_t)zstrings.len);
    wr32(file + 60, (uint32_t)crc32(0, file, 60));
    memcpy(file + HEADER_SIZE, zmeta, zmeta_len);
    if (zstrings.len)
        memcpy(file + HEADER_SIZE + zmeta_len, zstrings.data, zstrings.len);
    memcpy(file + HEADER_SIZE + zmeta_len + zstrings.len, zcerts, zcerts_len);
    free(zmeta);
    free(zcerts);
    free(zstrings.data);
    rc = sdvm_write_file_atomic(path, file, total, 0644);
    free(file);
    if (rc < 0)
        return cat_fail(error, rc, "cannot write %s: %s", path, strerror(-rc));
    return 0;
}

/* ===================================================================== build a directory */

static int
cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
is_eap_config_name(const char *name)
{
    size_t len = strlen(name);
    if (name[0] == '.')
        return false;
    return (len > 11 && !strcmp(name + len - 11, ".eap-config")) ||
           (len > 4 && !strcmp(name + len - 4, ".xml"));
}

int
sdvm_cat_db_build_dir(const char *dir, const char *out_path, sdvm_cat_report_fn fn,
                      void *userdata, char **error)
{
    DIR *d = opendir(dir);
    if (!d)
        return cat_fail(error, -errno, "%s: %s", dir, strerror(errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!is_eap_config_name(e->d_name))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            char **v = realloc(names, cap * sizeof(char *));
            if (!v) {
                rc = -ENOMEM;
                break;
            }
            names = v;
        }
        if (!(names[n] = strdup(e->d_name))) {
            rc = -ENOMEM;
            break;
        }
        n++;
    }
    closedir(d);
    struct sdvm_cat_db_builder *b = rc ? NULL : sdvm_cat_db_builder_new();
    if (!b)
        rc = -ENOMEM;
    if (rc == 0)
        if (n)
            qsort(names, n, sizeof(char *), cmp_names);
    for (size_t i = 0; i < n && rc == 0; i++) {
        char *path = cat_strdupf("%s/%s", dir, names[i]);
        if (!path) {
            rc = -ENOMEM;
            break;
        }
        rc = sdvm_cat_db_builder_add_file(b, path, names[i], fn, userdata);
        free(path);
    }
    if (rc == 0)
        rc = sdvm_cat_db_builder_write(b, out_path, error);
    else
        cat_fail(error, rc, "%s", strerror(-rc));
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    sdvm_cat_db_builder_free(b);
    return rc;
}
