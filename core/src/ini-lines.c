/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ini-lines.h"

#include <string.h>

static void
line_clear(gpointer p)
{
    struct sdvm_ini_line *l = p;
    g_free(l->section);
    g_free(l->name);
}

unsigned
sdvm_ini_line_of(const char *data, const char *at)
{
    unsigned line = 1;
    for (const char *p = data; p < at; p++)
        line += *p == '\n';
    return line;
}

GArray *
sdvm_ini_scan(const char *data, size_t len, unsigned *bad_line, char **bad_section, char **bad_key,
              char **message)
{
    GArray *out = g_array_new(FALSE, TRUE, sizeof(struct sdvm_ini_line));
    g_array_set_clear_func(out, line_clear);
    const char *p = data, *end = data + len;
    unsigned line = 0;
    g_autofree char *section = NULL;
    *bad_line = 0;
    *bad_section = NULL;
    *bad_key = NULL;
    *message = NULL;
    while (p < end) {
        line++;
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        g_autofree char *text = g_strndup(p, (size_t)(eol - p));
        p = nl ? nl + 1 : end;
        g_strchomp(text); /* trailing white space, including '\r' */
        const char *t = text;
        while (*t == ' ' || *t == '\t')
            t++;
        if (!*t || *t == '#')
            continue;
        if (*t == '[') {
            const char *close = strchr(t, ']');
            if (!close || close[1] != '\0' || close == t + 1) {
                *message = g_strdup_printf("malformed section header \"%s\"", t);
                goto bad;
            }
            g_free(section);
            section = g_strndup(t + 1, (size_t)(close - t - 1));
            struct sdvm_ini_line l = {NULL, g_strdup(section), line};
            g_array_append_val(out, l);
            continue;
        }
        const char *eq = strchr(t, '=');
        if (!eq) {
            *message = g_strdup_printf(
                "\"%s\" is neither a section header, a Key=Value line nor a comment", t);
            goto bad;
        }
        g_autofree char *key = g_strndup(t, (size_t)(eq - t));
        g_strchomp(key);
        if (!*key) {
            *message = g_strdup("a line with an empty key name");
            goto bad;
        }
        if (!section) {
            *message = g_strdup("key before any [Section]");
            *bad_key = g_steal_pointer(&key);
            goto bad;
        }
        struct sdvm_ini_line l = {g_strdup(section), g_steal_pointer(&key), line};
        g_array_append_val(out, l);
    }
    return out;

bad:
    *bad_line = line;
    *bad_section = g_steal_pointer(&section);
    g_array_unref(out);
    return NULL;
}
