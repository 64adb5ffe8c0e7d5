/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sdvm-cat sync: fetch eduroam CAT's institution list and every production profile's
 * eap-config over HTTPS, cache them in a work directory, then build the realm database.
 *
 *   1. API.php?action=listIdentityProvidersWithProfiles   (one call, no realms)
 *   2. per profile without a redirect:
 *        API.php?action=downloadInstaller&device=eap-config&profile=N
 *      and on 404 or 500 the same with device=eap-generic (notes §2.4)
 *   3. build the database (every profile also under "cat profile N", for realms.d's
 *      CatProfile=), then report: realms added / removed / changed against the database it
 *      replaced, realms claimed by several profiles, CAs expiring within 30 days, profiles
 *      without a realm (sync-report.c compares the databases).
 *
 * Every run fetches the list and every profile again (CAT's list has no per-profile change
 * date). WORK/run/ holds the files of the run in progress and exists only while one is: a run
 * that was stopped (time limit, Ctrl-C, SIGKILL) resumes from it, a run that finished removes
 * it. WORK/profiles/ holds each profile's last good copy (a body that parsed as an
 * eap-config); a profile that fails this run is built from that copy while it is younger than
 * --max-age, and dropped after. Above --max-failed percent failures the database is not
 * replaced. The database is written atomically (old or new, never half) after everything was
 * fetched and parsed; with SOURCE_DATE_EPOCH set its bytes depend on the inputs only.
 * Transient failures (connection errors, HTTP 5xx and 429) are retried with exponential
 * backoff; 404 is final.
 */
#include "cat-private.h"
#include "sdvm/atomic-file.h"
#include "sdvm/hex.h"

#include <openssl/evp.h>

#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "sdvm/cat.h"
#include "sync-report.h"

#ifndef SDVM_VERSION
#define SDVM_VERSION "unknown"
#endif
#define SDVM_USER_AGENT "SDVM/" SDVM_VERSION " (sdvm-cat sync)"

#define LIST_MAX (64u * 1024u * 1024u)

struct fetch {
    char *data;
    size_t len, cap, max;
    bool too_big;
};

static size_t
on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct fetch *f = userdata;
    size_t n = size * nmemb;
    if (f->len + n > f->max) {
        f->too_big = true;
        return 0; /* aborts the transfer */
    }
    if (f->len + n + 1 > f->cap) {
        size_t cap = f->cap ? f->cap : 65536;
        while (cap < f->len + n + 1)
            cap *= 2;
        char *d = realloc(f->data, cap);
        if (!d)
            return 0;
        f->data = d;
        f->cap = cap;
    }
    memcpy(f->data + f->len, ptr, n);
    f->len += n;
    f->data[f->len] = '\0';
    return n;
}

struct syncer {
    const struct sdvm_cat_sync_options *opt;
    CURL *curl;
    struct timespec start;
    unsigned requests;
};

static double
elapsed_s(const struct syncer *s)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - s->start.tv_sec) + (now.tv_nsec - s->start.tv_nsec) / 1e9;
}

static bool
out_of_time(const struct syncer *s)
{
    return s->opt->time_limit_s && elapsed_s(s) >= s->opt->time_limit_s;
}

