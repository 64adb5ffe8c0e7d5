/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sdvm-admin images: the image catalog (ImagesDir) with each image's availability. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "admin.h"
#include "sdvm/catalog.h"

int
sdvm_admin_cmd_images(struct sdvm_admin *adm, int argc, char **argv)
{
    bool parsable = false;
    if (!admin_parsable_only(argc, argv, &parsable))
        return admin_usage(adm);
    const struct sdvm_config *cfg = admin_config(adm);
    if (!cfg)
        return ADMIN_EXIT_CONFIG;

    sdvm_catalog *cat = admin_load_catalog(adm, cfg);
    if (!cat)
        return ADMIN_EXIT_FAILED;
    size_t n = sdvm_catalog_count(cat);
    if (!parsable)
        printf("%-20s %-28s %-10s %-7s %-10s %s\n", "ID", "NAME", "OSTYPE", "DEFAULT", "SIZE",
               "STATUS");
    for (size_t i = 0; i < n; i++) {
        const struct sdvm_image_info *img = sdvm_catalog_get(cat, i);
        bool ok = img->status == SDVM_IMAGE_AVAILABLE;
        if (parsable) {
            /* id, name, ostype, default, status, virtual size, detail: tab-separated. */
            printf("%s\t%s\t%s\t%d\t%s\t%llu\t%s\n", img->id, img->name, img->os_type,
                   img->is_default ? 1 : 0, sdvm_image_status_to_string(img->status),
                   (unsigned long long)img->virtual_size, ok ? "" : img->detail);
            continue;
        }
        char size[32];
        if (img->virtual_size)
            admin_format_size(img->virtual_size, size, sizeof(size));
        else
            strcpy(size, "-");
        printf("%-20s %-28s %-10s %-7s %-10s ", img->id, img->name,
               *img->os_type ? img->os_type : "-", img->is_default ? "yes" : "", size);
        if (ok)
            printf("available\n");
        else
            printf("unavailable: %s (%s)\n", sdvm_image_status_to_string(img->status), img->detail);
    }
    if (!parsable && n == 0)
        printf("(no images in %s)\n", cfg->paths.images_dir);
    sdvm_catalog_free(cat);
    return ADMIN_EXIT_OK;
}
