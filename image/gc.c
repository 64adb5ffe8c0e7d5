/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "gc.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

#include "layout.h"
#include "sdvm/catalog.h"
#include "sdvm/log.h"
#include "tool.h"
#include "usage.h"

struct gc {
    const struct sdvm_config *cfg;
    sdvm_catalog *cat;
    GHashTable *usage;
    bool dry_run, print;
    struct gc_report *rep;
};

static const char *
active_base(struct gc *g, const char *id)
{
    const struct sdvm_image_info *img = sdvm_catalog_find(g->cat, id);
    return img ? img->qcow2_path : NULL;
}

/* Judge one base; path is absolute. */
static void
judge_base(struct gc *g, const char *id, const char *path, const char *version)
{
    const char *active = active_base(g, id);
    if (active && !strcmp(active, path))
        return;
    if (!active && !version) /* a legacy base with no versioned .ini: the admin's own file */
        return;
    size_t disks = usage_disks_on(g->usage, path);
    if (disks) {
        g->rep->kept_disks++;
        if (g->print)
            printf("keep %s: %zu user disk%s made on it\n", path, disks, disks == 1 ? "" : "s");
        return;
    }
    int busy = usage_base_in_use(path);
    if (busy != 0) {
        g->rep->kept_in_use++;
        if (g->print)
            printf("keep %s: %s\n", path,
                   busy > 0 ? "open by a running guest" : "cannot check its lock");
        return;
    }
    if (g->print)
        printf("%s %s\n", g->dry_run ? "would remove" : "remove", path);
    g->rep->removed++;
    if (g->dry_run)
        return;
    if (unlink(path) < 0 && errno != ENOENT)
        log_warningf("cannot remove %s: %s", path, g_strerror(errno));
    tool_crash_point("GC_REMOVED");
    if (version) {
        g_autofree char *mp = layout_version_file(g->cfg->paths.images_dir, id, version,
                                                  ".manifest");
        g_autofree char *sp = layout_version_file(g->cfg->paths.images_dir, id, version,
                                                  ".manifest.sig");
        (void)unlink(mp);
        (void)unlink(sp);
    }
}

static void
scan_versions(struct gc *g)
{
    g_autofree char *root =
        g_build_filename(g->cfg->paths.images_dir, SDVM_IMAGE_VERSIONS_DIR, NULL);
    g_autoptr(GDir) d = g_dir_open(root, 0, NULL);
    const char *id;
    while (d && (id = g_dir_read_name(d))) {
        if (!sdvm_image_id_is_valid(id))
            continue;
        g_autofree char *vdir = layout_versions_dir(g->cfg->paths.images_dir, id);
        g_autoptr(GDir) vd = g_dir_open(vdir, 0, NULL);
        const char *n;
        while (vd && (n = g_dir_read_name(vd))) {
            if (g_str_has_suffix(n, ".manifest")) {
                /* A manifest whose base is gone (a crash between the two unlinks). */
                g_autofree char *v = g_strndup(n, strlen(n) - 9);
                g_autofree char *base =
                    layout_version_file(g->cfg->paths.images_dir, id, v, ".qcow2");
                if (base && !g_file_test(base, G_FILE_TEST_EXISTS) && !g->dry_run) {
                    g_autofree char *mp = g_build_filename(vdir, n, NULL);
                    g_autofree char *sp = g_strconcat(mp, ".sig", NULL);
                    (void)unlink(sp);
                    (void)unlink(mp);
                }
                continue;
            }
            if (!g_str_has_suffix(n, ".qcow2"))
                continue;
            g_autofree char *version = g_strndup(n, strlen(n) - 6);
            if (!sdvm_image_id_is_valid(version))
                continue;
            g_autofree char *path =
                layout_version_file(g->cfg->paths.images_dir, id, version, ".qcow2");
            judge_base(g, id, path, version);
        }
    }
    /* Legacy bases: <id>.qcow2 beside an .ini that now names a version. */
    for (size_t i = 0; i < sdvm_catalog_count(g->cat); i++) {
        const struct sdvm_image_info *img = sdvm_catalog_get(g->cat, i);
        if (!*img->version)
            continue;
        g_autofree char *legacy = g_strdup_printf("%s/%s.qcow2", g->cfg->paths.images_dir, img->id);
        if (g_file_test(legacy, G_FILE_TEST_IS_REGULAR))
            judge_base(g, img->id, legacy, NULL);
    }
}

static void
remove_tree(const char *path)
{
    g_autoptr(GDir) d = g_dir_open(path, 0, NULL);
    const char *n;
    while (d && (n = g_dir_read_name(d))) {
        g_autofree char *p = g_build_filename(path, n, NULL);
        if (unlink(p) < 0 && errno == EISDIR)
            remove_tree(p);
    }
    (void)rmdir(path);
}

static void
scan_staging(struct gc *g)
{
    g_autofree char *root = layout_staging_root(g->cfg->paths.images_dir);
    g_autoptr(GDir) d = g_dir_open(root, 0, NULL);
    const char *id;
    while (d && (id = g_dir_read_name(d))) {
        if (!sdvm_image_id_is_valid(id))
            continue;
        const struct sdvm_image_info *img = sdvm_catalog_find(g->cat, id);
        struct stat ini_st = {0};
        bool have_ini = img && stat(img->ini_path, &ini_st) == 0;
        g_autofree char *idir = g_build_filename(root, id, NULL);
        g_autoptr(GDir) vd = g_dir_open(idir, 0, NULL);
        const char *v;
        while (vd && (v = g_dir_read_name(vd))) {
            g_autofree char *sdir = g_build_filename(idir, v, NULL);
            struct stat st;
            if (!sdvm_image_id_is_valid(v) || stat(sdir, &st) < 0 || !S_ISDIR(st.st_mode))
                continue;
            bool active = img && !strcmp(img->version, v);
            bool superseded = have_ini && *img->version && ini_st.st_mtime > st.st_mtime;
            if (!active && !superseded)
                continue;
            if (g->print)
                printf("%s staging %s (%s)\n", g->dry_run ? "would remove" : "remove", sdir,
                       active ? "installed" : "superseded");
            g->rep->staging_removed++;
            if (!g->dry_run)
                remove_tree(sdir);
        }
        if (!g->dry_run)
            (void)rmdir(idir); /* only when empty */
    }
}

int
gc_run(const struct sdvm_config *cfg, bool dry_run, bool print, bool skip_staging,
       struct gc_report *report)
{
    memset(report, 0, sizeof(*report));
    struct gc g = {.cfg = cfg, .dry_run = dry_run, .print = print, .rep = report};
    int r = sdvm_catalog_load(cfg->paths.images_dir, &g.cat);
    if (r < 0)
        return r;
    g.usage = usage_scan_users(cfg->paths.users_dir);
    if (!g.usage) {
        /* Without the list of disks nothing can be called unused. */
        sdvm_catalog_free(g.cat);
        return -EIO;
    }
    scan_versions(&g);
    if (!skip_staging)
        scan_staging(&g);
    g_hash_table_unref(g.usage);
    sdvm_catalog_free(g.cat);
    return 0;
}
