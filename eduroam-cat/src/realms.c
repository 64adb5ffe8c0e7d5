/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Realm lookup: the admin's realms.d/NAME.conf first, then the compiled CAT database; the
 * matched profile's CA bundle is written once to CaDir under a content-addressed name.
 * The format of realms.d files is documented in sdvm-cat(1) and packaging/realms.d/.
 * A handle is not thread-safe (sdvmd looks realms up from one thread).
 */
#include "cat-private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "sdvm/log.h"
#include "sdvm/realms.h"

struct local_realm {
    char *key;
    char *source;   /* "realms.d/uni-a.conf" */
    bool from_cat;  /* an override of the CAT database's profile for the same realm */
    bool sub_realms;
    bool has_method, has_inner, has_anon, has_ca, has_servers, has_exact, has_phase1,
        has_insecure;
    enum sdvm_eap_method eap;
    enum sdvm_inner_method inner;
    char *anon;     /* NULL with has_anon: explicitly none */
    struct sdvm_cat_cert *certs;
    size_t n_certs;
    char **server_names;
    bool exact;
    uint32_t phase1;
    bool allow_insecure;
    char *display, *email, *phone, *url;
    char *bundle_path; /* memo: CA bundle written for the local certs */
};

struct sdvm_realms {
    char *ca_dir;
    struct local_realm *locals; /* sorted by key */
    size_t n_locals;
    struct cat_db *db;
    char **db_bundles;          /* memo per database profile */
    uint32_t n_db_profiles;
};

/* ----- realms.d ----- */

static const char *const known_keys[] = {
    "Name", "FromCat", "SubRealms", "Method", "Inner", "AnonymousIdentity", "CaFile",
    "CaCert", "ServerNames", "ServerNamesExact", "TlsMin", "TlsMax", "Phase1Flags",
    "AllowInsecure", "DisplayName", "HelpdeskEmail", "HelpdeskPhone", "HelpdeskUrl", NULL,
};

static void
local_clear(struct local_realm *l)
{
    free(l->key);
    free(l->source);
    free(l->anon);
    for (size_t i = 0; i < l->n_certs; i++)
        cat_cert_clear(&l->certs[i]);
    free(l->certs);
    if (l->server_names)
        for (char **s = l->server_names; *s; s++)
            free(*s);
    free(l->server_names);
    free(l->display);
    free(l->email);
    free(l->phone);
    free(l->url);
    free(l->bundle_path);
}

static int
add_local_cert(struct local_realm *l, const unsigned char *der, size_t len)
{
    struct sdvm_cat_cert cert;
    int rc = cat_cert_from_der(der, len, &cert);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < l->n_certs; i++)
        if (!memcmp(l->certs[i].sha256, cert.sha256, 32)) {
            cat_cert_clear(&cert);
            return 0;
        }
    struct sdvm_cat_cert *v = realloc(l->certs, (l->n_certs + 1) * sizeof(*v));
    if (!v) {
        cat_cert_clear(&cert);
        return -ENOMEM;
    }
    l->certs = v;
    v[l->n_certs++] = cert;
    return 0;
}

/* Every certificate of a PEM file; -EBADMSG if it holds none or a broken one. */
static int
load_pem_file(struct local_realm *l, const char *path)
{
    char *data;
    size_t len;
    int rc = cat_read_file(path, 4u * 1024u * 1024u, &data, &len);
    if (rc < 0)
        return rc;
    BIO *bio = BIO_new_mem_buf(data, (int)len);
    if (!bio) {
        free(data);
        return -ENOMEM;
    }
    size_t count = 0;
    X509 *x;
    while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
        unsigned char *der = NULL;
        int n = i2d_X509(x, &der);
        X509_free(x);
        if (n <= 0) {
            rc = -EBADMSG;
            break;
        }
        rc = add_local_cert(l, der, (size_t)n);
        OPENSSL_free(der);
        if (rc < 0)
            break;
        count++;
    }
    ERR_clear_error();
    BIO_free(bio);
    free(data);
    if (rc == 0 && count == 0)
        rc = -EBADMSG;
    return rc;
}

static int
parse_tls_version(const char *v)
{
    if (!strcmp(v, "1.0"))
        return 0;
    if (!strcmp(v, "1.1"))
        return 1;
    if (!strcmp(v, "1.2"))
        return 2;
    if (!strcmp(v, "1.3"))
        return 3;
    return -1;
}

