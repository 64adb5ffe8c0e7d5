/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "table.h"

#include <errno.h>
#include <glib.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const machine_keys[] = {
    "Description", "ProductNames",    "QemuMachine",   "Bus",         "Cpu",
    "Sockets",     "Cores",           "Threads",       "MemoryMiB",   "HostReserveMiB",
    "Hugepages",   "HugepageSizeKiB", "HugepagesPath", "QemuOptions", NULL,
};
static const char *const ostype_keys[] = {"Rtc", "QemuOptions", NULL};
static const char *const device_keys[] = {
    "Address", "Vendor", "Class", "DeviceIds", "GuestAddress", "Options", NULL,
};

struct ctx {
    GKeyFile *kf;
    const char *path;
    char *error;
};

static bool G_GNUC_PRINTF(3, 4) fail(struct ctx *c, const char *group, const char *fmt, ...)
{
    if (c->error)
        return false;
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    c->error = group ? g_strdup_printf("%s: [%s] %s", c->path, group, msg)
                     : g_strdup_printf("%s: %s", c->path, msg);
    return false;
}

static bool
check_keys(struct ctx *c, const char *group, const char *const *allowed)
{
    g_auto(GStrv) keys = g_key_file_get_keys(c->kf, group, NULL, NULL);
    for (size_t i = 0; keys && keys[i]; i++) {
        if (!g_strv_contains(allowed, keys[i]))
            return fail(c, group, "%s: unknown key", keys[i]);
    }
    return true;
}

/* A value that may be absent; present values must be one line (run-guest reads lines). */
static bool
get_string(struct ctx *c, const char *group, const char *key, char **out)
{
    *out = NULL;
    if (!g_key_file_has_key(c->kf, group, key, NULL))
        return true;
    g_autoptr(GError) err = NULL;
    char *v = g_key_file_get_string(c->kf, group, key, &err);
    if (!v)
        return fail(c, group, "%s: %s", key, err->message);
    g_strstrip(v);
    if (strchr(v, '\n') || strchr(v, '\r')) {
        g_free(v);
        return fail(c, group, "%s: value must be a single line", key);
    }
    *out = v;
    return true;
}

static bool
get_list(struct ctx *c, const char *group, const char *key, char ***out)
{
    *out = NULL;
    if (!g_key_file_has_key(c->kf, group, key, NULL)) {
        *out = g_new0(char *, 1);
        return true;
    }
    g_autoptr(GError) err = NULL;
    gsize n = 0;
    char **v = g_key_file_get_string_list(c->kf, group, key, &n, &err);
    if (!v) {
        /* An empty value is an empty list. */
        g_autofree char *raw = g_key_file_get_value(c->kf, group, key, NULL);
        if (raw && *g_strstrip(raw) == '\0') {
            *out = g_new0(char *, 1);
            return true;
        }
        return fail(c, group, "%s: %s", key, err ? err->message : "bad list");
    }
    for (gsize i = 0; i < n; i++) {
        if (strchr(v[i], '\n') || strchr(v[i], '\r')) {
            g_strfreev(v);
            return fail(c, group, "%s: list elements must be single lines", key);
        }
    }
    *out = v;
    return true;
}

static bool
parse_uint(const char *s, unsigned long max, unsigned *out)
{
    if (!s || !*s || *s == '-' || *s == '+')
        return false;
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(s, &end, 0);
    if (errno || *end || v > max)
        return false;
    *out = (unsigned)v;
    return true;
}

static bool
get_uint(struct ctx *c, const char *group, const char *key, unsigned def, unsigned long max,
         unsigned *out)
{
    g_autofree char *s = NULL;
    if (!get_string(c, group, key, &s))
        return false;
    if (!s) {
        *out = def;
        return true;
    }
    if (!parse_uint(s, max, out))
        return fail(c, group, "%s: '%s' is not a number from 0 to %lu", key, s, max);
    return true;
}

bool
table_normalize_address(const char *in, char out[16])
{
    unsigned dom = 0, bus, slot, fn;
    int n = -1;
    if (!in)
        return false;
    if (sscanf(in, "%4x:%2x:%2x.%1x%n", &dom, &bus, &slot, &fn, &n) == 4 && n > 0 &&
        in[n] == '\0' && strlen(in) == 12) {
        /* full form */
    } else {
        n = -1;
        dom = 0;
        if (!(sscanf(in, "%2x:%2x.%1x%n", &bus, &slot, &fn, &n) == 3 && n > 0 && in[n] == '\0' &&
              strlen(in) == 7))
            return false;
    }
    for (const char *p = in; *p; p++)
        if (!g_ascii_isxdigit(*p) && *p != ':' && *p != '.')
            return false;
    if (slot > 0x1f || fn > 7)
        return false;
    if (dom > 0xffff || bus > 0xff)
        return false;
    char buf[48];
    snprintf(buf, sizeof(buf), "%04x:%02x:%02x.%x", dom, bus, slot, fn);
    g_strlcpy(out, buf, 16);
    return true;
}

