/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Small HTTP exchanges over libcurl: the manifest, its signature and the .torrent from the
 * image server (size-capped: they are small), and aria2c's JSON-RPC on loopback. The image
 * itself never goes through here: aria2c downloads it.
 */
#ifndef SDVM_IMAGE_HTTP_H
#define SDVM_IMAGE_HTTP_H

#include <stddef.h>

/*
 * GET url into *body (NUL-terminated, g_free). More than max bytes, an HTTP status other
 * than 200 or a transport error: -EIO / -EFBIG / -ENOENT (404) with *error set.
 */
int http_get(const char *url, size_t max, char **body, size_t *len, char **error);

/* POST a JSON body; the answer as with http_get (any status is returned: aria2 answers errors
 * with 400 and a JSON error object). */
int http_post_json(const char *url, const char *json, size_t max, long timeout_ms, char **body,
                   size_t *len, char **error);

#endif
