/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "sdvm/catalog.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

#include "ini-lines.h"
#include "sdvm/log.h"
#include "sdvm/qcow2.h"

#define MAX_INI_SIZE (64 * 1024)

struct entry {
    struct sdvm_image_info info; /* strings below are owned here */
    char *id, *name, *os_type, *comment, *detail, *qcow2_path, *ini_path, *version;
    bool has_qcow2, has_ini;
};

struct sdvm_catalog {
    GPtrArray *entries; /* struct entry *, sorted by id */
};

bool
sdvm_image_id_is_valid(const char *id)
{
    if (!id || !*id || id[0] == '.' || id[0] == '-')
        return false;
    size_t n = 0;
    for (const char *p = id; *p; p++, n++) {
        if (n >= SDVM_IMAGE_ID_MAX)
            return false;
        if (!g_ascii_isalnum(*p) && *p != '.' && *p != '_' && *p != '-')
            return false;
    }
    return true;
}

char *
sdvm_image_version_path(const char *images_dir, const char *id, const char *version)
{
    if (!images_dir || !sdvm_image_id_is_valid(id) || !sdvm_image_id_is_valid(version))
        return NULL;
    return g_strdup_printf("%s/" SDVM_IMAGE_VERSIONS_DIR "/%s/%s.qcow2", images_dir, id, version);
}

static void
entry_free(gpointer p)
{
    struct entry *e = p;
    g_free(e->id);
    g_free(e->name);
    g_free(e->os_type);
    g_free(e->comment);
    g_free(e->detail);
    g_free(e->qcow2_path);
    g_free(e->ini_path);
    g_free(e->version);
    g_free(e);
}

static void
set_status(struct entry *e, enum sdvm_image_status status, char *detail)
{
    if (e->info.status != SDVM_IMAGE_AVAILABLE) {
        g_free(detail); /* keep the first reason */
        return;
    }
    e->info.status = status;
    e->detail = detail;
}

static void
check_qcow2(struct entry *e)
{
    if (!e->has_qcow2 && !e->version) {
        set_status(e, SDVM_IMAGE_QCOW2_MISSING,
                   g_strdup_printf("%s does not exist", e->qcow2_path));
        return;
    }
    int fd = open(e->qcow2_path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        int err = errno;
        set_status(e, err == ENOENT ? SDVM_IMAGE_QCOW2_MISSING : SDVM_IMAGE_QCOW2_UNREADABLE,
                   g_strdup_printf("%s: %s", e->qcow2_path, g_strerror(err)));
        return;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        set_status(e, SDVM_IMAGE_QCOW2_UNREADABLE,
                   g_strdup_printf("%s is not a regular file", e->qcow2_path));
        return;
    }
    struct sdvm_qcow2_info q;
    int r = sdvm_qcow2_read_info(fd, &q);
    close(fd);
    if (r == -EINVAL) {
        set_status(
            e, SDVM_IMAGE_NOT_QCOW2,
            g_strdup_printf("%s is not a qcow2 image (bad or truncated header)", e->qcow2_path));
        return;
    }
    if (r < 0) {
        set_status(e, SDVM_IMAGE_QCOW2_UNREADABLE,
                   g_strdup_printf("%s: %s", e->qcow2_path, g_strerror(-r)));
        return;
    }
    e->info.virtual_size = q.virtual_size;
    if (q.corrupt)
        set_status(e, SDVM_IMAGE_CORRUPT,
                   g_strdup_printf("%s has the qcow2 corrupt bit set (qemu-img check -r all)",
                                   e->qcow2_path));
    else if (q.encrypted)
        set_status(e, SDVM_IMAGE_UNSUPPORTED, g_strdup_printf("%s is encrypted", e->qcow2_path));
    else if (q.unknown_features)
        set_status(e, SDVM_IMAGE_UNSUPPORTED,
                   g_strdup_printf("%s uses incompatible qcow2 features 0x%llx", e->qcow2_path,
                                   (unsigned long long)q.incompatible_features));
    else if (q.virtual_size == 0)
        set_status(e, SDVM_IMAGE_UNSUPPORTED,
                   g_strdup_printf("%s has a virtual size of 0", e->qcow2_path));
}

static bool
is_os_type(const char *v)
{
    if (!*v || strlen(v) > 32)
        return false;
    for (const char *p = v; *p; p++)
        if (!g_ascii_islower(*p) && !g_ascii_isdigit(*p) && !strchr("._-", *p))
            return false;
    return true;
}