static bool
parse_device(struct ctx *c, const char *group, struct table_device *d)
{
    d->name = g_strdup(group + strlen("Device "));
    if (!check_keys(c, group, device_keys))
        return false;
    g_autofree char *addr = NULL, *vendor = NULL, *cls = NULL;
    if (!get_string(c, group, "Address", &addr) || !get_string(c, group, "Vendor", &vendor) ||
        !get_string(c, group, "Class", &cls))
        return false;
    if (!addr || !vendor || !cls)
        return fail(c, group, "Address, Vendor and Class are required");
    if (!table_normalize_address(addr, d->address))
        return fail(c, group, "Address: '%s' is not a PCI address like 00:02.0", addr);
    if (!parse_uint(vendor, 0xffff, &d->vendor) || strncmp(vendor, "0x", 2) != 0)
        return fail(c, group, "Vendor: '%s' is not a hex vendor id like 0x8086", vendor);
    size_t digits = strlen(cls) >= 2 ? strlen(cls) - 2 : 0;
    if (strncmp(cls, "0x", 2) != 0 || (digits != 2 && digits != 4 && digits != 6) ||
        !parse_uint(cls, 0xffffff, &d->cls))
        return fail(c, group, "Class: '%s' must be 0xCC, 0xCCSS or 0xCCSSPP in hex", cls);
    d->cls_bits = (unsigned)digits * 4;

    g_auto(GStrv) ids = NULL;
    if (!get_list(c, group, "DeviceIds", &ids))
        return false;
    d->n_device_ids = g_strv_length(ids);
    d->device_ids = g_new0(unsigned, d->n_device_ids + 1);
    for (size_t i = 0; i < d->n_device_ids; i++) {
        const char *s = g_strstrip(ids[i]);
        if (strncmp(s, "0x", 2) != 0 || !parse_uint(s, 0xffff, &d->device_ids[i]))
            return fail(c, group, "DeviceIds: '%s' is not a hex device id", s);
    }

    if (!get_string(c, group, "GuestAddress", &d->guest_address) ||
        !get_string(c, group, "Options", &d->options))
        return false;
    if (d->options && *d->options == '\0')
        g_clear_pointer(&d->options, g_free);
    if (!d->guest_address) {
        unsigned slot = 0, fn = 0;
        sscanf(d->address + 8, "%2x.%1x", &slot, &fn);
        d->guest_address =
            fn ? g_strdup_printf("0x%02x.0x%x", slot, fn) : g_strdup_printf("0x%02x", slot);
    }
    for (const char *p = d->guest_address; *p; p++)
        if (!g_ascii_isxdigit(*p) && *p != 'x' && *p != '.')
            return fail(c, group, "GuestAddress: '%s' is not a slot like 0x02 or 0x1f.0x3",
                        d->guest_address);
    return true;
}

static bool
parse_ostype(struct ctx *c, const char *group, struct table_ostype *o)
{
    o->name = g_strdup(group + strlen("OsType "));
    if (!check_keys(c, group, ostype_keys))
        return false;
    if (!get_string(c, group, "Rtc", &o->rtc) ||
        !get_list(c, group, "QemuOptions", &o->qemu_options))
        return false;
    if (o->rtc && *o->rtc == '\0')
        g_clear_pointer(&o->rtc, g_free);
    return true;
}

static bool
parse_machine(struct ctx *c, struct machine_table *t)
{
    const char *g = "Machine";
    if (!g_key_file_has_group(c->kf, g))
        return fail(c, NULL, "no [Machine] section");
    if (!check_keys(c, g, machine_keys))
        return false;
    if (!get_string(c, g, "Description", &t->description) ||
        !get_list(c, g, "ProductNames", &t->product_names) ||
        !get_string(c, g, "QemuMachine", &t->qemu_machine) || !get_string(c, g, "Bus", &t->bus) ||
        !get_string(c, g, "Cpu", &t->cpu) ||
        !get_string(c, g, "HugepagesPath", &t->hugepages_path) ||
        !get_list(c, g, "QemuOptions", &t->qemu_options))
        return false;
    for (size_t i = 0; t->product_names[i]; i++)
        g_strstrip(t->product_names[i]);
    if (!t->qemu_machine)
        t->qemu_machine = g_strdup("pc");
    if (!t->bus)
        t->bus = g_strdup(g_str_has_prefix(t->qemu_machine, "q35") ? "pcie.0" : "pci.0");
    if (!t->cpu)
        t->cpu = g_strdup("host");
    if (!t->hugepages_path)
        t->hugepages_path = g_strdup("/dev/hugepages");
    if (t->hugepages_path[0] != '/')
        return fail(c, g, "HugepagesPath: '%s' is not an absolute path", t->hugepages_path);
    if (!get_uint(c, g, "Sockets", 1, 64, &t->sockets) ||
        !get_uint(c, g, "Cores", 0, 1024, &t->cores) ||
        !get_uint(c, g, "Threads", 1, 8, &t->threads) ||
        !get_uint(c, g, "HostReserveMiB", 1024, 1u << 20, &t->host_reserve_mib) ||
        !get_uint(c, g, "HugepageSizeKiB", 2048, 1u << 20, &t->hugepage_kib))
        return false;
    if (t->sockets == 0 || t->threads == 0)
        return fail(c, g, "Sockets and Threads must be at least 1");
    if (t->hugepage_kib != 2048 && t->hugepage_kib != 1048576)
        return fail(c, g, "HugepageSizeKiB: %u is neither 2048 nor 1048576", t->hugepage_kib);

    g_autofree char *mem = NULL, *huge = NULL;
    if (!get_string(c, g, "MemoryMiB", &mem) || !get_string(c, g, "Hugepages", &huge))
        return false;
    if (!mem || strcmp(mem, "auto") == 0)
        t->memory_mib = 0;
    else if (!parse_uint(mem, 1u << 22, &t->memory_mib) || t->memory_mib < 64)
        return fail(c, g, "MemoryMiB: '%s' is neither 'auto' nor a size from 64 MiB", mem);
    if (!huge || strcmp(huge, "off") == 0)
        t->hugepages = HUGEPAGES_OFF;
    else if (strcmp(huge, "preferred") == 0)
        t->hugepages = HUGEPAGES_PREFERRED;
    else if (strcmp(huge, "required") == 0)
        t->hugepages = HUGEPAGES_REQUIRED;
    else
        return fail(c, g, "Hugepages: '%s' is not off, preferred or required", huge);
    return true;
}

