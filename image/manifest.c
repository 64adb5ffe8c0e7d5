/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "manifest.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "digest.h"
#include "layout.h"
#include "sdvm/catalog.h"

static const char *const manifest_keys[] = {"Format", "Image",    "Version", "Size", "Sha256",
                                            "InfoHash", "File", "Torrent", "Published"};

void
manifest_clear(struct manifest *m)
{
    g_free(m->image_id);
    g_free(m->version);
    g_free(m->sha256);
    g_free(m->info_hash);
    g_free(m->file);
    g_free(m->torrent);
    g_strfreev(m->image_keys);
    g_strfreev(m->image_values);
    memset(m, 0, sizeof(*m));
}

static int
fail(char **error, struct manifest *m, char *msg)
{
    *error = msg;
    manifest_clear(m);
    return -EINVAL;
}

static int
image_key_allowed(const char *k)
{
    static const char *const plain[] = {"Name", "OsType", "Default", "Comment"};
    for (size_t i = 0; i < G_N_ELEMENTS(plain); i++)
        if (!strcmp(k, plain[i]))
            return 1;
    return (g_str_has_prefix(k, "Name[") || g_str_has_prefix(k, "Comment[")) &&
           g_str_has_suffix(k, "]");
}

/* A published file name: the id rule (no '/', no leading '.'). */
static int
is_file_name(const char *s, const char *suffix)
{
    if (!g_str_has_suffix(s, suffix) || strlen(s) > 200)
        return 0;
    g_autofree char *stem = g_strndup(s, strlen(s) - strlen(suffix));
    return sdvm_image_id_is_valid(stem);
}

int
manifest_parse(const char *data, size_t len, struct manifest *m, char **error)
{
    memset(m, 0, sizeof(*m));
    *error = NULL;
    if (len > MANIFEST_MAX_SIZE)
        return fail(error, m, g_strdup("manifest: larger than 64 KiB"));
    if (memchr(data, '\0', len) || !g_utf8_validate(data, (gssize)len, NULL))
        return fail(error, m, g_strdup("manifest: not UTF-8 text"));
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) gerr = NULL;
    if (!g_key_file_load_from_data(kf, data, len, G_KEY_FILE_NONE, &gerr))
        return fail(error, m, g_strdup_printf("manifest: %s", gerr->message));
    gsize ngroups = 0;
    g_auto(GStrv) groups = g_key_file_get_groups(kf, &ngroups);
    for (gsize i = 0; i < ngroups; i++)
        if (strcmp(groups[i], "Manifest") && strcmp(groups[i], "Image"))
            return fail(error, m, g_strdup_printf("manifest: [%s]: unknown section", groups[i]));
    gsize nkeys = 0;
    g_auto(GStrv) keys = g_key_file_get_keys(kf, "Manifest", &nkeys, NULL);
    if (!keys)
        return fail(error, m, g_strdup("manifest: no [Manifest] section"));
    for (gsize i = 0; i < nkeys; i++) {
        size_t j;
        for (j = 0; j < G_N_ELEMENTS(manifest_keys); j++)
            if (!strcmp(keys[i], manifest_keys[j]))
                break;
        if (j == G_N_ELEMENTS(manifest_keys))
            return fail(error, m,
                        g_strdup_printf("manifest: [Manifest] %s: unknown key", keys[i]));
    }
    for (size_t j = 0; j < G_N_ELEMENTS(manifest_keys); j++)
        if (!g_key_file_has_key(kf, "Manifest", manifest_keys[j], NULL))
            return fail(error, m,
                        g_strdup_printf("manifest: [Manifest] %s: missing", manifest_keys[j]));

    g_autofree char *format = g_key_file_get_string(kf, "Manifest", "Format", NULL);
    if (!format || strcmp(format, "1"))
        return fail(error, m,
                    g_strdup_printf("manifest: [Manifest] Format: %s is not 1", format));
    m->image_id = g_key_file_get_string(kf, "Manifest", "Image", NULL);
    m->version = g_key_file_get_string(kf, "Manifest", "Version", NULL);
    m->sha256 = g_key_file_get_string(kf, "Manifest", "Sha256", NULL);
    m->info_hash = g_key_file_get_string(kf, "Manifest", "InfoHash", NULL);
    m->file = g_key_file_get_string(kf, "Manifest", "File", NULL);
    m->torrent = g_key_file_get_string(kf, "Manifest", "Torrent", NULL);
    g_autofree char *size = g_key_file_get_string(kf, "Manifest", "Size", NULL);
    g_autofree char *published = g_key_file_get_string(kf, "Manifest", "Published", NULL);
    if (!sdvm_image_id_is_valid(m->image_id))
        return fail(error, m, g_strdup("manifest: [Manifest] Image: not an image id"));
    if (!sdvm_image_id_is_valid(m->version))
        return fail(error, m, g_strdup("manifest: [Manifest] Version: not a version"));
    if (!digest_is_hex(m->sha256, 64))
        return fail(error, m, g_strdup("manifest: [Manifest] Sha256: not 64 lower-case hex"));
    if (!digest_is_hex(m->info_hash, 40))
        return fail(error, m, g_strdup("manifest: [Manifest] InfoHash: not 40 lower-case hex"));
    if (!m->file || !is_file_name(m->file, ".qcow2"))
        return fail(error, m, g_strdup("manifest: [Manifest] File: not a .qcow2 file name"));
    if (!m->torrent || !is_file_name(m->torrent, ".torrent"))
        return fail(error, m, g_strdup("manifest: [Manifest] Torrent: not a .torrent name"));
    guint64 n = 0;
    if (!size || !g_ascii_string_to_unsigned(size, 10, 1, G_MAXUINT64, &n, NULL))
        return fail(error, m, g_strdup("manifest: [Manifest] Size: not a positive number"));
    m->size = n;
    gint64 t = 0;
    if (!published || !g_ascii_string_to_signed(published, 10, 0, G_MAXINT64, &t, NULL))
        return fail(error, m, g_strdup("manifest: [Manifest] Published: not a unix time"));
    m->published = t;

    gsize nimage = 0;
    g_auto(GStrv) ikeys = g_key_file_get_keys(kf, "Image", &nimage, NULL);
    if (!ikeys)
        return fail(error, m, g_strdup("manifest: no [Image] section"));
    m->image_keys = g_new0(char *, nimage + 1);
    m->image_values = g_new0(char *, nimage + 1);
    for (gsize i = 0; i < nimage; i++) {
        if (!image_key_allowed(ikeys[i]))
            return fail(error, m, g_strdup_printf("manifest: [Image] %s: not a key the "
                                                  "manifest may set",
                                                  ikeys[i]));
        m->image_keys[i] = g_strdup(ikeys[i]);
        m->image_values[i] = g_key_file_get_value(kf, "Image", ikeys[i], NULL);
    }
    if (!g_key_file_has_key(kf, "Image", "Name", NULL) ||
        !g_key_file_has_key(kf, "Image", "OsType", NULL))
        return fail(error, m, g_strdup("manifest: [Image] needs Name and OsType"));
    return 0;
}

