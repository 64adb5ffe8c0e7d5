/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Making a verified version the catalog's, so that a crash at any point leaves either the
 * old version active or the new one, never half of one:
 *
 *   1. BASE_LINKED     link(2) the staged file to versions/<id>/<version>.qcow2 (read-only
 *                      mode), directory fsynced. A new name: nothing running sees it.
 *   2. MANIFEST_SAVED  the signed manifest and its .sig beside it (each replaced atomically).
 *   3. INI_WRITTEN     the new .ini as ImagesDir/.<id>.ini.tmp-XXXXXX (hidden: the catalog
 *                      skips it), fsynced.
 *   4. INI_RENAMED     rename(2) over <id>.ini: the switch. Before it the catalog names the
 *                      old base, after it the new one.
 *   5. DURABLE         ImagesDir fsynced: the switch survives a power cut.
 *
 * The old base is not touched: a running guest keeps reading it, and users' disks made on it
 * keep their backing file. It goes only when nothing uses it any more (gc.h).
 * A crash before step 4 leaves an unreferenced version file (used again by the next attempt,
 * or removed by gc) and maybe a hidden temporary .ini (removed by activate_cleanup).
 */
#ifndef SDVM_IMAGE_ACTIVATE_H
#define SDVM_IMAGE_ACTIVATE_H

#include <stddef.h>

#include "manifest.h"

struct activation {
    const char *images_dir;
    const struct manifest *manifest;
    const char *manifest_text; /* the signed bytes */
    size_t manifest_len;
    const char *sig_text;
    size_t sig_len;
    const char *staged_path; /* verified against the manifest by the caller */
};

/* 0, or -errno with *error (g_free). The crash points are named after the steps. */
int activate_version(const struct activation *a, char **error);

/* Remove hidden temporary .ini files a crash left in images_dir. Returns how many. */
int activate_cleanup(const char *images_dir);

#endif
