/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "sdvm/log.h"

#include <stdio.h>
#include <string.h>

static enum sdvm_log_level current_level = SDVM_LOG_SILENT;
static sdvm_log_fn current_fn;
static void *current_userdata;

void
sdvm_log_set_handler(enum sdvm_log_level level, sdvm_log_fn fn, void *userdata)
{
    current_level = fn ? level : SDVM_LOG_SILENT;
    current_fn = fn;
    current_userdata = userdata;
}

enum sdvm_log_level
sdvm_log_get_level(void)
{
    return current_level;
}

/* __FILE__ is absolute in out-of-tree builds; keep "dir/file.c" so lines stay short. */
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
sdvm_vlogf(enum sdvm_log_level level, const char *file, int line, const char *fmt, va_list ap)
{
    if (!current_fn || level == SDVM_LOG_SILENT || level > current_level)
        return;
    char msg[1024];
    int n = snprintf(msg, sizeof(msg), "[%s:%d] ", short_path(file), line);
    if (n < 0)
        return;
    if ((size_t)n < sizeof(msg))
        vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
    current_fn(level, msg, current_userdata);
}

void
sdvm_logf(enum sdvm_log_level level, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sdvm_vlogf(level, file, line, fmt, ap);
    va_end(ap);
}
