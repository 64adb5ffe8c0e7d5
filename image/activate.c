/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "activate.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

#include "digest.h"
#include "layout.h"
#include "sdvm/atomic-file.h"
#include "tool.h"

static int
set_error(char **error, int r, const char *what, const char *path)
{
    *error = g_strdup_printf("%s %s: %s", what, path, g_strerror(-r));
    return r;
}

/* The version file exists already (an earlier attempt crashed after linking it): keep it only
 * when it is the staged file itself or has the manifest's content. */
static int
existing_version_ok(const char *version_path, const char *staged, const struct manifest *m)
{
    struct stat a, b;
    if (stat(version_path, &a) < 0)
        return 0;
    if (stat(staged, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
        return 1;
    char hex[DIGEST_SHA256_HEX];
    uint64_t size = 0;
    return digest_file_sha256(version_path, hex, &size) == 0 && size == m->size &&
           !strcmp(hex, m->sha256);
}

static int
link_base(const struct activation *a, char **error)
{
    const struct manifest *m = a->manifest;
    g_autofree char *dir = layout_versions_dir(a->images_dir, m->image_id);
    g_autofree char *path = layout_version_file(a->images_dir, m->image_id, m->version, ".qcow2");
    int r = layout_mkdirs(dir, 0755);
    if (r < 0)
        return set_error(error, r, "mkdir", dir);
    if (link(a->staged_path, path) < 0) {
        if (errno != EEXIST)
            return set_error(error, -errno, "link", path);
        if (!existing_version_ok(path, a->staged_path, m)) {
            /* Not this version's bytes (and not referenced: this version is not active). */
            if (unlink(path) < 0 || link(a->staged_path, path) < 0)
                return set_error(error, -errno, "replace", path);
        }
    }
    /* Read-only: QEMU opens a backing file read-only anyway; the mode says "never write". */
    (void)chmod(path, 0444);
    if ((r = sdvm_fsync_parent(path)) < 0)
        return set_error(error, r, "fsync the directory of", path);
    return 0;
}

static int
save_manifest(const struct activation *a, char **error)
{
    const struct manifest *m = a->manifest;
    g_autofree char *mp = layout_version_file(a->images_dir, m->image_id, m->version, ".manifest");
    g_autofree char *sp =
        layout_version_file(a->images_dir, m->image_id, m->version, ".manifest.sig");
    int r = sdvm_write_file_atomic(mp, a->manifest_text, a->manifest_len, 0644);
    if (r < 0)
        return set_error(error, r, "write", mp);
    if ((r = sdvm_write_file_atomic(sp, a->sig_text, a->sig_len, 0644)) < 0)
        return set_error(error, r, "write", sp);
    return 0;
}

int
activate_version(const struct activation *a, char **error)
{
    *error = NULL;
    const struct manifest *m = a->manifest;
    int r = link_base(a, error);
    if (r < 0)
        return r;
    tool_crash_point("BASE_LINKED");
    if ((r = save_manifest(a, error)) < 0)
        return r;
    tool_crash_point("MANIFEST_SAVED");

    size_t len = 0;
    g_autofree char *ini = manifest_ini_text(m, &len);
    g_autofree char *final = g_strdup_printf("%s/%s.ini", a->images_dir, m->image_id);
    g_autofree char *tmp = g_strdup_printf("%s/.%s.ini.tmp-XXXXXX", a->images_dir, m->image_id);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return set_error(error, -errno, "create", tmp);
    if (fchmod(fd, 0644) < 0 || write(fd, ini, len) != (ssize_t)len || fsync(fd) < 0) {
        r = -errno;
        close(fd);
        unlink(tmp);
        return set_error(error, r ? r : -EIO, "write", tmp);
    }
    close(fd);
    tool_crash_point("INI_WRITTEN");
    if (rename(tmp, final) < 0) {
        r = -errno;
        unlink(tmp);
        return set_error(error, r, "rename to", final);
    }
    tool_crash_point("INI_RENAMED");
    if ((r = sdvm_fsync_parent(final)) < 0)
        return set_error(error, r, "fsync the directory of", final);
    tool_crash_point("DURABLE");
    return 0;
}

int
activate_cleanup(const char *images_dir)
{
    DIR *d = opendir(images_dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.' && strstr(de->d_name, ".ini.tmp-") &&
            unlinkat(dirfd(d), de->d_name, 0) == 0)
            n++;
    }
    closedir(d);
    return n;
}
