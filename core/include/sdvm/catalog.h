/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The image catalog: ImagesDir holds, per image, <id>.qcow2 (the base image) and <id>.ini:
 *
 *     [Image]
 *     Name=Windows 10 (lab)     display name, required (Name[pt_BR]=... variants allowed)
 *     OsType=windows            required; run-guest picks guest options by it
 *     Default=true              optional, default false
 *     Comment=With MATLAB       optional (Comment[xx]=... variants allowed)
 *     Version=2026.12.1         optional: the base is versions/<id>/<version>.qcow2
 *
 * Without Version the base image is <id>.qcow2 beside the .ini. With it, the base is one
 * file per version under ImagesDir/versions/<id>/, written once and never changed in place
 * (sdvm-image(8) installs versions): switching an image to a new version is one rename of
 * its .ini, and a running guest keeps the old base it opened. Version follows the id rule.
 * Ids are [A-Za-z0-9._-], 1 to 64 characters, not starting with '.' or '-'; files whose
 * name gives another id are skipped with a warning in the log. Hidden files are ignored.
 * Every id with a .qcow2 or an .ini is listed; an image that cannot be started is listed as
 * unavailable with its reason, never silently dropped. Order: by id, byte-wise (strcmp).
 */
#ifndef SDVM_CATALOG_H
#define SDVM_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sdvm-types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SDVM_IMAGE_ID_MAX 64
/* ImagesDir/<SDVM_IMAGE_VERSIONS_DIR>/<id>/<version>.qcow2 */
#define SDVM_IMAGE_VERSIONS_DIR "versions"

/* enum sdvm_image_status (why an image is unavailable) is the vocabulary's: sdvm-types.h. */

struct sdvm_image_info {
    const char *id;
    const char *name;    /* display name; the id when the .ini is missing or broken */
    const char *os_type; /* "" when unknown */
    const char *comment; /* "" when none */
    bool is_default;     /* at most one image of the catalog */
    enum sdvm_image_status status;
    const char *detail;     /* NULL when available; else one line for the admin */
    const char *qcow2_path; /* absolute: ImagesDir/<id>.qcow2 */
    const char *ini_path;
    uint64_t virtual_size; /* from the qcow2 header; 0 when unreadable */
    const char *version;   /* the .ini's Version; "" when unversioned */
};

typedef struct sdvm_catalog sdvm_catalog;

/*
 * Read images_dir. Returns 0 and *out; -errno when the directory cannot be read
 * (-ENOENT, -EACCES, -ENOTDIR), -ENOMEM.
 */
int sdvm_catalog_load(const char *images_dir, sdvm_catalog **out);
void sdvm_catalog_free(sdvm_catalog *catalog);

size_t sdvm_catalog_count(const sdvm_catalog *catalog);
/* NULL past the end. */
const struct sdvm_image_info *sdvm_catalog_get(const sdvm_catalog *catalog, size_t index);
/* NULL when there is no such id. */
const struct sdvm_image_info *sdvm_catalog_find(const sdvm_catalog *catalog, const char *id);
/* The image marked Default (even if unavailable), else the first available one, else NULL. */
const struct sdvm_image_info *sdvm_catalog_default(const sdvm_catalog *catalog);

/* Whether id is a valid image id (versions follow the same rule). */
bool sdvm_image_id_is_valid(const char *id);

/*
 * The base of one version: images_dir/versions/<id>/<version>.qcow2 (newly allocated,
 * g_free/free). NULL when id or version is not valid.
 */
char *sdvm_image_version_path(const char *images_dir, const char *id, const char *version);

/* Stable identifier ("QCOW2_MISSING") and a sentence ("the base image file is missing"). */
const char *sdvm_image_status_to_string(enum sdvm_image_status status);
const char *sdvm_image_status_describe(enum sdvm_image_status status);

#ifdef __cplusplus
}
#endif

#endif
