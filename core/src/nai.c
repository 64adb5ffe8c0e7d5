/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "sdvm/nai.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct sdvm_nai {
    char *input;      /* as typed */
    char *normalized; /* user@realm, realm lower-cased */
    char *user;       /* points into its own allocation */
    char *realm;
};

/*
 * Decode one UTF-8 sequence at s[0..len). Returns its length (1..4) and the code point,
 * or 0 when the bytes are not well-formed UTF-8 (RFC 3629: no overlongs, no surrogates,
 * nothing above U+10FFFF).
 */
static size_t
utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t n;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
        n = 2, v = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3, v = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (len < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return n;
}

static bool
is_control(uint32_t cp)
{
    return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F);
}

/* ASCII space plus Unicode's White_Space and the invisible separators people paste. */
static bool
is_space(uint32_t cp)
{
    switch (cp) {
    case 0x20:
    case 0xA0:   /* no-break space */
    case 0x1680: /* ogham space mark */
    case 0x180E: /* mongolian vowel separator */
    case 0x2028: /* line separator */
    case 0x2029: /* paragraph separator */
    case 0x202F: /* narrow no-break space */
    case 0x205F: /* medium mathematical space */
    case 0x3000: /* ideographic space */
    case 0x200B: /* zero width space */
    case 0xFEFF: /* zero width no-break space (BOM) */
        return true;
    default:
        return cp >= 0x2000 && cp <= 0x200A;
    }
}

static bool
is_ascii_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static enum sdvm_nai_reject
check_realm(const char *realm, size_t len)
{
    if (len == 0)
        return SDVM_NAI_EMPTY_REALM;
    if (realm[0] == '.')
        return SDVM_NAI_REALM_LEADING_DOT;
    if (realm[len - 1] == '.')
        return SDVM_NAI_REALM_TRAILING_DOT;
    size_t labels = 0;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && realm[i] != '.')
            continue;
        size_t label_len = i - start;
        if (label_len == 0)
            return SDVM_NAI_REALM_EMPTY_LABEL;
        if (label_len > SDVM_NAI_MAX_LABEL_OCTETS)
            return SDVM_NAI_REALM_LABEL_TOO_LONG;
        for (size_t j = start; j < i; j++) {
            unsigned char c = (unsigned char)realm[j];
            if (c < 0x80 && !is_ascii_alnum(c) && c != '-')
                return SDVM_NAI_REALM_BAD_CHAR;
        }
        if (realm[start] == '-' || realm[i - 1] == '-')
            return SDVM_NAI_REALM_BAD_HYPHEN;
        labels++;
        start = i + 1;
    }
    if (labels < 2)
        return SDVM_NAI_REALM_SINGLE_LABEL;
    return SDVM_NAI_VALID;
}

/* Splits at the '@' on success: *at is its offset. */
static enum sdvm_nai_reject
check(const char *input, size_t len, unsigned flags, size_t *at)
{
    if (!input || len == 0)
        return SDVM_NAI_EMPTY;
    if (len > SDVM_NAI_MAX_OCTETS)
        return SDVM_NAI_TOO_LONG;

    /* Character rules over the whole input first, so "a b@@c" says WHITESPACE. */
    const unsigned char *s = (const unsigned char *)input;
    size_t ats = 0, at_pos = 0;
    for (size_t i = 0; i < len;) {
        if (s[i] == 0)
            return SDVM_NAI_EMBEDDED_NUL;
        uint32_t cp;
        size_t n = utf8_decode(s + i, len - i, &cp);
        if (n == 0)
            return SDVM_NAI_INVALID_UTF8;
        if (is_control(cp))
            return SDVM_NAI_CONTROL_CHAR;
        if (is_space(cp))
            return SDVM_NAI_WHITESPACE;
        if (cp == '@') {
            if (ats++ == 0)
                at_pos = i;
        }
        i += n;
    }
    if (ats == 0)
        return SDVM_NAI_NO_AT;
    if (ats > 1)
        return SDVM_NAI_SEVERAL_AT;
    if (at_pos == 0)
        return SDVM_NAI_EMPTY_USER;

    enum sdvm_nai_reject r = check_realm(input + at_pos + 1, len - at_pos - 1);
    if (r != SDVM_NAI_VALID)
        return r;

    if (flags & SDVM_NAI_REJECT_DECORATION) {
        if (memchr(input, '!', at_pos) || memchr(input, '%', at_pos))
            return SDVM_NAI_DECORATED;
    }
    *at = at_pos;
    return SDVM_NAI_VALID;
}

static size_t
effective_len(const char *input, size_t len)
{
    if (len == SDVM_NAI_NUL_TERMINATED)
        return input ? strlen(input) : 0;
    return len;
}

enum sdvm_nai_reject
sdvm_nai_check(const char *input, size_t len, unsigned flags)
{
    size_t at;
    return check(input, effective_len(input, len), flags, &at);
}

