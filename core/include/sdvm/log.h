/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal logging for the SDVM libraries and daemon. Silent until a handler is set
 * (the daemon sets one that writes to the journal; tests set one that records lines).
 * Messages carry "[file:line]" relative to the source tree. Never log a password.
 */
#ifndef SDVM_INTERNAL_LOG_H
#define SDVM_INTERNAL_LOG_H

#include <stdarg.h>

#include "sdvm-log.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Process-wide handler and threshold; fn NULL = silent. */
void sdvm_log_set_handler(enum sdvm_log_level level, sdvm_log_fn fn, void *userdata);
enum sdvm_log_level sdvm_log_get_level(void);

void sdvm_logf(enum sdvm_log_level level, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void sdvm_vlogf(enum sdvm_log_level level, const char *file, int line, const char *fmt,
                va_list ap) __attribute__((format(printf, 4, 0)));

#define log_errorf(...) sdvm_logf(SDVM_LOG_ERROR, __FILE__, __LINE__, __VA_ARGS__)
#define log_warningf(...) sdvm_logf(SDVM_LOG_WARNING, __FILE__, __LINE__, __VA_ARGS__)
#define log_infof(...) sdvm_logf(SDVM_LOG_INFO, __FILE__, __LINE__, __VA_ARGS__)
#define log_debugf(...) sdvm_logf(SDVM_LOG_DEBUG, __FILE__, __LINE__, __VA_ARGS__)

#ifdef __cplusplus
}
#endif

#endif
