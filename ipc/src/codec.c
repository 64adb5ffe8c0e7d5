/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sdvm-ipc frames and messages: encode and decode, with every bound of sdvm-ipc(7) checked.
 * The decoder reads only inside [payload, payload + len) and trusts no length it reads.
 */
#include "sdvm/ipc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdvm-types.h"

/* ---- little-endian helpers ---------------------------------------------------------- */

static uint16_t
get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t
get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static uint64_t
get_u64(const uint8_t *p)
{
    return (uint64_t)get_u32(p) | ((uint64_t)get_u32(p + 4) << 32);
}

static void
put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void
put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void
put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void set_error(struct sdvm_ipc_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
set_error(struct sdvm_ipc_error *err, const char *fmt, ...)
{
    if (!err)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->text, sizeof(err->text), fmt, ap);
    va_end(ap);
}

/* ---- message types ------------------------------------------------------------------ */

#define T(x) (1u << SDVM_IPC_TAG_##x)
#define CONTACTS (T(INSTITUTION) | T(HELPDESK_EMAIL) | T(HELPDESK_PHONE) | T(HELPDESK_URL))

struct type_spec {
    uint16_t type;
    const char *name;
    uint32_t allowed;  /* known tags this message may carry */
    uint32_t required; /* tags it must carry */
    bool op_nonzero;   /* OP, when present, must not be 0 */
};

static const struct type_spec types[] = {
    {SDVM_IPC_HELLO, "HELLO", T(VERSION) | T(SOFTWARE), T(VERSION), false},
    {SDVM_IPC_LOGIN, "LOGIN", T(OP) | T(NAI) | T(PASSWORD) | T(IMAGE_ID),
     T(OP) | T(NAI) | T(PASSWORD) | T(IMAGE_ID), true},
    {SDVM_IPC_CANCEL, "CANCEL", T(OP), T(OP), true},
    {SDVM_IPC_POWER, "POWER", T(POWER_ACTION), T(POWER_ACTION), false},
    {SDVM_IPC_EV_HELLO, "EV_HELLO",
     T(VERSION) | T(SOFTWARE) | T(HOSTNAME) | T(POWER_MASK) | T(IMAGE),
     T(VERSION) | T(HOSTNAME) | T(POWER_MASK), false},
    {SDVM_IPC_EV_PROGRESS, "EV_PROGRESS", T(OP) | T(STAGE), T(OP) | T(STAGE), true},
    {SDVM_IPC_EV_MESSAGE, "EV_MESSAGE", T(OP) | T(IS_ERROR) | T(TEXT),
     T(OP) | T(IS_ERROR) | T(TEXT), false},
    {SDVM_IPC_EV_FINISHED, "EV_FINISHED",
     T(OP) | T(FAILURE) | T(DETAIL) | T(RETRY_AFTER) | CONTACTS, T(OP) | T(FAILURE), true},
    {SDVM_IPC_EV_LAUNCHING, "EV_LAUNCHING", T(OP), T(OP), true},
    {SDVM_IPC_EV_IMAGES, "EV_IMAGES", T(HOSTNAME) | T(POWER_MASK) | T(IMAGE), 0, false},
    {SDVM_IPC_EV_ERROR, "EV_ERROR", T(OP) | T(FAILURE) | T(TEXT), T(FAILURE) | T(TEXT), false},
};

static const struct type_spec *
find_type(uint16_t type)
{
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (types[i].type == type)
            return &types[i];
    return NULL;
}

const char *
sdvm_ipc_type_to_string(enum sdvm_ipc_type type)
{
    const struct type_spec *t = find_type((uint16_t)type);
    return t ? t->name : "UNKNOWN";
}

bool
sdvm_ipc_type_is_request(uint16_t type)
{
    return find_type(type) && !(type & 0x8000);
}

bool
sdvm_ipc_type_is_event(uint16_t type)
{
    return find_type(type) && (type & 0x8000);
}

