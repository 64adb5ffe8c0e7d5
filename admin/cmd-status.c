/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sdvm-admin status [--json]: the terminal's inventory in one call, for the lab's collector
 * (the thesis ran a status script every 15 minutes): hostname, uptime, machine model,
 * memory, IOMMU and passthrough readiness, the image and user disk file systems with their
 * free space, the images (active version, fetch), the CAT database's age and NetworkManager's
 * state. Read-only, no root needed for most of it; what cannot be read is null.
 */
#include <dirent.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <jansson.h>

#include "admin.h"
#include "sdvm/catalog.h"
#include "sdvm/fetch-state.h"

static json_t *
read_line(const char *path)
{
    g_autofree char *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, NULL))
        return json_null();
    g_strstrip(text);
    return json_string(text);
}

/* MemTotal and MemAvailable, in bytes. */
static json_t *
memory(void)
{
    g_autofree char *text = NULL;
    if (!g_file_get_contents("/proc/meminfo", &text, NULL, NULL))
        return json_null();
    json_t *o = json_object();
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++) {
        unsigned long long kib;
        char key[64];
        if (sscanf(*l, "%63[^:]: %llu kB", key, &kib) != 2)
            continue;
        if (!strcmp(key, "MemTotal"))
            json_object_set_new(o, "total_bytes", json_integer((json_int_t)(kib * 1024)));
        else if (!strcmp(key, "MemAvailable"))
            json_object_set_new(o, "available_bytes", json_integer((json_int_t)(kib * 1024)));
    }
    return o;
}

static size_t
count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    struct dirent *de;
    while (d && (de = readdir(d)))
        if (de->d_name[0] != '.')
            n++;
    if (d)
        closedir(d);
    return n;
}

/* VT-d/AMD-Vi on and vfio-pci there: what run-guest needs to pass devices through. */
static json_t *
iommu(void)
{
    size_t groups = count_entries("/sys/kernel/iommu_groups");
    bool vfio = g_file_test("/sys/bus/pci/drivers/vfio-pci", G_FILE_TEST_IS_DIR) ||
                g_file_test("/sys/module/vfio_pci", G_FILE_TEST_IS_DIR);
    return json_pack("{s:I, s:b, s:b}", "groups", (json_int_t)groups, "vfio_pci", vfio,
                     "passthrough_ready", groups > 0);
}

static json_t *
filesystem(const char *path)
{
    struct statvfs v;
    if (statvfs(path, &v) < 0)
        return json_pack("{s:s, s:n}", "path", path, "free_bytes");
    return json_pack("{s:s, s:I, s:I}", "path", path, "size_bytes",
                     (json_int_t)((uint64_t)v.f_blocks * v.f_frsize), "free_bytes",
                     (json_int_t)((uint64_t)v.f_bavail * v.f_frsize));
}

/* "running connected" etc., from nmcli (NetworkManager's own client); null without it. */
static json_t *
network_manager(void)
{
    const char *argv[] = {"nmcli", "-t", "-f", "RUNNING,STATE", "general", NULL};
    g_autofree char *out = NULL;
    int status = 0;
    if (!g_spawn_sync(NULL, (char **)argv, NULL,
                      G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL,
                      &status, NULL) ||
        !g_spawn_check_wait_status(status, NULL))
        return json_null();
    g_strstrip(out);
    g_auto(GStrv) f = g_strsplit(out, ":", 2);
    return json_pack("{s:s, s:s}", "running", f[0] ? f[0] : "", "state", f[0] && f[1] ? f[1] : "");
}