/* Name, OsType, Default, Comment; Name[locale] and Comment[locale] allowed. */
static bool
known_key(const char *key)
{
    static const char *const plain[] = {"Name", "OsType", "Default", "Comment", "Version"};
    for (size_t i = 0; i < G_N_ELEMENTS(plain); i++)
        if (!strcmp(key, plain[i]))
            return true;
    const char *bracket = strchr(key, '[');
    if (!bracket || key[strlen(key) - 1] != ']')
        return false;
    size_t base = (size_t)(bracket - key);
    return (base == 4 && !strncmp(key, "Name", 4)) || (base == 7 && !strncmp(key, "Comment", 7));
}

/* Returns NULL or the problem, "FILE:LINE: [Image] Key: what". */
static char *
parse_ini(struct entry *e)
{
    g_autofree char *data = NULL;
    gsize len = 0;
    g_autoptr(GError) gerr = NULL;
    if (!g_file_get_contents(e->ini_path, &data, &len, &gerr))
        return g_strdup_printf("%s: %s", e->ini_path, gerr->message);
    if (len > MAX_INI_SIZE)
        return g_strdup_printf("%s: larger than 64 KiB", e->ini_path);
    const char *nul = memchr(data, '\0', len);
    if (nul)
        return g_strdup_printf("%s:%u: contains a NUL byte", e->ini_path,
                               sdvm_ini_line_of(data, nul));
    const char *bad = NULL;
    if (!g_utf8_validate(data, (gssize)len, &bad))
        return g_strdup_printf("%s:%u: not valid UTF-8", e->ini_path, sdvm_ini_line_of(data, bad));

    unsigned bad_line;
    g_autofree char *bad_section = NULL, *bad_key = NULL, *message = NULL;
    g_autoptr(GArray) lines = sdvm_ini_scan(data, len, &bad_line, &bad_section, &bad_key, &message);
    if (!lines)
        return g_strdup_printf("%s:%u: %s", e->ini_path, bad_line, message);
    g_autoptr(GKeyFile) kf = g_key_file_new();
    if (!g_key_file_load_from_data(kf, data, len, G_KEY_FILE_NONE, &gerr))
        return g_strdup_printf("%s: %s", e->ini_path, gerr->message);

    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
    unsigned image_line = 0;
    for (guint i = 0; i < lines->len; i++) {
        const struct sdvm_ini_line *l = &g_array_index(lines, struct sdvm_ini_line, i);
        if (!l->section) {
            if (strcmp(l->name, "Image"))
                return g_strdup_printf("%s:%u: [%s]: unknown section (only [Image])", e->ini_path,
                                       l->line, l->name);
            if (!image_line)
                image_line = l->line;
            continue;
        }
        if (!known_key(l->name))
            return g_strdup_printf("%s:%u: [Image] %s: unknown key", e->ini_path, l->line, l->name);
        if (!g_hash_table_add(seen, l->name))
            return g_strdup_printf("%s:%u: [Image] %s: set twice", e->ini_path, l->line, l->name);
    }
    if (!image_line)
        return g_strdup_printf("%s: no [Image] section", e->ini_path);

    unsigned line_of_key[5] = {0};
    static const char *const required[] = {"Name", "OsType"};
    for (guint i = 0; i < lines->len; i++) {
        const struct sdvm_ini_line *l = &g_array_index(lines, struct sdvm_ini_line, i);
        if (!l->section)
            continue;
        if (!strcmp(l->name, "Name"))
            line_of_key[0] = l->line;
        else if (!strcmp(l->name, "OsType"))
            line_of_key[1] = l->line;
        else if (!strcmp(l->name, "Default"))
            line_of_key[2] = l->line;
        else if (!strcmp(l->name, "Comment"))
            line_of_key[3] = l->line;
        else if (!strcmp(l->name, "Version"))
            line_of_key[4] = l->line;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(required); i++)
        if (!line_of_key[i])
            return g_strdup_printf("%s:%u: [Image] %s: missing (required)", e->ini_path, image_line,
                                   required[i]);

    g_autofree char *name = g_key_file_get_string(kf, "Image", "Name", &gerr);
    if (!name || !*name || g_str_equal(g_strstrip(name), ""))
        return g_strdup_printf("%s:%u: [Image] Name: %s", e->ini_path, line_of_key[0],
                               gerr ? gerr->message : "must not be empty");
    g_autofree char *os_type = g_key_file_get_string(kf, "Image", "OsType", &gerr);
    if (!os_type || !is_os_type(os_type))
        return g_strdup_printf("%s:%u: [Image] OsType: %s", e->ini_path, line_of_key[1],
                               gerr ? gerr->message
                                    : "must be a lower-case name such as windows or linux");
    bool is_default = false;
    if (line_of_key[2]) {
        g_autofree char *v = g_key_file_get_string(kf, "Image", "Default", &gerr);
        if (v && (!strcmp(v, "true") || !strcmp(v, "1")))
            is_default = true;
        else if (!v || (strcmp(v, "false") && strcmp(v, "0")))
            return g_strdup_printf("%s:%u: [Image] Default: \"%s\" is not a boolean (true or "
                                   "false)",
                                   e->ini_path, line_of_key[2], v ? v : "");
    }
    g_autofree char *comment = NULL;
    if (line_of_key[3]) {
        comment = g_key_file_get_string(kf, "Image", "Comment", &gerr);
        if (!comment)
            return g_strdup_printf("%s:%u: [Image] Comment: %s", e->ini_path, line_of_key[3],
                                   gerr ? gerr->message : "cannot be read");
    }
    g_autofree char *version = NULL;
    if (line_of_key[4]) {
        version = g_key_file_get_string(kf, "Image", "Version", NULL);
        if (!version || !sdvm_image_id_is_valid(version))
            return g_strdup_printf("%s:%u: [Image] Version: \"%s\" is not a version "
                                   "([A-Za-z0-9._-], at most 64, not starting with '.' or '-')",
                                   e->ini_path, line_of_key[4], version ? version : "");
    }
    g_free(e->name);
    e->name = g_steal_pointer(&name);
    e->version = g_steal_pointer(&version);
    e->os_type = g_steal_pointer(&os_type);
    e->comment = comment ? g_steal_pointer(&comment) : g_strdup("");
    e->info.is_default = is_default;
    return NULL;
}

