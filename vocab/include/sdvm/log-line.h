/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one formatter of SDVM's log lines, "[dir/file.c:42] text". Internal (not installed):
 * core's process-wide logging (core/include/sdvm/log.h) and libsdvm's per-context handler
 * (sdvm_set_log_handler()) each keep their own handler and threshold and end here, so a
 * line looks the same whichever part wrote it.
 */
#ifndef SDVM_LOG_LINE_H
#define SDVM_LOG_LINE_H

#include <stdarg.h>

#include "sdvm-log.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The longest line handed to a handler, in bytes with the NUL; longer text is cut. */
#define SDVM_LOG_LINE_MAX 1024

/*
 * Format one line and hand it to fn, if fn is set and level is not SILENT and at most
 * threshold. file is __FILE__: only its last directory and name are kept (__FILE__ is
 * absolute in out-of-tree builds).
 */
void sdvm_log_line(sdvm_log_fn fn, void *userdata, enum sdvm_log_level threshold,
                   enum sdvm_log_level level, const char *file, int line, const char *fmt,
                   va_list ap) __attribute__((format(printf, 7, 0)));

#ifdef __cplusplus
}
#endif

#endif /* SDVM_LOG_LINE_H */
