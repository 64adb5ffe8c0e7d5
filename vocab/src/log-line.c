/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "sdvm/log-line.h"

#include <stdio.h>
#include <string.h>

/* "dir/file.c" of a path, so lines stay short. */
static const char *
short_path(const char *file)
{
    const char *last = strrchr(file, '/');
    if (!last)
        return file;
    const char *p = last;
    while (p > file && p[-1] != '/')
        p--;
    return p;
}

void
sdvm_log_line(sdvm_log_fn fn, void *userdata, enum sdvm_log_level threshold,
              enum sdvm_log_level level, const char *file, int line, const char *fmt, va_list ap)
{
    if (!fn || level == SDVM_LOG_SILENT || level > threshold)
        return;
    char msg[SDVM_LOG_LINE_MAX];
    int n = snprintf(msg, sizeof(msg), "[%s:%d] ", short_path(file), line);
    if (n < 0)
        return;
    if ((size_t)n < sizeof(msg))
        vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
    fn(level, msg, userdata);
}