/*
 * TlsMin/TlsMax → NetworkManager phase-1 flags: versions below the minimum or above the
 * maximum are disabled, the ones inside are explicitly enabled where OpenSSL or
 * wpa_supplicant would otherwise leave them off (TLS 1.0/1.1 at the default security
 * level, TLS 1.3 in wpa_supplicant's EAP default).
 */
static uint32_t
tls_flags(int min, int max)
{
    static const uint32_t disable[4] = {SDVM_PHASE1_TLS_1_0_DISABLE, SDVM_PHASE1_TLS_1_1_DISABLE,
                                        SDVM_PHASE1_TLS_1_2_DISABLE,
                                        SDVM_PHASE1_TLS_1_3_DISABLE};
    static const uint32_t enable[4] = {SDVM_PHASE1_TLS_1_0_ENABLE, SDVM_PHASE1_TLS_1_1_ENABLE,
                                       SDVM_PHASE1_TLS_1_2_ENABLE, SDVM_PHASE1_TLS_1_3_ENABLE};
    uint32_t flags = 0;
    for (int v = 0; v < 4; v++) {
        if (v < min || v > max)
            flags |= disable[v];
        else if (v != 2) /* TLS 1.2 is on by default everywhere */
            flags |= enable[v];
    }
    return flags;
}

#define LOCAL_FAIL(...)                                                                        \
    do {                                                                                       \
        rc = cat_fail(error, -EINVAL, __VA_ARGS__);                                            \
        goto out;                                                                              \
    } while (0)

static int
parse_group(GKeyFile *kf, const char *group, const char *dir, const char *name,
            struct local_realm *l, char **error)
{
    int rc = 0;
    GError *gerr = NULL;
    char **keys = g_key_file_get_keys(kf, group, NULL, NULL);
    char *value = NULL;
    char **list = NULL;
    l->sub_realms = true;
    l->source = cat_strdupf("realms.d/%s", name);
    if (!l->source)
        return cat_fail(error, -ENOMEM, "out of memory");
    for (char **k = keys; k && *k; k++) {
        bool known = false;
        for (const char *const *kk = known_keys; *kk && !known; kk++)
            known = !strcmp(*kk, *k);
        if (!known)
            LOCAL_FAIL("%s/%s: [%s]: unknown key %s", dir, name, group, *k);
    }

#define GET(key) (g_free(value), value = g_key_file_get_string(kf, group, key, NULL))
#define BOOL(key, dst, has)                                                                    \
    do {                                                                                       \
        if (GET(key)) {                                                                        \
            if (!strcmp(value, "true"))                                                        \
                dst = true;                                                                    \
            else if (!strcmp(value, "false"))                                                  \
                dst = false;                                                                   \
            else                                                                               \
                LOCAL_FAIL("%s/%s: [%s]: %s=%s: expected true or false", dir, name, group,   \
                           key, value);                                                        \
            has = true;                                                                        \
        }                                                                                      \
    } while (0)

    if (!GET("Name") || !*value)
        LOCAL_FAIL("%s/%s: [%s]: Name= (the realm) is missing", dir, name, group);
    if (!(l->key = cat_realm_key(value)))
        LOCAL_FAIL("%s/%s: [%s]: Name=%s is not a realm (two labels or more, no '@')", dir,
                   name, group, value);
    bool has_from_cat = false, has_sub_realms = false;
    BOOL("FromCat", l->from_cat, has_from_cat);
    BOOL("SubRealms", l->sub_realms, has_sub_realms);
    (void)has_from_cat;
    (void)has_sub_realms;
    BOOL("ServerNamesExact", l->exact, l->has_exact);
    BOOL("AllowInsecure", l->allow_insecure, l->has_insecure);

