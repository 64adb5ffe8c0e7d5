/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The manifest: what the lab published as one version of one image, in a small key file
 * signed as a whole (signature.h). The terminal trusts nothing else: the .torrent is checked
 * against InfoHash, the downloaded file against Size and Sha256, and [Image] becomes the
 * catalog's .ini (plus Version=).
 *
 *     [Manifest]
 *     Format=1
 *     Image=win10                  an image id
 *     Version=2026.12.1            a version (the image id rule)
 *     Size=21474836480             bytes of the qcow2 file
 *     Sha256=<64 hex>
 *     InfoHash=<40 hex>            SHA-1 of the torrent's info dictionary (BitTorrent v1)
 *     File=win10-2026.12.1.qcow2   the published file (web seed) and the torrent's name
 *     Torrent=win10-2026.12.1.torrent
 *     Published=1764651000         unix time; a terminal refuses one older than its active
 *
 *     [Image]                      the catalog's keys (catalog.h) except Version
 *     Name=Windows 11 (Lab)
 *     OsType=windows
 */
#ifndef SDVM_IMAGE_MANIFEST_H
#define SDVM_IMAGE_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#define MANIFEST_FORMAT 1
#define MANIFEST_MAX_SIZE (64 * 1024)

struct manifest {
    char *image_id, *version, *sha256, *info_hash, *file, *torrent;
    uint64_t size;
    int64_t published;
    char **image_keys;   /* [Image] keys in file order, NULL-terminated */
    char **image_values; /* their raw (escaped) values */
};

/* 0, or -EINVAL with *error ("manifest: [Manifest] Size: ..."; g_free). */
int manifest_parse(const char *data, size_t len, struct manifest *m, char **error);
void manifest_clear(struct manifest *m);

/* The manifest as a file (g_free). */
char *manifest_to_text(const struct manifest *m, size_t *len);
/* The catalog's .ini for this version: [Image] + Version= (g_free). */
char *manifest_ini_text(const struct manifest *m, size_t *len);

/*
 * Whether the catalog would accept this version: a scratch ImagesDir under scratch_dir with
 * the .ini and base_path linked in as the version's base, loaded by the catalog itself.
 * 0, or -EINVAL with *error (the catalog's reason), -errno.
 */
int manifest_check_with_catalog(const struct manifest *m, const char *base_path,
                                const char *scratch_dir, char **error);

#endif
