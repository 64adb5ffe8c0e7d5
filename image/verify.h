/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The checks between "bytes from the network" and "a version in the catalog", shared by
 * fetch (over BitTorrent) and install (from local files), each naming its failure:
 *   manifest   signature by the trusted key first, then the format, then the image id;
 *   downgrade  not published before the active version (a replayed old manifest);
 *   torrent    its info hash, file name and length are the manifest's;
 *   file       size and SHA-256 are the manifest's, and the catalog accepts the result.
 */
#ifndef SDVM_IMAGE_VERIFY_H
#define SDVM_IMAGE_VERIFY_H

#include <stddef.h>

#include "manifest.h"
#include "sdvm/config.h"
#include "sdvm/fetch-state.h"

/* expect_id NULL: any image. On success *m is filled (manifest_clear it). */
enum sdvm_fetch_error verify_manifest(const char *trusted_key, const char *text, size_t len,
                                      const char *sig, size_t sig_len, const char *expect_id,
                                      struct manifest *m, char **detail);
/* 1 when m's version is the active one already, 0 when it may be installed, or the error. */
int verify_not_older(const struct sdvm_config *cfg, const struct manifest *m,
                     enum sdvm_fetch_error *error, char **detail);
enum sdvm_fetch_error verify_torrent(const struct manifest *m, const char *torrent, size_t len,
                                     char **detail);
enum sdvm_fetch_error verify_file(const struct manifest *m, const char *path, char **detail);

/*
 * verify_file, the catalog's check, then activate_version and gc. staged_path must be on
 * ImagesDir's file system (it is linked, not copied).
 */
enum sdvm_fetch_error verify_and_activate(const struct sdvm_config *cfg, const struct manifest *m,
                                          const char *text, size_t len, const char *sig,
                                          size_t sig_len, const char *staged_path,
                                          char **detail);

#endif
