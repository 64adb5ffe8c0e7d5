/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "metrics.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>

#include <glib.h>

#include "sdvm/atomic-file.h"
#include "sdvm/fetch-state.h"

/* Seconds. Logins on the bed take 0.1 s, on a campus a few; guests start in seconds. */
static const double duration_buckets[] = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
/* Session lengths: a class is 50 to 100 minutes. */
static const double session_buckets[] = {60, 300, 900, 1800, 3600, 7200, 14400, 28800};

#define N_DURATION_BUCKETS G_N_ELEMENTS(duration_buckets)
#define N_SESSION_BUCKETS G_N_ELEMENTS(session_buckets)

struct histogram {
    uint64_t counts[16]; /* cumulative at render time; here per bucket, +Inf last */
    uint64_t count;
    double sum;
};

struct sdvmd_metrics {
    GHashTable *logins; /* "outcome\treason" -> count (GUINT_TO_POINTER, 64 bits via gsize) */
    struct histogram durations[SDVMD_DURATION_COUNT];
    struct histogram sessions;
    uint64_t sessions_running, sessions_total;
    uint64_t evicted_disks, evicted_bytes;
    uint64_t greeter_restarts;
};

static const char *const duration_names[SDVMD_DURATION_COUNT] = {"8021x", "disk",
                                                                 "guest_start"};

sdvmd_metrics *
sdvmd_metrics_new(void)
{
    sdvmd_metrics *m = g_new0(sdvmd_metrics, 1);
    m->logins = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    return m;
}

void
sdvmd_metrics_free(sdvmd_metrics *m)
{
    if (!m)
        return;
    g_hash_table_unref(m->logins);
    g_free(m);
}

void
sdvmd_metrics_login(sdvmd_metrics *m, enum sdvm_failure failure)
{
    char *key = g_strdup_printf("%s\t%s", failure == SDVM_FAILURE_NONE ? "success" : "failure",
                                failure == SDVM_FAILURE_NONE ? "" : sdvm_failure_to_string(failure));
    gsize n = GPOINTER_TO_SIZE(g_hash_table_lookup(m->logins, key));
    g_hash_table_replace(m->logins, key, GSIZE_TO_POINTER(n + 1));
}

static void
observe(struct histogram *h, const double *buckets, size_t n, double v)
{
    size_t i = 0;
    while (i < n && v > buckets[i])
        i++;
    h->counts[i]++; /* i == n: +Inf */
    h->count++;
    h->sum += v;
}

void
sdvmd_metrics_duration(sdvmd_metrics *m, enum sdvmd_duration which, double seconds)
{
    if ((unsigned)which < SDVMD_DURATION_COUNT)
        observe(&m->durations[which], duration_buckets, N_DURATION_BUCKETS, seconds);
}

void
sdvmd_metrics_evicted(sdvmd_metrics *m, uint64_t disks, uint64_t bytes)
{
    m->evicted_disks += disks;
    m->evicted_bytes += bytes;
}

void
sdvmd_metrics_session_started(sdvmd_metrics *m)
{
    m->sessions_running = 1;
    m->sessions_total++;
}

void
sdvmd_metrics_session_ended(sdvmd_metrics *m, double seconds)
{
    m->sessions_running = 0;
    observe(&m->sessions, session_buckets, N_SESSION_BUCKETS, seconds);
}

void
sdvmd_metrics_set_greeter_restarts(sdvmd_metrics *m, uint64_t restarts)
{
    m->greeter_restarts = restarts;
}

