/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The eap-config ("EAP metadata", EAPIdentityProviderList) parser.
 *
 * Safety: the document never gets a DTD (a DOCTYPE stops the parser), so no entity is ever
 * declared, expanded or fetched; XML_PARSE_NONET forbids network access in any case, and
 * neither XML_PARSE_NOENT nor XML_PARSE_DTDLOAD nor XML_PARSE_HUGE is set, so libxml2's
 * depth and size limits stay on. Documents above SDVM_CAT_MAX_DOCUMENT are refused.
 *
 * Leniency follows what real CAT output looks like (notes §1.5): BOM, CRLF, unknown
 * elements, duplicate CAs, several providers, TTLS + inner EAP 26 (CAT's compatibility
 * encoding of TTLS-MSCHAPv2). Strictness follows security: a TLS-based method without a
 * decodable CA certificate is unusable, and says so.
 */
#include "cat-private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "sdvm/cat.h"
#include "sdvm/log.h"

struct parse_state {
    bool oom;
    bool doctype;
};

/* ----- small tree helpers ----- */

static bool
is_element(const xmlNode *n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static xmlNode *
child(const xmlNode *parent, const char *name)
{
    if (!parent)
        return NULL;
    for (xmlNode *c = parent->children; c; c = c->next)
        if (is_element(c, name))
            return c;
    return NULL;
}

/* Trimmed text content (malloc'd), NULL if empty or absent. */
static char *
text_of(struct parse_state *st, const xmlNode *n)
{
    if (!n)
        return NULL;
    xmlChar *raw = xmlNodeGetContent(n);
    if (!raw) {
        return NULL;
    }
    const char *s = (const char *)raw;
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    size_t len = strlen(s);
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r' ||
                       s[len - 1] == '\n'))
        len--;
    char *out = NULL;
    if (len > 0) {
        out = strndup(s, len);
        if (!out)
            st->oom = true;
    }
    xmlFree(raw);
    return out;
}

static char *
attr_of(const xmlNode *n, const char *name)
{
    xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
    if (!v)
        return NULL;
    char *out = strdup((const char *)v);
    xmlFree(v);
    return out;
}

/*
 * A localized string: several elements of the same name with a lang attribute. Prefer
 * English, then language-neutral ("any", "C", none), then whatever comes first.
 */
static char *
localized(struct parse_state *st, const xmlNode *parent, const char *name)
{
    if (!parent)
        return NULL;
    const xmlNode *best = NULL;
    int best_rank = 99;
    for (xmlNode *c = parent->children; c; c = c->next) {
        if (!is_element(c, name))
            continue;
        char *lang = attr_of(c, "lang");
        int rank = 3;
        if (!lang || !*lang || !strcasecmp(lang, "any") || !strcmp(lang, "C"))
            rank = 1;
        else if (!strncasecmp(lang, "en", 2) && (lang[2] == '\0' || lang[2] == '-'))
            rank = 0;
        free(lang);
        if (rank < best_rank) {
            best_rank = rank;
            best = c;
        }
    }
    return text_of(st, best);
}

/* Strict decimal int; -1 when absent or not a number. */
static int
int_of(struct parse_state *st, const xmlNode *n)
{
    char *t = text_of(st, n);
    if (!t)
        return -1;
    char *end;
    errno = 0;
    long v = strtol(t, &end, 10);
    int out = (errno || *end || end == t || v < 0 || v > 65535) ? -1 : (int)v;
    free(t);
    return out;
}

/* Append s to a NULL-terminated vector of n strings (taking it); false (s freed) on OOM. */
static bool
strv_append(char ***v, size_t *n, char *s)
{
    char **grown = realloc(*v, (*n + 2) * sizeof(char *));
    if (!grown) {
        free(s);
        return false;
    }
    *v = grown;
    grown[(*n)++] = s;
    grown[*n] = NULL;
    return true;
}

