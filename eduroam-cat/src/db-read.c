/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The compiled realm database, read side: what sdvmd opens on the terminal (the file format
 * is in db-format.h; db-write.c writes it).
 *
 * Opening the database inflates only meta (the index a lookup searches); a string block is
 * inflated when a lookup first touches it, the cert section when a lookup first needs a
 * certificate. Every offset is checked when the database is opened and every block when it
 * is inflated: a lookup never reads out of bounds, whatever the file says.
 */
#include "cat-private.h"
#include "db-format.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

struct cat_db {
    unsigned char *meta;
    size_t meta_len;
    uint32_t n_realms, n_profiles, n_certs;
    uint32_t n_profile_keys; /* "cat profile N" keys (CAT_DB_PROFILE_KEY), not realms */
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
        if (!strncmp(prev, CAT_DB_PROFILE_KEY, sizeof(CAT_DB_PROFILE_KEY) - 1))
            db->n_profile_keys++;
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
    return db->n_realms - db->n_profile_keys;
}

uint32_t
cat_db_key_count(const struct cat_db *db)
{
    return db->n_realms;
}

const char *
cat_db_key_at(const struct cat_db *db, uint32_t i, uint32_t *profile)
{
    if (i >= db->n_realms)
        return NULL;
    const unsigned char *r = db->realms + (size_t)i * REALM_REC;
    if (profile)
        *profile = rd32(r + 4);
    return db->keys + rd32(r);
}

long
cat_db_find_cat_profile(const struct cat_db *db, const char *id)
{
    char key[64];
    if (!id || strlen(id) > 24)
        return -1;
    snprintf(key, sizeof(key), "%s%s", CAT_DB_PROFILE_KEY, id);
    return cat_db_find(db, key);
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
