/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bencode.h"

#include <errno.h>
#include <string.h>

#include <glib.h>

#define MAX_DEPTH 32

struct cursor {
    const char *p, *end;
};

static int skip_value(struct cursor *c, int depth);

/* "123:" -> 123; bytes follow. */
static int
read_string(struct cursor *c, const char **s, size_t *n)
{
    uint64_t v = 0;
    const char *p = c->p;
    if (p >= c->end || *p < '0' || *p > '9')
        return -EINVAL;
    while (p < c->end && *p >= '0' && *p <= '9') {
        v = v * 10 + (uint64_t)(*p - '0');
        if (v > (uint64_t)(c->end - c->p))
            return -EINVAL;
        p++;
    }
    if (p >= c->end || *p != ':')
        return -EINVAL;
    p++;
    if (v > (uint64_t)(c->end - p))
        return -EINVAL;
    *s = p;
    *n = (size_t)v;
    c->p = p + v;
    return 0;
}

/* "i123e" (non-negative only: lengths). */
static int
read_uint(struct cursor *c, uint64_t *out)
{
    const char *p = c->p;
    if (p >= c->end || *p != 'i')
        return -EINVAL;
    p++;
    uint64_t v = 0;
    int digits = 0;
    while (p < c->end && *p >= '0' && *p <= '9') {
        if (v > (UINT64_MAX - 9) / 10)
            return -EINVAL;
        v = v * 10 + (uint64_t)(*p - '0');
        p++;
        digits++;
    }
    if (!digits || p >= c->end || *p != 'e')
        return -EINVAL;
    c->p = p + 1;
    *out = v;
    return 0;
}

static int
skip_value(struct cursor *c, int depth)
{
    if (depth > MAX_DEPTH || c->p >= c->end)
        return -EINVAL;
    const char *s;
    size_t n;
    switch (*c->p) {
    case 'i': {
        const char *p = c->p + 1;
        if (p < c->end && *p == '-')
            p++;
        const char *digits = p;
        while (p < c->end && *p >= '0' && *p <= '9')
            p++;
        if (p == digits || p >= c->end || *p != 'e')
            return -EINVAL;
        c->p = p + 1;
        return 0;
    }
    case 'l':
    case 'd': {
        int is_dict = *c->p == 'd';
        c->p++;
        while (c->p < c->end && *c->p != 'e') {
            if (is_dict && read_string(c, &s, &n) < 0)
                return -EINVAL;
            if (skip_value(c, depth + 1) < 0)
                return -EINVAL;
        }
        if (c->p >= c->end)
            return -EINVAL;
        c->p++;
        return 0;
    }
    default:
        return read_string(c, &s, &n);
    }
}

static int
key_is(const char *s, size_t n, const char *key)
{
    return n == strlen(key) && !memcmp(s, key, n);
}

static int
parse_info(struct cursor *c, struct torrent_info *t)
{
    if (c->p >= c->end || *c->p != 'd')
        return -EINVAL;
    c->p++;
    int has_files = 0;
    while (c->p < c->end && *c->p != 'e') {
        const char *k, *v;
        size_t kn, vn;
        if (read_string(c, &k, &kn) < 0)
            return -EINVAL;
        if (key_is(k, kn, "name")) {
            if (read_string(c, &v, &vn) < 0)
                return -EINVAL;
            g_free(t->name);
            t->name = g_strndup(v, vn);
        } else if (key_is(k, kn, "length")) {
            if (read_uint(c, &t->length) < 0)
                return -EINVAL;
        } else if (key_is(k, kn, "piece length")) {
            if (read_uint(c, &t->piece_length) < 0)
                return -EINVAL;
        } else {
            if (key_is(k, kn, "files"))
                has_files = 1;
            if (skip_value(c, 1) < 0)
                return -EINVAL;
        }
    }
    if (c->p >= c->end)
        return -EINVAL;
    c->p++;
    return has_files || !t->name || !t->length ? -EINVAL : 0;
}

int
bencode_torrent_info(const void *data, size_t len, struct torrent_info *out)
{
    memset(out, 0, sizeof(*out));
    struct cursor c = {data, (const char *)data + len};
    if (!len || *c.p != 'd')
        return -EINVAL;
    c.p++;
    int found = 0;
    while (c.p < c.end && *c.p != 'e') {
        const char *k;
        size_t kn;
        if (read_string(&c, &k, &kn) < 0)
            goto bad;
        if (key_is(k, kn, "info") && !found) {
            const char *start = c.p;
            if (parse_info(&c, out) < 0)
                goto bad;
            out->info_offset = (size_t)(start - (const char *)data);
            out->info_len = (size_t)(c.p - start);
            found = 1;
        } else if (skip_value(&c, 1) < 0) {
            goto bad;
        }
    }
    if (!found || c.p >= c.end)
        goto bad;
    return 0;
bad:
    torrent_info_clear(out);
    return -EINVAL;
}

void
torrent_info_clear(struct torrent_info *t)
{
    g_free(t->name);
    memset(t, 0, sizeof(*t));
}

int
bencode_strip_web_seeds(const void *data, size_t len, char **out, size_t *out_len, char ***urls)
{
    *out = NULL;
    *urls = NULL;
    struct cursor c = {data, (const char *)data + len};
    if (!len || *c.p != 'd')
        return -EINVAL;
    c.p++;
    const char *cut_start = NULL, *cut_end = NULL;
    GPtrArray *list = g_ptr_array_new_with_free_func(g_free); /* the URLs, freed on bad */
    while (c.p < c.end && *c.p != 'e') {
        const char *key_start = c.p, *k;
        size_t kn;
        if (read_string(&c, &k, &kn) < 0)
            goto bad;
        if (key_is(k, kn, "url-list") && !cut_start) {
            const char *v;
            size_t vn;
            if (c.p < c.end && *c.p == 'l') {
                c.p++;
                while (c.p < c.end && *c.p != 'e') {
                    if (read_string(&c, &v, &vn) < 0)
                        goto bad;
                    g_ptr_array_add(list, g_strndup(v, vn));
                }
                if (c.p >= c.end)
                    goto bad;
                c.p++;
            } else if (read_string(&c, &v, &vn) == 0) {
                g_ptr_array_add(list, g_strndup(v, vn));
            } else {
                goto bad;
            }
            cut_start = key_start;
            cut_end = c.p;
        } else if (skip_value(&c, 1) < 0) {
            goto bad;
        }
    }
    if (c.p >= c.end)
        goto bad;
    const char *base = data;
    if (!cut_start) {
        *out = g_memdup2(data, len);
        *out_len = len;
    } else {
        size_t head = (size_t)(cut_start - base), tail = len - (size_t)(cut_end - base);
        *out = g_malloc(head + tail);
        memcpy(*out, base, head);
        memcpy(*out + head, cut_end, tail);
        *out_len = head + tail;
    }
    g_ptr_array_add(list, NULL);
    *urls = (char **)g_ptr_array_free(list, FALSE);
    return 0;
bad:
    g_ptr_array_free(list, TRUE);
    return -EINVAL;
}
