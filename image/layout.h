/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Where sdvm-image keeps things, all under ImagesDir so that a staged file becomes a version
 * with one link(2) and the catalog switches with one rename(2) (same file system):
 *
 *   ImagesDir/<id>.ini                        the catalog's entry; Version= names the base
 *   ImagesDir/versions/<id>/<version>.qcow2   one base per version, never changed in place
 *   ImagesDir/versions/<id>/<version>.manifest (+ .sig) what that version was published as
 *   ImagesDir/staging/<id>/<version>/         aria2c's download directory (and control file)
 *   ImagesDir/staging/.lock                   held (flock) by the one running fetch
 *
 * On the image server, the publish directory holds <id>-<version>.qcow2 (the web seed's
 * file), <id>-<version>.torrent, <id>-<version>.manifest(.sig), the current <id>.manifest
 * (.sig) and "index" (one image id per line).
 */
#ifndef SDVM_IMAGE_LAYOUT_H
#define SDVM_IMAGE_LAYOUT_H

/* All return newly allocated strings (g_free); NULL for an invalid id or version. */
char *layout_versions_dir(const char *images_dir, const char *id);
char *layout_version_file(const char *images_dir, const char *id, const char *version,
                          const char *suffix); /* ".qcow2", ".manifest", ".manifest.sig" */
char *layout_staging_dir(const char *images_dir, const char *id, const char *version);
char *layout_staging_root(const char *images_dir);
/* "<id>-<version>" + suffix: the published file names. */
char *layout_published_name(const char *id, const char *version, const char *suffix);

/* mkdir -p with mode for each created component. 0 or -errno. */
int layout_mkdirs(const char *path, int mode);

/* Copy from to a new file to (O_EXCL), fsynced; removed again on failure. 0 or -errno. */
int layout_copy_file(const char *from, const char *to);

#endif
