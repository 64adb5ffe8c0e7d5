/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "verify.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <glib.h>

#include "activate.h"
#include "bencode.h"
#include "digest.h"
#include "layout.h"
#include "sdvm/catalog.h"
#include "signature.h"
#include "tool.h"

enum sdvm_fetch_error
verify_manifest(const char *trusted_key, const char *text, size_t len, const char *sig,
                size_t sig_len, const char *expect_id, struct manifest *m, char **detail)
{
    memset(m, 0, sizeof(*m));
    char *kerr = NULL;
    /* The signature before anything reads the bytes' meaning. */
    int good = signature_verify(trusted_key, text, len, sig, sig_len, &kerr);
    if (good < 0) {
        *detail = kerr;
        return SDVM_FETCH_NO_TRUSTED_KEY;
    }
    if (!good) {
        *detail = g_strdup("the signature does not match the trusted key");
        return SDVM_FETCH_BAD_SIGNATURE;
    }
    if (manifest_parse(text, len, m, detail) < 0)
        return SDVM_FETCH_MANIFEST_INVALID;
    if (expect_id && strcmp(m->image_id, expect_id)) {
        *detail = g_strdup_printf("asked for %s, the manifest is %s's", expect_id, m->image_id);
        manifest_clear(m);
        return SDVM_FETCH_WRONG_IMAGE;
    }
    return SDVM_FETCH_OK;
}

int
verify_not_older(const struct sdvm_config *cfg, const struct manifest *m,
                 enum sdvm_fetch_error *error, char **detail)
{
    *error = SDVM_FETCH_OK;
    sdvm_catalog *cat = NULL;
    if (sdvm_catalog_load(cfg->paths.images_dir, &cat) < 0)
        return 0;
    const struct sdvm_image_info *img = sdvm_catalog_find(cat, m->image_id);
    int result = 0;
    if (img && *img->version) {
        if (!strcmp(img->version, m->version) && img->status == SDVM_IMAGE_AVAILABLE) {
            result = 1;
        } else {
            /* The active version's own manifest (saved at activation) says when it was
             * published; an older manifest is a replay, whatever its version string. */
            g_autofree char *mp =
                layout_version_file(cfg->paths.images_dir, img->id, img->version, ".manifest");
            g_autofree char *text = NULL;
            gsize len = 0;
            struct manifest active;
            char *e = NULL;
            if (mp && g_file_get_contents(mp, &text, &len, NULL) &&
                manifest_parse(text, len, &active, &e) == 0) {
                if (active.published > m->published) {
                    *error = SDVM_FETCH_DOWNGRADE;
                    *detail = g_strdup_printf("%s %s was published before the active %s", m->image_id,
                                              m->version, active.version);
                    result = -1;
                }
                manifest_clear(&active);
            }
            g_free(e);
        }
    }
    sdvm_catalog_free(cat);
    return result;
}

enum sdvm_fetch_error
verify_torrent(const struct manifest *m, const char *torrent, size_t len, char **detail)
{
    struct torrent_info t;
    if (bencode_torrent_info(torrent, len, &t) < 0) {
        *detail = g_strdup("the .torrent is not a single-file torrent");
        return SDVM_FETCH_TORRENT_MISMATCH;
    }
    char hash[DIGEST_SHA1_HEX];
    digest_sha1_hex(torrent + t.info_offset, t.info_len, hash);
    enum sdvm_fetch_error e = SDVM_FETCH_OK;
    if (strcmp(hash, m->info_hash)) {
        *detail = g_strdup_printf("info hash %s, the manifest says %s", hash, m->info_hash);
        e = SDVM_FETCH_TORRENT_MISMATCH;
    } else if (strcmp(t.name, m->file) || t.length != m->size) {
        *detail = g_strdup_printf("the torrent is %s (%" PRIu64 " bytes), the manifest says %s "
                                  "(%" PRIu64 ")",
                                  t.name, t.length, m->file, m->size);
        e = SDVM_FETCH_TORRENT_MISMATCH;
    }
    torrent_info_clear(&t);
    return e;
}

enum sdvm_fetch_error
verify_file(const struct manifest *m, const char *path, char **detail)
{
    char hex[DIGEST_SHA256_HEX];
    uint64_t size = 0;
    int r = digest_file_sha256(path, hex, &size);
    if (r < 0) {
        *detail = g_strdup_printf("%s: %s", path, g_strerror(-r));
        return SDVM_FETCH_ACTIVATE_FAILED;
    }
    if (size != m->size || strcmp(hex, m->sha256)) {
        *detail = g_strdup_printf("%s: %" PRIu64 " bytes, SHA-256 %s; the manifest says %" PRIu64
                                  " bytes, %s",
                                  path, size, hex, m->size, m->sha256);
        return SDVM_FETCH_HASH_MISMATCH;
    }
    return SDVM_FETCH_OK;
}

enum sdvm_fetch_error
verify_and_activate(const struct sdvm_config *cfg, const struct manifest *m, const char *text,
                    size_t len, const char *sig, size_t sig_len, const char *staged_path,
                    char **detail)
{
    enum sdvm_fetch_error e = verify_file(m, staged_path, detail);
    if (e != SDVM_FETCH_OK)
        return e;
    tool_crash_point("STAGED_VERIFIED");
    g_autofree char *scratch = g_path_get_dirname(staged_path);
    if (manifest_check_with_catalog(m, staged_path, scratch, detail) < 0)
        return SDVM_FETCH_MANIFEST_INVALID;
    struct activation a = {.images_dir = cfg->paths.images_dir,
                           .manifest = m,
                           .manifest_text = text,
                           .manifest_len = len,
                           .sig_text = sig,
                           .sig_len = sig_len,
                           .staged_path = staged_path};
    if (activate_version(&a, detail) < 0)
        return SDVM_FETCH_ACTIVATE_FAILED;
    return SDVM_FETCH_OK;
}
