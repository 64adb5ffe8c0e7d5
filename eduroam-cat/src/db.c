/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The compiled realm database.
 *
 * File layout (all integers little-endian):
 *
 *   header, 64 bytes:
 *     0  magic "SDVMCATD"          8  u32 version (1)        12 u32 header size (64)
 *     16 u64 created (Unix time)   24 u32 realms  28 u32 profiles  32 u32 certs
 *     36 u32 meta raw length       40 u32 meta zlib length
 *     44 u32 certs raw length      48 u32 certs zlib length
 *     52 u32 strings raw length    56 u32 strings zlib length
 *     60 u32 CRC-32 of bytes 0..59
 *   meta:    zlib stream (realm index, profiles, cert table, lists, string blocks, keys)
 *   strings: one zlib stream per 16 KiB block of the string area
 *   certs:   zlib stream (the DER of every distinct certificate, concatenated)
 *
 * meta, once inflated:
 *     9 u32: realm table, profile table, cert table, list words offset, list word count,
 *            key area offset, key area length, block table offset, block count
 *            (offsets from the start of meta)
 *     realms:   n_realms × { u32 key (key area offset), u32 profile }  sorted by key (strcmp)
 *     profiles: n_profiles × 64 bytes (see PROF_* below)
 *     certs:    n_certs × { u32 der offset, u32 der length, u32 subject, 32 bytes SHA-256 }
 *     lists:    u32 words (cert indexes and server-name string offsets of the profiles)
 *     blocks:   block count + 1 u32: where each string block starts in the strings section
 *     keys:     the realm keys, NUL-terminated
 *
 * Strings (names, helpdesk, server names, subjects) live in the string area: NUL-terminated,
 * never crossing a 16 KiB block boundary; offset 0 is the empty string and means "none".
 *
 * Opening the database inflates only meta (the index a lookup searches); a string block is
 * inflated when a lookup first touches it, the cert section when a lookup first needs a
 * certificate. Every offset is checked when the database is opened and every block when it
 * is inflated: a lookup never reads out of bounds, whatever the file says.
 */
#include "cat-private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <dirent.h>
#include <zlib.h>

#include "sdvm/log.h"

#define HEADER_SIZE 64u
#define META_HEAD 36u
#define STR_BLOCK 16384u
#define STR_MAX 4000u /* longer strings are cut: they are names and reasons */
#define REALM_REC 8u
#define PROF_REC 64u
#define CERT_REC 44u

/* Profile record layout. */
enum {
    PROF_SOURCE = 0,
    PROF_ID = 4,
    PROF_DISPLAY = 8,
    PROF_EMAIL = 12,
    PROF_PHONE = 16,
    PROF_URL = 20,
    PROF_OUTER = 24,
    PROF_SUFFIX = 28,
    PROF_REASON = 32,
    PROF_CERT_LIST = 36,
    PROF_CERT_N = 40,
    PROF_SERVER_LIST = 44,
    PROF_SERVER_N = 48,
    PROF_VALID_UNTIL = 52, /* i64 */
    PROF_EAP = 60,
    PROF_INNER = 61,
    PROF_FAILURE = 62,
    PROF_FLAGS = 63,
};

static inline uint32_t
rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t
rd64(const unsigned char *p)
{
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static inline void
wr32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static inline void
wr64(unsigned char *p, uint64_t v)
{
    wr32(p, (uint32_t)v);
    wr32(p + 4, (uint32_t)(v >> 32));
}

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
    free(b);
}