    if (GET("Method")) {
        if (!strcasecmp(value, "ttls"))
            l->eap = SDVM_EAP_TTLS;
        else if (!strcasecmp(value, "peap"))
            l->eap = SDVM_EAP_PEAP;
        else if (!strcasecmp(value, "pwd"))
            l->eap = SDVM_EAP_PWD;
        else
            LOCAL_FAIL("%s/%s: [%s]: Method=%s: expected ttls, peap or pwd", dir, name, group,
                       value);
        l->has_method = true;
    }
    if (GET("Inner")) {
        static const struct {
            const char *name;
            enum sdvm_inner_method inner;
        } inners[] = {{"pap", SDVM_INNER_PAP},
                      {"mschap", SDVM_INNER_MSCHAP},
                      {"mschapv2", SDVM_INNER_MSCHAPV2},
                      {"eap-mschapv2", SDVM_INNER_EAP_MSCHAPV2},
                      {"eap-gtc", SDVM_INNER_EAP_GTC}};
        for (size_t i = 0; i < sizeof(inners) / sizeof(inners[0]) && !l->has_inner; i++)
            if (!strcasecmp(value, inners[i].name)) {
                l->inner = inners[i].inner;
                l->has_inner = true;
            }
        if (!l->has_inner)
            LOCAL_FAIL("%s/%s: [%s]: Inner=%s: expected pap, mschap, mschapv2, eap-mschapv2"
                       " or eap-gtc", dir, name, group, value);
    }
    if (l->has_method) {
        bool peap_ok = l->inner == SDVM_INNER_EAP_MSCHAPV2 || l->inner == SDVM_INNER_EAP_GTC;
        if (l->eap == SDVM_EAP_PEAP && !l->has_inner) {
            l->inner = SDVM_INNER_EAP_MSCHAPV2;
            l->has_inner = true;
        } else if (l->eap == SDVM_EAP_PEAP && !peap_ok) {
            LOCAL_FAIL("%s/%s: [%s]: PEAP takes Inner=eap-mschapv2 or eap-gtc", dir, name,
                       group);
        } else if (l->eap == SDVM_EAP_TTLS && !l->has_inner) {
            LOCAL_FAIL("%s/%s: [%s]: Method=ttls needs Inner= (pap, mschapv2, ...)", dir, name,
                       group);
        } else if (l->eap == SDVM_EAP_PWD && l->has_inner && l->inner != SDVM_INNER_NONE) {
            LOCAL_FAIL("%s/%s: [%s]: Method=pwd has no inner method", dir, name, group);
        }
    } else if (!l->from_cat) {
        LOCAL_FAIL("%s/%s: [%s]: Method= is missing (or set FromCat=true to override the CAT"
                   " profile)", dir, name, group);
    } else if (l->has_inner) {
        LOCAL_FAIL("%s/%s: [%s]: Inner= needs Method= as well", dir, name, group);
    }

    if (g_key_file_has_key(kf, group, "AnonymousIdentity", NULL)) {
        GET("AnonymousIdentity");
        l->has_anon = true;
        if (value && *value) {
            for (const char *s = value; *s; s++)
                if ((unsigned char)*s <= 0x20 || *s == 0x7f)
                    LOCAL_FAIL("%s/%s: [%s]: AnonymousIdentity has spaces or control"
                               " characters", dir, name, group);
            if (!(l->anon = strdup(value)))
                LOCAL_FAIL("out of memory");
        }
    }

    gsize n = 0;
    if ((list = g_key_file_get_string_list(kf, group, "CaFile", &n, NULL))) {
        for (gsize i = 0; i < n; i++) {
            if (!*list[i])
                continue;
            char *path = list[i][0] == '/' ? strdup(list[i]) : cat_strdupf("%s/%s", dir, list[i]);
            if (!path)
                LOCAL_FAIL("out of memory");
            int lrc = load_pem_file(l, path);
            if (lrc < 0) {
                rc = cat_fail(error, -EINVAL, "%s/%s: [%s]: CaFile=%s: %s", dir, name, group,
                              path, lrc == -EBADMSG ? "no PEM certificate in it"
                                                    : strerror(-lrc));
                free(path);
                goto out;
            }
            free(path);
            l->has_ca = true;
        }
        g_strfreev(list);
        list = NULL;
    }
    if ((list = g_key_file_get_string_list(kf, group, "CaCert", &n, NULL))) {
        for (gsize i = 0; i < n; i++) {
            if (!*list[i])
                continue;
            unsigned char *der;
            size_t der_len;
            int lrc = cat_base64_decode(list[i], strlen(list[i]), &der, &der_len);
            if (lrc == 0) {
                lrc = add_local_cert(l, der, der_len);
                free(der);
            }
            if (lrc < 0)
                LOCAL_FAIL("%s/%s: [%s]: CaCert entry %zu is not a base64 DER certificate",
                           dir, name, group, (size_t)i + 1);
            l->has_ca = true;
        }
        g_strfreev(list);
        list = NULL;
    }
    if ((list = g_key_file_get_string_list(kf, group, "ServerNames", &n, NULL))) {
        l->server_names = calloc(n + 1, sizeof(char *));
        if (!l->server_names)
            LOCAL_FAIL("out of memory");
        size_t out = 0;
        for (gsize i = 0; i < n; i++) {
            g_strstrip(list[i]);
            if (!*list[i])
                continue;
            for (const char *s = list[i]; *s; s++)
                if ((unsigned char)*s <= 0x20 || *s == ',')
                    LOCAL_FAIL("%s/%s: [%s]: ServerNames entry \"%s\" has spaces or ','", dir,
                               name, group, list[i]);
            if (!(l->server_names[out++] = strdup(list[i])))
                LOCAL_FAIL("out of memory");
        }
        l->has_servers = true;
        g_strfreev(list);
        list = NULL;
    }

