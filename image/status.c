/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sdvm-image status [--json]: per image, the active version and its base, every version on
 * disk (active, or kept because users' disks are made on it or a guest holds it), and what
 * fetch is doing (phase, progress, seeding). --json is for collectors; its keys are stable.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <jansson.h>

#include "layout.h"
#include "sdvm/catalog.h"
#include "sdvm/fetch-state.h"
#include "tool.h"

/* For g_ptr_array_sort (GLib 2.74 has no g_ptr_array_sort_values). */
static gint
compare_strings(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}
#include "usage.h"

static json_t *
fetch_json(const struct sdvm_fetch_entry *e)
{
    if (!e)
        return json_null();
    return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:i, s:I}", "version",
                     e->version, "phase", sdvm_fetch_phase_to_string(e->phase), "error",
                     sdvm_fetch_error_to_string(e->error), "detail", e->detail, "total_bytes",
                     (json_int_t)e->total_bytes, "completed_bytes", (json_int_t)e->completed_bytes,
                     "uploaded_bytes", (json_int_t)e->uploaded_bytes, "resumed_bytes",
                     (json_int_t)e->resumed_bytes, "download_bps", (json_int_t)e->download_bps,
                     "upload_bps", (json_int_t)e->upload_bps, "peers", (int)e->peers, "updated",
                     (json_int_t)e->updated);
}

static json_t *
versions_json(const struct sdvm_config *cfg, const struct sdvm_image_info *img, GHashTable *usage)
{
    json_t *arr = json_array();
    g_autofree char *vdir = layout_versions_dir(cfg->paths.images_dir, img->id);
    g_autoptr(GDir) d = vdir ? g_dir_open(vdir, 0, NULL) : NULL;
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *n;
    while (d && (n = g_dir_read_name(d)))
        if (g_str_has_suffix(n, ".qcow2"))
            g_ptr_array_add(names, g_strndup(n, strlen(n) - 6));
    g_ptr_array_sort(names, compare_strings);
    for (guint i = 0; i < names->len; i++) {
        const char *v = names->pdata[i];
        g_autofree char *path = layout_version_file(cfg->paths.images_dir, img->id, v, ".qcow2");
        if (!path)
            continue;
        int in_use = usage ? usage_base_in_use(path) : -1;
        json_array_append_new(arr, json_pack("{s:s, s:s, s:b, s:I, s:b}", "version", v, "path",
                                             path, "active", !strcmp(path, img->qcow2_path),
                                             "disks",
                                             (json_int_t)(usage ? usage_disks_on(usage, path) : 0),
                                             "in_use", in_use > 0));
    }
    return arr;
}

int
tool_cmd_status(struct tool *t, int argc, char **argv)
{
    static const struct option options[] = {
        {"json", no_argument, NULL, 'j'},
        {NULL, 0, NULL, 0},
    };
    bool as_json = false;
    int c;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        if (c != 'j') {
            fprintf(stderr, "usage: sdvm-image status [--json]\n");
            return TOOL_USAGE;
        }
        as_json = true;
    }
    if (optind != argc) {
        fprintf(stderr, "usage: sdvm-image status [--json]\n");
        return TOOL_USAGE;
    }
    const struct sdvm_config *cfg = tool_config(t);
    if (!cfg)
        return TOOL_CONFIG;
    sdvm_catalog *cat = NULL;
    if (sdvm_catalog_load(cfg->paths.images_dir, &cat) < 0) {
        tool_errorf("cannot read the catalog %s", cfg->paths.images_dir);
        return TOOL_FAILED;
    }
    g_autofree char *state_path = sdvm_fetch_state_path(cfg);
    struct sdvm_fetch_state st;
    if (sdvm_fetch_state_load(state_path, &st) < 0)
        tool_errorf("%s is malformed; showing no fetch state", state_path);
    GHashTable *usage = usage_scan_users(cfg->paths.users_dir);

    json_t *images = json_array();
    for (size_t i = 0; i < sdvm_catalog_count(cat); i++) {
        const struct sdvm_image_info *img = sdvm_catalog_get(cat, i);
        json_array_append_new(
            images, json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o}", "id", img->id, "name",
                              img->name, "status", sdvm_image_status_to_string(img->status),
                              "version", img->version, "base", img->qcow2_path, "versions",
                              versions_json(cfg, img, usage), "fetch",
                              fetch_json(sdvm_fetch_state_find(&st, img->id))));
    }
    /* Images being fetched for the first time are not in the catalog yet. */
    for (size_t i = 0; i < st.count; i++) {
        if (sdvm_catalog_find(cat, st.entries[i].image_id))
            continue;
        json_array_append_new(images, json_pack("{s:s, s:n, s:s, s:s, s:n, s:[], s:o}", "id",
                                                st.entries[i].image_id, "name", "status",
                                                "NOT_INSTALLED", "version", "", "base",
                                                "versions", "fetch", fetch_json(&st.entries[i])));
    }
    if (as_json) {
        json_t *root = json_pack("{s:s, s:o}", "source", cfg->images.source, "images", images);
        char *text = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
        puts(text);
        free(text);
        json_decref(root);
    } else {
        size_t n;
        json_t *img;
        json_array_foreach (images, n, img) {
            json_t *f = json_object_get(img, "fetch");
            printf("%s  %s  version %s  %s\n", json_string_value(json_object_get(img, "id")),
                   json_string_value(json_object_get(img, "status")),
                   *json_string_value(json_object_get(img, "version"))
                       ? json_string_value(json_object_get(img, "version"))
                       : "(unversioned)",
                   json_is_string(json_object_get(img, "base"))
                       ? json_string_value(json_object_get(img, "base"))
                       : "");
            size_t k;
            json_t *v;
            json_array_foreach (json_object_get(img, "versions"), k, v)
                printf("    %s %s: %" JSON_INTEGER_FORMAT " user disk(s)%s\n",
                       json_is_true(json_object_get(v, "active")) ? "*" : " ",
                       json_string_value(json_object_get(v, "version")),
                       json_integer_value(json_object_get(v, "disks")),
                       json_is_true(json_object_get(v, "in_use")) ? ", open by a guest" : "");
            if (json_is_object(f)) {
                json_int_t total = json_integer_value(json_object_get(f, "total_bytes"));
                json_int_t done = json_integer_value(json_object_get(f, "completed_bytes"));
                printf("    fetch %s %s: %s%s%s, %" JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT
                       " bytes (%d%%), %" JSON_INTEGER_FORMAT " uploaded, %d peers\n",
                       json_string_value(json_object_get(f, "version")),
                       json_string_value(json_object_get(f, "phase")),
                       json_string_value(json_object_get(f, "error")),
                       *json_string_value(json_object_get(f, "detail")) ? ": " : "",
                       json_string_value(json_object_get(f, "detail")), done, total,
                       total ? (int)(done * 100 / total) : 0,
                       json_integer_value(json_object_get(f, "uploaded_bytes")),
                       (int)json_integer_value(json_object_get(f, "peers")));
            }
        }
        json_decref(images);
    }
    if (usage)
        g_hash_table_unref(usage);
    sdvm_fetch_state_clear(&st);
    sdvm_catalog_free(cat);
    return TOOL_OK;
}