static const char *
tag_name(unsigned tag)
{
    static const char *const names[] = {
        [SDVM_IPC_TAG_VERSION] = "version",
        [SDVM_IPC_TAG_OP] = "op",
        [SDVM_IPC_TAG_NAI] = "nai",
        [SDVM_IPC_TAG_PASSWORD] = "password",
        [SDVM_IPC_TAG_IMAGE_ID] = "image-id",
        [SDVM_IPC_TAG_POWER_ACTION] = "power-action",
        [SDVM_IPC_TAG_HOSTNAME] = "hostname",
        [SDVM_IPC_TAG_POWER_MASK] = "power-mask",
        [SDVM_IPC_TAG_IMAGE] = "image",
        [SDVM_IPC_TAG_STAGE] = "stage",
        [SDVM_IPC_TAG_IS_ERROR] = "is-error",
        [SDVM_IPC_TAG_TEXT] = "text",
        [SDVM_IPC_TAG_FAILURE] = "failure",
        [SDVM_IPC_TAG_DETAIL] = "detail",
        [SDVM_IPC_TAG_RETRY_AFTER] = "retry-after",
        [SDVM_IPC_TAG_INSTITUTION] = "institution",
        [SDVM_IPC_TAG_HELPDESK_EMAIL] = "helpdesk-email",
        [SDVM_IPC_TAG_HELPDESK_PHONE] = "helpdesk-phone",
        [SDVM_IPC_TAG_HELPDESK_URL] = "helpdesk-url",
        [SDVM_IPC_TAG_SOFTWARE] = "software",
    };
    if (tag < sizeof(names) / sizeof(names[0]) && names[tag])
        return names[tag];
    return "unknown";
}

/* ---- value rules (shared by encoder and decoder) ------------------------------------- */

enum str_class {
    STR_LINE,   /* no control characters at all */
    STR_TEXT,   /* also newline and tab */
    STR_SECRET, /* anything but NUL (still UTF-8) */
    STR_ID,     /* [A-Za-z0-9._-] */
};

/* Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
static bool
utf8_valid(const uint8_t *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        uint32_t cp, min;
        if ((c & 0xe0) == 0xc0) {
            n = 2;
            cp = c & 0x1f;
            min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            n = 3;
            cp = c & 0x0f;
            min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            n = 4;
            cp = c & 0x07;
            min = 0x10000;
        } else {
            return false;
        }
        if (len - i < n)
            return false;
        for (size_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += n;
    }
    return true;
}

/* Is s (len bytes) a valid string of class cls? *why names the rule broken. */
static bool
str_ok(const uint8_t *s, size_t len, size_t max, bool nonempty, enum str_class cls,
       const char **why)
{
    if (len > max) {
        *why = "too long";
        return false;
    }
    if (nonempty && len == 0) {
        *why = "empty";
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        uint8_t c = s[i];
        if (c == 0) {
            *why = "contains NUL";
            return false;
        }
        switch (cls) {
        case STR_ID:
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-')) {
                *why = "not [A-Za-z0-9._-]";
                return false;
            }
            break;
        case STR_LINE:
        case STR_TEXT:
            if ((c < 0x20 && !(cls == STR_TEXT && (c == '\n' || c == '\t'))) || c == 0x7f) {
                *why = "contains a control character";
                return false;
            }
            break;
        case STR_SECRET:
            break;
        }
    }
    if (!utf8_valid(s, len)) {
        *why = "not UTF-8";
        return false;
    }
    return true;
}

#define POWER_ALL                                                                                  \
    (SDVM_POWER_OFF | SDVM_POWER_REBOOT | SDVM_POWER_SUSPEND | SDVM_POWER_HIBERNATE |              \
     SDVM_POWER_HYBRID_SLEEP)

static bool
power_action_ok(uint32_t a)
{
    return a != 0 && (a & (a - 1)) == 0 && (a & ~(uint32_t)POWER_ALL) == 0;
}

static bool
stage_ok(uint32_t s)
{
    return s >= SDVM_STAGE_CHECKING_REALM && s <= SDVM_STAGE_DISK_RENEWED;
}

/* String fields: bound, class and whether they may be empty. */
struct str_rule {
    size_t max;
    enum str_class cls;
    bool nonempty;
};

static bool
str_rule_for(unsigned tag, struct str_rule *r)
{
    switch (tag) {
    case SDVM_IPC_TAG_NAI:
        *r = (struct str_rule){SDVM_IPC_MAX_NAI, STR_LINE, true};
        return true;
    case SDVM_IPC_TAG_PASSWORD:
        *r = (struct str_rule){SDVM_IPC_MAX_PASSWORD, STR_SECRET, true};
        return true;
    case SDVM_IPC_TAG_IMAGE_ID:
        *r = (struct str_rule){SDVM_IPC_MAX_IMAGE_ID, STR_ID, true};
        return true;
    case SDVM_IPC_TAG_HOSTNAME:
        *r = (struct str_rule){SDVM_IPC_MAX_HOSTNAME, STR_LINE, false};
        return true;
    case SDVM_IPC_TAG_TEXT:
    case SDVM_IPC_TAG_DETAIL:
        *r = (struct str_rule){SDVM_IPC_MAX_TEXT, STR_TEXT, false};
        return true;
    case SDVM_IPC_TAG_INSTITUTION:
    case SDVM_IPC_TAG_HELPDESK_EMAIL:
    case SDVM_IPC_TAG_HELPDESK_PHONE:
    case SDVM_IPC_TAG_HELPDESK_URL:
        *r = (struct str_rule){SDVM_IPC_MAX_CONTACT, STR_LINE, false};
        return true;
    case SDVM_IPC_TAG_SOFTWARE:
        *r = (struct str_rule){SDVM_IPC_MAX_SOFTWARE, STR_LINE, false};
        return true;
    default:
        return false;
    }
}