static void
header(GString *s, const char *name, const char *type, const char *help)
{
    g_string_append_printf(s, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value: backslash, double quote and newline escaped (the text format's rule). */
static char *
label(const char *v)
{
    GString *s = g_string_new(NULL);
    for (const char *p = v; *p; p++) {
        if (*p == '\\' || *p == '"')
            g_string_append_c(s, '\\');
        if (*p == '\n')
            g_string_append(s, "\\n");
        else
            g_string_append_c(s, *p);
    }
    return g_string_free(s, FALSE);
}

static void
histogram(GString *s, const char *name, const char *labels, const struct histogram *h,
          const double *buckets, size_t n)
{
    uint64_t cum = 0;
    for (size_t i = 0; i < n; i++) {
        cum += h->counts[i];
        g_string_append_printf(s, "%s_bucket{%s%sle=\"%g\"} %" PRIu64 "\n", name, labels,
                               *labels ? "," : "", buckets[i], cum);
    }
    cum += h->counts[n];
    g_string_append_printf(s, "%s_bucket{%s%sle=\"+Inf\"} %" PRIu64 "\n", name, labels,
                           *labels ? "," : "", cum);
    g_string_append_printf(s, "%s_sum%s%s%s %.6f\n%s_count%s%s%s %" PRIu64 "\n", name,
                           *labels ? "{" : "", labels, *labels ? "}" : "", h->sum, name,
                           *labels ? "{" : "", labels, *labels ? "}" : "", h->count);
}

static gint
compare_keys(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

char *
sdvmd_metrics_render(const sdvmd_metrics *m, const struct sdvm_config *cfg,
                     const sdvm_catalog *catalog)
{
    GString *s = g_string_new(NULL);
    header(s, "sdvm_logins_total", "counter",
           "Login attempts by outcome and failure reason (sdvm-failure names).");
    GPtrArray *keys = g_ptr_array_new();
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, m->logins);
    while (g_hash_table_iter_next(&it, &key, NULL))
        g_ptr_array_add(keys, key);
    g_ptr_array_sort(keys, compare_keys);
    for (guint i = 0; i < keys->len; i++) {
        const char *k = keys->pdata[i];
        const char *tab = strchr(k, '\t');
        g_autofree char *outcome = g_strndup(k, (gsize)(tab - k));
        g_string_append_printf(s, "sdvm_logins_total{outcome=\"%s\",reason=\"%s\"} %" G_GSIZE_FORMAT
                                  "\n",
                               outcome, tab + 1,
                               GPOINTER_TO_SIZE(g_hash_table_lookup(m->logins, k)));
    }
    g_ptr_array_unref(keys);

    header(s, "sdvm_login_stage_duration_seconds", "histogram",
           "Time spent in a login's stages: 8021x, disk, guest_start.");
    for (unsigned i = 0; i < SDVMD_DURATION_COUNT; i++) {
        g_autofree char *l = g_strdup_printf("stage=\"%s\"", duration_names[i]);
        histogram(s, "sdvm_login_stage_duration_seconds", l, &m->durations[i], duration_buckets,
                  N_DURATION_BUCKETS);
    }
    header(s, "sdvm_sessions_running", "gauge", "Guest sessions running now (0 or 1).");
    g_string_append_printf(s, "sdvm_sessions_running %" PRIu64 "\n", m->sessions_running);
    header(s, "sdvm_sessions_total", "counter", "Guest sessions started.");
    g_string_append_printf(s, "sdvm_sessions_total %" PRIu64 "\n", m->sessions_total);
    header(s, "sdvm_session_duration_seconds", "histogram", "Length of ended guest sessions.");
    histogram(s, "sdvm_session_duration_seconds", "", &m->sessions, session_buckets,
              N_SESSION_BUCKETS);

    struct statvfs vfs;
    if (statvfs(cfg->paths.users_dir, &vfs) == 0) {
        header(s, "sdvm_store_free_bytes", "gauge", "Free bytes of the users' disk store.");
        g_string_append_printf(s, "sdvm_store_free_bytes %" PRIu64 "\n",
                               (uint64_t)vfs.f_bavail * vfs.f_frsize);
        header(s, "sdvm_store_size_bytes", "gauge", "Size of the users' disk store.");
        g_string_append_printf(s, "sdvm_store_size_bytes %" PRIu64 "\n",
                               (uint64_t)vfs.f_blocks * vfs.f_frsize);
    }
    header(s, "sdvm_store_evictions_total", "counter", "Users' disks evicted by the space rule.");
    g_string_append_printf(s, "sdvm_store_evictions_total %" PRIu64 "\n", m->evicted_disks);
    header(s, "sdvm_store_evicted_bytes_total", "counter", "Bytes freed by evictions.");
    g_string_append_printf(s, "sdvm_store_evicted_bytes_total %" PRIu64 "\n", m->evicted_bytes);

    header(s, "sdvm_image_info", "gauge",
           "One series per catalog image: its active version and status.");
    for (size_t i = 0; i < sdvm_catalog_count(catalog); i++) {
        const struct sdvm_image_info *img = sdvm_catalog_get(catalog, i);
        g_autofree char *id = label(img->id), *ver = label(img->version);
        g_string_append_printf(s, "sdvm_image_info{image=\"%s\",version=\"%s\",status=\"%s\"} 1\n",
                               id, ver, sdvm_image_status_to_string(img->status));
    }
    header(s, "sdvm_images", "gauge", "Images in the catalog.");
    g_string_append_printf(s, "sdvm_images %zu\n", sdvm_catalog_count(catalog));

    g_autofree char *state_path = sdvm_fetch_state_path(cfg);
    struct sdvm_fetch_state st;
    if (sdvm_fetch_state_load(state_path, &st) == 0 && st.count) {
        header(s, "sdvm_image_fetch_bytes", "gauge",
               "sdvm-image fetch: bytes of the version being fetched, by kind (total, "
               "completed, uploaded).");
        for (size_t i = 0; i < st.count; i++) {
            const struct sdvm_fetch_entry *e = &st.entries[i];
            g_autofree char *id = label(e->image_id), *ver = label(e->version);
            g_string_append_printf(
                s,
                "sdvm_image_fetch_bytes{image=\"%s\",version=\"%s\",kind=\"total\"} %" PRIu64 "\n"
                "sdvm_image_fetch_bytes{image=\"%s\",version=\"%s\",kind=\"completed\"} %" PRIu64
                "\n"
                "sdvm_image_fetch_bytes{image=\"%s\",version=\"%s\",kind=\"uploaded\"} %" PRIu64
                "\n",
                id, ver, e->total_bytes, id, ver, e->completed_bytes, id, ver, e->uploaded_bytes);
        }
        header(s, "sdvm_image_fetch_phase", "gauge",
               "sdvm-image fetch: 1 for the phase each image is in (SEEDING: sharing it).");
        for (size_t i = 0; i < st.count; i++) {
            const struct sdvm_fetch_entry *e = &st.entries[i];
            g_autofree char *id = label(e->image_id), *ver = label(e->version);
            g_string_append_printf(s,
                                   "sdvm_image_fetch_phase{image=\"%s\",version=\"%s\",phase=\"%s\","
                                   "error=\"%s\"} 1\n",
                                   id, ver, sdvm_fetch_phase_to_string(e->phase),
                                   sdvm_fetch_error_to_string(e->error));
        }
    }
    sdvm_fetch_state_clear(&st);

    struct stat cst;
    if (stat(cfg->paths.cat_database, &cst) == 0) {
        header(s, "sdvm_cat_database_age_seconds", "gauge",
               "Age of the eduroam CAT database file (since its last copy).");
        g_string_append_printf(s, "sdvm_cat_database_age_seconds %.0f\n",
                               difftime(time(NULL), cst.st_mtime));
    }
    header(s, "sdvm_greeter_restarts_total", "counter", "Greeter crashes and restarts.");
    g_string_append_printf(s, "sdvm_greeter_restarts_total %" PRIu64 "\n", m->greeter_restarts);
    return g_string_free(s, FALSE);
}

int
sdvmd_metrics_write(const sdvmd_metrics *m, const struct sdvm_config *cfg,
                    const sdvm_catalog *catalog)
{
    if (!m || !cfg->metrics.textfile || !*cfg->metrics.textfile)
        return 0;
    g_autofree char *text = sdvmd_metrics_render(m, cfg, catalog);
    /* World-readable: the node exporter runs as its own user. */
    return sdvm_write_file_atomic(cfg->metrics.textfile, text, strlen(text), 0644);
}
