/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "http.h"

#include <errno.h>
#include <string.h>

#include <curl/curl.h>
#include <glib.h>

struct sink {
    GByteArray *data;
    size_t max;
    int too_big;
};

static size_t
on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct sink *s = userdata;
    size_t n = size * nmemb;
    if (s->data->len + n > s->max) {
        s->too_big = 1;
        return 0;
    }
    g_byte_array_append(s->data, (const guint8 *)ptr, (guint)n);
    return n;
}

static int
perform(CURL *c, const char *url, size_t max, int any_status, char **body, size_t *len,
        char **error)
{
    struct sink s = {g_byte_array_new(), max, 0};
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    int r = 0;
    if (s.too_big) {
        *error = g_strdup_printf("%s: larger than %zu bytes", url, max);
        r = -EFBIG;
    } else if (rc != CURLE_OK) {
        *error = g_strdup_printf("%s: %s", url, *errbuf ? errbuf : curl_easy_strerror(rc));
        r = -EIO;
    } else if (!any_status && status != 200) {
        *error = g_strdup_printf("%s: HTTP %ld", url, status);
        r = status == 404 ? -ENOENT : -EIO;
    }
    if (r < 0) {
        g_byte_array_free(s.data, TRUE);
        return r;
    }
    if (len)
        *len = s.data->len;
    g_byte_array_append(s.data, (const guint8 *)"", 1);
    *body = (char *)g_byte_array_free(s.data, FALSE);
    return 0;
}

int
http_get(const char *url, size_t max, char **body, size_t *len, char **error)
{
    *body = NULL;
    *error = NULL;
    CURL *c = curl_easy_init();
    if (!c)
        return -ENOMEM;
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 60000L);
    int r = perform(c, url, max, 0, body, len, error);
    curl_easy_cleanup(c);
    return r;
}

int
http_post_json(const char *url, const char *json, size_t max, long timeout_ms, char **body,
               size_t *len, char **error)
{
    *body = NULL;
    *error = NULL;
    CURL *c = curl_easy_init();
    if (!c)
        return -ENOMEM;
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    /* Loopback only: never through a proxy the environment names. */
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    int r = perform(c, url, max, 1, body, len, error);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return r;
}
