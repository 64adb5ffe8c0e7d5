/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The part of sdvm-cat sync's report that compares databases (issue 15 §3): realms added,
 * removed and changed (CA certificates or server names) since the previous database, and
 * the realms whose CA certificate expires soon. Both databases are read with the terminal's
 * own reader (db-read.c), so the report describes what a terminal would see.
 */
#include "cat-private.h"
#include "sync-report.h"
#include "sdvm/hex.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/x509.h>

/* What the comparison looks at: the CA certificates and server names, as sorted lists. */
struct sig {
    char *ca, *servers;
    bool usable;
};

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* items joined by '\n' after sorting; NULL on allocation failure. */
static char *
join_sorted(char **items, size_t n)
{
    if (n > 1)
        qsort(items, n, sizeof(char *), cmp_str);
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(items[i]) + 1;
    char *out = malloc(len), *p = out;
    if (!out)
        return NULL;
    *p = '\0';
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "%s%s", i ? "\n" : "", items[i]);
    return out;
}

static void
sig_clear(struct sig *s)
{
    free(s->ca);
    free(s->servers);
    memset(s, 0, sizeof(*s));
}

static int
sig_of(struct cat_db *db, uint32_t profile, struct sig *s)
{
    memset(s, 0, sizeof(*s));
    struct cat_db_profile p;
    int rc = cat_db_profile(db, profile, &p);
    if (rc < 0)
        return rc;
    s->usable = p.failure == SDVM_FAILURE_NONE;
    size_t n = p.n_certs > p.n_server_ids ? p.n_certs : p.n_server_ids;
    char **items = calloc(n ? n : 1, sizeof(char *));
    char (*hex)[65] = calloc(p.n_certs ? p.n_certs : 1, sizeof(*hex));
    if (!items || !hex) {
        free(items);
        free(hex);
        return -ENOMEM;
    }
    for (uint32_t i = 0; i < p.n_certs && rc == 0; i++) {
        const unsigned char *der, *sha;
        size_t len;
        const char *subject;
        rc = cat_db_cert(db, cat_db_word(p.certs, i), &der, &len, &sha, &subject);
        if (rc == 0) {
            sdvm_hex(sha, 32, hex[i]);
            items[i] = hex[i];
        }
    }
    if (rc == 0 && !(s->ca = join_sorted(items, p.n_certs)))
        rc = -ENOMEM;
    for (uint32_t i = 0; i < p.n_server_ids; i++) {
        const char *name = cat_db_string(db, cat_db_word(p.server_ids, i));
        items[i] = (char *)(name ? name : "");
    }
    if (rc == 0 && !(s->servers = join_sorted(items, p.n_server_ids)))
        rc = -ENOMEM;
    free(items);
    free(hex);
    if (rc < 0)
        sig_clear(s);
    return rc;
}

/* The next realm key (a "cat profile N" key is not a realm) at or after *i; NULL at the end. */
static const char *
next_realm(const struct cat_db *db, uint32_t *i, uint32_t *profile)
{
    const char *key;
    while ((key = cat_db_key_at(db, *i, profile)) &&
           !strncmp(key, CAT_DB_PROFILE_KEY, sizeof(CAT_DB_PROFILE_KEY) - 1))
        (*i)++;
    return key;
}

static int
add_changed(struct cat_db *old, uint32_t op, struct cat_db *cur, uint32_t np, const char *key,
            json_t *changed)
{
    struct sig a, b;
    int rc = sig_of(old, op, &a);
    if (rc < 0)
        return rc;
    if ((rc = sig_of(cur, np, &b)) < 0) {
        sig_clear(&a);
        return rc;
    }
    bool ca = strcmp(a.ca, b.ca) != 0, servers = strcmp(a.servers, b.servers) != 0;
    bool usable = a.usable != b.usable;
    if (ca || servers || usable)
        json_array_append_new(changed, json_pack("{s:s, s:b, s:b, s:b}", "realm", key, "ca", ca,
                                                 "server_names", servers, "usable", b.usable));
    sig_clear(&a);
    sig_clear(&b);
    return 0;
}

int
cat_sync_compare(struct cat_db *old, struct cat_db *cur, json_t *out)
{
    json_t *added = json_array(), *removed = json_array(), *changed = json_array();
    int rc = 0;
    if (!added || !removed || !changed) {
        rc = -ENOMEM;
        goto done;
    }
    uint32_t i = 0, j = 0, op = 0, np = 0;
    for (;;) {
        const char *a = old ? next_realm(old, &i, &op) : NULL;
        const char *b = next_realm(cur, &j, &np);
        if (!a && !b)
            break;
        int c = !a ? 1 : !b ? -1 : strcmp(a, b);
        if (c < 0) {
            json_array_append_new(removed, json_string(a));
            i++;
        } else if (c > 0) {
            json_array_append_new(added, json_string(b));
            j++;
        } else {
            if ((rc = add_changed(old, op, cur, np, a, changed)) < 0)
                goto done;
            i++;
            j++;
        }
    }
    json_object_set(out, "realms_added", added);
    json_object_set(out, "realms_removed", removed);
    json_object_set(out, "realms_changed", changed);
done:
    json_decref(added);
    json_decref(removed);
    json_decref(changed);
    return rc;
}

/* notAfter of a DER certificate as a time_t; 0 when it cannot be read. */
static time_t
not_after(const unsigned char *der, size_t len)
{
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    if (!x)
        return 0;
    struct tm tm;
    time_t t = 0;
    if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) == 1)
        t = timegm(&tm);
    X509_free(x);
    return t;
}

int
cat_sync_expiring(struct cat_db *cur, time_t now, unsigned days, json_t *out)
{
    json_t *list = json_array();
    uint32_t n_certs_seen = 0;
    time_t *cache = NULL; /* per cert index: 0 not read yet, -1 unreadable */
    int rc = 0;
    if (!list)
        return -ENOMEM;
    uint32_t profile = 0;
    const char *key;
    for (uint32_t i = 0; (key = next_realm(cur, &i, &profile)); i++) {
        struct cat_db_profile p;
        if ((rc = cat_db_profile(cur, profile, &p)) < 0)
            goto done;
        if (p.failure)
            continue;
        for (uint32_t k = 0; k < p.n_certs; k++) {
            uint32_t ci = cat_db_word(p.certs, k);
            const unsigned char *der, *sha;
            size_t len;
            const char *subject;
            if ((rc = cat_db_cert(cur, ci, &der, &len, &sha, &subject)) < 0)
                goto done;
            if (ci >= n_certs_seen) {
                time_t *v = realloc(cache, (ci + 1) * sizeof(*v));
                if (!v) {
                    rc = -ENOMEM;
                    goto done;
                }
                memset(v + n_certs_seen, 0, (ci + 1 - n_certs_seen) * sizeof(*v));
                cache = v;
                n_certs_seen = ci + 1;
            }
            if (!cache[ci]) {
                time_t t = not_after(der, len);
                cache[ci] = t ? t : -1;
            }
            time_t t = cache[ci];
            if (t <= 0 || t - now >= (time_t)days * 86400)
                continue;
            char when[32];
            struct tm tm;
            gmtime_r(&t, &tm);
            strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
            json_array_append_new(
                list, json_pack("{s:s, s:s?, s:s?, s:s, s:I}", "realm", key, "source", p.source,
                                "subject", subject, "not_after", when, "days_left",
                                (json_int_t)((t - now) / 86400)));
        }
    }
    json_object_set(out, "ca_expiring", list);
done:
    free(cache);
    json_decref(list);
    return rc;
}