static bool
image_str_rule_for(unsigned tag, struct str_rule *r)
{
    switch (tag) {
    case SDVM_IPC_IMAGE_ID:
        *r = (struct str_rule){SDVM_IPC_MAX_IMAGE_ID, STR_ID, true};
        return true;
    case SDVM_IPC_IMAGE_NAME:
        *r = (struct str_rule){SDVM_IPC_MAX_IMAGE_NAME, STR_LINE, true};
        return true;
    case SDVM_IPC_IMAGE_OS_TYPE:
        *r = (struct str_rule){SDVM_IPC_MAX_OS_TYPE, STR_LINE, false};
        return true;
    case SDVM_IPC_IMAGE_COMMENT:
        *r = (struct str_rule){SDVM_IPC_MAX_COMMENT, STR_TEXT, false};
        return true;
    case SDVM_IPC_IMAGE_REASON:
        *r = (struct str_rule){SDVM_IPC_MAX_REASON, STR_TEXT, false};
        return true;
    default:
        return false;
    }
}

int
sdvm_ipc_check_string(enum sdvm_ipc_tag tag, const char *s)
{
    struct str_rule rule;
    if (!s || !str_rule_for(tag, &rule))
        return -EINVAL;
    size_t len = strnlen(s, rule.max + 1);
    const char *why;
    if (len > rule.max)
        return -EMSGSIZE;
    return str_ok((const uint8_t *)s, len, rule.max, rule.nonempty, rule.cls, &why) ? 0 : -EINVAL;
}

/* ---- buffers ------------------------------------------------------------------------ */

int
sdvm_ipc_buf_reserve(struct sdvm_ipc_buf *buf, size_t n)
{
    if (n > SIZE_MAX / 2 - buf->len)
        return -ENOMEM;
    if (buf->len + n <= buf->cap)
        return 0;
    size_t cap = buf->cap ? buf->cap : 256;
    while (cap < buf->len + n)
        cap *= 2;
    /* Not realloc(): the old block may hold a password and must be wiped, not abandoned. */
    uint8_t *d = malloc(cap);
    if (!d)
        return -ENOMEM;
    if (buf->len)
        memcpy(d, buf->data, buf->len);
    if (buf->data) {
        explicit_bzero(buf->data, buf->cap);
        free(buf->data);
    }
    buf->data = d;
    buf->cap = cap;
    return 0;
}

void
sdvm_ipc_buf_consume(struct sdvm_ipc_buf *buf, size_t n)
{
    if (n >= buf->len) {
        if (buf->data)
            explicit_bzero(buf->data, buf->len);
        buf->len = 0;
        return;
    }
    memmove(buf->data, buf->data + n, buf->len - n);
    buf->len -= n;
    explicit_bzero(buf->data + buf->len, n);
}

void
sdvm_ipc_buf_free(struct sdvm_ipc_buf *buf)
{
    if (buf->data) {
        explicit_bzero(buf->data, buf->cap);
        free(buf->data);
    }
    buf->data = NULL;
    buf->len = buf->cap = 0;
}

/* ---- frames ------------------------------------------------------------------------- */

int
sdvm_ipc_frame_parse(const uint8_t *data, size_t len, struct sdvm_ipc_frame *frame,
                     struct sdvm_ipc_error *err)
{
    if (len < SDVM_IPC_HEADER_SIZE)
        return 0;
    uint32_t plen = get_u32(data);
    uint16_t type = get_u16(data + 4);
    uint16_t flags = get_u16(data + 6);
    if (plen > SDVM_IPC_MAX_PAYLOAD) {
        set_error(err, "frame of %u bytes, at most %d", plen, SDVM_IPC_MAX_PAYLOAD);
        return -EMSGSIZE;
    }
    if (!find_type(type)) {
        set_error(err, "unknown message type 0x%04x", type);
        return -EPROTO;
    }
    if (flags != 0) {
        set_error(err, "%s: flags 0x%04x set (protocol version 1 has none)",
                  sdvm_ipc_type_to_string((enum sdvm_ipc_type)type), flags);
        return -EBADMSG;
    }
    if (len - SDVM_IPC_HEADER_SIZE < plen)
        return 0;
    frame->type = type;
    frame->payload = data + SDVM_IPC_HEADER_SIZE;
    frame->payload_len = plen;
    frame->frame_len = SDVM_IPC_HEADER_SIZE + (size_t)plen;
    return 1;
}