static void
warn(struct parse_state *st, struct sdvm_cat_provider *p, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
warn(struct parse_state *st, struct sdvm_cat_provider *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    if (!msg) {
        st->oom = true;
        return;
    }
    if (p->n_warnings >= 64) { /* enough to explain any file */
        free(msg);
        return;
    }
    if (!strv_append(&p->warnings, &p->n_warnings, msg)) {
        st->oom = true;
        return;
    }
    log_debugf("eap-config: %s", msg);
}

/* ----- certificates ----- */

/* Add a certificate to the provider's pool (de-duplicated); returns its index or -1. */
static long
add_cert(struct parse_state *st, struct sdvm_cat_provider *p, struct sdvm_cat_cert *cert)
{
    for (size_t i = 0; i < p->n_certs; i++)
        if (!memcmp(p->certs[i].sha256, cert->sha256, 32)) {
            cat_cert_clear(cert);
            return (long)i;
        }
    struct sdvm_cat_cert *v = realloc(p->certs, (p->n_certs + 1) * sizeof(*v));
    if (!v) {
        cat_cert_clear(cert);
        st->oom = true;
        return -1;
    }
    p->certs = v;
    v[p->n_certs] = *cert;
    return (long)p->n_certs++;
}

static void
parse_server_side(struct parse_state *st, struct sdvm_cat_provider *p, size_t mi,
                  struct sdvm_cat_method *m, const xmlNode *ssc, unsigned *listed,
                  unsigned *bad)
{
    if (!ssc)
        return;
    unsigned ca_no = 0;
    for (xmlNode *c = ssc->children; c && !st->oom; c = c->next) {
        if (is_element(c, "CA")) {
            ca_no++;
            (*listed)++;
            char *format = attr_of(c, "format");
            char *encoding = attr_of(c, "encoding");
            bool ok_attrs = (!format || !strcasecmp(format, "X.509")) &&
                            (!encoding || !strcasecmp(encoding, "base64"));
            if (!ok_attrs) {
                warn(st, p, "method %zu, CA %u: format \"%s\", encoding \"%s\" not X.509/base64;"
                     " ignored", mi + 1, ca_no, format ? format : "", encoding ? encoding : "");
                free(format);
                free(encoding);
                (*bad)++;
                continue;
            }
            free(format);
            free(encoding);
            char *b64 = text_of(st, c);
            unsigned char *der = NULL;
            size_t der_len = 0;
            struct sdvm_cat_cert cert;
            int rc = b64 ? cat_base64_decode(b64, strlen(b64), &der, &der_len) : -EBADMSG;
            free(b64);
            if (rc == -ENOMEM) {
                st->oom = true;
                return;
            }
            if (rc == 0)
                rc = cat_cert_from_der(der, der_len, &cert);
            free(der);
            if (rc == -ENOMEM) {
                st->oom = true;
                return;
            }
            if (rc < 0) {
                warn(st, p, "method %zu, CA %u: not a base64 DER X.509 certificate; ignored",
                     mi + 1, ca_no);
                (*bad)++;
                continue;
            }
            if (cert.expired && cert.is_ca) {
                /* Issue 15 §5: an expired CA cannot verify anything; a method left with
                 * none is INSECURE_PROFILE below. */
                warn(st, p, "method %zu, CA %u (%s): expired; dropped", mi + 1, ca_no,
                     cert.subject);
                cat_cert_clear(&cert);
                (*bad)++;
                continue;
            }
            if (!cert.is_ca) {
                warn(st, p, "method %zu, CA %u (%s): not a CA certificate (a server"
                     " certificate?); left out of the trust bundle", mi + 1, ca_no,
                     cert.subject);
                /* Keep it in the pool for reports, but not in the method's bundle. */
                add_cert(st, p, &cert);
                continue;
            }
            long idx = add_cert(st, p, &cert);
            if (idx < 0)
                return;
            bool dup = false;
            for (size_t i = 0; i < m->n_certs; i++)
                dup |= m->certs[i] == (size_t)idx;
            if (dup) {
                warn(st, p, "method %zu, CA %u: duplicate certificate; listed once", mi + 1,
                     ca_no);
                continue;
            }
            size_t *v = realloc(m->certs, (m->n_certs + 1) * sizeof(size_t));
            if (!v) {
                st->oom = true;
                return;
            }
            m->certs = v;
            v[m->n_certs++] = (size_t)idx;
        } else if (is_element(c, "ServerID")) {
            char *id = text_of(st, c);
            if (!id)
                continue;
            bool valid = strlen(id) <= 253;
            for (const char *s = id; *s && valid; s++)
                valid = (unsigned char)*s > 0x20 && *s != ';' && *s != 0x7f && *s != ',';
            if (!valid) {
                warn(st, p, "method %zu: ServerID \"%.60s\" has spaces, ';' or ',' or is too"
                     " long; ignored", mi + 1, id);
                free(id);
                continue;
            }
            bool dup = false;
            for (size_t i = 0; i < m->n_server_ids; i++)
                dup |= !strcasecmp(m->server_ids[i], id);
            if (dup) {
                free(id);
                continue;
            }
            if (!strv_append(&m->server_ids, &m->n_server_ids, id)) {
                st->oom = true;
                return;
            }
        }
    }
}

/* ----- methods ----- */

static const char *
eap_name(int type)
{
    switch (type) {
    case SDVM_CAT_EAP_GTC:
        return "EAP-GTC";
    case SDVM_CAT_EAP_TLS:
        return "EAP-TLS";
    case SDVM_CAT_EAP_TTLS:
        return "EAP-TTLS";
    case SDVM_CAT_EAP_PEAP:
        return "PEAP";
    case SDVM_CAT_EAP_MSCHAPV2:
        return "EAP-MSCHAPv2";
    case SDVM_CAT_EAP_FAST:
        return "EAP-FAST";
    case SDVM_CAT_EAP_PWD:
        return "EAP-pwd";
    default:
        return "EAP";
    }
}

static void
set_unusable(struct parse_state *st, struct sdvm_cat_method *m, enum sdvm_failure f,
             const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
set_unusable(struct parse_state *st, struct sdvm_cat_method *m, enum sdvm_failure f,
             const char *fmt, ...)
{
    m->eap = SDVM_EAP_NONE;
    m->inner = SDVM_INNER_NONE;
    m->failure = f;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&m->reason, fmt, ap) < 0) {
        m->reason = NULL;
        st->oom = true;
    }
    va_end(ap);
}

