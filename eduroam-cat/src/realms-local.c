/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * realms.d: the admin's NAME.conf files, each [Realm] or [Realm NAME] group one realm that
 * the lookup (realms.c) tries before the CAT database. Strict: an unknown section or key, a
 * bad value or a realm defined twice refuses the whole directory, naming the file and key.
 * The format is documented in sdvm-cat(1) and packaging/realms.d/.
 */
#include "cat-private.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <glib.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "sdvm/log.h"

static const char *const known_keys[] = {
    "Name", "FromCat", "CatProfile", "SubRealms", "Method", "Inner", "AnonymousIdentity", "CaFile",
    "CaCert", "ServerNames", "ServerNamesExact", "TlsMin", "TlsMax", "Phase1Flags",
    "AllowInsecure", "AllowUnprotectedWired", "DisplayName", "HelpdeskEmail", "HelpdeskPhone", "HelpdeskUrl", NULL,
};

void
cat_local_clear(struct cat_local_realm *l)
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
add_local_cert(struct cat_local_realm *l, const unsigned char *der, size_t len)
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
load_pem_file(struct cat_local_realm *l, const char *path)
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
            struct cat_local_realm *l, char **error)
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
    (void)has_sub_realms;
    /* CatProfile=N: this realm is CAT profile N's (one that publishes no realm, or one of
     * several profiles for the realm); implies FromCat=true (issue 15 §4). */
    if (GET("CatProfile")) {
        bool digits = *value && strlen(value) <= 20;
        for (const char *c = value; *c && digits; c++)
            digits = *c >= '0' && *c <= '9';
        if (!digits)
            LOCAL_FAIL("%s/%s: [%s]: CatProfile=%s: expected a CAT profile id (digits)", dir,
                       name, group, value);
        if (has_from_cat && !l->from_cat)
            LOCAL_FAIL("%s/%s: [%s]: CatProfile= takes a CAT profile: FromCat=false"
                       " contradicts it", dir, name, group);
        snprintf(l->cat_profile, sizeof(l->cat_profile), "%s", value);
        l->from_cat = true;
    }
    BOOL("ServerNamesExact", l->exact, l->has_exact);
    BOOL("AllowInsecure", l->allow_insecure, l->has_insecure);
    BOOL("AllowUnprotectedWired", l->allow_unprotected_wired, l->has_unprotected_wired);

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
    const struct cat_local_realm *x = a, *y = b;
    return strcmp(x->key, y->key);
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int
cat_local_load_dir(const char *dir, struct cat_local_realm **locals, size_t *n_locals,
                   char **error)
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
            struct cat_local_realm *v = realloc(*locals, (*n_locals + 1) * sizeof(*v));
            if (!v) {
                rc = cat_fail(error, -ENOMEM, "out of memory");
                break;
            }
            *locals = v;
            struct cat_local_realm *l = &v[(*n_locals)++];
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
    if (*n_locals)
        qsort(*locals, *n_locals, sizeof(**locals), cmp_local);
    for (size_t i = 1; i < *n_locals; i++)
        if (!strcmp((*locals)[i - 1].key, (*locals)[i].key))
            return cat_fail(error, -EINVAL, "realm %s is defined twice: in %s and in %s",
                            (*locals)[i].key, (*locals)[i - 1].source, (*locals)[i].source);
    return 0;
}