size_t
sdvm_cat_db_builder_realm_count(const struct sdvm_cat_db_builder *b)
{
    return b->n_realms;
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

/* Index key → profile; returns 1 when the key was new or replaced, 0 when kept as it was. */
static int
index_realm(struct sdvm_cat_db_builder *b, const char *key, uint32_t profile, bool usable,
            const char *source, sdvm_cat_report_fn fn, void *userdata)
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
        if (!old->failure || !usable) {
            report(fn, userdata, source, false, "realm %s: already defined by %s; that one is"
                   " kept", key, old_source);
            return 0;
        }
        report(fn, userdata, source, true, "realm %s: replaces the unusable profile from %s",
               key, old_source);
        r->profile = profile;
        return 1;
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
    b->realm_table.slots[slot] = (uint32_t)b->n_realms + 1;
    b->realm_table.used++;
    b->n_realms++;
    return 1;
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
        const char *suffix = m ? m->inner_suffix : (p->n_methods ? p->methods[0].inner_suffix
                                                                 : NULL);
        if (suffix) {
            keys[1] = cat_realm_key(suffix);
            if (!keys[1] && errno == ENOMEM) {
                free(keys[0]);
                return -ENOMEM;
            }
            if (keys[0] && keys[1] && !strcmp(keys[0], keys[1])) {
                free(keys[1]);
                keys[1] = NULL;
            }
        }
        if (!keys[0] && !keys[1]) {
            report(fn, userdata, source, false, "provider %zu: ID \"undefined\" and no"
                   " InnerIdentitySuffix: cannot be found by realm; skipped", i + 1);
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
            rc = index_realm(b, keys[k], profile, p->failure == SDVM_FAILURE_NONE, source, fn,
                             userdata);
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
    wr64(file + 16, (uint64_t)time(NULL));
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
    rc = cat_write_atomic(path, file, total, 0644);
    free(file);
    if (rc < 0)
        return cat_fail(error, rc, "cannot write %s: %s", path, strerror(-rc));
    return 0;
}

/* ===================================================================== reader */

struct cat_db {
    unsigned char *meta;
    size_t meta_len;
    uint32_t n_realms, n_profiles, n_certs;
    const unsigned char *realms, *profiles, *certs, *lists, *blocks;
    uint32_t n_lists, n_blocks;
    const char *keys;
    uint32_t key_len;
    unsigned char *zstrings; /* compressed string blocks */
    size_t zstrings_len;
    char *strings;           /* the string area, filled block by block */
    uint32_t str_len;
    unsigned char *loaded;   /* per block: 0 not yet, 1 inflated, 2 corrupt */
    unsigned char *zcerts;   /* compressed cert section until first use */
    size_t zcerts_len;
    unsigned char *der;      /* inflated cert section */
    size_t der_len;
    int64_t created;
};

/* out must have room for out_len + 1 bytes: one more than expected catches longer data. */
static int
inflate_exact(const unsigned char *in, size_t in_len, unsigned char *out, size_t out_len)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (inflateInit(&z) != Z_OK)
        return -ENOMEM;
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)in_len;
    z.next_out = out;
    z.avail_out = (uInt)out_len + 1;
    int zr = inflate(&z, Z_FINISH);
    /* Z_STREAM_END also means zlib's Adler-32 of the data matched. */
    bool ok = zr == Z_STREAM_END && z.total_out == out_len && z.avail_in == 0;
    inflateEnd(&z);
    return ok ? 0 : -EBADMSG;
}

static bool
str_ok(const struct cat_db *db, uint32_t off)
{
    return off < db->str_len;
}

/* Inflate string block i (once). The block must end in NUL, so every string in it does. */
static int
load_block(struct cat_db *db, uint32_t i)
{
    if (i >= db->n_blocks)
        return -EBADMSG;
    if (db->loaded[i] == 1)
        return 0;
    if (db->loaded[i] == 2)
        return -EBADMSG;
    uint32_t from = rd32(db->blocks + 4 * (size_t)i), to = rd32(db->blocks + 4 * (size_t)i + 4);
    size_t raw = i + 1 < db->n_blocks ? STR_BLOCK : db->str_len - (size_t)i * STR_BLOCK;
    unsigned char tmp[STR_BLOCK + 1];
    int rc = inflate_exact(db->zstrings + from, to - from, tmp, raw);
    if (rc < 0 || tmp[raw - 1] != '\0') {
        db->loaded[i] = 2;
        return -EBADMSG;
    }
    memcpy(db->strings + (size_t)i * STR_BLOCK, tmp, raw);
    db->loaded[i] = 1;
    return 0;
}