static void
parse_method(struct parse_state *st, struct sdvm_cat_provider *p, size_t mi,
             struct sdvm_cat_method *m, const xmlNode *node)
{
    m->eap_type = int_of(st, child(child(node, "EAPMethod"), "Type"));
    if (m->eap_type < 0)
        m->eap_type = 0;

    /* Inner methods: the first entry the outer method can use wins. */
    bool any_inner = false;
    int first_inner_eap = 0, first_inner_non_eap = 0;
    for (xmlNode *c = node->children; c; c = c->next) {
        if (!is_element(c, "InnerAuthenticationMethod"))
            continue;
        int e = int_of(st, child(child(c, "EAPMethod"), "Type"));
        int ne = int_of(st, child(child(c, "NonEAPAuthMethod"), "Type"));
        if (e > 0 || ne > 0)
            any_inner = true;
        if (m->eap_type == SDVM_CAT_EAP_TTLS) {
            if (!m->inner && ne >= 1 && ne <= 3) {
                m->inner = (enum sdvm_inner_method)ne;
                m->inner_non_eap = ne;
            } else if (!m->inner && e == SDVM_CAT_EAP_MSCHAPV2) {
                m->inner = SDVM_INNER_MSCHAPV2;
                m->cat_compat = true;
                m->inner_eap_type = e;
            } else if (!m->inner && e == SDVM_CAT_EAP_GTC) {
                m->inner = SDVM_INNER_EAP_GTC;
                m->inner_eap_type = e;
            }
        } else if (m->eap_type == SDVM_CAT_EAP_PEAP) {
            if (!m->inner && e == SDVM_CAT_EAP_MSCHAPV2) {
                m->inner = SDVM_INNER_EAP_MSCHAPV2;
                m->inner_eap_type = e;
            } else if (!m->inner && e == SDVM_CAT_EAP_GTC) {
                m->inner = SDVM_INNER_EAP_GTC;
                m->inner_eap_type = e;
            }
        }
        if (!first_inner_eap && e > 0)
            first_inner_eap = e;
        if (!first_inner_non_eap && ne > 0)
            first_inner_non_eap = ne;
    }
    if (!m->inner_eap_type)
        m->inner_eap_type = first_inner_eap;
    if (!m->inner_non_eap)
        m->inner_non_eap = first_inner_non_eap;