char *
manifest_to_text(const struct manifest *m, size_t *len)
{
    GString *s = g_string_new("# An SDVM image manifest (sdvm-image(8)), signed in the .sig "
                              "beside it.\n[Manifest]\n");
    g_string_append_printf(s, "Format=%d\nImage=%s\nVersion=%s\nSize=%" PRIu64 "\n",
                           MANIFEST_FORMAT, m->image_id, m->version, m->size);
    g_string_append_printf(s, "Sha256=%s\nInfoHash=%s\nFile=%s\nTorrent=%s\nPublished=%" PRId64
                              "\n\n[Image]\n",
                           m->sha256, m->info_hash, m->file, m->torrent, m->published);
    for (size_t i = 0; m->image_keys && m->image_keys[i]; i++)
        g_string_append_printf(s, "%s=%s\n", m->image_keys[i], m->image_values[i]);
    if (len)
        *len = s->len;
    return g_string_free(s, FALSE);
}

char *
manifest_ini_text(const struct manifest *m, size_t *len)
{
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "# Installed by sdvm-image from the signed manifest of %s %s.\n"
                              "[Image]\n",
                           m->image_id, m->version);
    for (size_t i = 0; m->image_keys && m->image_keys[i]; i++)
        g_string_append_printf(s, "%s=%s\n", m->image_keys[i], m->image_values[i]);
    g_string_append_printf(s, "Version=%s\n", m->version);
    if (len)
        *len = s->len;
    return g_string_free(s, FALSE);
}

int
manifest_check_with_catalog(const struct manifest *m, const char *base_path,
                            const char *scratch_dir, char **error)
{
    *error = NULL;
    g_autofree char *dir = g_build_filename(scratch_dir, "catalog-check", NULL);
    g_autofree char *vdir = layout_versions_dir(dir, m->image_id);
    g_autofree char *vfile = layout_version_file(dir, m->image_id, m->version, ".qcow2");
    g_autofree char *ini = g_strdup_printf("%s/%s.ini", dir, m->image_id);
    g_autofree char *abs_base = g_canonicalize_filename(base_path, NULL);
    int r = layout_mkdirs(vdir, 0700);
    if (r < 0) {
        *error = g_strdup_printf("%s: %s", vdir, g_strerror(-r));
        return r;
    }
    size_t len = 0;
    g_autofree char *text = manifest_ini_text(m, &len);
    (void)unlink(vfile);
    if (symlink(abs_base, vfile) < 0 || !g_file_set_contents(ini, text, (gssize)len, NULL)) {
        r = -errno;
        *error = g_strdup_printf("%s: %s", dir, g_strerror(errno));
        goto out;
    }
    sdvm_catalog *cat = NULL;
    r = sdvm_catalog_load(dir, &cat);
    if (r < 0) {
        *error = g_strdup_printf("%s: %s", dir, g_strerror(-r));
        goto out;
    }
    const struct sdvm_image_info *img = sdvm_catalog_find(cat, m->image_id);
    if (!img || img->status != SDVM_IMAGE_AVAILABLE) {
        *error = g_strdup_printf("the catalog would not accept it: %s",
                                 img && img->detail ? img->detail : "not listed");
        r = -EINVAL;
    }
    sdvm_catalog_free(cat);
out:
    (void)unlink(vfile);
    (void)unlink(ini);
    (void)rmdir(vdir);
    g_autofree char *versions = g_build_filename(dir, SDVM_IMAGE_VERSIONS_DIR, NULL);
    (void)rmdir(versions);
    (void)rmdir(dir);
    return r;
}
