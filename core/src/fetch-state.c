/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The fetch state file (fetch-state.h): a GKeyFile, one [Image <id>] group per image. */
#include "sdvm/fetch-state.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "sdvm/atomic-file.h"
#include "sdvm/catalog.h"

#define GROUP_PREFIX "Image "
#define MAX_STATE_SIZE (1024 * 1024)

static const char *const phase_names[] = {
    [SDVM_FETCH_IDLE] = "IDLE",           [SDVM_FETCH_MANIFEST] = "MANIFEST",
    [SDVM_FETCH_DOWNLOADING] = "DOWNLOADING", [SDVM_FETCH_VERIFYING] = "VERIFYING",
    [SDVM_FETCH_ACTIVATING] = "ACTIVATING", [SDVM_FETCH_SEEDING] = "SEEDING",
    [SDVM_FETCH_DONE] = "DONE",           [SDVM_FETCH_FAILED] = "FAILED",
};

struct error_name {
    const char *id, *description;
};

static const struct error_name error_names[] = {
    [SDVM_FETCH_OK] = {"NONE", "no error"},
    [SDVM_FETCH_SOURCE_UNREACHABLE] = {"SOURCE_UNREACHABLE",
                                       "the image server did not give the manifest"},
    [SDVM_FETCH_BAD_SIGNATURE] = {"BAD_SIGNATURE",
                                  "the manifest is not signed by the lab's trusted key"},
    [SDVM_FETCH_MANIFEST_INVALID] = {"MANIFEST_INVALID", "the signed manifest is malformed"},
    [SDVM_FETCH_WRONG_IMAGE] = {"WRONG_IMAGE", "the manifest describes another image"},
    [SDVM_FETCH_DOWNGRADE] = {"DOWNGRADE",
                              "the manifest is older than the active version's (refused)"},
    [SDVM_FETCH_TORRENT_MISMATCH] = {"TORRENT_MISMATCH",
                                     "the torrent's info hash is not the manifest's"},
    [SDVM_FETCH_DOWNLOAD_FAILED] = {"DOWNLOAD_FAILED", "the BitTorrent download failed"},
    [SDVM_FETCH_HASH_MISMATCH] = {"HASH_MISMATCH",
                                  "the downloaded image's SHA-256 is not the manifest's"},
    [SDVM_FETCH_NO_SPACE] = {"NO_SPACE", "not enough free space for the new version"},
    [SDVM_FETCH_ACTIVATE_FAILED] = {"ACTIVATE_FAILED", "installing the new version failed"},
    [SDVM_FETCH_ENGINE] = {"ENGINE", "aria2c could not be started or stopped answering"},
    [SDVM_FETCH_NO_TRUSTED_KEY] = {"NO_TRUSTED_KEY", "the trusted public key cannot be read"},
};

const char *
sdvm_fetch_phase_to_string(enum sdvm_fetch_phase p)
{
    return (unsigned)p < G_N_ELEMENTS(phase_names) ? phase_names[p] : "UNKNOWN";
}

const char *
sdvm_fetch_error_to_string(enum sdvm_fetch_error e)
{
    return (unsigned)e < G_N_ELEMENTS(error_names) ? error_names[e].id : "UNKNOWN";
}

const char *
sdvm_fetch_error_describe(enum sdvm_fetch_error e)
{
    return (unsigned)e < G_N_ELEMENTS(error_names) ? error_names[e].description
                                                    : "an unknown fetch error";
}

char *
sdvm_fetch_state_path(const struct sdvm_config *config)
{
    return g_strdup_printf("%s/image-fetch.state", config->paths.state_dir);
}

static void
entry_clear(struct sdvm_fetch_entry *e)
{
    g_free(e->image_id);
    g_free(e->version);
    g_free(e->detail);
    memset(e, 0, sizeof(*e));
}

void
sdvm_fetch_state_clear(struct sdvm_fetch_state *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->count; i++)
        entry_clear(&s->entries[i]);
    g_free(s->entries);
    s->entries = NULL;
    s->count = 0;
}

const struct sdvm_fetch_entry *
sdvm_fetch_state_find(const struct sdvm_fetch_state *s, const char *id)
{
    for (size_t i = 0; s && id && i < s->count; i++)
        if (!strcmp(s->entries[i].image_id, id))
            return &s->entries[i];
    return NULL;
}

static int
compare_entries(const void *a, const void *b)
{
    return strcmp(((const struct sdvm_fetch_entry *)a)->image_id,
                  ((const struct sdvm_fetch_entry *)b)->image_id);
}

struct sdvm_fetch_entry *
sdvm_fetch_state_entry(struct sdvm_fetch_state *s, const char *id)
{
    if (!sdvm_image_id_is_valid(id))
        return NULL;
    struct sdvm_fetch_entry *e = (struct sdvm_fetch_entry *)sdvm_fetch_state_find(s, id);
    if (e)
        return e;
    s->entries = g_renew(struct sdvm_fetch_entry, s->entries, s->count + 1);
    e = &s->entries[s->count++];
    memset(e, 0, sizeof(*e));
    e->image_id = g_strdup(id);
    e->version = g_strdup("");
    e->detail = g_strdup("");
    qsort(s->entries, s->count, sizeof(*s->entries), compare_entries);
    return (struct sdvm_fetch_entry *)sdvm_fetch_state_find(s, id);
}

