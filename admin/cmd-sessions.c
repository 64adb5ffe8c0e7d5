/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sdvm-admin sessions [--since WHEN] [--parsable]: who used this terminal when, from sdvmd's
 * wtmp records ([Paths] Wtmp; daemon/session-record.h): start, end (or "running"), length,
 * the NAI's user part and realm. WHEN is "YYYY-MM-DD", "YYYY-MM-DD HH:MM[:SS]" (local time)
 * or "@UNIXTIME"; sessions that started before it are left out.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <utmpx.h>

#include "admin.h"

struct session {
    char user[sizeof(((struct utmpx *)0)->ut_user) + 1];
    char realm[sizeof(((struct utmpx *)0)->ut_host) + 1];
    time_t start, end; /* end 0: running (or sdvmd died: the next start closes it) */
};

static int
parse_when(const char *s, time_t *out)
{
    if (s[0] == '@') {
        char *end = NULL;
        long long v = strtoll(s + 1, &end, 10);
        if (!*(s + 1) || *end)
            return -1;
        *out = (time_t)v;
        return 0;
    }
    static const char *const formats[] = {"%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"};
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
        struct tm tm;
        memset(&tm, 0, sizeof(tm));
        const char *end = strptime(s, formats[i], &tm);
        if (end && !*end) {
            tm.tm_isdst = -1;
            *out = mktime(&tm);
            return 0;
        }
    }
    return -1;
}

static void
format_time(time_t t, char *buf, size_t n)
{
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm);
}

int
sdvm_admin_cmd_sessions(struct sdvm_admin *adm, int argc, char **argv)
{
    static const struct option options[] = {
        {"since", required_argument, NULL, 's'},
        {"parsable", no_argument, NULL, 'p'},
        {NULL, 0, NULL, 0},
    };
    bool parsable = false;
    time_t since = 0;
    int c;
    while ((c = getopt_long(argc, argv, "s:p", options, NULL)) != -1) {
        switch (c) {
        case 's':
            if (parse_when(optarg, &since) < 0) {
                admin_errorf(adm, "--since %s: give YYYY-MM-DD, \"YYYY-MM-DD HH:MM\" or @UNIXTIME",
                             optarg);
                return ADMIN_EXIT_USAGE;
            }
            break;
        case 'p': parsable = true; break;
        default: return admin_usage(adm);
        }
    }
    if (optind != argc)
        return admin_usage(adm);
    const struct sdvm_config *cfg = admin_config(adm);
    if (!cfg)
        return ADMIN_EXIT_CONFIG;
    if (!*cfg->paths.wtmp) {
        admin_errorf(adm, "[Paths] Wtmp is empty: sdvmd keeps no session records");
        return ADMIN_EXIT_FAILED;
    }
    FILE *probe = fopen(cfg->paths.wtmp, "re");
    if (!probe) {
        admin_errorf(adm, "%s: no session records yet", cfg->paths.wtmp);
        return ADMIN_EXIT_FAILED;
    }
    fclose(probe);
    if (utmpxname(cfg->paths.wtmp) < 0) {
        admin_errorf(adm, "%s: cannot be read", cfg->paths.wtmp);
        return ADMIN_EXIT_FAILED;
    }
    struct session *list = NULL;
    size_t n = 0;
    bool open_session = false;
    setutxent();
    struct utmpx *ut;
    while ((ut = getutxent())) {
        if (strncmp(ut->ut_line, "sdvm", sizeof(ut->ut_line)) != 0)
            continue;
        if (ut->ut_type == USER_PROCESS) {
            list = realloc(list, (n + 1) * sizeof(*list));
            if (!list)
                return ADMIN_EXIT_FAILED;
            struct session *s = &list[n++];
            memset(s, 0, sizeof(*s));
            memcpy(s->user, ut->ut_user, sizeof(ut->ut_user));
            memcpy(s->realm, ut->ut_host, sizeof(ut->ut_host));
            s->start = ut->ut_tv.tv_sec;
            /* A start without an end before it: sdvmd died in that session. */
            if (open_session && n >= 2 && !list[n - 2].end)
                list[n - 2].end = -1;
            open_session = true;
        } else if (ut->ut_type == DEAD_PROCESS && open_session && n) {
            list[n - 1].end = ut->ut_tv.tv_sec;
            open_session = false;
        }
    }
    endutxent();
    if (!parsable)
        printf("%-19s  %-19s  %9s  %-20s %s\n", "START", "END", "LENGTH", "USER", "REALM");
    for (size_t i = 0; i < n; i++) {
        const struct session *s = &list[i];
        if (s->start < since)
            continue;
        char start[32], end[32];
        format_time(s->start, start, sizeof(start));
        if (s->end > 0)
            format_time(s->end, end, sizeof(end));
        else
            snprintf(end, sizeof(end), "%s", s->end < 0 ? "(no end record)" : "running");
        long long length = s->end > 0 ? (long long)(s->end - s->start) : -1;
        if (parsable) {
            printf("%lld\t%lld\t%s\t%s\n", (long long)s->start, (long long)(s->end > 0 ? s->end : 0),
                   s->user, s->realm);
            continue;
        }
        char len[48] = "-";
        if (length >= 0)
            snprintf(len, sizeof(len), "%lld:%02lld:%02lld", length / 3600, length / 60 % 60,
                     length % 60);
        printf("%-19s  %-19s  %9s  %-20s %s\n", start, end, len, s->user, s->realm);
    }
    free(list);
    return ADMIN_EXIT_OK;
}