struct machine_table *
table_load(const char *path, const char *name, char **error)
{
    struct ctx c = {.kf = g_key_file_new(), .path = path};
    struct machine_table *t = g_new0(struct machine_table, 1);
    t->name = g_strdup(name);
    t->path = g_strdup(path);
    g_autoptr(GError) err = NULL;
    g_auto(GStrv) groups = NULL;

    if (!g_key_file_load_from_file(c.kf, path, G_KEY_FILE_NONE, &err)) {
        fail(&c, NULL, "%s", err->message);
        goto out;
    }
    if (!parse_machine(&c, t))
        goto out;
    groups = g_key_file_get_groups(c.kf, NULL);
    for (size_t i = 0; groups[i]; i++) {
        const char *gname = groups[i];
        if (strcmp(gname, "Machine") == 0)
            continue;
        if (g_str_has_prefix(gname, "Device ") && gname[7]) {
            t->devices = g_renew(struct table_device, t->devices, t->n_devices + 1);
            memset(&t->devices[t->n_devices], 0, sizeof(t->devices[0]));
            if (!parse_device(&c, gname, &t->devices[t->n_devices++]))
                goto out;
            for (size_t j = 0; j + 1 < t->n_devices; j++)
                if (strcmp(t->devices[j].address, t->devices[t->n_devices - 1].address) == 0) {
                    fail(&c, gname, "Address: %s is already listed in [Device %s]",
                         t->devices[j].address, t->devices[j].name);
                    goto out;
                }
        } else if (g_str_has_prefix(gname, "OsType ") && gname[7]) {
            t->ostypes = g_renew(struct table_ostype, t->ostypes, t->n_ostypes + 1);
            memset(&t->ostypes[t->n_ostypes], 0, sizeof(t->ostypes[0]));
            if (!parse_ostype(&c, gname, &t->ostypes[t->n_ostypes++]))
                goto out;
        } else {
            fail(&c, gname, "unknown section (expected Machine, Device NAME or OsType NAME)");
            goto out;
        }
    }
out:
    g_key_file_free(c.kf);
    if (c.error) {
        *error = c.error;
        table_free(t);
        return NULL;
    }
    return t;
}

void
table_free(struct machine_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n_devices; i++) {
        g_free(t->devices[i].name);
        g_free(t->devices[i].device_ids);
        g_free(t->devices[i].guest_address);
        g_free(t->devices[i].options);
    }
    for (size_t i = 0; i < t->n_ostypes; i++) {
        g_free(t->ostypes[i].name);
        g_free(t->ostypes[i].rtc);
        g_strfreev(t->ostypes[i].qemu_options);
    }
    g_free(t->devices);
    g_free(t->ostypes);
    g_free(t->name);
    g_free(t->path);
    g_free(t->description);
    g_strfreev(t->product_names);
    g_free(t->qemu_machine);
    g_free(t->bus);
    g_free(t->cpu);
    g_free(t->hugepages_path);
    g_strfreev(t->qemu_options);
    g_free(t);
}

const struct table_ostype *
table_find_ostype(const struct machine_table *t, const char *ostype)
{
    for (size_t i = 0; ostype && i < t->n_ostypes; i++)
        if (g_ascii_strcasecmp(t->ostypes[i].name, ostype) == 0)
            return &t->ostypes[i];
    return NULL;
}

bool
table_device_class_matches(const struct table_device *d, unsigned cls)
{
    return (cls >> (24 - d->cls_bits)) == d->cls;
}

bool
table_device_id_matches(const struct table_device *d, unsigned device_id)
{
    if (d->n_device_ids == 0)
        return true;
    for (size_t i = 0; i < d->n_device_ids; i++)
        if (d->device_ids[i] == device_id)
            return true;
    return false;
}