/* ---- decoding ----------------------------------------------------------------------- */

void
sdvm_ipc_msg_wipe_password(struct sdvm_ipc_msg *msg)
{
    if (msg->password)
        explicit_bzero((char *)msg->password, strlen(msg->password));
}

void
sdvm_ipc_msg_clear(struct sdvm_ipc_msg *msg)
{
#define WIPE(field)                                                                                \
    do {                                                                                           \
        if (msg->field) {                                                                          \
            explicit_bzero((char *)msg->field, strlen(msg->field));                                \
            free((char *)msg->field);                                                              \
        }                                                                                          \
    } while (0)
    WIPE(software);
    WIPE(nai);
    WIPE(password);
    WIPE(image_id);
    WIPE(hostname);
    WIPE(text);
    WIPE(detail);
    WIPE(institution);
    WIPE(helpdesk_email);
    WIPE(helpdesk_phone);
    WIPE(helpdesk_url);
    for (size_t i = 0; i < msg->n_images; i++) {
        struct sdvm_ipc_image *im = &msg->images[i];
        free((char *)im->id);
        free((char *)im->name);
        free((char *)im->os_type);
        free((char *)im->comment);
        free((char *)im->unavailable_reason);
    }
    free(msg->images);
#undef WIPE
    memset(msg, 0, sizeof(*msg));
}

static char *
copy_str(const uint8_t *v, size_t len)
{
    char *s = malloc(len + 1);
    if (s) {
        memcpy(s, v, len);
        s[len] = '\0';
    }
    return s;
}

/* Iterate the fields of [p, p + len): returns 1 and the next field, 0 at the end, -1 bad. */
struct field_iter {
    const uint8_t *p;
    size_t left;
};

static int
next_field(struct field_iter *it, unsigned *tag, const uint8_t **value, size_t *vlen)
{
    if (it->left == 0)
        return 0;
    if (it->left < 4)
        return -1;
    *tag = get_u16(it->p);
    *vlen = get_u16(it->p + 2);
    if (it->left - 4 < *vlen)
        return -1;
    *value = it->p + 4;
    it->p += 4 + *vlen;
    it->left -= 4 + *vlen;
    return 1;
}

static int
decode_image(const uint8_t *v, size_t len, struct sdvm_ipc_image *im, const char *mname,
             size_t index, struct sdvm_ipc_error *err)
{
    struct field_iter it = {v, len};
    unsigned tag;
    const uint8_t *fv;
    size_t flen;
    uint32_t seen = 0;
    int r;
    while ((r = next_field(&it, &tag, &fv, &flen)) > 0) {
        if (tag >= 1 && tag <= 31 && (seen & (1u << tag))) {
            set_error(err, "%s: image %zu: field %u repeated", mname, index, tag);
            return -EBADMSG;
        }
        if (tag >= 1 && tag <= 31)
            seen |= 1u << tag;
        struct str_rule rule;
        const char *why = NULL;
        if (image_str_rule_for(tag, &rule)) {
            if (!str_ok(fv, flen, rule.max, rule.nonempty, rule.cls, &why)) {
                set_error(err, "%s: image %zu: field %u (%zu bytes): %s", mname, index, tag, flen,
                          why);
                return -EBADMSG;
            }
            char *s = copy_str(fv, flen);
            if (!s)
                return -ENOMEM;
            switch (tag) {
            case SDVM_IPC_IMAGE_ID:
                im->id = s;
                break;
            case SDVM_IPC_IMAGE_NAME:
                im->name = s;
                break;
            case SDVM_IPC_IMAGE_OS_TYPE:
                im->os_type = s;
                break;
            case SDVM_IPC_IMAGE_COMMENT:
                im->comment = s;
                break;
            default:
                im->unavailable_reason = s;
                break;
            }
        } else if (tag == SDVM_IPC_IMAGE_DEFAULT || tag == SDVM_IPC_IMAGE_AVAILABLE) {
            if (flen != 1 || fv[0] > 1) {
                set_error(err, "%s: image %zu: field %u must be one byte, 0 or 1", mname, index,
                          tag);
                return -EBADMSG;
            }
            if (tag == SDVM_IPC_IMAGE_DEFAULT)
                im->is_default = fv[0];
            else
                im->available = fv[0];
        } else if (tag == SDVM_IPC_IMAGE_STATUS) {
            if (flen != 4) {
                set_error(err, "%s: image %zu: field %u must be a u32", mname, index, tag);
                return -EBADMSG;
            }
            /* Numbers this side does not know yet are kept: the reason text still says it. */
            im->status = get_u32(fv);
        }
        /* Unknown image fields are skipped. */
    }
    if (r < 0) {
        set_error(err, "%s: image %zu: a field runs past the group", mname, index);
        return -EBADMSG;
    }
    uint32_t need = (1u << SDVM_IPC_IMAGE_ID) | (1u << SDVM_IPC_IMAGE_NAME) |
                    (1u << SDVM_IPC_IMAGE_OS_TYPE) | (1u << SDVM_IPC_IMAGE_AVAILABLE);
    if ((seen & need) != need) {
        set_error(err, "%s: image %zu: id, name, os-type and available are required", mname, index);
        return -EBADMSG;
    }
    if (im->available && (im->unavailable_reason || im->status)) {
        set_error(err, "%s: image %zu: an available image has no unavailable reason", mname, index);
        return -EBADMSG;
    }
    return 0;
}

