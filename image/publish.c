/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sdvm-image publish: on the lab's image server, make one version of a base image
 * downloadable. In the publish directory (which the lab's web server serves as Source):
 *
 *   <id>-<version>.qcow2     the image (linked or copied in; the HTTP web seed, BEP 19)
 *   <id>-<version>.torrent   by mktorrent: the lab's tracker(s), the web seed URL
 *   <id>-<version>.manifest  (+ .sig) the signed manifest (manifest.h)
 *   <id>.current             the version terminals should have (written last)
 *   index                    every published image id, one a line
 *   tracker-whitelist        every published info hash (opentracker -w)
 *
 * A published version is never rewritten: publishing the same id and version again with
 * other bytes is refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include "bencode.h"
#include "digest.h"
#include "layout.h"
#include "manifest.h"
#include "sdvm/atomic-file.h"
#include "sdvm/catalog.h"
#include "signature.h"
#include "tool.h"

/* For g_ptr_array_sort (GLib 2.74 has no g_ptr_array_sort_values). */
static gint
compare_strings(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Pieces of 64 KiB to 16 MiB, about 2,000 of them: small enough to spread fast, few enough
 * for a short .torrent. */
static int
piece_bits(uint64_t size)
{
    int bits = 16;
    while (bits < 24 && (size >> bits) > 2000)
        bits++;
    return bits;
}

static int
run_mktorrent(char **trackers, const char *web_seed, const char *name, int bits,
              const char *output, const char *input)
{
    const char *bin = getenv("SDVM_MKTORRENT");
    if (!bin || !*bin)
        bin = "mktorrent";
    g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(argv, g_strdup(bin));
    for (char **t = trackers; *t; t++) {
        g_ptr_array_add(argv, g_strdup("-a"));
        g_ptr_array_add(argv, g_strdup(*t));
    }
    g_ptr_array_add(argv, g_strdup("-w"));
    g_ptr_array_add(argv, g_strdup(web_seed));
    g_ptr_array_add(argv, g_strdup("-n"));
    g_ptr_array_add(argv, g_strdup(name));
    g_ptr_array_add(argv, g_strdup_printf("-l%d", bits));
    g_ptr_array_add(argv, g_strdup("-o"));
    g_ptr_array_add(argv, g_strdup(output));
    g_ptr_array_add(argv, g_strdup(input));
    g_ptr_array_add(argv, NULL);
    int status = 0;
    g_autoptr(GError) err = NULL;
    g_autofree char *out = NULL, *errtext = NULL;
    if (!g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out,
                      &errtext, &status, &err)) {
        tool_errorf("%s: %s (is mktorrent installed?)", bin, err->message);
        return -ENOENT;
    }
    if (!g_spawn_check_wait_status(status, NULL)) {
        tool_errorf("%s failed: %s", bin, errtext ? errtext : "");
        return -EIO;
    }
    return 0;
}

/* The --ini file's [Image] group, checked by the catalog's own rules later. */
static int
read_image_group(const char *path, struct manifest *m)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) err = NULL;
    if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &err)) {
        tool_errorf("%s: %s", path, err->message);
        return -EINVAL;
    }
    gsize n = 0;
    g_auto(GStrv) keys = g_key_file_get_keys(kf, "Image", &n, NULL);
    if (!keys) {
        tool_errorf("%s: no [Image] section", path);
        return -EINVAL;
    }
    GPtrArray *k = g_ptr_array_new(), *v = g_ptr_array_new();
    for (gsize i = 0; i < n; i++) {
        if (!strcmp(keys[i], "Version"))
            continue; /* the version is publish's argument */
        g_ptr_array_add(k, g_strdup(keys[i]));
        g_ptr_array_add(v, g_key_file_get_value(kf, "Image", keys[i], NULL));
    }
    g_ptr_array_add(k, NULL);
    g_ptr_array_add(v, NULL);
    m->image_keys = (char **)g_ptr_array_free(k, FALSE);
    m->image_values = (char **)g_ptr_array_free(v, FALSE);
    return 0;
}