static json_t *
images(const struct sdvm_config *cfg)
{
    sdvm_catalog *cat = NULL;
    if (sdvm_catalog_load(cfg->paths.images_dir, &cat) < 0)
        return json_null();
    char *state_path = sdvm_fetch_state_path(cfg);
    struct sdvm_fetch_state st;
    if (sdvm_fetch_state_load(state_path, &st) < 0)
        memset(&st, 0, sizeof(st));
    free(state_path);
    json_t *a = json_array();
    for (size_t i = 0; i < sdvm_catalog_count(cat); i++) {
        const struct sdvm_image_info *img = sdvm_catalog_get(cat, i);
        const struct sdvm_fetch_entry *f = sdvm_fetch_state_find(&st, img->id);
        json_t *fetch = f ? json_pack("{s:s, s:s, s:s, s:I, s:I, s:I}", "version", f->version,
                                      "phase", sdvm_fetch_phase_to_string(f->phase), "error",
                                      sdvm_fetch_error_to_string(f->error), "completed_bytes",
                                      (json_int_t)f->completed_bytes, "total_bytes",
                                      (json_int_t)f->total_bytes, "uploaded_bytes",
                                      (json_int_t)f->uploaded_bytes)
                          : json_null();
        json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:I, s:o}", "id", img->id, "status",
                                           sdvm_image_status_to_string(img->status), "version",
                                           img->version, "virtual_size",
                                           (json_int_t)img->virtual_size, "fetch", fetch));
    }
    sdvm_fetch_state_clear(&st);
    sdvm_catalog_free(cat);
    return a;
}

/* A string member of obj, or fallback when obj is not an object or the member no string. */
static const char *
string_or(const json_t *obj, const char *key, const char *fallback)
{
    const char *v = json_string_value(json_object_get(obj, key));
    return v ? v : fallback;
}

int
sdvm_admin_cmd_status(struct sdvm_admin *adm, int argc, char **argv)
{
    static const struct option options[] = {
        {"json", no_argument, NULL, 'j'},
        {NULL, 0, NULL, 0},
    };
    bool as_json = false;
    int c;
    while ((c = getopt_long(argc, argv, "j", options, NULL)) != -1) {
        if (c != 'j')
            return admin_usage(adm);
        as_json = true;
    }
    if (optind != argc)
        return admin_usage(adm);
    const struct sdvm_config *cfg = admin_config(adm);
    if (!cfg)
        return ADMIN_EXIT_CONFIG;
    char host[256] = "";
    gethostname(host, sizeof(host) - 1);
    double up = -1;
    g_autofree char *uptime = NULL;
    if (g_file_get_contents("/proc/uptime", &uptime, NULL, NULL))
        up = g_ascii_strtod(uptime, NULL);
    struct stat cst;
    json_t *cat_age = stat(cfg->paths.cat_database, &cst) == 0
                          ? json_integer((json_int_t)difftime(time(NULL), cst.st_mtime))
                          : json_null();
    json_t *root = json_pack(
        "{s:s, s:I, s:{s:o, s:o, s:o}, s:o, s:o, s:[o, o], s:o, s:o, s:o}", "hostname", host,
        "uptime_s", (json_int_t)up, "machine", "vendor", read_line("/sys/class/dmi/id/sys_vendor"),
        "model", read_line("/sys/class/dmi/id/product_name"), "serial",
        read_line("/sys/class/dmi/id/product_serial"), "memory", memory(), "iommu", iommu(),
        "filesystems", filesystem(cfg->paths.images_dir), filesystem(cfg->paths.users_dir),
        "images", images(cfg), "cat_database_age_s", cat_age, "network_manager",
        network_manager());
    if (as_json) {
        char *text = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
        puts(text);
        free(text);
    } else {
        json_t *m = json_object_get(root, "machine"), *mem = json_object_get(root, "memory");
        json_t *io = json_object_get(root, "iommu"), *nm = json_object_get(root, "network_manager");
        printf("host %s, up %.0f s, %s %s\n", host, up,
               string_or(m, "vendor", "?"), string_or(m, "model", "?"));
        printf("memory %" JSON_INTEGER_FORMAT " MiB, %" JSON_INTEGER_FORMAT " MiB available\n",
               json_integer_value(json_object_get(mem, "total_bytes")) >> 20,
               json_integer_value(json_object_get(mem, "available_bytes")) >> 20);
        printf("IOMMU groups %" JSON_INTEGER_FORMAT ", vfio-pci %s: passthrough %s\n",
               json_integer_value(json_object_get(io, "groups")),
               json_is_true(json_object_get(io, "vfio_pci")) ? "present" : "absent",
               json_is_true(json_object_get(io, "passthrough_ready")) ? "ready" : "not ready");
        printf("NetworkManager %s\n",
               string_or(nm, "state", "unknown"));
        printf("(sdvm-admin status --json has every field, and the file systems and images)\n");
    }
    json_decref(root);
    return ADMIN_EXIT_OK;
}
