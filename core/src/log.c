/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The process-wide handler of core/include/sdvm/log.h; the line itself is vocab's. */
#include "sdvm/log.h"

#include "sdvm/log-line.h"

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

void
sdvm_vlogf(enum sdvm_log_level level, const char *file, int line, const char *fmt, va_list ap)
{
    sdvm_log_line(current_fn, current_userdata, current_level, level, file, line, fmt, ap);
}

void
sdvm_logf(enum sdvm_log_level level, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sdvm_vlogf(level, file, line, fmt, ap);
    va_end(ap);
}
