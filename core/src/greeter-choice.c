/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "sdvm/greeter-choice.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define METADATA_MAX (64 * 1024)
#define LINE_MAX_LEN 1024

static bool
is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* [start, end) without surrounding blanks. */
static void
trim(const char **start, const char **end)
{
    while (*start < *end && is_space(**start))
        (*start)++;
    while (*end > *start && is_space((*end)[-1]))
        (*end)--;
}

/* "6", " 6 ", "\"6\"": 1..99; -1 for anything else. */
static int
parse_version(const char *v, const char *end)
{
    trim(&v, &end);
    if (end - v >= 2 && *v == '"' && end[-1] == '"') {
        v++;
        end--;
        trim(&v, &end);
    }
    if (v == end || end - v > 2)
        return -1;
    int n = 0;
    for (const char *p = v; p < end; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        n = n * 10 + (*p - '0');
    }
    return n >= 1 ? n : -1;
}

/* One line [line, end): updates *in_group and *version. */
static void
parse_line(const char *line, const char *end, bool *in_group, int *version)
{
    trim(&line, &end);
    if (line == end || *line == '#' || *line == ';')
        return;
    if (*line == '[') {
        static const char group[] = "[SddmGreeterTheme]";
        *in_group = (size_t)(end - line) == sizeof(group) - 1 &&
                    memcmp(line, group, sizeof(group) - 1) == 0;
        return;
    }
    if (!*in_group)
        return;
    const char *eq = memchr(line, '=', (size_t)(end - line));
    if (!eq)
        return;
    const char *key = line, *key_end = eq;
    trim(&key, &key_end);
    static const char name[] = "QtVersion";
    if ((size_t)(key_end - key) != sizeof(name) - 1 || memcmp(key, name, sizeof(name) - 1) != 0)
        return;
    int v = parse_version(eq + 1, end);
    *version = v > 0 ? v : SDVM_THEME_QT_DEFAULT; /* SDDM reads a bad value as its default */
}

int
sdvm_theme_qt_version(const char *theme_dir)
{
    if (!theme_dir || !*theme_dir)
        return SDVM_THEME_QT_DEFAULT;
    char path[4096];
    int n = snprintf(path, sizeof(path), "%s/metadata.desktop", theme_dir);
    if (n < 0 || (size_t)n >= sizeof(path))
        return SDVM_THEME_QT_DEFAULT;
    /* O_NONBLOCK: a FIFO planted in its place must not hang sdvmd; then regular files only. */
    int fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return SDVM_THEME_QT_DEFAULT;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return SDVM_THEME_QT_DEFAULT;
    }
    char local[METADATA_MAX];
    char *data = local;
    size_t len = 0;
    while (len < sizeof(local)) {
        ssize_t r = read(fd, data + len, sizeof(local) - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    close(fd);

    bool in_group = false;
    int version = SDVM_THEME_QT_DEFAULT;
    const char *p = data, *end = data + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = nl ? nl : end;
        /* A line past the bound (or the file's cut-off last line) is skipped, as is one with
         * a NUL: no key of ours is that long, and a half-read line must not count. */
        if (line_end - p <= LINE_MAX_LEN && (nl || len < sizeof(local)) &&
            !memchr(p, '\0', (size_t)(line_end - p)))
            parse_line(p, line_end, &in_group, &version);
        p = nl ? nl + 1 : end;
    }
    return version;
}

int
sdvm_theme_find(const char *theme, const char *const *dirs, char *out, size_t size)
{
    if (!theme || !*theme || size == 0)
        return -ENOENT;
    struct stat st;
    if (strchr(theme, '/')) {
        if (stat(theme, &st) != 0 || !S_ISDIR(st.st_mode))
            return -ENOENT;
        if (strlen(theme) >= size)
            return -ENAMETOOLONG;
        strcpy(out, theme);
        return 0;
    }
    for (const char *const *d = dirs; d && *d; d++) {
        char candidate[4096];
        int n = snprintf(candidate, sizeof(candidate), "%s/%s", *d, theme);
        if (n < 0 || (size_t)n >= sizeof(candidate))
            continue;
        if (stat(candidate, &st) == 0 && S_ISDIR(st.st_mode)) {
            if ((size_t)n >= size)
                return -ENAMETOOLONG;
            memcpy(out, candidate, (size_t)n + 1);
            return 0;
        }
    }
    return -ENOENT;
}

int
sdvm_greeter_choose(const char *greeter, const char *theme, const char *const *dirs, char *out,
                    size_t size)
{
    const size_t suffix = sizeof(SDVM_GREETER_QT5_SUFFIX) - 1;
    size_t base = strlen(greeter);
    if (base > suffix && strcmp(greeter + base - suffix, SDVM_GREETER_QT5_SUFFIX) == 0)
        base -= suffix;
    if (base + suffix >= size)
        return -ENAMETOOLONG;
    memcpy(out, greeter, base);
    out[base] = '\0';

    char dir[4096];
    if (sdvm_theme_find(theme, dirs, dir, sizeof(dir)) < 0 ||
        sdvm_theme_qt_version(dir) > 5)
        return 6;
    memcpy(out + base, SDVM_GREETER_QT5_SUFFIX, suffix + 1);
    struct stat st;
    if (stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0)
        return 5;
    out[base] = '\0'; /* no Qt 5 build: the Qt 6 greeter, as before issue 16 */
    return 6;
}
