/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sdvm-log.h: log levels shared by the ABI and the internal libraries. */
#ifndef SDVM_LOG_H
#define SDVM_LOG_H

#ifdef __cplusplus
extern "C" {
#endif

/* Logging is silent by default (SDVM_LOG_SILENT); a handler and a level opt in. */
enum sdvm_log_level {
    SDVM_LOG_SILENT = 0,
    SDVM_LOG_ERROR = 1,
    SDVM_LOG_WARNING = 2,
    SDVM_LOG_INFO = 3,
    SDVM_LOG_DEBUG = 4,
};

/* msg is one line without a trailing newline, valid only during the call. */
typedef void (*sdvm_log_fn)(enum sdvm_log_level level, const char *msg, void *userdata);

#ifdef __cplusplus
}
#endif

#endif /* SDVM_LOG_H */