static int
decode_fields(const struct type_spec *t, const uint8_t *payload, size_t len, struct sdvm_ipc_msg *m,
              struct sdvm_ipc_error *err)
{
    struct field_iter it = {payload, len};
    unsigned tag;
    const uint8_t *v;
    size_t vlen;
    uint32_t seen = 0;
    int r;
    while ((r = next_field(&it, &tag, &v, &vlen)) > 0) {
        if (tag == 0 || tag > SDVM_IPC_TAG_SOFTWARE)
            continue; /* unknown tag: skipped (fields may be added within a version) */
        uint32_t bit = 1u << tag;
        if (!(t->allowed & bit)) {
            set_error(err, "%s: field %s does not belong in this message", t->name, tag_name(tag));
            return -EBADMSG;
        }
        if ((seen & bit) && tag != SDVM_IPC_TAG_IMAGE) {
            set_error(err, "%s: field %s repeated", t->name, tag_name(tag));
            return -EBADMSG;
        }
        seen |= bit;

        struct str_rule rule;
        const char *why = NULL;
        if (str_rule_for(tag, &rule)) {
            if (!str_ok(v, vlen, rule.max, rule.nonempty, rule.cls, &why)) {
                set_error(err, "%s: field %s (%zu bytes, at most %zu): %s", t->name, tag_name(tag),
                          vlen, rule.max, why);
                return -EBADMSG;
            }
            char *s = copy_str(v, vlen);
            if (!s)
                return -ENOMEM;
            switch (tag) {
            case SDVM_IPC_TAG_NAI:
                m->nai = s;
                break;
            case SDVM_IPC_TAG_PASSWORD:
                m->password = s;
                break;
            case SDVM_IPC_TAG_IMAGE_ID:
                m->image_id = s;
                break;
            case SDVM_IPC_TAG_HOSTNAME:
                m->hostname = s;
                break;
            case SDVM_IPC_TAG_TEXT:
                m->text = s;
                break;
            case SDVM_IPC_TAG_DETAIL:
                m->detail = s;
                break;
            case SDVM_IPC_TAG_INSTITUTION:
                m->institution = s;
                break;
            case SDVM_IPC_TAG_HELPDESK_EMAIL:
                m->helpdesk_email = s;
                break;
            case SDVM_IPC_TAG_HELPDESK_PHONE:
                m->helpdesk_phone = s;
                break;
            case SDVM_IPC_TAG_HELPDESK_URL:
                m->helpdesk_url = s;
                break;
            default:
                m->software = s;
                break;
            }
            continue;
        }

        switch (tag) {
        case SDVM_IPC_TAG_OP:
            if (vlen != 8) {
                set_error(err, "%s: field op must be 8 bytes", t->name);
                return -EBADMSG;
            }
            m->op = get_u64(v);
            if (t->op_nonzero && m->op == 0) {
                set_error(err, "%s: op 0", t->name);
                return -EBADMSG;
            }
            break;
        case SDVM_IPC_TAG_IS_ERROR:
            if (vlen != 1 || v[0] > 1) {
                set_error(err, "%s: field is-error must be one byte, 0 or 1", t->name);
                return -EBADMSG;
            }
            m->is_error = v[0];
            break;
        case SDVM_IPC_TAG_IMAGE: {
            if (m->n_images >= SDVM_IPC_MAX_IMAGES) {
                set_error(err, "%s: more than %d images", t->name, SDVM_IPC_MAX_IMAGES);
                return -EBADMSG;
            }
            if (!m->images) {
                m->images = calloc(SDVM_IPC_MAX_IMAGES, sizeof(*m->images));
                if (!m->images)
                    return -ENOMEM;
            }
            size_t i = m->n_images++;
            int ir = decode_image(v, vlen, &m->images[i], t->name, i, err);
            if (ir < 0)
                return ir;
            for (size_t k = 0; k < i; k++) {
                if (strcmp(m->images[k].id, m->images[i].id) == 0) {
                    set_error(err, "%s: image %zu repeats the id of image %zu", t->name, i, k);
                    return -EBADMSG;
                }
                if (m->images[k].is_default && m->images[i].is_default) {
                    set_error(err, "%s: images %zu and %zu are both the default", t->name, k, i);
                    return -EBADMSG;
                }
            }
            break;
        }
        default: {
            /* The u32 fields. */
            if (vlen != 4) {
                set_error(err, "%s: field %s must be 4 bytes", t->name, tag_name(tag));
                return -EBADMSG;
            }
            uint32_t x = get_u32(v);
            switch (tag) {
            case SDVM_IPC_TAG_VERSION:
                if (x == 0) {
                    set_error(err, "%s: version 0", t->name);
                    return -EBADMSG;
                }
                m->version = x;
                break;
            case SDVM_IPC_TAG_POWER_ACTION:
                if (!power_action_ok(x)) {
                    set_error(err, "%s: power action 0x%x is not one known action", t->name, x);
                    return -EBADMSG;
                }
                m->power_action = x;
                break;
            case SDVM_IPC_TAG_POWER_MASK:
                if (x & ~(uint32_t)POWER_ALL) {
                    set_error(err, "%s: power mask 0x%x has unknown bits", t->name, x);
                    return -EBADMSG;
                }
                m->power_mask = x;
                m->has_power_mask = true;
                break;
            case SDVM_IPC_TAG_STAGE:
                if (!stage_ok(x)) {
                    set_error(err, "%s: unknown stage %u", t->name, x);
                    return -EBADMSG;
                }
                m->stage = x;
                break;
            case SDVM_IPC_TAG_FAILURE:
                if (x == 0 || x > 0xffff) {
                    set_error(err, "%s: failure %u out of range", t->name, x);
                    return -EBADMSG;
                }
                m->failure = x;
                break;
            default: /* SDVM_IPC_TAG_RETRY_AFTER */
                m->retry_after_s = x;
                break;
            }
            break;
        }
        }
    }
    if (r < 0) {
        set_error(err, "%s: a field runs past the end of the message", t->name);
        return -EBADMSG;
    }
    uint32_t missing = t->required & ~seen;
    if (missing) {
        unsigned first = 0;
        while (!(missing & (1u << first)))
            first++;
        set_error(err, "%s: required field %s missing", t->name, tag_name(first));
        return -EBADMSG;
    }
    return 0;
}

