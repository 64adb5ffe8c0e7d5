/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sdvm-admin evict: apply the space rule now, as a login would. Without --image, plan for the
 * largest available image so that any login fits afterwards; without --user, for a user
 * with no disk yet. --dry-run prints the plan and deletes nothing.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "sdvm/catalog.h"
#include "sdvm/log.h"
#include "sdvm/nai.h"
#include "sdvm/store.h"
#include "sdvm/user-id.h"

static void
print_eviction(enum sdvm_log_level level, const char *msg, void *userdata)
{
    (void)userdata;
    if (level <= SDVM_LOG_INFO) {
        /* Drop the "[file:line] " prefix: this is the tool's own output. */
        const char *text = msg[0] == '[' && strstr(msg, "] ") ? strstr(msg, "] ") + 2 : msg;
        printf("%s\n", text);
    }
}

static void
print_plan(const struct sdvm_evict_plan *p, const char *image_id)
{
    char a[32], b[32], c[32], d[32], e[32];
    printf("image %s: virtual size %s, current disk %s, reserve %s\n", image_id,
           admin_format_size(p->virtual_size, a, sizeof(a)),
           admin_format_size(p->current_size, b, sizeof(b)),
           admin_format_size(p->reserve, c, sizeof(c)));
    printf("free %s; the space rule needs more than %s\n",
           admin_format_size(p->free_bytes, d, sizeof(d)),
           admin_format_size(p->needed_bytes, e, sizeof(e)));
    if (p->rule_holds) {
        printf("the rule holds: nothing to evict\n");
        return;
    }
    for (size_t i = 0; i < p->victims.count; i++) {
        const struct sdvm_disk_info *v = &p->victims.disks[i];
        char size[32], when[32];
        struct tm tm;
        time_t t = v->mtime.tv_sec;
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M", localtime_r(&t, &tm));
        printf("would evict %s %s (%s, last used %s)\n", v->user_id, v->image_id,
               admin_format_size(v->own_bytes, size, sizeof(size)), when);
    }
    if (p->skipped_in_use)
        printf("%zu disk(s) in use by a running guest are kept\n", p->skipped_in_use);
    char f[32];
    printf("%s: about %s free afterwards\n",
           p->feasible ? "feasible" : "NOT feasible (DISK_FULL): nothing would be deleted",
           admin_format_size(p->expected_free, f, sizeof(f)));
}

int
sdvm_admin_cmd_evict(struct sdvm_admin *adm, int argc, char **argv)
{
    static const struct option options[] = {
        {"dry-run", no_argument, NULL, 'n'},
        {"image", required_argument, NULL, 'i'},
        {"user", required_argument, NULL, 'u'},
        {"user-id", required_argument, NULL, 'U'},
        {NULL, 0, NULL, 0},
    };
    bool dry_run = false;
    const char *image_id = NULL, *nai_text = NULL, *user_id_arg = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "ni:u:U:", options, NULL)) != -1) {
        switch (c) {
        case 'n':
            dry_run = true;
            break;
        case 'i':
            image_id = optarg;
            break;
        case 'u':
            nai_text = optarg;
            break;
        case 'U':
            user_id_arg = optarg;
            break;
        default:
            return admin_usage(adm);
        }
    }
    if (optind != argc || (nai_text && user_id_arg))
        return admin_usage(adm);

    char user_id[SDVM_USER_ID_SIZE] = "";
    if (nai_text) {
        sdvm_nai *nai = NULL;
        enum sdvm_nai_reject why;
        if (sdvm_nai_parse(nai_text, SDVM_NAI_NUL_TERMINATED, 0, &nai, &why) < 0) {
            admin_errorf(adm, "--user: not a valid login: %s", sdvm_nai_reject_describe(why));
            return ADMIN_EXIT_USAGE;
        }
        int r = sdvm_user_id(nai, user_id);
        sdvm_nai_free(nai);
        if (r < 0) {
            admin_errorf(adm, "cannot compute the user id");
            return ADMIN_EXIT_FAILED;
        }
    } else if (user_id_arg) {
        if (!sdvm_user_id_is_valid(user_id_arg)) {
            admin_errorf(adm, "--user-id: \"%s\" is not a user id", user_id_arg);
            return ADMIN_EXIT_USAGE;
        }
        strcpy(user_id, user_id_arg);
    }

    const struct sdvm_config *cfg = admin_config(adm);
    if (!cfg)
        return ADMIN_EXIT_CONFIG;
    sdvm_catalog *cat = admin_load_catalog(adm, cfg);
    if (!cat)
        return ADMIN_EXIT_FAILED;
    const struct sdvm_image_info *img = NULL;
    if (image_id) {
        img = sdvm_catalog_find(cat, image_id);
        if (!img || img->status != SDVM_IMAGE_AVAILABLE) {
            admin_errorf(adm, "image \"%s\" is %s", image_id,
                         img ? "not available" : "not in the catalog");
            sdvm_catalog_free(cat);
            return ADMIN_EXIT_FAILED;
        }
    } else {
        for (size_t i = 0; i < sdvm_catalog_count(cat); i++) {
            const struct sdvm_image_info *x = sdvm_catalog_get(cat, i);
            if (x->status == SDVM_IMAGE_AVAILABLE && (!img || x->virtual_size > img->virtual_size))
                img = x;
        }
        if (!img) {
            admin_errorf(adm, "no available image in %s", cfg->paths.images_dir);
            sdvm_catalog_free(cat);
            return ADMIN_EXIT_FAILED;
        }
    }

    sdvm_store *st = NULL;
    int r = sdvm_store_new_from_config(cfg, &st);
    if (r < 0) {
        admin_errorf(adm, "cannot open the disk store %s: %s", cfg->paths.users_dir, strerror(-r));
        sdvm_catalog_free(cat);
        return ADMIN_EXIT_FAILED;
    }
    const char *uid = *user_id ? user_id : NULL;
    int status = ADMIN_EXIT_OK;
    struct sdvm_evict_plan plan;
    r = sdvm_store_plan_eviction(st, uid, img->id, img->virtual_size, &plan);
    if (r < 0) {
        admin_errorf(adm, "cannot plan: %s", strerror(-r));
        status = ADMIN_EXIT_FAILED;
    } else {
        print_plan(&plan, img->id);
        if (!plan.feasible)
            status = ADMIN_EXIT_FAILED;
        else if (!dry_run && !plan.rule_holds) {
            if (sdvm_log_get_level() < SDVM_LOG_INFO)
                sdvm_log_set_handler(SDVM_LOG_INFO, print_eviction, NULL);
            size_t n = 0;
            uint64_t freed = 0;
            char *detail = NULL;
            enum sdvm_failure f =
                sdvm_store_make_room(st, uid, img->id, img->virtual_size, &n, &freed, &detail);
            if (f != SDVM_FAILURE_NONE) {
                admin_errorf(adm, "%s: %s", sdvm_failure_to_string(f), detail ? detail : "");
                status = ADMIN_EXIT_FAILED;
            }
            free(detail);
        }
        sdvm_evict_plan_clear(&plan);
    }
    sdvm_store_free(st);
    sdvm_catalog_free(cat);
    return status;
}