    int tls_min = -1, tls_max = -1;
    if (GET("TlsMin") && (tls_min = parse_tls_version(value)) < 0)
        LOCAL_FAIL("%s/%s: [%s]: TlsMin=%s: expected 1.0, 1.1, 1.2 or 1.3", dir, name, group,
                   value);
    if (GET("TlsMax") && (tls_max = parse_tls_version(value)) < 0)
        LOCAL_FAIL("%s/%s: [%s]: TlsMax=%s: expected 1.0, 1.1, 1.2 or 1.3", dir, name, group,
                   value);
    if (tls_min >= 0 || tls_max >= 0) {
        int lo = tls_min >= 0 ? tls_min : 0, hi = tls_max >= 0 ? tls_max : 3;
        if (lo > hi)
            LOCAL_FAIL("%s/%s: [%s]: TlsMin is above TlsMax", dir, name, group);
        /* Only the bounds given move away from the defaults. */
        l->phase1 = tls_flags(tls_min >= 0 ? lo : 2, tls_max >= 0 ? hi : 2);
        if (tls_min < 0)
            l->phase1 &= ~(uint32_t)(SDVM_PHASE1_TLS_1_0_DISABLE | SDVM_PHASE1_TLS_1_1_DISABLE);
        if (tls_max < 0)
            l->phase1 &= ~(uint32_t)SDVM_PHASE1_TLS_1_3_DISABLE;
        l->has_phase1 = true;
    }
    if (GET("Phase1Flags")) {
        if (l->has_phase1)
            LOCAL_FAIL("%s/%s: [%s]: give either TlsMin/TlsMax or Phase1Flags", dir, name,
                       group);
        char *end;
        errno = 0;
        unsigned long f = strtoul(value, &end, 0);
        if (errno || *end || end == value || f > 0x1ff)
            LOCAL_FAIL("%s/%s: [%s]: Phase1Flags=%s: expected a number up to 0x1ff", dir, name,
                       group, value);
        l->phase1 = (uint32_t)f;
        l->has_phase1 = true;
    }
    char **strs[4] = {&l->display, &l->email, &l->phone, &l->url};
    const char *skeys[4] = {"DisplayName", "HelpdeskEmail", "HelpdeskPhone", "HelpdeskUrl"};
    for (int i = 0; i < 4; i++)
        if (GET(skeys[i]) && *value && !(*strs[i] = strdup(value)))
            LOCAL_FAIL("out of memory");
#undef GET
#undef BOOL
out:
    g_free(value);
    g_strfreev(list);
    g_strfreev(keys);
    g_clear_error(&gerr);
    return rc;
}

