/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sdvm-admin disks: users' disks with size, last use, whether a guest holds them and whether
 * their base image is still the one they were made on.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "sdvm/store.h"

static const char *
in_use_text(int in_use)
{
    return in_use > 0 ? "yes" : in_use == 0 ? "no" : "unknown";
}

int
sdvm_admin_cmd_disks(struct sdvm_admin *adm, int argc, char **argv)
{
    bool parsable = false;
    if (!admin_parsable_only(argc, argv, &parsable))
        return admin_usage(adm);
    const struct sdvm_config *cfg = admin_config(adm);
    if (!cfg)
        return ADMIN_EXIT_CONFIG;

    sdvm_store *st = NULL;
    int r = sdvm_store_new_from_config(cfg, &st);
    if (r < 0) {
        admin_errorf(adm, "cannot open the disk store %s: %s", cfg->paths.users_dir, strerror(-r));
        return ADMIN_EXIT_FAILED;
    }
    struct sdvm_disk_list list;
    r = sdvm_store_list_disks(st, SDVM_STORE_LIST_IN_USE | SDVM_STORE_LIST_VIRTUAL_SIZE | SDVM_STORE_LIST_BASE,
                              &list);
    if (r < 0) {
        admin_errorf(adm, "cannot list %s: %s", cfg->paths.users_dir, strerror(-r));
        sdvm_store_free(st);
        return ADMIN_EXIT_FAILED;
    }
    if (!parsable)
        printf("%-43s %-16s %10s %10s %-16s %-6s %s\n", "USER-ID", "IMAGE", "SIZE", "VIRTUAL",
               "LAST-USE", "IN-USE", "BASE");
    unsigned long long total = 0;
    size_t changed = 0;
    for (size_t i = 0; i < list.count; i++) {
        const struct sdvm_disk_info *d = &list.disks[i];
        total += d->own_bytes;
        if (parsable) {
            /* user id, image, own bytes, allocated bytes, virtual size, mtime, in use, path,
             * base (appended last: older parsers keep their fields) */
            printf("%s\t%s\t%llu\t%llu\t%llu\t%lld\t%s\t%s\t%s\n", d->user_id, d->image_id,
                   (unsigned long long)d->own_bytes, (unsigned long long)d->allocated_bytes,
                   (unsigned long long)d->virtual_size, (long long)d->mtime.tv_sec,
                   in_use_text(d->in_use), d->path, sdvm_disk_base_to_string(d->base));
            continue;
        }
        char size[32], vsize[32], when[32];
        struct tm tm;
        time_t t = d->mtime.tv_sec;
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M", localtime_r(&t, &tm));
        printf("%-43s %-16s %10s %10s %-16s %-6s %s\n", d->user_id, d->image_id,
               admin_format_size(d->own_bytes, size, sizeof(size)),
               d->virtual_size ? admin_format_size(d->virtual_size, vsize, sizeof(vsize)) : "-",
               when, in_use_text(d->in_use), sdvm_disk_base_to_string(d->base));
        if (d->base == SDVM_DISK_BASE_CHANGED)
            changed++;
    }
    if (!parsable) {
        char size[32];
        printf("%zu disk(s), %s in %s (%s backend)\n", list.count,
               admin_format_size(total, size, sizeof(size)), sdvm_store_users_dir(st),
               sdvm_store_backend_kind_to_string(sdvm_store_backend(st)));
        if (changed)
            printf("%zu disk(s) were made on a base image that has changed since: they will not "
                   "be booted; the next login of their user keeps them aside as retired and "
                   "makes a new disk (a new image version must be a new file)\n",
                   changed);
    }
    sdvm_disk_list_clear(&list);
    sdvm_store_free(st);
    return ADMIN_EXIT_OK;
}