    /* Client side: identities, and whether it wants a client certificate. */
    const xmlNode *csc = child(node, "ClientSideCredential");
    m->outer_identity = text_of(st, child(csc, "OuterIdentity"));
    m->inner_suffix = text_of(st, child(csc, "InnerIdentitySuffix"));
    char *hint = text_of(st, child(csc, "InnerIdentityHint"));
    if (hint) {
        if (!strcmp(hint, "true") || !strcmp(hint, "1"))
            m->inner_hint = true;
        else if (strcmp(hint, "false") && strcmp(hint, "0"))
            warn(st, p, "method %zu: InnerIdentityHint \"%.20s\" is not a boolean; taken as"
                 " false", mi + 1, hint);
        free(hint);
    }
    m->client_certificate = child(csc, "ClientCertificate") != NULL;
    if (m->outer_identity) {
        bool ok = strlen(m->outer_identity) <= 253;
        for (const char *s = m->outer_identity; *s && ok; s++)
            ok = (unsigned char)*s > 0x20 && *s != 0x7f;
        if (!ok) {
            warn(st, p, "method %zu: OuterIdentity has spaces or control characters or is"
                 " too long; not used", mi + 1);
            free(m->outer_identity);
            m->outer_identity = NULL;
        }
    }

    unsigned listed = 0, bad = 0;
    parse_server_side(st, p, mi, m, child(node, "ServerSideCredential"), &listed, &bad);
    if (st->oom)
        return;

    /* The mapping to what a password login can use (notes §6). */
    switch (m->eap_type) {
    case SDVM_CAT_EAP_TTLS:
        if (!m->inner) {
            if (!any_inner)
                set_unusable(st, m, SDVM_FAILURE_REALM_UNSUPPORTED,
                             "EAP-TTLS without an inner method");
            else
                set_unusable(st, m, SDVM_FAILURE_REALM_UNSUPPORTED,
                             "EAP-TTLS with inner %s %d, which SDVM cannot use",
                             first_inner_non_eap ? "non-EAP method" : "EAP type",
                             first_inner_non_eap ? first_inner_non_eap : first_inner_eap);
            return;
        }
        m->eap = SDVM_EAP_TTLS;
        if (m->cat_compat)
            warn(st, p, "method %zu: TTLS with inner EAP-MSCHAPv2 read as CAT's encoding of"
                 " TTLS-MSCHAPv2 (inner EAP-MSCHAPv2 is the alternative)", mi + 1);
        break;
    case SDVM_CAT_EAP_PEAP:
        if (!m->inner) {
            if (any_inner) {
                set_unusable(st, m, SDVM_FAILURE_REALM_UNSUPPORTED,
                             "PEAP with inner %s %d, which SDVM cannot use",
                             first_inner_eap ? "EAP type" : "non-EAP method",
                             first_inner_eap ? first_inner_eap : first_inner_non_eap);
                return;
            }
            m->inner = SDVM_INNER_EAP_MSCHAPV2;
            warn(st, p, "method %zu: PEAP without an inner method; assuming EAP-MSCHAPv2",
                 mi + 1);
        }
        m->eap = SDVM_EAP_PEAP;
        break;
    case SDVM_CAT_EAP_PWD:
        m->eap = SDVM_EAP_PWD;
        m->inner = SDVM_INNER_NONE;
        m->failure = SDVM_FAILURE_NONE;
        return; /* EAP-pwd authenticates both ends with the password; no CA involved */
    case SDVM_CAT_EAP_TLS:
        set_unusable(st, m, SDVM_FAILURE_REALM_UNSUPPORTED, "%s",
                     m->client_certificate
                         ? "EAP-TLS with a client certificate (a letswifi/geteduroam profile"
                           " issued after an OAuth sign-in), not a password login"
                         : "EAP-TLS needs a client certificate, not a password");
        return;
    case 0:
        set_unusable(st, m, SDVM_FAILURE_REALM_UNSUPPORTED, "no EAPMethod/Type");
        return;
    default:
        set_unusable(st, m, SDVM_FAILURE_REALM_UNSUPPORTED, "%s (EAP type %d) is not supported",
                     eap_name(m->eap_type), m->eap_type);
        return;
    }