static int
cmp_local(const void *a, const void *b)
{
    return strcmp(((const struct local_realm *)a)->key, ((const struct local_realm *)b)->key);
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
load_realms_dir(sdvm_realms *r, const char *dir, char **error)
{
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT)
            return 0;
        return cat_fail(error, -errno, "%s: %s", dir, strerror(errno));
    }
    char **names = NULL;
    size_t n = 0;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.' || len < 6 || strcmp(e->d_name + len - 5, ".conf"))
            continue;
        char **v = realloc(names, (n + 1) * sizeof(char *));
        if (!v || !(v[n] = strdup(e->d_name))) {
            names = v ? v : names;
            rc = cat_fail(error, -ENOMEM, "out of memory");
            break;
        }
        names = v;
        n++;
    }
    closedir(d);
    if (rc == 0 && n)
        qsort(names, n, sizeof(char *), cmp_str);
    for (size_t i = 0; i < n && rc == 0; i++) {
        char *path = cat_strdupf("%s/%s", dir, names[i]);
        GKeyFile *kf = g_key_file_new();
        GError *gerr = NULL;
        if (!path || !g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &gerr)) {
            rc = cat_fail(error, -EINVAL, "%s: %s", path ? path : names[i],
                          gerr ? gerr->message : "out of memory");
        }
        g_clear_error(&gerr);
        gsize ng = 0;
        char **groups = rc ? NULL : g_key_file_get_groups(kf, &ng);
        for (gsize g = 0; g < ng && rc == 0; g++) {
            if (strcmp(groups[g], "Realm") && strncmp(groups[g], "Realm ", 6)) {
                rc = cat_fail(error, -EINVAL, "%s: unknown section [%s] (expected [Realm] or"
                              " [Realm NAME])", path, groups[g]);
                break;
            }
            struct local_realm *v = realloc(r->locals, (r->n_locals + 1) * sizeof(*v));
            if (!v) {
                rc = cat_fail(error, -ENOMEM, "out of memory");
                break;
            }
            r->locals = v;
            struct local_realm *l = &v[r->n_locals++];
            memset(l, 0, sizeof(*l));
            rc = parse_group(kf, groups[g], dir, names[i], l, error);
        }
        if (rc == 0 && ng == 0)
            log_warningf("%s: no [Realm] section", path);
        g_strfreev(groups);
        g_key_file_free(kf);
        free(path);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    if (rc)
        return rc;
    if (r->n_locals)
        qsort(r->locals, r->n_locals, sizeof(*r->locals), cmp_local);
    for (size_t i = 1; i < r->n_locals; i++)
        if (!strcmp(r->locals[i - 1].key, r->locals[i].key))
            return cat_fail(error, -EINVAL, "realm %s is defined twice: in %s and in %s",
                            r->locals[i].key, r->locals[i - 1].source, r->locals[i].source);
    return 0;
}

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
        rc = load_realms_dir(r, realms_dir, error);
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
        local_clear(&r->locals[i]);
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
    struct local_realm *local;
    long db_index;              /* -1 when no database profile is involved */
    struct cat_db_profile dbp;
};

static struct local_realm *
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
    const char *skipped = NULL, *skipped_source = NULL;
    for (const char *k = key; k && strchr(k, '.'); k = strchr(k, '.') + 1) {
        bool parent = k != key;
        struct local_realm *l = find_local(r, k);
        if (l && (!parent || l->sub_realms)) {
            res->matched = k;
            res->parent = parent;
            res->local = l;
            if (l->from_cat && r->db) {
                res->db_index = cat_db_find(r->db, k);
                if (res->db_index >= 0 &&
                    cat_db_profile(r->db, (uint32_t)res->db_index, &res->dbp) < 0) {
                    res->failure = SDVM_FAILURE_INTERNAL;
                    res->detail = cat_strdupf("the CAT database's entry for %s is corrupt", k);
                    return;
                }
            }
            if (l->from_cat && res->db_index < 0 && !l->has_method) {
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
        long idx = r->db ? cat_db_find(r->db, k) : -1;
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
            }
            return;
        }
    }
    res->failure = SDVM_FAILURE_UNKNOWN_REALM;
    if (skipped)
        res->detail = cat_strdupf("%s is in neither realms.d nor the CAT database; its parent"
                                  " realm %s (%s) does not accept sub-realms", key, skipped,
                                  skipped_source ? skipped_source : "?");
    else
        res->detail = cat_strdupf("%s is in neither realms.d%s", key,
                                  r->db ? " nor the CAT database" : " (no CAT database)");
}

/* The certificates a resolved profile trusts, as (der, len, sha256, subject) tuples. */
struct certref {
    const unsigned char *der;
    size_t len;
    const unsigned char *sha256;
    const char *subject;
};

static int
collect_certs(sdvm_realms *r, const struct resolved *res, struct certref **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (res->local && res->local->has_ca) {
        struct local_realm *l = res->local;
        if (!l->n_certs)
            return 0;
        struct certref *v = calloc(l->n_certs, sizeof(*v));
        if (!v)
            return -ENOMEM;
        for (size_t i = 0; i < l->n_certs; i++)
            v[i] = (struct certref){l->certs[i].der, l->certs[i].der_len, l->certs[i].sha256,
                                    l->certs[i].subject};
        *out = v;
        *n = l->n_certs;
        return 0;
    }
    if (res->db_index < 0 || !res->dbp.n_certs)
        return 0;
    struct certref *v = calloc(res->dbp.n_certs, sizeof(*v));
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

/* Is path a bundle we wrote: a regular file of ours, mode 0644, the expected size? */
static bool
bundle_present(const char *path, size_t size)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return false;
    return S_ISREG(st.st_mode) && st.st_uid == geteuid() && (st.st_mode & 07777) == 0644 &&
           (size_t)st.st_size == size;
}