static int
load_string(struct cat_db *db, uint32_t off)
{
    return off == 0 ? 0 : load_block(db, off / STR_BLOCK);
}

int
cat_db_open(const char *path, struct cat_db **out, char **error)
{
    *out = NULL;
    char *data;
    size_t len;
    int rc = cat_read_file(path, CAT_DB_MAX_FILE, &data, &len);
    if (rc < 0)
        return cat_fail(error, rc, "%s: %s", path, strerror(-rc));
    const unsigned char *h = (const unsigned char *)data;
    struct cat_db *db = NULL;
    const char *why = NULL;
    if (len < HEADER_SIZE || memcmp(h, CAT_DB_MAGIC, 8)) {
        why = "not an SDVM realm database (bad magic)";
        goto bad;
    }
    if (rd32(h + 60) != (uint32_t)crc32(0, h, 60)) {
        why = "header checksum mismatch";
        goto bad;
    }
    if (rd32(h + 8) != CAT_DB_VERSION || rd32(h + 12) != HEADER_SIZE) {
        free(data);
        return cat_fail(error, -EPROTONOSUPPORT, "%s: database format version %u; this SDVM"
                        " reads version %u (rebuild it with sdvm-cat)", path, rd32(h + 8),
                        CAT_DB_VERSION);
    }
    uint32_t meta_len = rd32(h + 36), zmeta_len = rd32(h + 40);
    uint32_t der_len = rd32(h + 44), zder_len = rd32(h + 48);
    uint32_t str_len = rd32(h + 52), zstr_len = rd32(h + 56);
    if ((uint64_t)HEADER_SIZE + zmeta_len + zstr_len + zder_len != len ||
        meta_len < META_HEAD || meta_len > CAT_DB_MAX_FILE || der_len > CAT_DB_MAX_FILE ||
        str_len == 0 || str_len > CAT_DB_MAX_FILE) {
        why = "section sizes do not match the file (truncated?)";
        goto bad;
    }
    db = calloc(1, sizeof(*db));
    if (!db || !(db->meta = malloc((size_t)meta_len + 1)) ||
        !(db->zstrings = malloc(zstr_len ? zstr_len : 1)) ||
        !(db->zcerts = malloc(zder_len ? zder_len : 1)) ||
        !(db->strings = calloc(1, (size_t)str_len + 1))) {
        cat_db_free(db);
        free(data);
        return cat_fail(error, -ENOMEM, "out of memory");
    }
    db->meta_len = meta_len;
    db->n_realms = rd32(h + 24);
    db->n_profiles = rd32(h + 28);
    db->n_certs = rd32(h + 32);
    db->created = (int64_t)rd64(h + 16);
    db->der_len = der_len;
    db->str_len = str_len;
    db->zstrings_len = zstr_len;
    db->zcerts_len = zder_len;
    if (inflate_exact(h + HEADER_SIZE, zmeta_len, db->meta, meta_len) < 0) {
        why = "index section does not decompress (corrupt)";
        goto bad;
    }
    memcpy(db->zstrings, h + HEADER_SIZE + zmeta_len, zstr_len);
    memcpy(db->zcerts, h + HEADER_SIZE + zmeta_len + zstr_len, zder_len);
    free(data);
    data = NULL;

    /* Check every table against the section, then every offset inside them. */
    const unsigned char *m = db->meta;
    uint64_t realm_off = rd32(m), prof_off = rd32(m + 4), cert_off = rd32(m + 8);
    uint64_t list_off = rd32(m + 12), n_lists = rd32(m + 16);
    uint64_t key_off = rd32(m + 20), key_len = rd32(m + 24);
    uint64_t block_off = rd32(m + 28), n_blocks = rd32(m + 32);
    if (realm_off != META_HEAD || prof_off != realm_off + (uint64_t)db->n_realms * REALM_REC ||
        cert_off != prof_off + (uint64_t)db->n_profiles * PROF_REC ||
        list_off != cert_off + (uint64_t)db->n_certs * CERT_REC ||
        block_off != list_off + n_lists * 4 || key_off != block_off + (n_blocks + 1) * 4 ||
        key_off + key_len != meta_len || key_len == 0 || m[meta_len - 1] != '\0' ||
        n_blocks != (str_len + STR_BLOCK - 1) / STR_BLOCK) {
        why = "index tables are inconsistent";
        goto bad;
    }
    db->realms = m + realm_off;
    db->profiles = m + prof_off;
    db->certs = m + cert_off;
    db->lists = m + list_off;
    db->n_lists = (uint32_t)n_lists;
    db->blocks = m + block_off;
    db->n_blocks = (uint32_t)n_blocks;
    db->keys = (const char *)m + key_off;
    db->key_len = (uint32_t)key_len;
    if (!(db->loaded = calloc(n_blocks ? n_blocks : 1, 1))) {
        cat_db_free(db);
        return cat_fail(error, -ENOMEM, "out of memory");
    }
    uint32_t prev_at = 0;
    for (uint32_t i = 0; i <= db->n_blocks; i++) {
        uint32_t at = rd32(db->blocks + 4 * (size_t)i);
        if ((i == 0 && at != 0) || at < prev_at || at > zstr_len ||
            (i == db->n_blocks && at != zstr_len)) {
            why = "string block table is inconsistent";
            goto bad;
        }
        prev_at = at;
    }
    const char *prev = NULL;
    for (uint32_t i = 0; i < db->n_realms; i++) {
        uint32_t key = rd32(db->realms + i * REALM_REC);
        uint32_t prof = rd32(db->realms + i * REALM_REC + 4);
        if (!key || key >= db->key_len || prof >= db->n_profiles ||
            (prev && strcmp(prev, db->keys + key) >= 0)) {
            why = "realm index is out of order or points outside the file";
            goto bad;
        }
        prev = db->keys + key;
    }
    for (uint32_t i = 0; i < db->n_certs; i++) {
        const unsigned char *c = db->certs + i * CERT_REC;
        if ((uint64_t)rd32(c) + rd32(c + 4) > der_len || !str_ok(db, rd32(c + 8))) {
            why = "certificate table points outside the file";
            goto bad;
        }
    }
    for (uint32_t i = 0; i < db->n_profiles; i++) {
        const unsigned char *p = db->profiles + i * PROF_REC;
        bool ok = true;
        for (int k = 0; k < 9; k++)
            ok &= str_ok(db, rd32(p + 4 * k));
        uint64_t cl = rd32(p + PROF_CERT_LIST), cn = rd32(p + PROF_CERT_N);
        uint64_t sl = rd32(p + PROF_SERVER_LIST), sn = rd32(p + PROF_SERVER_N);
        ok &= cl + cn <= n_lists && sl + sn <= n_lists;
        for (uint64_t k = 0; ok && k < cn; k++)
            ok &= rd32(db->lists + 4 * (cl + k)) < db->n_certs;
        for (uint64_t k = 0; ok && k < sn; k++)
            ok &= str_ok(db, rd32(db->lists + 4 * (sl + k)));
        uint8_t eap = p[PROF_EAP], inner = p[PROF_INNER], failure = p[PROF_FAILURE];
        ok &= eap == SDVM_EAP_NONE || eap == SDVM_EAP_TTLS || eap == SDVM_EAP_PEAP ||
              eap == SDVM_EAP_PWD;
        ok &= inner <= SDVM_INNER_MSCHAPV2 || inner == SDVM_INNER_EAP_GTC ||
              inner == SDVM_INNER_EAP_MSCHAPV2;
        ok &= failure == SDVM_FAILURE_NONE || failure == SDVM_FAILURE_REALM_UNSUPPORTED ||
              failure == SDVM_FAILURE_INSECURE_PROFILE;
        ok &= (failure == SDVM_FAILURE_NONE) == (eap != SDVM_EAP_NONE);
        if (!ok) {
            why = "a profile record is invalid";
            goto bad;
        }
    }
    *out = db;
    return 0;
bad:
    free(data);
    cat_db_free(db);
    return cat_fail(error, -EBADMSG, "%s: %s", path, why);
}