    if (m->n_certs == 0) {
        const char *inner = sdvm_inner_method_to_string(m->inner);
        if (listed == 0)
            set_unusable(st, m, SDVM_FAILURE_INSECURE_PROFILE,
                         "%s/%s lists no CA certificate, so the RADIUS server could not be"
                         " verified", eap_name(m->eap_type), inner);
        else
            set_unusable(st, m, SDVM_FAILURE_INSECURE_PROFILE,
                         "%s/%s: none of its %u CA entries is a usable CA certificate (%u not"
                         " decodable), so the RADIUS server could not be verified",
                         eap_name(m->eap_type), inner, listed, bad);
        return;
    }
    /* M2 of the 2026-12 review: with a CA and no server name, any certificate from that CA
     * (often a public web root) would pass. The name rule is core's, the one nm-glue applies
     * at login, so what `sdvm-cat build` keeps is what a login can use. */
    const char *inner = sdvm_inner_method_to_string(m->inner);
    if (m->n_server_ids == 0) {
        set_unusable(st, m, SDVM_FAILURE_INSECURE_PROFILE,
                     "%s/%s lists a CA but no ServerID, so any certificate from that CA would"
                     " be accepted", eap_name(m->eap_type), inner);
        return;
    }
    for (size_t i = 0; i < m->n_server_ids; i++) {
        const char *why = sdvm_server_name_problem(m->server_ids[i]);
        if (why) {
            set_unusable(st, m, SDVM_FAILURE_INSECURE_PROFILE,
                         "%s/%s: ServerID \"%.80s\" %s", eap_name(m->eap_type), inner,
                         m->server_ids[i], why);
            return;
        }
    }
    m->failure = SDVM_FAILURE_NONE;
}

/* xs:dateTime → time_t (UTC); 0 when unparsable. */
static time_t
parse_datetime(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    const char *rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!rest)
        return 0;
    if (*rest == '.') {
        rest++;
        while (*rest >= '0' && *rest <= '9')
            rest++;
    }
    long offset = 0;
    if (*rest == 'Z') {
        rest++;
    } else if ((*rest == '+' || *rest == '-') && strlen(rest) == 6 && rest[3] == ':') {
        int hh = (rest[1] - '0') * 10 + (rest[2] - '0');
        int mm = (rest[4] - '0') * 10 + (rest[5] - '0');
        if (hh > 23 || mm > 59)
            return 0;
        offset = (hh * 3600L + mm * 60L) * (rest[0] == '+' ? 1 : -1);
        rest += 6;
    }
    if (*rest)
        return 0;
    time_t t = timegm(&tm);
    return t == (time_t)-1 ? 0 : t - offset;
}

static void
method_clear(struct sdvm_cat_method *m)
{
    free(m->certs);
    if (m->server_ids)
        for (size_t i = 0; i < m->n_server_ids; i++)
            free(m->server_ids[i]);
    free(m->server_ids);
    free(m->outer_identity);
    free(m->inner_suffix);
    free(m->reason);
}

static void
provider_clear(struct sdvm_cat_provider *p)
{
    free(p->id);
    free(p->display_name);
    free(p->helpdesk_email);
    free(p->helpdesk_phone);
    free(p->helpdesk_url);
    for (size_t i = 0; i < p->n_methods; i++)
        method_clear(&p->methods[i]);
    free(p->methods);
    for (size_t i = 0; i < p->n_certs; i++)
        cat_cert_clear(&p->certs[i]);
    free(p->certs);
    for (size_t i = 0; i < p->n_warnings; i++)
        free(p->warnings[i]);
    free(p->warnings);
    free(p->reason);
}