static void
progress(const struct syncer *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
progress(const struct syncer *s, const char *fmt, ...)
{
    if (s->opt->quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

enum fetch_result { FETCH_OK, FETCH_NOT_FOUND, FETCH_FAILED, FETCH_TIMEOUT };

/*
 * GET url with retries. FETCH_OK: body in f. FETCH_NOT_FOUND: HTTP 404/410 (final).
 * FETCH_FAILED: gave up (why in *why). FETCH_TIMEOUT: the overall limit was reached.
 */
static enum fetch_result
get(struct syncer *s, const char *url, size_t max, struct fetch *f, char **why, long *status_out)
{
    *status_out = 0;
    unsigned delay_ms = s->opt->backoff_ms ? s->opt->backoff_ms : 500;
    free(*why);
    *why = NULL;
    for (unsigned attempt = 0;; attempt++) {
        if (out_of_time(s))
            return FETCH_TIMEOUT;
        f->len = 0;
        f->max = max;
        f->too_big = false;
        long timeout_ms = (long)(s->opt->timeout_s ? s->opt->timeout_s : 60) * 1000;
        if (s->opt->time_limit_s) {
            long left = (long)((s->opt->time_limit_s - elapsed_s(s)) * 1000) + 1;
            if (left < timeout_ms)
                timeout_ms = left;
        }
        curl_easy_setopt(s->curl, CURLOPT_URL, url);
        curl_easy_setopt(s->curl, CURLOPT_TIMEOUT_MS, timeout_ms);
        curl_easy_setopt(s->curl, CURLOPT_WRITEDATA, f);
        s->requests++;
        CURLcode cc = curl_easy_perform(s->curl);
        long status = 0;
        curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status);
        *status_out = cc == CURLE_OK ? status : 0;
        bool transient;
        if (cc == CURLE_OK && status == 200)
            return FETCH_OK;
        if (cc == CURLE_OK && (status == 404 || status == 410))
            return FETCH_NOT_FOUND;
        free(*why);
        if (f->too_big) {
            *why = cat_strdupf("answer larger than %zu bytes", max);
            return FETCH_FAILED;
        }
        if (cc != CURLE_OK) {
            *why = cat_strdupf("%s", curl_easy_strerror(cc));
            /* A bad certificate or a refused protocol will not get better by retrying. */
            transient = cc != CURLE_PEER_FAILED_VERIFICATION && cc != CURLE_SSL_CACERT_BADFILE &&
                        cc != CURLE_UNSUPPORTED_PROTOCOL && cc != CURLE_URL_MALFORMAT;
            if (cc == CURLE_OPERATION_TIMEDOUT && out_of_time(s))
                return FETCH_TIMEOUT;
        } else {
            *why = cat_strdupf("HTTP %ld", status);
            transient = status >= 500 || status == 429 || status == 408;
        }
        if (!transient || attempt >= s->opt->retries)
            return FETCH_FAILED;
        progress(s, "  %s; retrying in %u ms", *why ? *why : "failed", delay_ms);
        if (s->opt->time_limit_s && elapsed_s(s) + delay_ms / 1000.0 >= s->opt->time_limit_s)
            return FETCH_TIMEOUT;
        struct timespec ts = {delay_ms / 1000, (long)(delay_ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
            ;
        delay_ms = delay_ms * 2 > 30000 ? 30000 : delay_ms * 2;
    }
}

/* The institution's display name: English, then language-neutral, then the first. */
static const char *
pick_name(json_t *names)
{
    const char *best = NULL;
    int rank = 9;
    size_t i;
    json_t *n;
    if (json_is_string(names))
        return json_string_value(names);
    json_array_foreach(names, i, n) {
        const char *lang = json_string_value(json_object_get(n, "lang"));
        const char *value = json_string_value(json_object_get(n, "value"));
        if (!value)
            continue;
        int r = !lang ? 2 : !strcmp(lang, "en") ? 0 : (!strcmp(lang, "any") || !strcmp(lang, "C")) ? 1 : 3;
        if (r < rank) {
            rank = r;
            best = value;
        }
    }
    return best;
}

struct job {
    char id[24];       /* digits only: it becomes a file name */
    char *institution;
    char inst_id[24];  /* CAT's institution id ("" when the list gives none) */
};

static int
cmp_job(const void *a, const void *b)
{
    const struct job *x = a, *y = b;
    size_t lx = strlen(x->id), ly = strlen(y->id);
    return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x->id, y->id);
}

static bool
id_of(json_t *v, char out[24])
{
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i < 0)
            return false;
        snprintf(out, 24, "%lld", (long long)i);
        return true;
    }
    const char *s = json_string_value(v);
    if (!s || !*s || strlen(s) > 20)
        return false;
    for (const char *p = s; *p; p++)
        if (*p < '0' || *p > '9')
            return false;
    snprintf(out, 24, "%s", s);
    return true;
}

static bool
exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static void
sync_report(const char *source, bool kept, const char *what, void *userdata)
{
    const struct syncer *s = userdata;
    if (!s->opt->quiet || !kept)
        fprintf(stderr, "%s %s: %s\n", kept ? "kept" : "skipped", source, what);
}

/* Remove the temporary files of a write that was killed, or (all) every file of DIR. */
static void
clean_dir(const char *dir, bool all)
{
    DIR *pd = opendir(dir);
    if (!pd)
        return;
    struct dirent *e;
    while ((e = readdir(pd)))
        if (e->d_name[0] != '.' &&
            (all || strstr(e->d_name, ".tmp-") || strstr(e->d_name, ".tmp."))) {
            char tmp[4096];
            snprintf(tmp, sizeof(tmp), "%s/%s", dir, e->d_name);
            unlink(tmp);
        }
    closedir(pd);
}

/* Seconds since PATH was last written; -1 when it does not exist. */
static long long
age_of(const char *path)
{
    struct stat st;
    if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
        return -1;
    long long a = (long long)time(NULL) - (long long)st.st_mtime;
    return a < 0 ? 0 : a;
}

static bool
same_as_file(const char *path, const char *data, size_t len)
{
    char *old = NULL;
    size_t old_len = 0;
    if (cat_read_file(path, SDVM_CAT_MAX_DOCUMENT, &old, &old_len) < 0)
        return false;
    bool same = old_len == len && (!len || !memcmp(old, data, len));
    free(old);
    return same;
}

/* ----- the profiles, fetched in parallel ----- */

struct prof_ctx {
    struct syncer *s;
    const char *run_dir, *profiles_dir;
    struct job *jobs;
    size_t n_jobs;
    size_t resumed, fetched, changed, generic, done;
    double last_progress;
};

struct jstate {
    int device;         /* 0 eap-config, 1 eap-generic */
    unsigned attempt;
    double not_before;  /* elapsed_s() before which it is not retried */
    bool finished;
};

struct xfer {
    CURL *h;
    struct fetch f;
    size_t job;         /* SIZE_MAX: free */
    char *url;
};

/* The progress line on a terminal: a count and an ETA. */
static void
progress_line(struct prof_ctx *pc, bool final)
{
    struct syncer *s = pc->s;
    if (s->opt->quiet || !isatty(STDERR_FILENO))
        return;
    double t = elapsed_s(s);
    if (!final && t - pc->last_progress < 0.5)
        return;
    pc->last_progress = t;
    size_t work = pc->done > pc->resumed ? pc->done - pc->resumed : 0;
    size_t left = pc->n_jobs - pc->done;
    double eta = work ? t / (double)work * (double)left : 0;
    fprintf(stderr, "\r\033[K%zu/%zu profiles, %u requests, ETA %.0f s%s", pc->done, pc->n_jobs,
            s->requests, eta, final ? "\n" : "");
}

static void
say(struct prof_ctx *pc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
say(struct prof_ctx *pc, const char *fmt, ...)
{
    if (pc->s->opt->quiet)
        return;
    if (isatty(STDERR_FILENO))
        fputs("\r\033[K", stderr);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* A profile's answer is final: write it into run/. */
static int
finish_profile(struct prof_ctx *pc, size_t i, enum fetch_result fr, int device,
               const struct fetch *f, char *why)
{
    struct job *j = &pc->jobs[i];
    char path[4096], miss[4096], bad[4096], good[4096];
    snprintf(path, sizeof(path), "%s/%s.eap-config", pc->run_dir, j->id);
    snprintf(miss, sizeof(miss), "%s/%s.missing", pc->run_dir, j->id);
    snprintf(bad, sizeof(bad), "%s/%s.failed", pc->run_dir, j->id);
    snprintf(good, sizeof(good), "%s/%s.eap-config", pc->profiles_dir, j->id);
    const char *inst = j->institution ? j->institution : "?";
    char *reason = why;
    pc->done++;
    if (fr == FETCH_OK) {
        /* Parsed before it may replace a good copy: an empty body or an error page
         * served with 200 is a failure, not a profile. */
        struct sdvm_cat_document *doc = NULL;
        char *perr = NULL;
        if (sdvm_cat_parse(f->data ? f->data : "", f->len, &doc, &perr) < 0) {
            reason = cat_strdupf("not an eap-config (%s)", perr ? perr : "?");
            fr = FETCH_FAILED;
        }
        free(perr);
        sdvm_cat_document_free(doc);
    }
    if (fr == FETCH_FAILED) {
        const char *w = reason ? reason : "?";
        sdvm_write_file_atomic(bad, w, strlen(w), 0644);
        say(pc, "[%zu/%zu] cat profile %s (%s): failed: %s", pc->done, pc->n_jobs, j->id, inst,
            w);
        if (reason != why)
            free(reason);
        return 0;
    }
    if (fr == FETCH_NOT_FOUND) {
        static const char text[] = "no eap-config: HTTP 404 for eap-config and eap-generic\n";
        sdvm_write_file_atomic(miss, text, sizeof(text) - 1, 0644);
        say(pc, "[%zu/%zu] cat profile %s (%s): no eap-config (404)", pc->done, pc->n_jobs,
            j->id, inst);
        return 0;
    }
    bool same = same_as_file(good, f->data ? f->data : "", f->len);
    int wrc = sdvm_write_file_atomic(path, f->data ? f->data : "", f->len, 0644);
    if (wrc < 0)
        return wrc;
    pc->fetched++;
    pc->changed += !same;
    pc->generic += device == 1;
    say(pc, "[%zu/%zu] cat profile %s (%s): %s, %zu bytes%s", pc->done, pc->n_jobs, j->id, inst,
        device == 1 ? "eap-generic (eap-config gave 404 or 500)" : "eap-config", f->len,
        same ? ", unchanged" : "");
    return 0;
}

static CURL *
new_easy(const struct syncer *s)
{
    CURL *h = curl_easy_init();
    if (!h)
        return NULL;
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_USERAGENT, SDVM_USER_AGENT);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 20L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(h, CURLOPT_PIPEWAIT, 1L);
    if (s->opt->ca_file)
        curl_easy_setopt(h, CURLOPT_CAINFO, s->opt->ca_file);
    return h;
}

static int
fetch_all(struct prof_ctx *pc, char **error)
{
    struct syncer *s = pc->s;
    const struct sdvm_cat_sync_options *opt = s->opt;
    unsigned conns = opt->connections ? opt->connections : 8;
    unsigned base_ms = opt->backoff_ms ? opt->backoff_ms : 500;
    int rc = 0;
    struct jstate *st = calloc(pc->n_jobs ? pc->n_jobs : 1, sizeof(*st));
    struct xfer *x = calloc(conns, sizeof(*x));
    size_t *retry = calloc(pc->n_jobs ? pc->n_jobs : 1, sizeof(*retry));
    size_t n_retry = 0, next = 0;
    CURLM *m = curl_multi_init();
    if (!st || !x || !retry || !m) {
        rc = cat_fail(error, -ENOMEM, "out of memory");
        goto done;
    }
    curl_multi_setopt(m, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
    curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)conns);
    for (unsigned k = 0; k < conns; k++) {
        x[k].job = SIZE_MAX;
        if (!(x[k].h = new_easy(s))) {
            rc = cat_fail(error, -ENOMEM, "cannot create a libcurl handle");
            goto done;
        }
    }
    /* Profiles run/ already has an answer for (a resumed run). */
    for (size_t i = 0; i < pc->n_jobs; i++) {
        char p[4096];
        static const char *const ext[] = {"eap-config", "missing", "failed"};
        for (int e = 0; e < 3 && !st[i].finished; e++) {
            snprintf(p, sizeof(p), "%s/%s.%s", pc->run_dir, pc->jobs[i].id, ext[e]);
            st[i].finished = exists(p);
        }
        if (st[i].finished) {
            pc->resumed++;
            pc->done++;
        }
    }
    unsigned running = 0;
    for (;;) {
        if (out_of_time(s)) {
            rc = cat_fail(error, -ETIMEDOUT, "time limit reached after %zu of %zu profiles;"
                          " run again to resume", pc->done, pc->n_jobs);
            goto done;
        }
        /* Start transfers on the free handles: due retries first, then new profiles. */
        double now = elapsed_s(s);
        for (unsigned k = 0; k < conns; k++) {
            if (x[k].job != SIZE_MAX)
                continue;
            size_t job = SIZE_MAX;
            for (size_t r = 0; r < n_retry; r++)
                if (st[retry[r]].not_before <= now) {
                    job = retry[r];
                    retry[r] = retry[--n_retry];
                    break;
                }
            while (job == SIZE_MAX && next < pc->n_jobs) {
                if (!st[next].finished)
                    job = next;
                next++;
            }
            if (job == SIZE_MAX)
                break;
            free(x[k].url);
            x[k].url = cat_strdupf("%s?action=downloadInstaller&device=%s&profile=%s"
                                   "&generatedfor=user", opt->api_url,
                                   st[job].device ? "eap-generic" : "eap-config",
                                   pc->jobs[job].id);
            if (!x[k].url) {
                rc = cat_fail(error, -ENOMEM, "out of memory");
                goto done;
            }
            x[k].f.len = 0;
            x[k].f.max = SDVM_CAT_MAX_DOCUMENT;
            x[k].f.too_big = false;
            long timeout_ms = (long)(opt->timeout_s ? opt->timeout_s : 60) * 1000;
            if (opt->time_limit_s) {
                long left = (long)((opt->time_limit_s - now) * 1000) + 1;
                if (left < timeout_ms)
                    timeout_ms = left;
            }
            curl_easy_setopt(x[k].h, CURLOPT_URL, x[k].url);
            curl_easy_setopt(x[k].h, CURLOPT_TIMEOUT_MS, timeout_ms);
            curl_easy_setopt(x[k].h, CURLOPT_WRITEDATA, &x[k].f);
            curl_easy_setopt(x[k].h, CURLOPT_PRIVATE, (char *)&x[k]);
            x[k].job = job;
            s->requests++;
            curl_multi_add_handle(m, x[k].h);
            running++;
        }
        if (!running && !n_retry && next >= pc->n_jobs)
            break;
        int still = 0;
        curl_multi_perform(m, &still);
        CURLMsg *msg;
        int left_msgs;
        while ((msg = curl_multi_info_read(m, &left_msgs))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            struct xfer *t = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
            CURLcode cc = msg->data.result;
            curl_multi_remove_handle(m, t->h);
            running--;
            size_t i = t->job;
            t->job = SIZE_MAX;
            long status = 0;
            curl_easy_getinfo(t->h, CURLINFO_RESPONSE_CODE, &status);
            curl_off_t retry_after = 0;
            curl_easy_getinfo(t->h, CURLINFO_RETRY_AFTER, &retry_after);
            if (cc != CURLE_OK)
                status = 0;
            enum fetch_result fr;
            bool transient = false;
            char *why = NULL;
            if (cc == CURLE_OK && status == 200) {
                fr = FETCH_OK;
            } else if (cc == CURLE_OK && (status == 404 || status == 410)) {
                fr = FETCH_NOT_FOUND;
            } else if (t->f.too_big) {
                fr = FETCH_FAILED;
                why = cat_strdupf("answer larger than %zu bytes", t->f.max);
            } else if (cc != CURLE_OK) {
                fr = FETCH_FAILED;
                why = cat_strdupf("%s", curl_easy_strerror(cc));
                transient = cc != CURLE_PEER_FAILED_VERIFICATION &&
                            cc != CURLE_SSL_CACERT_BADFILE && cc != CURLE_UNSUPPORTED_PROTOCOL &&
                            cc != CURLE_URL_MALFORMAT;
            } else {
                fr = FETCH_FAILED;
                why = cat_strdupf("HTTP %ld", status);
                transient = status >= 500 || status == 429 || status == 408;
            }
            if (fr == FETCH_FAILED && transient && st[i].attempt < opt->retries) {
                /* Back off: doubling from --backoff-ms, at most 30 s, or what Retry-After
                 * asks (429/503), at most 5 min. */
                double d = base_ms / 1000.0;
                for (unsigned a = 0; a < st[i].attempt && d < 30; a++)
                    d *= 2;
                d = d > 30 ? 30 : d;
                if (retry_after > 0)
                    d = retry_after > 300 ? 300 : (double)retry_after;
                say(pc, "  cat profile %s: %s; retrying in %.0f ms", pc->jobs[i].id,
                    why ? why : "failed", d * 1000);
                free(why);
                st[i].attempt++;
                st[i].not_before = elapsed_s(s) + d;
                retry[n_retry++] = i;
                continue;
            }
            /* eap-generic when eap-config is 404 or 500 (CAT's 500 is often final). */
            if (st[i].device == 0 &&
                (fr == FETCH_NOT_FOUND || (fr == FETCH_FAILED && status == 500))) {
                free(why);
                st[i].device = 1;
                st[i].attempt = 0;
                st[i].not_before = 0;
                retry[n_retry++] = i;
                continue;
            }
            st[i].finished = true;
            int frc = finish_profile(pc, i, fr, st[i].device, &t->f, why);
            free(why);
            if (frc < 0) {
                rc = cat_fail(error, frc, "cat profile %s: %s", pc->jobs[i].id, strerror(-frc));
                goto done;
            }
        }
        progress_line(pc, false);
        /* Wait for traffic, or until the next retry is due. */
        int wait_ms = 200;
        if (!running && n_retry) {
            double soonest = 1e9;
            for (size_t r = 0; r < n_retry; r++)
                soonest = st[retry[r]].not_before < soonest ? st[retry[r]].not_before : soonest;
            double w = (soonest - elapsed_s(s)) * 1000;
            wait_ms = w < 1 ? 1 : w > 1000 ? 1000 : (int)w;
        }
        if (running)
            curl_multi_poll(m, NULL, 0, wait_ms, NULL);
        else if (wait_ms > 0 && n_retry) {
            struct timespec ts = {wait_ms / 1000, (long)(wait_ms % 1000) * 1000000L};
            while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
        }
    }
    progress_line(pc, true);
done:
    if (x)
        for (unsigned k = 0; k < conns; k++) {
            if (x[k].h) {
                if (x[k].job != SIZE_MAX && m)
                    curl_multi_remove_handle(m, x[k].h);
                curl_easy_cleanup(x[k].h);
            }
            free(x[k].f.data);
            free(x[k].url);
        }
    if (m)
        curl_multi_cleanup(m);
    free(x);
    free(st);
    free(retry);
    return rc;
}

/* ----- the report (issue 15 §3, §4) ----- */

#define CA_WARN_DAYS 30u
#define REPORT_LINES 20u /* per list in the text report; --json has them all */

static json_t *
job_json(const struct job *j)
{
    return json_pack("{s:s, s:s?, s:s?}", "profile", j->id, "institution", j->institution,
                     "institution_id", j->inst_id[0] ? j->inst_id : NULL);
}

struct conflict_ctx {
    const struct job *jobs;
    size_t n_jobs;
    json_t *list;
};

/* The job of a builder source ("cat profile N"), or NULL. */
static const struct job *
job_of_source(const struct conflict_ctx *cc, const char *source)
{
    static const char prefix[] = "cat profile ";
    if (!source || strncmp(source, prefix, sizeof(prefix) - 1))
        return NULL;
    struct job key;
    memset(&key, 0, sizeof(key));
    snprintf(key.id, sizeof(key.id), "%s", source + sizeof(prefix) - 1);
    return bsearch(&key, cc->jobs, cc->n_jobs, sizeof(*cc->jobs), cmp_job);
}

static void
on_conflict(const char *realm, const char *used, const char *const *sources, size_t n,
            void *userdata)
{
    struct conflict_ctx *cc = userdata;
    json_t *profiles = json_array();
    const struct job *u = job_of_source(cc, used);
    size_t n_inst = 0;
    for (size_t i = 0; i < n; i++) {
        const struct job *j = job_of_source(cc, sources[i]);
        if (!j)
            continue;
        bool seen = false;
        for (size_t k = 0; k < i && !seen; k++) {
            const struct job *o = job_of_source(cc, sources[k]);
            seen = o && (j->inst_id[0] ? !strcmp(o->inst_id, j->inst_id)
                                       : (o->institution && j->institution &&
                                          !strcmp(o->institution, j->institution)));
        }
        n_inst += !seen;
        json_array_append_new(profiles, job_json(j));
    }
    json_array_append_new(cc->list, json_pack("{s:s, s:s?, s:o, s:I}", "realm", realm, "used",
                                              u ? u->id : NULL, "profiles", profiles,
                                              "institutions", (json_int_t)n_inst));
}

/* One list of the text report: its first REPORT_LINES entries. */
static void
print_list(const struct syncer *s, json_t *list, const char *what)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) {
        if (i == REPORT_LINES) {
            progress(s, "  ... and %zu more (--json lists them all)", json_array_size(list) - i);
            break;
        }
        if (json_is_string(v)) {
            progress(s, "  %s %s", what, json_string_value(v));
        } else if (json_object_get(v, "days_left")) {
            progress(s, "  %s %s: CA %s expires %s (in %lld days; %s)", what,
                     json_string_value(json_object_get(v, "realm")),
                     json_string_value(json_object_get(v, "subject")),
                     json_string_value(json_object_get(v, "not_after")),
                     (long long)json_integer_value(json_object_get(v, "days_left")),
                     json_string_value(json_object_get(v, "source")));
        } else if (json_object_get(v, "server_names")) {
            bool ca = json_is_true(json_object_get(v, "ca"));
            bool sn = json_is_true(json_object_get(v, "server_names"));
            bool usable = json_is_true(json_object_get(v, "usable"));
            progress(s, "  %s %s:%s%s%s%s", what, json_string_value(json_object_get(v, "realm")),
                     ca ? " CA" : "", ca && sn ? "," : "", sn ? " server names" : "",
                     !usable ? " (now unusable)" : !ca && !sn ? " usable now" : "");
        } else if (json_object_get(v, "profiles")) {
            json_t *ps = json_object_get(v, "profiles"), *p;
            size_t k;
            char line[1024];
            size_t len = 0;
            line[0] = '\0';
            json_array_foreach(ps, k, p) {
                const char *inst = json_string_value(json_object_get(p, "institution"));
                int w = snprintf(line + len, sizeof(line) - len, "%s%s (%s)", k ? ", " : "",
                                 json_string_value(json_object_get(p, "profile")),
                                 inst ? inst : "?");
                if (w < 0 || (size_t)w >= sizeof(line) - len)
                    break;
                len += (size_t)w;
            }
            const char *used = json_string_value(json_object_get(v, "used"));
            progress(s, "  %s %s: CAT profiles %s of %lld institution(s); cat profile %s is"
                     " used", what, json_string_value(json_object_get(v, "realm")), line,
                     (long long)json_integer_value(json_object_get(v, "institutions")),
                     used ? used : "?");
        } else {
            const char *inst = json_string_value(json_object_get(v, "institution"));
            progress(s, "  %s cat profile %s (%s)", what,
                     json_string_value(json_object_get(v, "profile")), inst ? inst : "?");
        }
    }
}