/* One more line in a sorted list file (index: image ids; tracker-whitelist: info hashes, the
 * format of opentracker's -w file, so the lab's tracker tracks the lab's torrents only). */
static int
add_line(const char *out_dir, const char *name, const char *id, bool (*valid)(const char *))
{
    g_autofree char *path = g_build_filename(out_dir, name, NULL);
    g_autofree char *old = NULL;
    g_file_get_contents(path, &old, NULL, NULL);
    g_auto(GStrv) lines = g_strsplit(old ? old : "", "\n", -1);
    GPtrArray *ids = g_ptr_array_new();
    bool have = false;
    for (char **l = lines; *l; l++) {
        if (!valid(*l))
            continue;
        have = have || !strcmp(*l, id);
        g_ptr_array_add(ids, *l);
    }
    if (!have)
        g_ptr_array_add(ids, (char *)id);
    g_ptr_array_sort(ids, compare_strings);
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < ids->len; i++)
        g_string_append_printf(s, "%s\n", (char *)ids->pdata[i]);
    g_ptr_array_free(ids, TRUE);
    int r = sdvm_write_file_atomic(path, s->str, s->len, 0644);
    g_string_free(s, TRUE);
    return r;
}

static bool
is_info_hash(const char *s)
{
    return digest_is_hex(s, 40);
}

static void
usage(void)
{
    fprintf(stderr, "usage: sdvm-image publish --image ID --version VERSION --ini FILE --key KEY\n"
                    "                          --out DIR --web-seed URL --tracker URL... "
                    "[--published UNIXTIME] QCOW2\n");
}