static void
parse_provider(struct parse_state *st, struct sdvm_cat_provider *p, const xmlNode *node)
{
    p->chosen = -1;
    char *id = attr_of(node, "ID");
    char *ns = attr_of(node, "namespace");
    if (id) {
        /* Trim; "undefined" (and the urn:undefined namespace) means "no realm". */
        char *s = id;
        while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
            s++;
        size_t len = strlen(s);
        while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r' ||
                           s[len - 1] == '\n'))
            len--;
        if (len == 0 || (len == 9 && !strncasecmp(s, "undefined", 9)) ||
            (ns && !strcasecmp(ns, "urn:undefined"))) {
            p->id = NULL;
        } else {
            p->id = strndup(s, len);
            if (!p->id)
                st->oom = true;
        }
        free(id);
    }
    free(ns);

    char *vu = text_of(st, child(node, "ValidUntil"));
    if (vu) {
        p->valid_until = parse_datetime(vu);
        if (!p->valid_until)
            warn(st, p, "ValidUntil \"%.40s\" is not an xs:dateTime; ignored", vu);
        free(vu);
    }

    const xmlNode *info = child(node, "ProviderInfo");
    p->display_name = localized(st, info, "DisplayName");
    const xmlNode *help = child(info, "Helpdesk");
    p->helpdesk_email = localized(st, help, "EmailAddress");
    p->helpdesk_phone = localized(st, help, "Phone");
    p->helpdesk_url = localized(st, help, "WebAddress");

    const xmlNode *methods = child(node, "AuthenticationMethods");
    size_t n = 0;
    for (xmlNode *c = methods ? methods->children : NULL; c; c = c->next)
        n += is_element(c, "AuthenticationMethod");
    if (n > 64) {
        warn(st, p, "%zu authentication methods; only the first 64 are read", n);
        n = 64;
    }
    if (n) {
        p->methods = calloc(n, sizeof(*p->methods));
        if (!p->methods) {
            st->oom = true;
            return;
        }
    }
    for (xmlNode *c = methods ? methods->children : NULL; c && p->n_methods < n && !st->oom;
         c = c->next) {
        if (!is_element(c, "AuthenticationMethod"))
            continue;
        struct sdvm_cat_method *m = &p->methods[p->n_methods++];
        parse_method(st, p, p->n_methods - 1, m, c);
    }
    if (st->oom)
        return;

    /* Choose: the first usable method in the file's order. */
    bool insecure = false;
    for (size_t i = 0; i < p->n_methods; i++) {
        if (p->methods[i].eap != SDVM_EAP_NONE) {
            p->chosen = (int)i;
            break;
        }
        insecure |= p->methods[i].failure == SDVM_FAILURE_INSECURE_PROFILE;
    }
    if (p->chosen >= 0) {
        p->failure = SDVM_FAILURE_NONE;
        return;
    }
    p->failure = insecure ? SDVM_FAILURE_INSECURE_PROFILE : SDVM_FAILURE_REALM_UNSUPPORTED;
    if (p->n_methods == 0) {
        p->reason = strdup("no AuthenticationMethod");
    } else {
        /* "method 1: ...; method 2: ..." */
        size_t cap = 1;
        for (size_t i = 0; i < p->n_methods; i++)
            cap += 16 + (p->methods[i].reason ? strlen(p->methods[i].reason) : 0);
        p->reason = malloc(cap);
        if (p->reason) {
            size_t off = 0;
            p->reason[0] = '\0';
            for (size_t i = 0; i < p->n_methods; i++)
                off += (size_t)snprintf(p->reason + off, cap - off, "%smethod %zu: %s",
                                        i ? "; " : "", i + 1,
                                        p->methods[i].reason ? p->methods[i].reason : "?");
        }
    }
    if (!p->reason)
        st->oom = true;
}

/* ----- entry points ----- */

/* libxml2 reports some errors (encoding conversion) through its generic handler, which
 * prints to stderr; the parse error we return says what went wrong instead. */
static void
silent(void *ctx, const char *msg, ...)
{
}

static void
reject_doctype(void *ctx, const xmlChar *name, const xmlChar *external_id,
               const xmlChar *system_id)
{
    xmlParserCtxtPtr ctxt = ctx;
    struct parse_state *st = ctxt->_private;
    st->doctype = true;
    xmlStopParser(ctxt);
}

static void
reject_entity(void *ctx, const xmlChar *name, int type, const xmlChar *public_id,
              const xmlChar *system_id, xmlChar *content)
{
    xmlParserCtxtPtr ctxt = ctx;
    struct parse_state *st = ctxt->_private;
    st->doctype = true;
    xmlStopParser(ctxt);
}

void
sdvm_cat_document_free(struct sdvm_cat_document *doc)
{
    if (!doc)
        return;
    for (size_t i = 0; i < doc->n_providers; i++)
        provider_clear(&doc->providers[i]);
    free(doc->providers);
    free(doc);
}