static void
print_report(const struct syncer *s, json_t *report, json_t *no_realm, json_t *conflicts)
{
    json_t *added = json_object_get(report, "realms_added");
    json_t *removed = json_object_get(report, "realms_removed");
    json_t *changed = json_object_get(report, "realms_changed");
    json_t *expiring = json_object_get(report, "ca_expiring");
    if (added && removed && changed) {
        if (json_is_true(json_object_get(report, "previous_database")))
            progress(s, "realms since the previous database: %zu added, %zu removed, %zu"
                     " changed (CA or server names)", json_array_size(added),
                     json_array_size(removed), json_array_size(changed));
        else
            progress(s, "realms: %zu, all new (no previous database to compare with)",
                     json_array_size(added));
        if (json_is_true(json_object_get(report, "previous_database")))
            print_list(s, added, "added:  ");
        print_list(s, removed, "removed:");
        print_list(s, changed, "changed:");
    }
    progress(s, "conflicts: %zu realms claimed by several CAT profiles (the lowest profile id"
             " is used, a realm's own ID before an InnerIdentitySuffix claim; realms.d"
             " CatProfile= chooses another)", json_array_size(conflicts));
    print_list(s, conflicts, "conflict:");
    if (expiring) {
        progress(s, "CA certificates expiring within %u days: %zu", CA_WARN_DAYS,
                 json_array_size(expiring));
        print_list(s, expiring, "expiring:");
    }
    progress(s, "profiles without a realm: %zu (they cannot be found by realm; realms.d"
             " CatProfile=ID maps a realm to one)", json_array_size(no_realm));
    print_list(s, no_realm, "no realm:");
}