/* problem: what parse_ini() said (taken). */
static void
check_ini(struct entry *e, char *problem)
{
    if (!e->has_ini) {
        set_status(e, SDVM_IMAGE_INI_MISSING, g_strdup_printf("%s does not exist", e->ini_path));
        return;
    }
    if (problem)
        set_status(e, SDVM_IMAGE_INI_BROKEN, problem);
}

static gint
compare_entries(gconstpointer a, gconstpointer b)
{
    const struct entry *x = *(struct entry *const *)a;
    const struct entry *y = *(struct entry *const *)b;
    return strcmp(x->id, y->id);
}

int
sdvm_catalog_load(const char *images_dir, sdvm_catalog **out)
{
    if (!images_dir || !out)
        return -EINVAL;
    *out = NULL;
    g_autofree char *dir = g_canonicalize_filename(images_dir, NULL);
    DIR *d = opendir(dir);
    if (!d) {
        int err = errno;
        log_errorf("cannot read the images directory %s: %s", dir, g_strerror(err));
        return -err;
    }
    g_autoptr(GHashTable) by_id = g_hash_table_new(g_str_hash, g_str_equal);
    GPtrArray *entries = g_ptr_array_new_with_free_func(entry_free);
    struct dirent *de;
    errno = 0;
    while ((de = readdir(d))) {
        const char *n = de->d_name;
        if (n[0] == '.')
            continue;
        bool is_qcow2 = g_str_has_suffix(n, ".qcow2");
        bool is_ini = g_str_has_suffix(n, ".ini");
        if (!is_qcow2 && !is_ini)
            continue;
        g_autofree char *id = g_strndup(n, strlen(n) - (is_qcow2 ? 6 : 4));
        if (!sdvm_image_id_is_valid(id)) {
            log_warningf("%s/%s: skipped: \"%s\" is not a valid image id ([A-Za-z0-9._-], "
                         "at most 64, not starting with '.' or '-')",
                         dir, n, id);
            continue;
        }
        struct entry *e = g_hash_table_lookup(by_id, id);
        if (!e) {
            e = g_new0(struct entry, 1);
            e->id = g_steal_pointer(&id);
            g_ptr_array_add(entries, e);
            g_hash_table_insert(by_id, e->id, e);
        }
        if (is_qcow2)
            e->has_qcow2 = true;
        else
            e->has_ini = true;
        errno = 0;
    }
    int err = errno;
    closedir(d);
    if (err) {
        g_ptr_array_unref(entries);
        log_errorf("cannot read the images directory %s: %s", dir, g_strerror(err));
        return -err;
    }
    g_ptr_array_sort(entries, compare_entries);

    bool have_default = false;
    for (guint i = 0; i < entries->len; i++) {
        struct entry *e = entries->pdata[i];
        g_autofree char *base = g_strdup_printf("%s/%s", dir, e->id);
        e->ini_path = g_strconcat(base, ".ini", NULL);
        e->name = g_strdup(e->id);
        /* The .ini first: its Version says which file is the base. */
        char *ini_problem = e->has_ini ? parse_ini(e) : NULL;
        e->qcow2_path = e->version ? sdvm_image_version_path(dir, e->id, e->version)
                                   : g_strconcat(base, ".qcow2", NULL);
        check_qcow2(e);
        check_ini(e, ini_problem);
        if (!e->os_type)
            e->os_type = g_strdup("");
        if (!e->comment)
            e->comment = g_strdup("");
        if (e->info.is_default) {
            if (have_default) {
                log_warningf("%s: Default=true, but an earlier image is already the default",
                             e->ini_path);
                e->info.is_default = false;
            }
            have_default = true;
        }
        if (e->info.status != SDVM_IMAGE_AVAILABLE)
            log_warningf("image %s unavailable (%s): %s", e->id,
                         sdvm_image_status_to_string(e->info.status), e->detail);
        e->info.id = e->id;
        e->info.name = e->name;
        e->info.os_type = e->os_type;
        e->info.comment = e->comment;
        e->info.detail = e->detail;
        e->info.qcow2_path = e->qcow2_path;
        e->info.ini_path = e->ini_path;
        e->info.version = e->version ? e->version : "";
    }
    sdvm_catalog *c = g_new0(sdvm_catalog, 1);
    c->entries = entries;
    *out = c;
    return 0;
}