int
tool_cmd_publish(struct tool *t, int argc, char **argv)
{
    static const struct option options[] = {
        {"image", required_argument, NULL, 'i'},   {"version", required_argument, NULL, 'V'},
        {"ini", required_argument, NULL, 'n'},     {"key", required_argument, NULL, 'k'},
        {"out", required_argument, NULL, 'o'},     {"web-seed", required_argument, NULL, 'w'},
        {"tracker", required_argument, NULL, 'a'}, {"published", required_argument, NULL, 'P'},
        {NULL, 0, NULL, 0},
    };
    const char *id = NULL, *version = NULL, *ini = NULL, *key = NULL, *out_dir = NULL,
               *web_seed = NULL;
    g_autoptr(GPtrArray) trackers = g_ptr_array_new();
    int64_t published = (int64_t)time(NULL);
    int c;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (c) {
        case 'i': id = optarg; break;
        case 'V': version = optarg; break;
        case 'n': ini = optarg; break;
        case 'k': key = optarg; break;
        case 'o': out_dir = optarg; break;
        case 'w': web_seed = optarg; break;
        case 'a': g_ptr_array_add(trackers, optarg); break;
        case 'P': published = g_ascii_strtoll(optarg, NULL, 10); break;
        default: usage(); return TOOL_USAGE;
        }
    }
    (void)t;
    if (optind + 1 != argc || !id || !version || !ini || !key || !out_dir || !web_seed ||
        !trackers->len) {
        usage();
        return TOOL_USAGE;
    }
    g_ptr_array_add(trackers, NULL);
    const char *input = argv[optind];
    if (!sdvm_image_id_is_valid(id) || !sdvm_image_id_is_valid(version)) {
        tool_errorf("image id and version: [A-Za-z0-9._-], at most 64, not starting with '.' "
                    "or '-'");
        return TOOL_USAGE;
    }
    struct manifest m = {0};
    m.image_id = g_strdup(id);
    m.version = g_strdup(version);
    m.published = published;
    m.file = layout_published_name(id, version, ".qcow2");
    m.torrent = layout_published_name(id, version, ".torrent");
    int rc = TOOL_FAILED;
    g_autofree char *dest = g_build_filename(out_dir, m.file, NULL);
    g_autofree char *torrent = g_build_filename(out_dir, m.torrent, NULL);
    g_autofree char *mname = layout_published_name(id, version, ".manifest");
    g_autofree char *mpath = g_build_filename(out_dir, mname, NULL);
    g_autofree char *spath = g_strconcat(mpath, ".sig", NULL);
    g_autofree char *current = g_strdup_printf("%s/%s.current", out_dir, id);
    g_autofree char *url = g_str_has_suffix(web_seed, "/")
                               ? g_strconcat(web_seed, m.file, NULL)
                               : g_strconcat(web_seed, "/", m.file, NULL);
    g_autofree char *tmp_torrent = g_strconcat(torrent, ".tmp", NULL);
    g_autofree char *torrent_data = NULL, *text = NULL, *sig = NULL, *err = NULL, *cur = NULL;
    gsize tlen = 0;
    size_t len = 0;
    struct torrent_info ti = {0};
    char hex[DIGEST_SHA256_HEX], ih[DIGEST_SHA1_HEX];

    if (read_image_group(ini, &m) < 0)
        goto out;
    if (g_mkdir_with_parents(out_dir, 0755) < 0) {
        tool_errorf("%s: %s", out_dir, g_strerror(errno));
        goto out;
    }
    if (digest_file_sha256(input, hex, &m.size) < 0) {
        tool_errorf("%s: %s", input, g_strerror(errno));
        goto out;
    }
    m.sha256 = g_strdup(hex);
    if (manifest_check_with_catalog(&m, input, out_dir, &err) < 0) {
        tool_errorf("%s", err);
        goto out;
    }
    /* The published file: the input itself, a hard link to it, or a copy. */
    struct stat a, b;
    if (stat(dest, &b) == 0) {
        char hex2[DIGEST_SHA256_HEX];
        uint64_t size2 = 0;
        if (!(stat(input, &a) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev) &&
            (digest_file_sha256(dest, hex2, &size2) < 0 || strcmp(hex2, hex))) {
            tool_errorf("%s %s is published already, with other bytes (%s): a published "
                        "version never changes; publish a new version",
                        id, version, dest);
            goto out;
        }
    } else if (link(input, dest) < 0) {
        int r = layout_copy_file(input, dest);
        if (r < 0) {
            tool_errorf("copy %s to %s: %s", input, dest, g_strerror(-r));
            goto out;
        }
    }
    (void)unlink(tmp_torrent);
    if (run_mktorrent((char **)trackers->pdata, url, m.file, piece_bits(m.size), tmp_torrent,
                      dest) < 0)
        goto out;
    if (!g_file_get_contents(tmp_torrent, &torrent_data, &tlen, NULL) ||
        bencode_torrent_info(torrent_data, tlen, &ti) < 0) {
        tool_errorf("%s: mktorrent wrote no usable torrent", tmp_torrent);
        goto out;
    }
    digest_sha1_hex(torrent_data + ti.info_offset, ti.info_len, ih);
    m.info_hash = g_strdup(ih);
    if (rename(tmp_torrent, torrent) < 0) {
        tool_errorf("rename %s: %s", torrent, g_strerror(errno));
        goto out;
    }
    text = manifest_to_text(&m, &len);
    if (signature_sign(key, text, len, &sig, &err) < 0) {
        tool_errorf("%s", err);
        goto out;
    }
    if (sdvm_write_file_atomic(mpath, text, len, 0644) < 0 ||
        sdvm_write_file_atomic(spath, sig, strlen(sig), 0644) < 0) {
        tool_errorf("%s: %s", mpath, g_strerror(errno));
        goto out;
    }
    /* Last: terminals see the new version only once everything it names is in place. */
    cur = g_strdup_printf("%s\n", version);
    if (add_line(out_dir, "tracker-whitelist", m.info_hash, is_info_hash) < 0 ||
        sdvm_write_file_atomic(current, cur, strlen(cur), 0644) < 0 ||
        add_line(out_dir, "index", id, sdvm_image_id_is_valid) < 0) {
        tool_errorf("%s: %s", current, g_strerror(errno));
        goto out;
    }
    printf("published %s %s: %" PRIu64 " bytes, sha256 %s, info hash %s\n", id, version, m.size,
           m.sha256, m.info_hash);
    rc = TOOL_OK;
out:
    torrent_info_clear(&ti);
    manifest_clear(&m);
    return rc;
}