void
cat_db_free(struct cat_db *db)
{
    if (!db)
        return;
    free(db->meta);
    free(db->zstrings);
    free(db->strings);
    free(db->loaded);
    free(db->zcerts);
    free(db->der);
    free(db);
}

uint32_t
cat_db_realm_count(const struct cat_db *db)
{
    return db->n_realms;
}

uint32_t
cat_db_profile_count(const struct cat_db *db)
{
    return db->n_profiles;
}

int64_t
cat_db_created(const struct cat_db *db)
{
    return db->created;
}

long
cat_db_find(const struct cat_db *db, const char *key)
{
    uint32_t lo = 0, hi = db->n_realms;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const unsigned char *r = db->realms + (size_t)mid * REALM_REC;
        int c = strcmp(key, db->keys + rd32(r));
        if (c == 0)
            return (long)rd32(r + 4);
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return -1;
}

const char *
cat_db_string(const struct cat_db *db, uint32_t offset)
{
    if (!offset || offset >= db->str_len || db->loaded[offset / STR_BLOCK] != 1)
        return NULL;
    return db->strings + offset;
}

int
cat_db_profile(struct cat_db *db, uint32_t index, struct cat_db_profile *out)
{
    if (index >= db->n_profiles)
        return -ENOENT;
    const unsigned char *p = db->profiles + (size_t)index * PROF_REC;
    out->certs = (const uint32_t *)(const void *)(db->lists + 4 * (size_t)rd32(p + PROF_CERT_LIST));
    out->n_certs = rd32(p + PROF_CERT_N);
    out->server_ids =
        (const uint32_t *)(const void *)(db->lists + 4 * (size_t)rd32(p + PROF_SERVER_LIST));
    out->n_server_ids = rd32(p + PROF_SERVER_N);
    /* The strings this profile uses, inflated now so the pointers below are valid. */
    for (int k = 0; k < 9; k++)
        if (load_string(db, rd32(p + 4 * k)) < 0)
            return -EBADMSG;
    for (uint32_t k = 0; k < out->n_server_ids; k++)
        if (load_string(db, cat_db_word(out->server_ids, k)) < 0)
            return -EBADMSG;
    const char **strs[9] = {&out->source, &out->id, &out->display_name, &out->email,
                            &out->phone, &out->url, &out->outer_identity, &out->inner_suffix,
                            &out->reason};
    for (int k = 0; k < 9; k++)
        *strs[k] = cat_db_string(db, rd32(p + 4 * k));
    out->valid_until = (int64_t)rd64(p + PROF_VALID_UNTIL);
    out->eap = (enum sdvm_eap_method)p[PROF_EAP];
    out->inner = (enum sdvm_inner_method)p[PROF_INNER];
    out->failure = (enum sdvm_failure)p[PROF_FAILURE];
    out->flags = p[PROF_FLAGS];
    return 0;
}

uint32_t
cat_db_word(const uint32_t *list, uint32_t i)
{
    return rd32((const unsigned char *)(list + i));
}

int
cat_db_cert(struct cat_db *db, uint32_t index, const unsigned char **der, size_t *der_len,
            const unsigned char **sha256, const char **subject)
{
    if (index >= db->n_certs)
        return -ENOENT;
    if (!db->der) {
        unsigned char *d = malloc(db->der_len + 1);
        if (!d)
            return -ENOMEM;
        if (inflate_exact(db->zcerts, db->zcerts_len, d, db->der_len) < 0) {
            free(d);
            return -EBADMSG;
        }
        db->der = d;
        free(db->zcerts);
        db->zcerts = NULL;
    }
    const unsigned char *c = db->certs + (size_t)index * CERT_REC;
    if (load_string(db, rd32(c + 8)) < 0)
        return -EBADMSG;
    *der = db->der + rd32(c);
    *der_len = rd32(c + 4);
    *sha256 = c + 12;
    *subject = cat_db_string(db, rd32(c + 8));
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
