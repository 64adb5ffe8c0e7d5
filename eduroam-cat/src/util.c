/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cat-private.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *
vstrdupf(const char *fmt, va_list ap)
{
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        return NULL;
    return s;
}

char *
cat_strdupf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = vstrdupf(fmt, ap);
    va_end(ap);
    return s;
}

int
cat_fail(char **error, int rc, const char *fmt, ...)
{
    if (error) {
        va_list ap;
        va_start(ap, fmt);
        free(*error);
        *error = vstrdupf(fmt, ap);
        va_end(ap);
    }
    return rc;
}

char *
cat_realm_key(const char *realm)
{
    if (!realm) {
        errno = EINVAL;
        return NULL;
    }
    while (*realm == ' ' || *realm == '\t' || *realm == '\r' || *realm == '\n')
        realm++;
    size_t len = strlen(realm);
    while (len > 0 && (realm[len - 1] == ' ' || realm[len - 1] == '\t' ||
                       realm[len - 1] == '\r' || realm[len - 1] == '\n'))
        len--;
    if (len == 0 || len > 253) {
        errno = EINVAL;
        return NULL;
    }
    char *key = malloc(len + 1);
    if (!key)
        return NULL;
    size_t labels = 1, label_len = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)realm[i];
        if (c <= 0x20 || c == 0x7f || c == '@' || c == ';' || c == '/' || c == '\\') {
            free(key);
            errno = EINVAL;
            return NULL;
        }
        if (c == '.') {
            if (label_len == 0)
                goto bad;
            labels++;
            label_len = 0;
        } else {
            label_len++;
        }
        key[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : (char)c;
    }
    if (label_len == 0 || labels < 2)
        goto bad;
    key[len] = '\0';
    return key;
bad:
    free(key);
    errno = EINVAL;
    return NULL;
}

int
cat_read_file(const char *path, size_t max, char **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return -EINVAL;
    }
    if ((uint64_t)st.st_size > max) {
        close(fd);
        return -EFBIG;
    }
    size_t cap = (size_t)st.st_size + 1, n = 0;
    char *buf = malloc(cap);
    if (!buf) {
        close(fd);
        return -ENOMEM;
    }
    for (;;) {
        if (n + 1 >= cap) {
            /* The file grew while we read it. */
            if (cap > max) {
                free(buf);
                close(fd);
                return -EFBIG;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                close(fd);
                return -ENOMEM;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + n, cap - n - 1);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int e = -errno;
            free(buf);
            close(fd);
            return e;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    if (n > max) {
        free(buf);
        return -EFBIG;
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return 0;
}