int
sdvm_ipc_decode(uint16_t type, const uint8_t *payload, size_t len, struct sdvm_ipc_msg *msg,
                struct sdvm_ipc_error *err)
{
    memset(msg, 0, sizeof(*msg));
    if (err)
        err->text[0] = '\0';
    const struct type_spec *t = find_type(type);
    if (!t) {
        set_error(err, "unknown message type 0x%04x", type);
        return -EBADMSG;
    }
    if (len > SDVM_IPC_MAX_PAYLOAD) {
        set_error(err, "%s: %zu bytes, at most %d", t->name, len, SDVM_IPC_MAX_PAYLOAD);
        return -EBADMSG;
    }
    msg->type = (enum sdvm_ipc_type)type;
    return decode_fields(t, payload, len, msg, err);
}

/* ---- encoding ----------------------------------------------------------------------- */

struct writer {
    struct sdvm_ipc_buf *buf;
    size_t start; /* where this frame began in buf */
    int error;
};

static void
w_field(struct writer *w, unsigned tag, const void *v, size_t len)
{
    if (w->error)
        return;
    if (len > 0xffff) {
        w->error = -EMSGSIZE;
        return;
    }
    int r = sdvm_ipc_buf_reserve(w->buf, 4 + len);
    if (r < 0) {
        w->error = r;
        return;
    }
    uint8_t *p = w->buf->data + w->buf->len;
    put_u16(p, (uint16_t)tag);
    put_u16(p + 2, (uint16_t)len);
    if (len)
        memcpy(p + 4, v, len);
    w->buf->len += 4 + len;
}

static void
w_u8(struct writer *w, unsigned tag, bool v)
{
    uint8_t b = v ? 1 : 0;
    w_field(w, tag, &b, 1);
}