int
sdvm_nai_parse(const char *input, size_t len, unsigned flags, sdvm_nai **out,
               enum sdvm_nai_reject *reject)
{
    if (reject)
        *reject = SDVM_NAI_VALID;
    if (!out)
        return -EINVAL;
    *out = NULL;
    len = effective_len(input, len);
    size_t at = 0;
    enum sdvm_nai_reject r = check(input, len, flags, &at);
    if (r != SDVM_NAI_VALID) {
        if (reject)
            *reject = r;
        return -EINVAL;
    }

    struct sdvm_nai *nai = calloc(1, sizeof(*nai));
    if (!nai)
        return -ENOMEM;
    nai->input = malloc(len + 1);
    nai->normalized = malloc(len + 1);
    /* user and realm share one buffer: "user\0realm\0". */
    nai->user = malloc(len + 1);
    if (!nai->input || !nai->normalized || !nai->user) {
        sdvm_nai_free(nai);
        return -ENOMEM;
    }
    memcpy(nai->input, input, len);
    nai->input[len] = '\0';
    memcpy(nai->normalized, input, len);
    nai->normalized[len] = '\0';
    for (size_t i = at + 1; i < len; i++) {
        char c = nai->normalized[i];
        if (c >= 'A' && c <= 'Z')
            nai->normalized[i] = (char)(c - 'A' + 'a');
    }
    memcpy(nai->user, nai->normalized, len + 1);
    nai->user[at] = '\0';
    nai->realm = nai->user + at + 1;
    *out = nai;
    return 0;
}

void
sdvm_nai_free(sdvm_nai *nai)
{
    if (!nai)
        return;
    free(nai->input);
    free(nai->normalized);
    free(nai->user);
    free(nai);
}

const char *
sdvm_nai_user(const sdvm_nai *nai)
{
    return nai ? nai->user : NULL;
}

const char *
sdvm_nai_realm(const sdvm_nai *nai)
{
    return nai ? nai->realm : NULL;
}

const char *
sdvm_nai_normalized(const sdvm_nai *nai)
{
    return nai ? nai->normalized : NULL;
}

const char *
sdvm_nai_input(const sdvm_nai *nai)
{
    return nai ? nai->input : NULL;
}

struct reject_name {
    enum sdvm_nai_reject reject;
    const char *id;
    const char *description;
};

static const struct reject_name reject_names[] = {
    {SDVM_NAI_VALID, "VALID", "the login is a valid user@realm"},
    {SDVM_NAI_EMPTY, "EMPTY", "the login is empty"},
    {SDVM_NAI_TOO_LONG, "TOO_LONG", "the login is longer than 253 octets"},
    {SDVM_NAI_EMBEDDED_NUL, "EMBEDDED_NUL", "the login contains a NUL character"},
    {SDVM_NAI_INVALID_UTF8, "INVALID_UTF8", "the login is not valid UTF-8"},
    {SDVM_NAI_CONTROL_CHAR, "CONTROL_CHAR", "the login contains a control character"},
    {SDVM_NAI_WHITESPACE, "WHITESPACE", "the login contains a space"},
    {SDVM_NAI_NO_AT, "NO_AT", "the login has no '@realm' part"},
    {SDVM_NAI_SEVERAL_AT, "SEVERAL_AT", "the login has more than one '@'"},
    {SDVM_NAI_EMPTY_USER, "EMPTY_USER", "the user name before the '@' is empty"},
    {SDVM_NAI_EMPTY_REALM, "EMPTY_REALM", "the realm after the '@' is empty"},
    {SDVM_NAI_REALM_SINGLE_LABEL, "REALM_SINGLE_LABEL",
     "the realm has no dot (it must be a domain such as example.org)"},
    {SDVM_NAI_REALM_LEADING_DOT, "REALM_LEADING_DOT", "the realm starts with a dot"},
    {SDVM_NAI_REALM_TRAILING_DOT, "REALM_TRAILING_DOT", "the realm ends with a dot"},
    {SDVM_NAI_REALM_EMPTY_LABEL, "REALM_EMPTY_LABEL", "the realm has two dots in a row"},
    {SDVM_NAI_REALM_BAD_CHAR, "REALM_BAD_CHAR",
     "the realm contains a character other than letters, digits, '-' and '.'"},
    {SDVM_NAI_REALM_BAD_HYPHEN, "REALM_BAD_HYPHEN", "a part of the realm starts or ends with '-'"},
    {SDVM_NAI_REALM_LABEL_TOO_LONG, "REALM_LABEL_TOO_LONG",
     "a part of the realm is longer than 63 octets"},
    {SDVM_NAI_DECORATED, "DECORATED",
     "the user name contains '!' or '%' routing decoration, which is not accepted here"},
};

static const struct reject_name *
find_reject(enum sdvm_nai_reject reject)
{
    for (size_t i = 0; i < sizeof(reject_names) / sizeof(reject_names[0]); i++)
        if (reject_names[i].reject == reject)
            return &reject_names[i];
    return NULL;
}

const char *
sdvm_nai_reject_to_string(enum sdvm_nai_reject reject)
{
    const struct reject_name *r = find_reject(reject);
    return r ? r->id : "UNKNOWN";
}

const char *
sdvm_nai_reject_describe(enum sdvm_nai_reject reject)
{
    const struct reject_name *r = find_reject(reject);
    return r ? r->description : "an unknown NAI rejection";
}
