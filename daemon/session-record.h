/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Who used this terminal when (the thesis's first complaint about public labs): each guest
 * session is
 *   - a wtmp record pair ([Paths] Wtmp, updwtmpx(3)): USER_PROCESS when the guest starts,
 *     DEAD_PROCESS when it ends, so `last -f FILE` lists it. ut_user is the NAI's user part
 *     and ut_host its realm (ut_user has 32 bytes: a whole NAI may not fit), ut_line "sdvm".
 *     Never the password: sdvmd does not keep it past the 802.1X exchange.
 *   - a structured journal entry (SDVM_EVENT=session-start / session-end, SDVM_NAI,
 *     SDVM_USER_ID, SDVM_IMAGE, SDVM_IMAGE_VERSION, SDVM_DURATION_S, SDVM_REASON), for
 *     `journalctl SDVM_EVENT=session-end` and the lab's log collector.
 * sdvm-admin sessions reads the wtmp file.
 */
#ifndef SDVMD_SESSION_RECORD_H
#define SDVMD_SESSION_RECORD_H

#include <stdint.h>
#include <sys/types.h>

#include "sdvm-failure.h"

struct sdvmd_session_info {
    const char *wtmp; /* "" = no wtmp records */
    const char *nai;  /* normalized */
    const char *user_id;
    const char *image_id, *image_version;
    pid_t pid; /* run-guest's */
};

void sdvmd_session_record_start(const struct sdvmd_session_info *s);
void sdvmd_session_record_end(const struct sdvmd_session_info *s, double seconds,
                              enum sdvm_failure reason);

#endif