void
sdvm_catalog_free(sdvm_catalog *c)
{
    if (!c)
        return;
    g_ptr_array_unref(c->entries);
    g_free(c);
}

size_t
sdvm_catalog_count(const sdvm_catalog *c)
{
    return c ? c->entries->len : 0;
}

const struct sdvm_image_info *
sdvm_catalog_get(const sdvm_catalog *c, size_t index)
{
    if (!c || index >= c->entries->len)
        return NULL;
    return &((struct entry *)c->entries->pdata[index])->info;
}

const struct sdvm_image_info *
sdvm_catalog_find(const sdvm_catalog *c, const char *id)
{
    for (size_t i = 0; id && i < sdvm_catalog_count(c); i++)
        if (!strcmp(sdvm_catalog_get(c, i)->id, id))
            return sdvm_catalog_get(c, i);
    return NULL;
}

const struct sdvm_image_info *
sdvm_catalog_default(const sdvm_catalog *c)
{
    const struct sdvm_image_info *first_available = NULL;
    for (size_t i = 0; i < sdvm_catalog_count(c); i++) {
        const struct sdvm_image_info *img = sdvm_catalog_get(c, i);
        if (img->is_default)
            return img;
        if (!first_available && img->status == SDVM_IMAGE_AVAILABLE)
            first_available = img;
    }
    return first_available;
}

struct status_name {
    enum sdvm_image_status status;
    const char *id, *description;
};

static const struct status_name status_names[] = {
    {SDVM_IMAGE_AVAILABLE, "AVAILABLE", "the image can be started"},
    {SDVM_IMAGE_QCOW2_MISSING, "QCOW2_MISSING", "the base image file is missing"},
    {SDVM_IMAGE_QCOW2_UNREADABLE, "QCOW2_UNREADABLE", "the base image file cannot be read"},
    {SDVM_IMAGE_NOT_QCOW2, "NOT_QCOW2", "the base image file is not a qcow2 image"},
    {SDVM_IMAGE_CORRUPT, "CORRUPT", "the base image is marked corrupt"},
    {SDVM_IMAGE_UNSUPPORTED, "UNSUPPORTED",
     "the base image uses qcow2 features SDVM cannot use (encryption, unknown features)"},
    {SDVM_IMAGE_INI_MISSING, "INI_MISSING", "the image's .ini description is missing"},
    {SDVM_IMAGE_INI_BROKEN, "INI_BROKEN", "the image's .ini description is invalid"},
};

static const struct status_name *
find_status(enum sdvm_image_status s)
{
    for (size_t i = 0; i < G_N_ELEMENTS(status_names); i++)
        if (status_names[i].status == s)
            return &status_names[i];
    return NULL;
}

const char *
sdvm_image_status_to_string(enum sdvm_image_status s)
{
    const struct status_name *n = find_status(s);
    return n ? n->id : "UNKNOWN";
}

const char *
sdvm_image_status_describe(enum sdvm_image_status s)
{
    const struct status_name *n = find_status(s);
    return n ? n->description : "an unknown image status";
}