/* Write (once) the PEM bundle of certs to ca_dir/<sha256 of the bundle>.pem. */
static int
write_bundle(sdvm_realms *r, const struct certref *certs, size_t n, char **path_out)
{
    *path_out = NULL;
    size_t total = 0;
    char **pems = calloc(n, sizeof(char *));
    if (!pems)
        return -ENOMEM;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (!(pems[i] = sdvm_cat_cert_to_pem(certs[i].der, certs[i].len)))
            rc = -ENOMEM;
        else
            total += strlen(pems[i]);
    }
    char *bundle = rc ? NULL : malloc(total + 1);
    if (!bundle && rc == 0)
        rc = -ENOMEM;
    if (rc == 0) {
        size_t off = 0;
        for (size_t i = 0; i < n; i++) {
            size_t l = strlen(pems[i]);
            memcpy(bundle + off, pems[i], l);
            off += l;
        }
        bundle[total] = '\0';
        unsigned char digest[32];
        char hex[65];
        SHA256((const unsigned char *)bundle, total, digest);
        cat_hex(digest, 32, hex);
        char *path = cat_strdupf("%s/%s.pem", r->ca_dir, hex);
        if (!path) {
            rc = -ENOMEM;
        } else if (!bundle_present(path, total)) {
            if (mkdir(r->ca_dir, 0755) < 0 && errno != EEXIST)
                rc = -errno;
            if (rc == 0)
                rc = cat_write_atomic(path, bundle, total, 0644);
            if (rc == 0)
                log_infof("wrote CA bundle %s (%zu certificates)", path, n);
        }
        if (rc == 0)
            *path_out = path;
        else
            free(path);
    }
    for (size_t i = 0; i < n; i++)
        free(pems[i]);
    free(pems);
    free(bundle);
    return rc;
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
static enum sdvm_failure
make_profile(sdvm_realms *r, struct resolved *res, const char *key, bool write,
             struct sdvm_auth_profile **out, char **detail)
{
    *out = NULL;
    struct sdvm_auth_profile *p = sdvm_auth_profile_new();
    if (!p)
        return SDVM_FAILURE_INTERNAL;
    const struct local_realm *l = res->local;
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
    if (rc) {
        sdvm_auth_profile_free(p);
        return SDVM_FAILURE_INTERNAL;
    }

    /* Certificates: realms.d's if it lists any, else the database's. */
    bool local_ca = l && l->has_ca;
    size_t n_certs = local_ca ? l->n_certs : d ? d->n_certs : 0;
    bool needs_ca = p->eap == SDVM_EAP_TTLS || p->eap == SDVM_EAP_PEAP;
    if (needs_ca && n_certs == 0 && !p->allow_insecure) {
        if (detail)
            *detail = cat_strdupf("%s (%s) has no CA certificate, so the RADIUS server could"
                                  " not be verified (set CaFile=, or AllowInsecure=true)",
                                  res->matched, p->source);
        sdvm_auth_profile_free(p);
        return SDVM_FAILURE_INSECURE_PROFILE;
    }
    struct certref *certs = NULL;
    if (n_certs && write && r->ca_dir) {
        char **memo = local_ca ? &res->local->bundle_path : &r->db_bundles[res->db_index];
        if (!*memo) {
            /* First use of this CA set by this handle: build the bundle, write it once. */
            size_t n = 0;
            if (collect_certs(r, res, &certs, &n) < 0) {
                sdvm_auth_profile_free(p);
                if (detail)
                    *detail = cat_strdupf("%s: the CAT database's certificate section is"
                                          " corrupt", key);
                return SDVM_FAILURE_INTERNAL;
            }
            int wrc = write_bundle(r, certs, n, memo);
            if (wrc < 0) {
                free(certs);
                sdvm_auth_profile_free(p);
                if (detail)
                    *detail = cat_strdupf("cannot write the CA bundle for %s to %s: %s",
                                          res->matched, r->ca_dir, strerror(-wrc));
                return SDVM_FAILURE_INTERNAL;
            }
        }
        if (!(p->ca_bundle_path = strdup(*memo))) {
            free(certs);
            sdvm_auth_profile_free(p);
            return SDVM_FAILURE_INTERNAL;
        }
    }
    free(certs);
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
        e->failure = make_profile(r, &res, key, true, &e->profile, &e->detail);
        struct certref *certs = NULL;
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
    free(e);
}
