/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Network Access Identifiers (RFC 7542): what a person types at the greeter, "user@realm".
 *
 * Accepted: exactly one '@', a non-empty user part and a realm of at least two labels;
 * at most 253 octets in all (the RADIUS User-Name limit); valid UTF-8; no control characters
 * (C0, DEL, C1) and no white space (ASCII or Unicode). Realm labels are letters, digits,
 * inner hyphens or non-ASCII UTF-8 (an internationalised realm is kept as opaque bytes: no
 * NFC normalisation is applied), 1 to 63 octets each, with no leading, trailing or doubled dot.
 *
 * Normalised form: the user part exactly as typed, '@', the realm with ASCII letters
 * lower-cased (realms compare case-insensitively, RADIUS proxies route with strcasecmp; the
 * user part belongs to the home institution and is never changed).
 *
 * Every rejection is a numbered reason (enum sdvm_nai_reject). The numbers are stable:
 * append only.
 */
#ifndef SDVM_NAI_H
#define SDVM_NAI_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SDVM_NAI_MAX_OCTETS 253
#define SDVM_NAI_MAX_LABEL_OCTETS 63

/* Pass as len to take the length from strlen(input). */
#define SDVM_NAI_NUL_TERMINATED ((size_t)-1)

enum sdvm_nai_reject {
    SDVM_NAI_VALID = 0,
    SDVM_NAI_EMPTY = 1,                 /* nothing typed */
    SDVM_NAI_TOO_LONG = 2,              /* more than 253 octets */
    SDVM_NAI_EMBEDDED_NUL = 3,          /* a NUL octet inside the given length */
    SDVM_NAI_INVALID_UTF8 = 4,          /* not valid UTF-8 (overlong, surrogate, truncated) */
    SDVM_NAI_CONTROL_CHAR = 5,          /* C0 control, DEL or C1 control */
    SDVM_NAI_WHITESPACE = 6,            /* ASCII or Unicode space */
    SDVM_NAI_NO_AT = 7,                 /* no '@': a realm is required */
    SDVM_NAI_SEVERAL_AT = 8,            /* more than one '@' */
    SDVM_NAI_EMPTY_USER = 9,            /* "@realm" */
    SDVM_NAI_EMPTY_REALM = 10,          /* "user@" */
    SDVM_NAI_REALM_SINGLE_LABEL = 11,   /* "user@localhost": a realm needs a dot */
    SDVM_NAI_REALM_LEADING_DOT = 12,    /* "user@.example.org" */
    SDVM_NAI_REALM_TRAILING_DOT = 13,   /* "user@example.org." */
    SDVM_NAI_REALM_EMPTY_LABEL = 14,    /* "user@example..org" */
    SDVM_NAI_REALM_BAD_CHAR = 15,       /* a realm character that is not letter/digit/hyphen */
    SDVM_NAI_REALM_BAD_HYPHEN = 16,     /* a realm label starting or ending with '-' */
    SDVM_NAI_REALM_LABEL_TOO_LONG = 17, /* a realm label over 63 octets */
    SDVM_NAI_DECORATED = 18,            /* '!' or '%' routing decoration (when rejected) */
};

/* Flags for sdvm_nai_parse(). */
enum sdvm_nai_flags {
    /*
     * Reject '!' and '%' in the user part: the historical "homerealm!user@otherrealm"
     * routing forms (RFC 7542 section 3.3.1). Legal characters, so this is a policy.
     */
    SDVM_NAI_REJECT_DECORATION = 1u << 0,
};

typedef struct sdvm_nai sdvm_nai;

/*
 * Validate input (len octets, or SDVM_NAI_NUL_TERMINATED) without allocating.
 * Returns SDVM_NAI_VALID or the first rule broken.
 */
enum sdvm_nai_reject sdvm_nai_check(const char *input, size_t len, unsigned flags);

/*
 * Parse input into *out. Returns 0; -EINVAL when the NAI is rejected (the reason in *reject,
 * which may be NULL); -ENOMEM. *reject is SDVM_NAI_VALID on success.
 */
int sdvm_nai_parse(const char *input, size_t len, unsigned flags, sdvm_nai **out,
                   enum sdvm_nai_reject *reject);

/* NULL is accepted. */
void sdvm_nai_free(sdvm_nai *nai);

/* The user part, as typed. */
const char *sdvm_nai_user(const sdvm_nai *nai);
/* The realm, ASCII letters lower-cased. */
const char *sdvm_nai_realm(const sdvm_nai *nai);
/* user "@" realm (lower-cased realm): what the user id hashes. */
const char *sdvm_nai_normalized(const sdvm_nai *nai);
/* The input exactly as typed (what goes to RADIUS as the inner identity). */
const char *sdvm_nai_input(const sdvm_nai *nai);

/* Stable identifier for logs ("SEVERAL_AT"); "UNKNOWN" for numbers not listed. */
const char *sdvm_nai_reject_to_string(enum sdvm_nai_reject reject);
/* One English sentence for administrators and logs ("the login has more than one '@'"). */
const char *sdvm_nai_reject_describe(enum sdvm_nai_reject reject);

#ifdef __cplusplus
}
#endif

#endif
