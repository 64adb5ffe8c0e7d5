/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sdvm-admin images: the image catalog (ImagesDir) with each image's availability, its active
 * version, and what sdvm-image fetch is doing with it (fetch-state.h: the version being
 * fetched, its progress, seeding).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "sdvm/catalog.h"
#include "sdvm/fetch-state.h"

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
    char *state_path = sdvm_fetch_state_path(cfg);
    struct sdvm_fetch_state st;
    if (sdvm_fetch_state_load(state_path, &st) < 0)
        admin_errorf(adm, "%s is malformed: no fetch progress shown", state_path);
    free(state_path);
    if (!parsable)
        printf("%-20s %-28s %-10s %-7s %-10s %-12s %s\n", "ID", "NAME", "OSTYPE", "DEFAULT",
               "SIZE", "VERSION", "STATUS");
    for (size_t i = 0; i < n; i++) {
        const struct sdvm_image_info *img = sdvm_catalog_get(cat, i);
        bool ok = img->status == SDVM_IMAGE_AVAILABLE;
        const struct sdvm_fetch_entry *f = sdvm_fetch_state_find(&st, img->id);
        if (parsable) {
            /* id, name, ostype, default, status, virtual size, detail, version, then the
             * fetch: version, phase, error, completed bytes, total bytes, uploaded bytes
             * ("" and 0 when none): tab-separated. */
            printf("%s\t%s\t%s\t%d\t%s\t%llu\t%s\t%s\t%s\t%s\t%s\t%llu\t%llu\t%llu\n", img->id,
                   img->name, img->os_type, img->is_default ? 1 : 0,
                   sdvm_image_status_to_string(img->status),
                   (unsigned long long)img->virtual_size, ok ? "" : img->detail, img->version,
                   f ? f->version : "", f ? sdvm_fetch_phase_to_string(f->phase) : "",
                   f ? sdvm_fetch_error_to_string(f->error) : "",
                   (unsigned long long)(f ? f->completed_bytes : 0),
                   (unsigned long long)(f ? f->total_bytes : 0),
                   (unsigned long long)(f ? f->uploaded_bytes : 0));
            continue;
        }
        char size[32];
        if (img->virtual_size)
            admin_format_size(img->virtual_size, size, sizeof(size));
        else
            strcpy(size, "-");
        printf("%-20s %-28s %-10s %-7s %-10s %-12s ", img->id, img->name,
               *img->os_type ? img->os_type : "-", img->is_default ? "yes" : "", size,
               *img->version ? img->version : "-");
        if (ok)
            printf("available\n");
        else
            printf("unavailable: %s (%s)\n", sdvm_image_status_to_string(img->status), img->detail);
        if (f) {
            char done[32], total[32], up[32];
            admin_format_size(f->completed_bytes, done, sizeof(done));
            admin_format_size(f->total_bytes, total, sizeof(total));
            admin_format_size(f->uploaded_bytes, up, sizeof(up));
            printf("  fetch %s: %s%s%s, %s of %s (%d%%), %s uploaded%s%s\n",
                   *f->version ? f->version : "?", sdvm_fetch_phase_to_string(f->phase),
                   f->error ? " " : "", f->error ? sdvm_fetch_error_to_string(f->error) : "",
                   done, total,
                   f->total_bytes ? (int)(f->completed_bytes * 100 / f->total_bytes) : 0, up,
                   *f->detail ? ": " : "", f->detail);
        }
    }
    for (size_t i = 0; !parsable && i < st.count; i++)
        if (!sdvm_catalog_find(cat, st.entries[i].image_id))
            printf("%-20s (not installed) fetch %s: %s %s\n", st.entries[i].image_id,
                   st.entries[i].version, sdvm_fetch_phase_to_string(st.entries[i].phase),
                   sdvm_fetch_error_to_string(st.entries[i].error));
    sdvm_fetch_state_clear(&st);
    if (!parsable && n == 0)
        printf("(no images in %s)\n", cfg->paths.images_dir);
    sdvm_catalog_free(cat);
    return ADMIN_EXIT_OK;
}