void
sdvm_fetch_entry_set(struct sdvm_fetch_entry *e, const char *version, const char *detail)
{
    if (version) {
        g_free(e->version);
        e->version = g_strdup(version);
    }
    if (detail) {
        g_free(e->detail);
        /* One line: the file and the tools show it as one. */
        e->detail = g_strdelimit(g_strdup(detail), "\r\n", ' ');
    }
}

static uint64_t
get_u64(GKeyFile *kf, const char *group, const char *key)
{
    g_autofree char *v = g_key_file_get_value(kf, group, key, NULL);
    guint64 n = 0;
    if (v && !g_ascii_string_to_unsigned(v, 10, 0, G_MAXUINT64, &n, NULL))
        n = 0;
    return n;
}

static int
by_name(const char *v, const char *const *names, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        if (names[i] && !strcmp(v, names[i]))
            return (int)i;
    return -1;
}

int
sdvm_fetch_state_load(const char *path, struct sdvm_fetch_state *out)
{
    memset(out, 0, sizeof(*out));
    g_autofree char *data = NULL;
    gsize len = 0;
    g_autoptr(GError) err = NULL;
    if (!g_file_get_contents(path, &data, &len, &err)) {
        if (g_error_matches(err, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            return 0;
        return -(err->code == G_FILE_ERROR_ACCES ? EACCES : EIO);
    }
    if (len > MAX_STATE_SIZE)
        return -EINVAL;
    g_autoptr(GKeyFile) kf = g_key_file_new();
    if (!g_key_file_load_from_data(kf, data, len, G_KEY_FILE_NONE, NULL))
        return -EINVAL;
    gsize ngroups = 0;
    g_auto(GStrv) groups = g_key_file_get_groups(kf, &ngroups);
    const char *error_ids[G_N_ELEMENTS(error_names)];
    for (size_t i = 0; i < G_N_ELEMENTS(error_names); i++)
        error_ids[i] = error_names[i].id;
    for (gsize i = 0; i < ngroups; i++) {
        const char *g = groups[i];
        if (!g_str_has_prefix(g, GROUP_PREFIX))
            continue;
        struct sdvm_fetch_entry *e = sdvm_fetch_state_entry(out, g + strlen(GROUP_PREFIX));
        if (!e)
            continue;
        g_autofree char *version = g_key_file_get_string(kf, g, "Version", NULL);
        g_autofree char *detail = g_key_file_get_string(kf, g, "Detail", NULL);
        sdvm_fetch_entry_set(e, version ? version : "", detail ? detail : "");
        g_autofree char *phase = g_key_file_get_string(kf, g, "Phase", NULL);
        g_autofree char *error = g_key_file_get_string(kf, g, "Error", NULL);
        int p = by_name(phase, phase_names, G_N_ELEMENTS(phase_names));
        int x = by_name(error, error_ids, G_N_ELEMENTS(error_ids));
        e->phase = p < 0 ? SDVM_FETCH_IDLE : (enum sdvm_fetch_phase)p;
        e->error = x < 0 ? SDVM_FETCH_OK : (enum sdvm_fetch_error)x;
        e->total_bytes = get_u64(kf, g, "TotalBytes");
        e->completed_bytes = get_u64(kf, g, "CompletedBytes");
        e->uploaded_bytes = get_u64(kf, g, "UploadedBytes");
        e->resumed_bytes = get_u64(kf, g, "ResumedBytes");
        e->download_bps = get_u64(kf, g, "DownloadBps");
        e->upload_bps = get_u64(kf, g, "UploadBps");
        e->peers = (uint32_t)MIN(get_u64(kf, g, "Peers"), UINT32_MAX);
        e->updated = (int64_t)MIN(get_u64(kf, g, "Updated"), (uint64_t)INT64_MAX);
    }
    return 0;
}

int
sdvm_fetch_state_save(const char *path, const struct sdvm_fetch_state *s)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_key_file_set_comment(kf, NULL, NULL,
                           " Written by sdvm-image fetch; see sdvm-image(8). Do not edit.", NULL);
    for (size_t i = 0; i < s->count; i++) {
        const struct sdvm_fetch_entry *e = &s->entries[i];
        g_autofree char *g = g_strconcat(GROUP_PREFIX, e->image_id, NULL);
        g_key_file_set_string(kf, g, "Version", e->version ? e->version : "");
        g_key_file_set_string(kf, g, "Phase", sdvm_fetch_phase_to_string(e->phase));
        g_key_file_set_string(kf, g, "Error", sdvm_fetch_error_to_string(e->error));
        g_key_file_set_string(kf, g, "Detail", e->detail ? e->detail : "");
        g_key_file_set_uint64(kf, g, "TotalBytes", e->total_bytes);
        g_key_file_set_uint64(kf, g, "CompletedBytes", e->completed_bytes);
        g_key_file_set_uint64(kf, g, "UploadedBytes", e->uploaded_bytes);
        g_key_file_set_uint64(kf, g, "ResumedBytes", e->resumed_bytes);
        g_key_file_set_uint64(kf, g, "DownloadBps", e->download_bps);
        g_key_file_set_uint64(kf, g, "UploadBps", e->upload_bps);
        g_key_file_set_uint64(kf, g, "Peers", e->peers);
        g_key_file_set_int64(kf, g, "Updated", e->updated);
    }
    gsize len = 0;
    g_autofree char *data = g_key_file_to_data(kf, &len, NULL);
    return sdvm_write_file_atomic(path, data, len, 0644);
}