static void
w_u32(struct writer *w, unsigned tag, uint32_t v)
{
    uint8_t b[4];
    put_u32(b, v);
    w_field(w, tag, b, 4);
}

static void
w_u64(struct writer *w, unsigned tag, uint64_t v)
{
    uint8_t b[8];
    put_u64(b, v);
    w_field(w, tag, b, 8);
}

static void
w_str(struct writer *w, unsigned tag, const char *s, const struct str_rule *rule)
{
    if (w->error || !s)
        return;
    size_t len = strnlen(s, rule->max + 1);
    const char *why;
    if (!str_ok((const uint8_t *)s, len, rule->max, rule->nonempty, rule->cls, &why)) {
        w->error = len > rule->max ? -EMSGSIZE : -EINVAL;
        return;
    }
    w_field(w, tag, s, len);
}

static void
w_tag_str(struct writer *w, unsigned tag, const char *s)
{
    struct str_rule rule;
    if (str_rule_for(tag, &rule))
        w_str(w, tag, s, &rule);
}

static void
w_image(struct writer *w, const struct sdvm_ipc_image *im)
{
    if (w->error)
        return;
    if (!im->id || !im->name || !im->os_type ||
        (im->available && (im->unavailable_reason || im->status))) {
        w->error = -EINVAL;
        return;
    }
    /* The group's header first, its length patched once the fields are written. */
    size_t at = w->buf->len;
    w_field(w, SDVM_IPC_TAG_IMAGE, NULL, 0);
    if (w->error)
        return;
    struct str_rule rule;
    image_str_rule_for(SDVM_IPC_IMAGE_ID, &rule);
    w_str(w, SDVM_IPC_IMAGE_ID, im->id, &rule);
    image_str_rule_for(SDVM_IPC_IMAGE_NAME, &rule);
    w_str(w, SDVM_IPC_IMAGE_NAME, im->name, &rule);
    image_str_rule_for(SDVM_IPC_IMAGE_OS_TYPE, &rule);
    w_str(w, SDVM_IPC_IMAGE_OS_TYPE, im->os_type, &rule);
    image_str_rule_for(SDVM_IPC_IMAGE_COMMENT, &rule);
    w_str(w, SDVM_IPC_IMAGE_COMMENT, im->comment, &rule);
    w_u8(w, SDVM_IPC_IMAGE_DEFAULT, im->is_default);
    w_u8(w, SDVM_IPC_IMAGE_AVAILABLE, im->available);
    image_str_rule_for(SDVM_IPC_IMAGE_REASON, &rule);
    w_str(w, SDVM_IPC_IMAGE_REASON, im->unavailable_reason, &rule);
    if (im->status)
        w_u32(w, SDVM_IPC_IMAGE_STATUS, im->status);
    if (w->error)
        return;
    size_t glen = w->buf->len - at - 4;
    if (glen > 0xffff) {
        w->error = -EMSGSIZE;
        return;
    }
    put_u16(w->buf->data + at + 2, (uint16_t)glen);
}

static void
w_images(struct writer *w, const struct sdvm_ipc_msg *m)
{
    if (m->n_images > SDVM_IPC_MAX_IMAGES) {
        w->error = -EMSGSIZE;
        return;
    }
    if (m->n_images && !m->images) {
        w->error = -EINVAL;
        return;
    }
    for (size_t i = 0; i < m->n_images; i++) {
        for (size_t k = 0; k < i; k++) {
            if ((m->images[k].id && m->images[i].id &&
                 strcmp(m->images[k].id, m->images[i].id) == 0) ||
                (m->images[k].is_default && m->images[i].is_default)) {
                w->error = -EINVAL;
                return;
            }
        }
        w_image(w, &m->images[i]);
    }
}