int
sdvm_cat_parse(const char *data, size_t len, struct sdvm_cat_document **out, char **error)
{
    *out = NULL;
    if (!data)
        return cat_fail(error, -EINVAL, "no data");
    if (len > SDVM_CAT_MAX_DOCUMENT)
        return cat_fail(error, -EFBIG, "%zu bytes is more than the %u bytes an eap-config may"
                        " have", len, SDVM_CAT_MAX_DOCUMENT);
    if (len == 0)
        return cat_fail(error, -EBADMSG, "empty file");
    if (len > INT32_MAX)
        return cat_fail(error, -EFBIG, "file too large");

    xmlInitParser();
    xmlSetGenericErrorFunc(NULL, silent);
    struct parse_state st = {0};
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    if (!ctxt)
        return cat_fail(error, -ENOMEM, "out of memory");
    ctxt->_private = &st;
    ctxt->sax->internalSubset = reject_doctype;
    ctxt->sax->externalSubset = reject_doctype;
    ctxt->sax->entityDecl = reject_entity;
    xmlDocPtr xdoc = xmlCtxtReadMemory(ctxt, data, (int)len, "eap-config", NULL,
                                       XML_PARSE_NONET | XML_PARSE_NOERROR |
                                           XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
    int rc = 0;
    if (st.doctype) {
        rc = cat_fail(error, -EBADMSG, "a DOCTYPE or entity declaration (eap-config has none;"
                      " refused to avoid entity tricks)");
        goto out;
    }
    if (!xdoc || !ctxt->wellFormed) {
        const xmlError *e = xmlCtxtGetLastError(ctxt);
        if (e && e->message) {
            char msg[256];
            snprintf(msg, sizeof(msg), "%s", e->message);
            size_t ml = strlen(msg);
            while (ml > 0 && (msg[ml - 1] == '\n' || msg[ml - 1] == ' '))
                msg[--ml] = '\0';
            rc = cat_fail(error, -EBADMSG, "not well-formed XML: line %d: %s", e->line, msg);
        } else {
            rc = cat_fail(error, -EBADMSG, "not well-formed XML");
        }
        goto out;
    }
    xmlNode *root = xmlDocGetRootElement(xdoc);
    bool single = is_element(root, "EAPIdentityProvider");
    if (!is_element(root, "EAPIdentityProviderList") && !single) {
        rc = cat_fail(error, -EBADMSG, "root element is <%s>, not <EAPIdentityProviderList>",
                      root ? (const char *)root->name : "");
        goto out;
    }
    size_t n = single ? 1 : 0;
    for (xmlNode *c = single ? NULL : root->children; c; c = c->next)
        n += is_element(c, "EAPIdentityProvider");
    if (n == 0) {
        rc = cat_fail(error, -EBADMSG, "no <EAPIdentityProvider> in the list");
        goto out;
    }
    if (n > 256)
        n = 256; /* CAT writes one per network definition: a handful */
    struct sdvm_cat_document *doc = calloc(1, sizeof(*doc));
    if (!doc || !(doc->providers = calloc(n, sizeof(*doc->providers)))) {
        free(doc);
        rc = cat_fail(error, -ENOMEM, "out of memory");
        goto out;
    }
    if (single) {
        doc->n_providers = 1;
        parse_provider(&st, &doc->providers[0], root);
    } else {
        for (xmlNode *c = root->children; c && doc->n_providers < n && !st.oom; c = c->next)
            if (is_element(c, "EAPIdentityProvider"))
                parse_provider(&st, &doc->providers[doc->n_providers++], c);
    }
    if (st.oom) {
        sdvm_cat_document_free(doc);
        rc = cat_fail(error, -ENOMEM, "out of memory");
        goto out;
    }
    *out = doc;
out:
    if (xdoc)
        xmlFreeDoc(xdoc);
    xmlFreeParserCtxt(ctxt);
    return rc;
}

int
sdvm_cat_parse_file(const char *path, struct sdvm_cat_document **out, char **error)
{
    *out = NULL;
    char *data;
    size_t len;
    int rc = cat_read_file(path, SDVM_CAT_MAX_DOCUMENT, &data, &len);
    if (rc == -EFBIG)
        return cat_fail(error, rc, "larger than the %u bytes an eap-config may have",
                        SDVM_CAT_MAX_DOCUMENT);
    if (rc < 0)
        return cat_fail(error, rc, "cannot read: %s", strerror(-rc));
    rc = sdvm_cat_parse(data, len, out, error);
    free(data);
    return rc;
}