/* The SHA-256 of FILE in hex (65 bytes), or "" when it cannot be read. */
static void
sha256_file(const char *path, char out[65])
{
    out[0] = '\0';
    char *data = NULL;
    size_t len = 0;
    if (cat_read_file(path, 256u * 1024u * 1024u, &data, &len) < 0)
        return;
    unsigned char md[32];
    unsigned int mdlen = 0;
    if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) && mdlen == 32)
        sdvm_hex(md, 32, out);
    free(data);
}

int
sdvm_cat_sync(const struct sdvm_cat_sync_options *opt, char **error)
{
    if (!opt || !opt->api_url || !opt->work_dir || !opt->out_path)
        return cat_fail(error, -EINVAL, "sync needs --from URL, a work directory and OUT.db");
    if (strncmp(opt->api_url, "https://", 8))
        return cat_fail(error, -EINVAL, "%s: only https:// URLs are allowed", opt->api_url);
    if (strchr(opt->api_url, '?') || strchr(opt->api_url, '#'))
        return cat_fail(error, -EINVAL, "%s: give the API endpoint without a query"
                        " (e.g. https://cat.eduroam.org/user/API.php)", opt->api_url);
    unsigned resume_max = opt->resume_max_s ? opt->resume_max_s : 86400u;
    unsigned max_age = opt->max_age_s ? opt->max_age_s : 30u * 86400u;
    unsigned max_failed = opt->max_failed_pct ? opt->max_failed_pct : 5u; /* 1..100 */
    char *profiles_dir = cat_strdupf("%s/profiles", opt->work_dir);
    char *run_dir = cat_strdupf("%s/run", opt->work_dir);
    if (!profiles_dir || !run_dir) {
        free(profiles_dir);
        free(run_dir);
        return cat_fail(error, -ENOMEM, "out of memory");
    }
    if ((mkdir(opt->work_dir, 0755) < 0 && errno != EEXIST) ||
        (mkdir(profiles_dir, 0755) < 0 && errno != EEXIST)) {
        int e = errno;
        free(profiles_dir);
        free(run_dir);
        return cat_fail(error, -e, "%s: %s", opt->work_dir, strerror(e));
    }
    clean_dir(profiles_dir, false);
    int rc = 0;

    struct syncer s = {.opt = opt};
    clock_gettime(CLOCK_MONOTONIC, &s.start);

    /* An interrupted run resumes unless it is older than --resume-max (or --refresh). */
    char *list_path = cat_strdupf("%s/institutions.json", run_dir);
    if (!list_path) {
        free(profiles_dir);
        free(run_dir);
        return cat_fail(error, -ENOMEM, "out of memory");
    }
    long long run_age = age_of(list_path);
    bool resume = run_age >= 0 && !opt->refresh && run_age <= (long long)resume_max;
    if (!resume)
        clean_dir(run_dir, true);
    else
        clean_dir(run_dir, false);
    if (mkdir(run_dir, 0755) < 0 && errno != EEXIST) {
        int e = errno;
        rc = cat_fail(error, -e, "%s: %s", run_dir, strerror(e));
        free(profiles_dir);
        free(run_dir);
        free(list_path);
        return rc;
    }

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        free(profiles_dir);
        free(run_dir);
        free(list_path);
        return cat_fail(error, -EIO, "cannot initialize libcurl");
    }
    s.curl = curl_easy_init();
    struct fetch f = {0};
    char *why = NULL, *url = NULL;
    long status_code = 0;
    json_t *root = NULL;
    struct job *jobs = NULL;
    size_t n_jobs = 0, cap_jobs = 0;
    json_t *report = json_object(), *no_realm = json_array(), *conflicts = json_array();
    if (!s.curl) {
        rc = cat_fail(error, -ENOMEM, "cannot create a libcurl handle");
        goto out;
    }
    curl_easy_setopt(s.curl, CURLOPT_WRITEFUNCTION, on_data);
    /* CAT's operators see who is calling (its terms of use: see sdvm-cat(1)). */
    curl_easy_setopt(s.curl, CURLOPT_USERAGENT, SDVM_USER_AGENT);
    curl_easy_setopt(s.curl, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(s.curl, CURLOPT_REDIR_PROTOCOLS_STR, "https");
    curl_easy_setopt(s.curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(s.curl, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(s.curl, CURLOPT_CONNECTTIMEOUT, 20L);
    curl_easy_setopt(s.curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(s.curl, CURLOPT_ACCEPT_ENCODING, "");
    if (opt->ca_file)
        curl_easy_setopt(s.curl, CURLOPT_CAINFO, opt->ca_file);

    /* 1. The institution list: fetched by every run (a resumed run reuses its own). */
    char *list_data = NULL;
    size_t list_len = 0;
    bool from_cache = false;
    if (resume && cat_read_file(list_path, LIST_MAX, &list_data, &list_len) == 0) {
        from_cache = true;
        progress(&s, "institution list: resuming the run interrupted %llds ago", run_age);
    } else {
        url = cat_strdupf("%s?action=listIdentityProvidersWithProfiles", opt->api_url);
        if (!url) {
            rc = cat_fail(error, -ENOMEM, "out of memory");
            goto out;
        }
        progress(&s, "institution list: fetching %s", url);
        enum fetch_result fr = get(&s, url, LIST_MAX, &f, &why, &status_code);
        if (fr == FETCH_TIMEOUT) {
            rc = cat_fail(error, -ETIMEDOUT, "time limit reached while fetching the"
                          " institution list");
            goto out;
        }
        if (fr != FETCH_OK) {
            rc = cat_fail(error, -EIO, "institution list: %s",
                          fr == FETCH_NOT_FOUND ? "HTTP 404 (is the URL CAT's API.php?)"
                                                : why ? why : "failed");
            goto out;
        }
        list_data = f.data;
        list_len = f.len;
        f.data = NULL;
        f.cap = f.len = 0;
    }
    json_error_t jerr;
    root = json_loadb(list_data ? list_data : "", list_len, 0, &jerr);
    json_t *status = json_object_get(root, "status");
    json_t *data = json_object_get(root, "data");
    bool valid = root && (!status || json_integer_value(status) == 1) && data &&
                 (json_is_object(data) || json_is_array(data));
    if (valid && !from_cache)
        sdvm_write_file_atomic(list_path, list_data, list_len, 0644);
    free(list_data);
    if (!root) {
        rc = cat_fail(error, -EBADMSG, "institution list is not JSON: line %d: %s", jerr.line,
                      jerr.text);
        goto out;
    }
    if (!valid) {
        rc = cat_fail(error, -EBADMSG, "institution list: not a CAT answer (status != 1 or no"
                      " data)");
        unlink(list_path);
        goto out;
    }

    /* Profiles without a redirect are the ones with an eap-config. */
    size_t n_inst = 0, skipped = 0;
    void *iter = json_is_object(data) ? json_object_iter(data) : NULL;
    size_t ai = 0;
    for (;;) {
        json_t *inst;
        char inst_id[24] = "";
        if (json_is_object(data)) {
            if (!iter)
                break;
            inst = json_object_iter_value(iter);
            json_t *k = json_string(json_object_iter_key(iter));
            if (!id_of(k, inst_id))
                inst_id[0] = '\0';
            json_decref(k);
            iter = json_object_iter_next(data, iter);
        } else {
            if (ai >= json_array_size(data))
                break;
            inst = json_array_get(data, ai++);
        }
        if (!inst_id[0] && !id_of(json_object_get(inst, "id"), inst_id))
            inst_id[0] = '\0';
        n_inst++;
        const char *name = pick_name(json_object_get(inst, "names"));
        size_t pi;
        json_t *prof;
        json_array_foreach(json_object_get(inst, "profiles"), pi, prof) {
            char id[24];
            if (!id_of(json_object_get(prof, "id"), id)) {
                progress(&s, "skipped a profile of %s: its id is not a number",
                         name ? name : "?");
                skipped++;
                continue;
            }
            const char *redirect = json_string_value(json_object_get(prof, "redirect"));
            if (redirect && *redirect) {
                progress(&s, "skipped cat profile %s (%s): %s", id, name ? name : "?",
                         strstr(redirect, "#letswifi")
                             ? "letswifi profile (client certificates through an OAuth"
                               " sign-in): unsupported"
                             : "redirects to a web page, no eap-config");
                skipped++;
                continue;
            }
            if (n_jobs == cap_jobs) {
                cap_jobs = cap_jobs ? cap_jobs * 2 : 1024;
                struct job *v = realloc(jobs, cap_jobs * sizeof(*v));
                if (!v) {
                    rc = cat_fail(error, -ENOMEM, "out of memory");
                    goto out;
                }
                jobs = v;
            }
            memcpy(jobs[n_jobs].id, id, sizeof(id));
            memcpy(jobs[n_jobs].inst_id, inst_id, sizeof(inst_id));
            jobs[n_jobs].institution = name ? strdup(name) : NULL;
            n_jobs++;
        }
    }
    if (n_jobs)
        qsort(jobs, n_jobs, sizeof(*jobs), cmp_job);
    progress(&s, "%zu institutions, %zu profiles with an eap-config, %zu skipped", n_inst,
             n_jobs, skipped);

    /* 2. Every profile's eap-config, into run/: N.eap-config (parsed), N.missing (404),
     *    N.failed (why). A resumed run skips the profiles it already has an answer for.
     *    Up to --connections transfers at once (libcurl multi, HTTP/2 where offered). */
    struct prof_ctx pc = {.s = &s, .run_dir = run_dir, .profiles_dir = profiles_dir,
                          .jobs = jobs, .n_jobs = n_jobs};
    rc = fetch_all(&pc, error);
    if (rc)
        goto out;
    size_t resumed = pc.resumed, fetched = pc.fetched, changed = pc.changed,
           generic = pc.generic;

    /* 3. Failed profiles: the last good copy while it is young enough, else dropped. */
    size_t failed = 0, kept = 0, dropped = 0, missing = 0;
    long long oldest = 0;
    for (size_t i = 0; i < n_jobs; i++) {
        char p[4096];
        snprintf(p, sizeof(p), "%s/%s.missing", run_dir, jobs[i].id);
        if (exists(p)) {
            missing++;
            continue;
        }
        snprintf(p, sizeof(p), "%s/%s.failed", run_dir, jobs[i].id);
        if (!exists(p))
            continue;
        failed++;
        snprintf(p, sizeof(p), "%s/%s.eap-config", profiles_dir, jobs[i].id);
        long long a = age_of(p);
        if (a >= 0 && a <= (long long)max_age) {
            kept++;
            oldest = a > oldest ? a : oldest;
            progress(&s, "cat profile %s: kept its last good copy (%lld s old)", jobs[i].id, a);
        } else {
            dropped++;
            if (a >= 0)
                progress(&s, "cat profile %s: dropped (its last good copy is %lld s old)",
                         jobs[i].id, a);
        }
    }
    progress(&s, "profiles: %zu fetched (%zu changed, %zu as eap-generic), %zu from the"
             " interrupted run, %zu without eap-config, %zu failed (%zu kept from an older run,"
             " oldest %lld s; %zu dropped); %u requests in %.1f s", fetched, changed, generic,
             resumed, missing, failed, kept, oldest, dropped, s.requests, elapsed_s(&s));
    bool refuse = n_jobs && failed * 100 > (size_t)max_failed * n_jobs;

    /* 4. Build, in profile order, and write atomically: the old database or the new one.
     *    Every profile is also indexed as "cat profile N" (realms.d's CatProfile=). */
    if (!report || !no_realm || !conflicts) {
        rc = cat_fail(error, -ENOMEM, "out of memory");
        goto out;
    }
    if (!refuse) {
        struct sdvm_cat_db_builder *b = sdvm_cat_db_builder_new();
        if (!b) {
            rc = cat_fail(error, -ENOMEM, "out of memory");
            goto out;
        }
        for (size_t i = 0; i < n_jobs && rc == 0; i++) {
            char path[4096], source[64], p[4096];
            snprintf(path, sizeof(path), "%s/%s.eap-config", run_dir, jobs[i].id);
            snprintf(source, sizeof(source), "cat profile %s", jobs[i].id);
            if (!exists(path)) {
                snprintf(p, sizeof(p), "%s/%s.failed", run_dir, jobs[i].id);
                snprintf(path, sizeof(path), "%s/%s.eap-config", profiles_dir, jobs[i].id);
                long long a = age_of(path);
                if (!exists(p) || a < 0 || a > (long long)max_age)
                    continue;
            }
            struct sdvm_cat_document *doc = NULL;
            char *perr = NULL;
            int prc = sdvm_cat_parse_file(path, &doc, &perr);
            if (prc < 0) {
                if (prc == -ENOMEM)
                    rc = prc;
                else
                    fprintf(stderr, "skipped %s: %s\n", source, perr ? perr : strerror(-prc));
                free(perr);
                continue;
            }
            size_t claimed = 0;
            rc = sdvm_cat_db_builder_add_cat_profile(b, jobs[i].id, source, doc, sync_report,
                                                     &s, &claimed);
            sdvm_cat_document_free(doc);
            /* §4: no realm (ID "undefined"): only realms.d's CatProfile= reaches it. */
            if (rc == 0 && claimed == 0)
                json_array_append_new(no_realm, job_json(&jobs[i]));
        }
        struct conflict_ctx cc = {.jobs = jobs, .n_jobs = n_jobs, .list = conflicts};
        if (rc == 0)
            rc = sdvm_cat_db_builder_conflicts(b, on_conflict, &cc);
        /* The previous database, for the realms added / removed / changed. */
        struct cat_db *old_db = NULL;
        bool had_old = exists(opt->out_path) && cat_db_open(opt->out_path, &old_db, NULL) == 0;
        if (rc)
            rc = cat_fail(error, rc, "building: %s", strerror(-rc));
        else
            rc = sdvm_cat_db_builder_write(b, opt->out_path, error);
        if (rc == 0)
            progress(&s, "wrote %s: %zu realms, %zu distinct CA certificates", opt->out_path,
                     sdvm_cat_db_builder_realm_count(b), sdvm_cat_db_builder_cert_count(b));
        sdvm_cat_db_builder_free(b);
        if (rc == 0) {
            struct cat_db *cur = NULL;
            char *derr = NULL;
            int crc = cat_db_open(opt->out_path, &cur, &derr);
            if (crc == 0)
                crc = cat_sync_compare(old_db, cur, report);
            if (crc == 0)
                crc = cat_sync_expiring(cur, time(NULL), CA_WARN_DAYS, report);
            if (crc < 0)
                fprintf(stderr, "sdvm-cat sync: cannot compare the databases: %s\n",
                        derr ? derr : strerror(-crc));
            json_object_set_new(report, "previous_database", json_boolean(had_old));
            free(derr);
            cat_db_free(cur);
        }
        cat_db_free(old_db);
        if (rc)
            goto out;
    }

    /* 5. The run is over: its good copies become the last good ones, and run/ goes, so the
     *    next run fetches everything again. */
    for (size_t i = 0; i < n_jobs; i++) {
        char from[4096], to[4096], p[4096];
        snprintf(from, sizeof(from), "%s/%s.eap-config", run_dir, jobs[i].id);
        snprintf(to, sizeof(to), "%s/%s.eap-config", profiles_dir, jobs[i].id);
        snprintf(p, sizeof(p), "%s/%s.missing", run_dir, jobs[i].id);
        if (exists(from))
            rename(from, to);
        else if (exists(p))
            unlink(to);
    }
    clean_dir(run_dir, true);
    rmdir(run_dir);
    /* 6. The summary: the same numbers as text (stderr) and, with --json, JSON (stdout). */
    char sha[65] = "";
    if (!refuse)
        sha256_file(opt->out_path, sha);
    if (!refuse)
        print_report(&s, report, no_realm, conflicts);
    if (!refuse)
        progress(&s, "database %s: sha256 %s", opt->out_path, sha);
    if (opt->json) {
        json_t *j = json_pack("{s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
                              " s:I, s:I, s:s?, s:I, s:f}",
                              "database", opt->out_path, "replaced", !refuse,
                              "institutions", (json_int_t)n_inst,
                              "profiles", (json_int_t)n_jobs,
                              "fetched", (json_int_t)fetched,
                              "changed", (json_int_t)changed,
                              "unchanged", (json_int_t)(fetched - changed),
                              "eap_generic", (json_int_t)generic,
                              "resumed", (json_int_t)resumed,
                              "without_eap_config", (json_int_t)missing,
                              "failed", (json_int_t)failed,
                              "kept_from_older_run", (json_int_t)kept,
                              "oldest_kept_age_s", (json_int_t)oldest,
                              "dropped", (json_int_t)dropped,
                              "sha256", refuse ? NULL : sha,
                              "requests", (json_int_t)s.requests,
                              "seconds", elapsed_s(&s));
        if (j) {
            json_object_update(j, report);
            json_object_set(j, "no_realm", no_realm);
            json_object_set_new(j, "without_realm", json_integer((json_int_t)json_array_size(no_realm)));
            json_object_set(j, "conflicts", conflicts);
            char *text = json_dumps(j, JSON_SORT_KEYS);
            if (text)
                printf("%s\n", text);
            free(text);
            json_decref(j);
        }
    }
    if (refuse)
        rc = cat_fail(error, -EAGAIN, "%zu of %zu profiles failed (more than %u %%); %s was not"
                      " replaced", failed, n_jobs, max_failed, opt->out_path);
out:
    for (size_t i = 0; i < n_jobs; i++)
        free(jobs[i].institution);
    free(jobs);
    json_decref(report);
    json_decref(no_realm);
    json_decref(conflicts);
    json_decref(root);
    free(f.data);
    free(why);
    free(url);
    free(list_path);
    free(profiles_dir);
    free(run_dir);
    if (s.curl)
        curl_easy_cleanup(s.curl);
    curl_global_cleanup();
    return rc;
}