int
sdvm_ipc_encode(const struct sdvm_ipc_msg *m, struct sdvm_ipc_buf *out)
{
    const struct type_spec *t = find_type((uint16_t)m->type);
    if (!t)
        return -EINVAL;
    struct writer w = {.buf = out, .start = out->len, .error = 0};
    int r = sdvm_ipc_buf_reserve(out, SDVM_IPC_HEADER_SIZE);
    if (r < 0)
        return r;
    out->len += SDVM_IPC_HEADER_SIZE;

    switch (m->type) {
    case SDVM_IPC_HELLO:
    case SDVM_IPC_EV_HELLO:
        if (m->version == 0)
            w.error = -EINVAL;
        w_u32(&w, SDVM_IPC_TAG_VERSION, m->version);
        w_tag_str(&w, SDVM_IPC_TAG_SOFTWARE, m->software);
        if (m->type == SDVM_IPC_EV_HELLO) {
            if (!m->hostname || (m->power_mask & ~(uint32_t)POWER_ALL))
                w.error = w.error ? w.error : -EINVAL;
            w_tag_str(&w, SDVM_IPC_TAG_HOSTNAME, m->hostname);
            w_u32(&w, SDVM_IPC_TAG_POWER_MASK, m->power_mask);
            w_images(&w, m);
        }
        break;
    case SDVM_IPC_LOGIN:
        if (m->op == 0 || !m->nai || !m->password || !m->image_id)
            w.error = -EINVAL;
        w_u64(&w, SDVM_IPC_TAG_OP, m->op);
        w_tag_str(&w, SDVM_IPC_TAG_NAI, m->nai);
        w_tag_str(&w, SDVM_IPC_TAG_PASSWORD, m->password);
        w_tag_str(&w, SDVM_IPC_TAG_IMAGE_ID, m->image_id);
        break;
    case SDVM_IPC_CANCEL:
    case SDVM_IPC_EV_LAUNCHING:
        if (m->op == 0)
            w.error = -EINVAL;
        w_u64(&w, SDVM_IPC_TAG_OP, m->op);
        break;
    case SDVM_IPC_POWER:
        if (!power_action_ok(m->power_action))
            w.error = -EINVAL;
        w_u32(&w, SDVM_IPC_TAG_POWER_ACTION, m->power_action);
        break;
    case SDVM_IPC_EV_PROGRESS:
        if (m->op == 0 || !stage_ok(m->stage))
            w.error = -EINVAL;
        w_u64(&w, SDVM_IPC_TAG_OP, m->op);
        w_u32(&w, SDVM_IPC_TAG_STAGE, m->stage);
        break;
    case SDVM_IPC_EV_MESSAGE:
        if (!m->text)
            w.error = -EINVAL;
        w_u64(&w, SDVM_IPC_TAG_OP, m->op);
        w_u8(&w, SDVM_IPC_TAG_IS_ERROR, m->is_error);
        w_tag_str(&w, SDVM_IPC_TAG_TEXT, m->text);
        break;
    case SDVM_IPC_EV_FINISHED:
        if (m->op == 0 || m->failure == 0 || m->failure > 0xffff)
            w.error = -EINVAL;
        w_u64(&w, SDVM_IPC_TAG_OP, m->op);
        w_u32(&w, SDVM_IPC_TAG_FAILURE, m->failure);
        w_tag_str(&w, SDVM_IPC_TAG_DETAIL, m->detail);
        if (m->retry_after_s)
            w_u32(&w, SDVM_IPC_TAG_RETRY_AFTER, m->retry_after_s);
        w_tag_str(&w, SDVM_IPC_TAG_INSTITUTION, m->institution);
        w_tag_str(&w, SDVM_IPC_TAG_HELPDESK_EMAIL, m->helpdesk_email);
        w_tag_str(&w, SDVM_IPC_TAG_HELPDESK_PHONE, m->helpdesk_phone);
        w_tag_str(&w, SDVM_IPC_TAG_HELPDESK_URL, m->helpdesk_url);
        break;
    case SDVM_IPC_EV_IMAGES:
        if (m->power_mask & ~(uint32_t)POWER_ALL)
            w.error = -EINVAL;
        w_tag_str(&w, SDVM_IPC_TAG_HOSTNAME, m->hostname);
        if (m->has_power_mask)
            w_u32(&w, SDVM_IPC_TAG_POWER_MASK, m->power_mask);
        w_images(&w, m);
        break;
    case SDVM_IPC_EV_ERROR:
        if (m->failure == 0 || m->failure > 0xffff || !m->text)
            w.error = -EINVAL;
        if (m->op)
            w_u64(&w, SDVM_IPC_TAG_OP, m->op);
        w_u32(&w, SDVM_IPC_TAG_FAILURE, m->failure);
        w_tag_str(&w, SDVM_IPC_TAG_TEXT, m->text);
        break;
    }

    size_t plen = out->len - w.start - SDVM_IPC_HEADER_SIZE;
    if (!w.error && plen > SDVM_IPC_MAX_PAYLOAD)
        w.error = -EMSGSIZE;
    if (w.error) {
        /* Take the partial frame back out, wiping it (it may hold the password). */
        explicit_bzero(out->data + w.start, out->len - w.start);
        out->len = w.start;
        return w.error;
    }
    uint8_t *h = out->data + w.start;
    put_u32(h, (uint32_t)plen);
    put_u16(h + 4, (uint16_t)m->type);
    put_u16(h + 6, 0);
    return 0;
}
