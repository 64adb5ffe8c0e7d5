/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "session-record.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>
#include <utmpx.h>

#include <glib.h>
#include <systemd/sd-journal.h>

#include "sdvm/log.h"

/* The journal's catalog id of SDVM's session entries (journalctl MESSAGE_ID=...). */
#define SESSION_MESSAGE_ID "4b1d5e2f9a6c4c1e8f3b7d0a2c5e9f61"

static void
write_wtmp(const struct sdvmd_session_info *s, short type)
{
    if (!s->wtmp || !*s->wtmp)
        return;
    struct utmpx ut;
    memset(&ut, 0, sizeof(ut));
    ut.ut_type = type;
    ut.ut_pid = s->pid > 0 ? s->pid : getpid();
    snprintf(ut.ut_line, sizeof(ut.ut_line), "sdvm");
    memcpy(ut.ut_id, "sdvm", sizeof(ut.ut_id)); /* 4 bytes, not NUL-terminated */
    if (type == USER_PROCESS) {
        const char *at = strrchr(s->nai, '@');
        size_t user_len = at ? (size_t)(at - s->nai) : strlen(s->nai);
        if (user_len >= sizeof(ut.ut_user))
            user_len = sizeof(ut.ut_user) - 1;
        memcpy(ut.ut_user, s->nai, user_len);
        snprintf(ut.ut_host, sizeof(ut.ut_host), "%s", at ? at + 1 : "");
    }
    struct timeval tv;
    gettimeofday(&tv, NULL);
    ut.ut_tv.tv_sec = (int32_t)tv.tv_sec;
    ut.ut_tv.tv_usec = (int32_t)tv.tv_usec;
    /* updwtmpx() does not create the file (glibc opens it O_WRONLY): a fresh terminal, or a
     * Debian 13 without /var/log/wtmp, starts one. 0664 root:root, as tmpfiles makes it. */
    int fd = open(s->wtmp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0664);
    if (fd < 0) {
        log_warningf("cannot open the session records %s: %s", s->wtmp, strerror(errno));
        return;
    }
    close(fd);
    updwtmpx(s->wtmp, &ut);
}

void
sdvmd_session_record_start(const struct sdvmd_session_info *s)
{
    write_wtmp(s, USER_PROCESS);
    sd_journal_send("MESSAGE=session started: %s on %s %s", s->nai, s->image_id,
                    s->image_version, "MESSAGE_ID=" SESSION_MESSAGE_ID, "PRIORITY=6",
                    "SDVM_EVENT=session-start", "SDVM_NAI=%s", s->nai, "SDVM_USER_ID=%s",
                    s->user_id, "SDVM_IMAGE=%s", s->image_id, "SDVM_IMAGE_VERSION=%s",
                    s->image_version, NULL);
}

void
sdvmd_session_record_end(const struct sdvmd_session_info *s, double seconds,
                         enum sdvm_failure reason)
{
    write_wtmp(s, DEAD_PROCESS);
    sd_journal_send("MESSAGE=session ended: %s on %s after %.0f s (%s)", s->nai, s->image_id,
                    seconds, sdvm_failure_to_string(reason), "MESSAGE_ID=" SESSION_MESSAGE_ID,
                    "PRIORITY=6", "SDVM_EVENT=session-end", "SDVM_NAI=%s", s->nai,
                    "SDVM_USER_ID=%s", s->user_id, "SDVM_IMAGE=%s", s->image_id,
                    "SDVM_IMAGE_VERSION=%s", s->image_version, "SDVM_DURATION_S=%.0f", seconds,
                    "SDVM_REASON=%s", sdvm_failure_to_string(reason), NULL);
}
