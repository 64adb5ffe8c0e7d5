/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "layout.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <string.h>
#include <sys/stat.h>

#include <glib.h>

#include "sdvm/catalog.h"

char *
layout_versions_dir(const char *images_dir, const char *id)
{
    if (!sdvm_image_id_is_valid(id))
        return NULL;
    return g_strdup_printf("%s/" SDVM_IMAGE_VERSIONS_DIR "/%s", images_dir, id);
}

char *
layout_version_file(const char *images_dir, const char *id, const char *version,
                    const char *suffix)
{
    if (!sdvm_image_id_is_valid(id) || !sdvm_image_id_is_valid(version))
        return NULL;
    if (!strcmp(suffix, ".qcow2")) /* the catalog's rule, one owner */
        return sdvm_image_version_path(images_dir, id, version);
    return g_strdup_printf("%s/" SDVM_IMAGE_VERSIONS_DIR "/%s/%s%s", images_dir, id, version,
                           suffix);
}

char *
layout_staging_root(const char *images_dir)
{
    return g_strdup_printf("%s/staging", images_dir);
}

char *
layout_staging_dir(const char *images_dir, const char *id, const char *version)
{
    if (!sdvm_image_id_is_valid(id) || !sdvm_image_id_is_valid(version))
        return NULL;
    return g_strdup_printf("%s/staging/%s/%s", images_dir, id, version);
}

char *
layout_published_name(const char *id, const char *version, const char *suffix)
{
    if (!sdvm_image_id_is_valid(id) || !sdvm_image_id_is_valid(version))
        return NULL;
    return g_strdup_printf("%s-%s%s", id, version, suffix);
}

int
layout_mkdirs(const char *path, int mode)
{
    return g_mkdir_with_parents(path, mode) < 0 ? -errno : 0;
}

int
layout_copy_file(const char *from, const char *to)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return -errno;
    int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (out < 0) {
        int e = errno;
        close(in);
        return -e;
    }
    int r = 0;
    for (;;) {
        ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
        if (n < 0) {
            r = -errno;
            break;
        }
        if (n == 0)
            break;
    }
    if (!r && fsync(out) < 0)
        r = -errno;
    close(in);
    close(out);
    if (r)
        unlink(to);
    return r;
}

