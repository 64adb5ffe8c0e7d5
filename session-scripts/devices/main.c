/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sdvm-devices: the C half of run-guest. It picks the machine table for this terminal (DMI
 * product_name), checks every passthrough device and its IOMMU group through libudev, and
 * moves devices to vfio-pci and back with an undo journal. run-guest(8) documents the
 * commands; the output of plan/prepare is a line protocol run-guest reads (key, space, value).
 */
#include <errno.h>
#include <getopt.h>
#include <glib.h>
#include <libudev.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host.h"
#include "pci.h"
#include "sdvm/guest-exit.h"
#include "table.h"

#ifndef SDVM_SYSCONF_MACHINES_DIR
#define SDVM_SYSCONF_MACHINES_DIR "/etc/sdvm/machines.d"
#endif
#ifndef SDVM_DATA_MACHINES_DIR
#define SDVM_DATA_MACHINES_DIR "/usr/share/sdvm/machines.d"
#endif

extern char **environ;

struct opts {
    const char *machine;
    GPtrArray *dirs;
    const char *ostype;
    const char *user_id, *image_id;
    const char *state;
    unsigned host_reserve_mib; /* 0 = the table's */
    unsigned memory_mib;       /* 0 = the table's */
    int timeout_ms;
};

struct plan {
    struct machine_table *table;
    char *reason;
    unsigned memory_mib;
    char *memory_reason;
    unsigned hugepages;       /* page count, 0 = off */
    struct pci_info *devices; /* one per table device */
    bool vfio_loaded;
    char **consoles; /* frame buffer consoles to unbind (a display device is passed) */
};

static void G_GNUC_PRINTF(1, 2) err(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("sdvm-devices: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void
plan_clear(struct plan *p)
{
    table_free(p->table);
    g_free(p->reason);
    g_free(p->memory_reason);
    g_free(p->devices);
    g_strfreev(p->consoles);
    memset(p, 0, sizeof(*p));
}

static gint
compare_strings(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every table file name (without .conf) in the search path; the first directory wins. */
static GPtrArray *
list_tables(const struct opts *o)
{
    GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    for (guint i = 0; i < o->dirs->len; i++) {
        const char *dir = o->dirs->pdata[i];
        GDir *d = g_dir_open(dir, 0, NULL);
        if (!d)
            continue;
        const char *f;
        while ((f = g_dir_read_name(d))) {
            if (!g_str_has_suffix(f, ".conf") || f[0] == '.' || strlen(f) == 5)
                continue;
            char *name = g_strndup(f, strlen(f) - 5);
            if (g_hash_table_contains(seen, name))
                g_free(name);
            else
                g_hash_table_insert(seen, name, g_build_filename(dir, f, NULL));
        }
        g_dir_close(d);
    }
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, seen);
    while (g_hash_table_iter_next(&it, &k, &v))
        g_ptr_array_add(out, g_strdup_printf("%s\t%s", (char *)k, (char *)v));
    g_ptr_array_sort(out, compare_strings);
    g_hash_table_unref(seen);
    return out;
}

static char *
dirs_text(const struct opts *o)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < o->dirs->len; i++)
        g_string_append_printf(s, "%s%s", i ? ", " : "", (char *)o->dirs->pdata[i]);
    return g_string_free(s, FALSE);
}

static int
select_table(struct udev *udev, const struct opts *o, struct plan *p)
{
    g_autoptr(GPtrArray) tables = list_tables(o);
    g_autofree char *dirs = dirs_text(o);
    char *error = NULL;

    if (strcmp(o->machine, "auto") != 0) {
        for (guint i = 0; i < tables->len; i++) {
            g_auto(GStrv) nf = g_strsplit(tables->pdata[i], "\t", 2);
            if (strcmp(nf[0], o->machine) != 0)
                continue;
            p->table = table_load(nf[1], nf[0], &error);
            if (!p->table) {
                err("%s", error);
                g_free(error);
                return SDVM_GUEST_EXIT_CONFIG;
            }
            p->reason = g_strdup_printf("configured: Machine=%s", o->machine);
            return 0;
        }
        err("the configured machine table '%s' is not in %s", o->machine, dirs);
        return SDVM_GUEST_EXIT_MACHINE_UNKNOWN;
    }

    g_autofree char *product = pci_dmi_product_name(udev, &error);
    if (!product) {
        err("cannot tell this terminal's model: %s; set [Guest] Machine= to a table name "
            "(or generic, for no passthrough)",
            error);
        g_free(error);
        return SDVM_GUEST_EXIT_MACHINE_UNKNOWN;
    }
    for (guint i = 0; i < tables->len; i++) {
        g_auto(GStrv) nf = g_strsplit(tables->pdata[i], "\t", 2);
        struct machine_table *t = table_load(nf[1], nf[0], &error);
        if (!t) {
            err("%s", error);
            g_free(error);
            return SDVM_GUEST_EXIT_CONFIG;
        }
        for (size_t j = 0; t->product_names[j]; j++) {
            if (g_ascii_strcasecmp(t->product_names[j], product) == 0) {
                p->table = t;
                p->reason = g_strdup_printf(
                    "DMI product_name \"%s\" is listed in ProductNames of %s", product, nf[1]);
                return 0;
            }
        }
        table_free(t);
    }
    err("no machine table lists DMI product_name \"%s\" (searched %s); add a table for this "
        "model or set [Guest] Machine=generic to run without passthrough",
        product, dirs);
    return SDVM_GUEST_EXIT_MACHINE_UNKNOWN;
}

static int
compute_memory(const struct opts *o, struct plan *p)
{
    struct machine_table *t = p->table;
    unsigned mib;
    if (o->memory_mib) {
        mib = o->memory_mib;
        p->memory_reason = g_strdup_printf("SDVM_GUEST_MEMORY_MIB=%u", mib);
    } else if (t->memory_mib) {
        mib = t->memory_mib;
        p->memory_reason = g_strdup_printf("MemoryMiB=%u in the table", mib);
    } else {
        unsigned total, reserve = o->host_reserve_mib ? o->host_reserve_mib : t->host_reserve_mib;
        int r = host_mem_total_mib(&total);
        if (r < 0) {
            err("cannot read MemTotal from %s/meminfo: %s", host_proc_root(), g_strerror(-r));
            return SDVM_GUEST_EXIT_INTERNAL;
        }
        if (total <= reserve || total - reserve < 128) {
            err("the host keeps %u MiB of its %u MiB, which leaves less than 128 MiB for the "
                "guest; lower [Guest] HostReserveMiB",
                reserve, total);
            return SDVM_GUEST_EXIT_CONFIG;
        }
        mib = total - reserve;
        p->memory_reason = g_strdup_printf(
            "host MemTotal %u MiB minus %s %u MiB", total,
            o->host_reserve_mib ? "HostReserveMiB (sdvm.conf)" : "HostReserveMiB (table)", reserve);
    }
    if (t->hugepages != HUGEPAGES_OFF) {
        unsigned page_mib = t->hugepage_kib / 1024;
        mib -= mib % page_mib;
        if (mib == 0) {
            err("guest memory is smaller than one %u kB hugepage", t->hugepage_kib);
            return SDVM_GUEST_EXIT_CONFIG;
        }
        p->hugepages = (unsigned)((unsigned long long)mib * 1024 / t->hugepage_kib);
    }
    p->memory_mib = mib;
    return 0;
}

static bool
in_table(const struct machine_table *t, const char *address)
{
    for (size_t i = 0; i < t->n_devices; i++)
        if (strcmp(t->devices[i].address, address) == 0)
            return true;
    return false;
}

static void
describe(GString *out, const char *key, const struct pci_info *d)
{
    g_string_append_printf(out, "%s %s %04x:%04x class=0x%06x driver=%s iommu-group=%s", key,
                           d->address, d->vendor, d->device, d->cls,
                           d->driver[0] ? d->driver : "none", d->group[0] ? d->group : "none");
}

/* Read and check every table device; on refusal print every reason, not just the first. */
static int
check_devices(struct udev *udev, struct plan *p, GString *out)
{
    struct machine_table *t = p->table;
    int failures = 0;
    p->devices = g_new0(struct pci_info, t->n_devices + 1);
    for (size_t i = 0; i < t->n_devices; i++) {
        const struct table_device *td = &t->devices[i];
        struct pci_info *d = &p->devices[i];
        int r = pci_read(udev, td->address, d);
        if (r == -ENODEV) {
            err("[Device %s]: no PCI device at %s; refusing to start (the table does not fit "
                "this terminal)",
                td->name, td->address);
            failures++;
            continue;
        }
        if (r < 0) {
            err("[Device %s]: cannot read %s: %s", td->name, td->address, g_strerror(-r));
            failures++;
            continue;
        }
        describe(out, "device", d);
        g_string_append_printf(out, " table=%s\n", td->name);
        if (d->vendor != td->vendor || !table_device_class_matches(td, d->cls) ||
            !table_device_id_matches(td, d->device)) {
            err("[Device %s]: %s is %04x:%04x class 0x%06x, but the table expects vendor 0x%04x "
                "class 0x%0*x%s; refusing to touch it",
                td->name, td->address, d->vendor, d->device, d->cls, td->vendor,
                (int)td->cls_bits / 4, td->cls,
                td->n_device_ids ? " and one of its DeviceIds" : "");
            failures++;
            continue;
        }
        if (!d->group[0]) {
            err("[Device %s]: %s has no IOMMU group; enable VT-d in the firmware and boot the "
                "host with intel_iommu=on",
                td->name, td->address);
            failures++;
            continue;
        }
        struct pci_info *members = NULL;
        size_t n = 0;
        r = pci_group_members(udev, d->group, &members, &n);
        if (r < 0) {
            err("cannot list IOMMU group %s: %s", d->group, g_strerror(-r));
            failures++;
        }
        for (size_t m = 0; m < n; m++) {
            const struct pci_info *x = &members[m];
            bool listed = in_table(t, x->address);
            describe(out, "group-member", x);
            g_string_append_printf(out, " %s\n",
                                   listed             ? "in-table"
                                   : pci_is_bridge(x) ? "bridge"
                                                      : "NOT-IN-TABLE");
            if (!listed && !pci_is_bridge(x)) {
                err("[Device %s]: IOMMU group %s of %s also holds %s (%04x:%04x class 0x%06x, "
                    "driver %s), which the table does not list; passing the group would take "
                    "that device from the host, refusing",
                    td->name, d->group, td->address, x->address, x->vendor, x->device, x->cls,
                    x->driver[0] ? x->driver : "none");
                failures++;
            }
        }
        g_free(members);
    }
    return failures ? SDVM_GUEST_EXIT_DEVICE_MISMATCH : 0;
}

static unsigned
mac_hash(const char *a, const char *b)
{
    /* FNV-1a: a stable, per-user-and-image MAC so a guest keeps its address across logins. */
    unsigned h = 2166136261u;
    for (const char *s = a; s && *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    h = (h ^ '/') * 16777619u;
    for (const char *s = b; s && *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* Guest slot of "0x14" or "0x14.0x2" and whether the function is 0. */
static unsigned
guest_slot(const char *addr, bool *fn0)
{
    char *end = NULL;
    unsigned long slot = strtoul(addr, &end, 16);
    *fn0 = !end || *end != '.' || strtoul(end + 1, NULL, 16) == 0;
    return (unsigned)slot;
}

/* QEMU refuses function N>0 in a guest slot whose function 0 lacks multifunction=on (the
 * 7040's xHCI at 14.0 and thermal subsystem at 14.2), so function 0 gets it automatically. */
static bool
needs_multifunction(const struct machine_table *t, size_t i)
{
    bool fn0, other_fn0;
    unsigned slot = guest_slot(t->devices[i].guest_address, &fn0);
    if (!fn0 || (t->devices[i].options && strstr(t->devices[i].options, "multifunction")))
        return false;
    for (size_t j = 0; j < t->n_devices; j++)
        if (j != i && guest_slot(t->devices[j].guest_address, &other_fn0) == slot && !other_fn0)
            return true;
    return false;
}

static void
emit_profile(const struct opts *o, const struct plan *p, GString *out, const char *hugepages_note)
{
    const struct machine_table *t = p->table;
    g_string_append_printf(out, "machine %s\nmachine-file %s\nmachine-reason %s\n", t->name,
                           t->path, p->reason);
    if (t->description)
        g_string_append_printf(out, "machine-description %s\n", t->description);
    g_string_append_printf(out, "qemu-machine %s\ncpu %s\n", t->qemu_machine, t->cpu);
    unsigned cores = t->cores;
    if (cores == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        cores = n > 0 ? (unsigned)n / (t->sockets * t->threads) : 1;
        if (cores == 0)
            cores = 1;
    }
    g_string_append_printf(out, "smp sockets=%u,cores=%u,threads=%u\n", t->sockets, cores,
                           t->threads);
    g_string_append_printf(out, "memory-mib %u\nmemory-reason %s\n", p->memory_mib,
                           p->memory_reason);
    if (p->hugepages)
        g_string_append_printf(out, "hugepages %u %u %s %s\n", p->hugepages, t->hugepage_kib,
                               t->hugepages == HUGEPAGES_REQUIRED ? "required" : "preferred",
                               t->hugepages_path);
    else
        g_string_append_printf(out, "hugepages off%s%s\n", hugepages_note ? " " : "",
                               hugepages_note ? hugepages_note : "");
    const struct table_ostype *os = table_find_ostype(t, o->ostype);
    const char *rtc = os && os->rtc ? os->rtc
                      : (o->ostype && g_ascii_strncasecmp(o->ostype, "windows", 7) == 0)
                          ? "base=localtime"
                          : "base=utc";
    g_string_append_printf(out, "ostype %s%s\nrtc %s\n", o->ostype ? o->ostype : "none",
                           os ? "" : " (no [OsType] section: defaults)", rtc);
    unsigned h = mac_hash(o->user_id, o->image_id);
    g_string_append_printf(out, "mac 52:54:00:%02x:%02x:%02x\n", (h >> 16) & 0xff, (h >> 8) & 0xff,
                           h & 0xff);
    for (size_t i = 0; t->qemu_options[i]; i++)
        g_string_append_printf(out, "qemu-option %s\n", t->qemu_options[i]);
    for (size_t i = 0; os && os->qemu_options[i]; i++)
        g_string_append_printf(out, "qemu-option %s\n", os->qemu_options[i]);
    for (size_t i = 0; i < t->n_devices; i++) {
        const struct table_device *d = &t->devices[i];
        g_string_append_printf(out, "passthrough vfio-pci-nohotplug,host=%s,bus=%s,addr=%s%s%s%s\n",
                               d->address, t->bus, d->guest_address,
                               needs_multifunction(t, i) ? ",multifunction=on" : "",
                               d->options ? "," : "", d->options ? d->options : "");
    }
}

static void
emit_actions(const struct plan *p, GString *out)
{
    const struct machine_table *t = p->table;
    GPtrArray *undo = g_ptr_array_new_with_free_func(g_free);
    if (p->hugepages) {
        unsigned nr = 0, free_pages = 0;
        if (host_hugepages_read(t->hugepage_kib, &nr, &free_pages) == 0) {
            if (free_pages >= p->hugepages) {
                g_string_append_printf(out,
                                       "action hugepages: %u of %u kB already free, pool "
                                       "stays at %u\n",
                                       free_pages, t->hugepage_kib, nr);
            } else {
                g_string_append_printf(out,
                                       "action hugepages: nr_hugepages (%u kB) %u -> %u, "
                                       "with compaction and retries\n",
                                       t->hugepage_kib, nr, nr + p->hugepages - free_pages);
                g_ptr_array_add(undo, g_strdup_printf("undo hugepages: nr_hugepages (%u kB) "
                                                      "back to %u",
                                                      t->hugepage_kib, nr));
            }
        } else {
            g_string_append_printf(out,
                                   "action hugepages: raise nr_hugepages (%u kB) by up to "
                                   "%u (pool unreadable now)\n",
                                   t->hugepage_kib, p->hugepages);
            g_ptr_array_add(undo, g_strdup("undo hugepages: nr_hugepages back to its old value"));
        }
        g_string_append_printf(out, "action hugepages: check %s is hugetlbfs of %u kB pages\n",
                               t->hugepages_path, t->hugepage_kib);
    }
    if (t->n_devices && !p->vfio_loaded)
        g_string_append(out, "action modprobe vfio-pci\n");
    for (size_t i = 0; p->consoles[i]; i++) {
        g_string_append_printf(out, "action %s: unbind the console from its frame buffer\n",
                               p->consoles[i]);
        g_ptr_array_add(
            undo, g_strdup_printf("undo %s: bind the console to its frame buffer", p->consoles[i]));
    }
    for (size_t i = 0; i < t->n_devices; i++) {
        const struct pci_info *d = &p->devices[i];
        if (strcmp(d->driver, "vfio-pci") == 0) {
            g_string_append_printf(out, "action %s: already on vfio-pci, nothing to do\n",
                                   d->address);
            continue;
        }
        g_string_append_printf(out, "action %s: driver_override=vfio-pci", d->address);
        if (d->driver[0])
            g_string_append_printf(out, "; unbind %s", d->driver);
        g_string_append(out, "; drivers_probe; wait for vfio-pci\n");
        g_ptr_array_add(undo,
                        g_strdup_printf("undo %s: driver_override=%s; unbind vfio-pci%s%s%s",
                                        d->address, d->override[0] ? d->override : "(cleared)",
                                        d->driver[0] ? "; drivers_probe; wait for " : "", d->driver,
                                        d->driver[0] ? "" : " (no host driver)"));
    }
    for (guint i = undo->len; i-- > 0;)
        g_string_append_printf(out, "%s\n", (char *)undo->pdata[i]);
    g_ptr_array_unref(undo);
}

static int
modprobe_vfio(void)
{
    const char *mp = getenv("MODPROBE");
    if (!mp || !*mp)
        mp = "modprobe";
    char *argv[] = {(char *)mp, (char *)"vfio-pci", NULL};
    pid_t pid;
    int r = posix_spawnp(&pid, mp, NULL, NULL, argv, environ);
    if (r != 0) {
        err("cannot run %s: %s", mp, g_strerror(r));
        return -r;
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -errno;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        err("%s vfio-pci failed", mp);
        return -EIO;
    }
    return 0;
}

static int
build_plan(struct udev *udev, const struct opts *o, struct plan *p, GString *devices_out)
{
    int r = select_table(udev, o, p);
    if (r)
        return r;
    if ((r = compute_memory(o, p)))
        return r;
    if ((r = check_devices(udev, p, devices_out)))
        return r;
    p->vfio_loaded = p->table->n_devices == 0 || pci_driver_loaded(udev, "vfio-pci");
    bool display = false;
    for (size_t i = 0; i < p->table->n_devices; i++)
        if ((p->devices[i].cls >> 16) == 0x03 && strcmp(p->devices[i].driver, "vfio-pci") != 0)
            display = true;
    p->consoles = display ? pci_fb_consoles(udev) : g_new0(char *, 1);
    return 0;
}

static int
cmd_plan(struct udev *udev, const struct opts *o)
{
    struct plan p = {0};
    GString *devs = g_string_new(NULL), *out = g_string_new(NULL);
    int r = build_plan(udev, o, &p, devs);
    if (r == 0) {
        emit_profile(o, &p, out, NULL);
        g_string_append(out, devs->str);
        emit_actions(&p, out);
        fputs(out->str, stdout);
    }
    g_string_free(devs, TRUE);
    g_string_free(out, TRUE);
    plan_clear(&p);
    return r;
}

static int
undo_after_failure(struct udev *udev, const struct opts *o, int code)
{
    int left = journal_undo(udev, o->state, o->timeout_ms);
    if (left != 0) {
        err("%d device(s) could not be given back to the host", left < 0 ? 0 : left);
        return SDVM_GUEST_EXIT_REBOOT_NEEDED;
    }
    return code;
}

static int
cmd_prepare(struct udev *udev, const struct opts *o)
{
    struct plan p = {0};
    GString *devs = g_string_new(NULL), *out = g_string_new(NULL);
    const char *huge_note = NULL;
    char *error = NULL;
    int r = build_plan(udev, o, &p, devs);
    if (r)
        goto done;
    struct machine_table *t = p.table;

    if (p.hugepages) {
        char *why = NULL;
        bool ok = host_is_hugetlbfs(t->hugepages_path, t->hugepage_kib, &why);
        if (ok && host_hugepages_reserve(t->hugepage_kib, p.hugepages, o->state, &why) < 0)
            ok = false;
        if (!ok) {
            if (t->hugepages == HUGEPAGES_REQUIRED) {
                err("hugepages are required by %s: %s", t->path, why);
                g_free(why);
                r = undo_after_failure(udev, o, SDVM_GUEST_EXIT_HUGEPAGES);
                goto done;
            }
            err("WARNING: running the guest on ordinary memory (Hugepages=preferred): %s", why);
            g_free(why);
            p.hugepages = 0;
            huge_note = "(fallback: hugepages could not be reserved)";
        }
    }
    if (t->n_devices && !p.vfio_loaded) {
        if (modprobe_vfio() < 0 || !pci_driver_loaded(udev, "vfio-pci")) {
            err("the vfio-pci driver is not available");
            r = undo_after_failure(udev, o, SDVM_GUEST_EXIT_START);
            goto done;
        }
    }
    for (size_t i = 0; p.consoles[i]; i++) {
        g_autofree char *line = g_strdup_printf("vtcon\t%s", p.consoles[i]);
        if ((r = journal_add(o->state, line, &error)) < 0 ||
            (r = pci_console_bind(udev, p.consoles[i], false, &error)) < 0) {
            err("%s", error);
            g_clear_pointer(&error, g_free);
            r = undo_after_failure(udev, o, SDVM_GUEST_EXIT_START);
            goto done;
        }
        fprintf(stderr, "sdvm-devices: %s unbound from its frame buffer\n", p.consoles[i]);
    }
    for (size_t i = 0; i < t->n_devices; i++) {
        const struct pci_info *d = &p.devices[i];
        if (strcmp(d->driver, "vfio-pci") == 0)
            continue;
        g_autofree char *line =
            g_strdup_printf("device\t%s\t%s\t%s", d->address, d->driver, d->override);
        if ((r = journal_add(o->state, line, &error)) < 0 ||
            (r = pci_bind(udev, d->address, "vfio-pci", o->timeout_ms, &error)) < 0) {
            err("%s", error);
            g_clear_pointer(&error, g_free);
            r = undo_after_failure(udev, o, SDVM_GUEST_EXIT_START);
            goto done;
        }
        fprintf(stderr, "sdvm-devices: %s moved from %s to vfio-pci\n", d->address,
                d->driver[0] ? d->driver : "no driver");
    }
    emit_profile(o, &p, out, huge_note);
    g_string_append(out, devs->str);
    fputs(out->str, stdout);
    r = 0;
done:
    g_string_free(devs, TRUE);
    g_string_free(out, TRUE);
    plan_clear(&p);
    return r;
}

static int
cmd_tables(const struct opts *o)
{
    g_autoptr(GPtrArray) tables = list_tables(o);
    int r = 0;
    for (guint i = 0; i < tables->len; i++) {
        g_auto(GStrv) nf = g_strsplit(tables->pdata[i], "\t", 2);
        char *error = NULL;
        struct machine_table *t = table_load(nf[1], nf[0], &error);
        if (!t) {
            err("%s", error);
            g_free(error);
            r = SDVM_GUEST_EXIT_CONFIG;
            continue;
        }
        g_autofree char *names = g_strjoinv("; ", t->product_names);
        printf("%s\t%s\t%zu device(s)\tProductNames=%s\n", t->name, t->path, t->n_devices, names);
        table_free(t);
    }
    return r;
}

/* hand --state J --owner UID:GID PATH...: run-guest gives QEMU's user its /dev/vfio groups
 * and its hugetlbfs directory; every old owner is journalled first, so undo restores it. */
static int
cmd_hand(const struct opts *o, const char *owner, int n, char **paths)
{
    unsigned uid, gid;
    char end;
    if (!o->state || !owner || sscanf(owner, "%u:%u%c", &uid, &gid, &end) != 2 || uid == 0) {
        err("hand needs --state FILE and --owner UID:GID (not root)");
        return SDVM_GUEST_EXIT_CONFIG;
    }
    for (int i = 0; i < n; i++) {
        char *error = NULL;
        if (host_hand(paths[i], (uid_t)uid, (gid_t)gid, o->state, &error) < 0) {
            err("%s", error);
            g_free(error);
            return SDVM_GUEST_EXIT_DEVICE_MISMATCH;
        }
    }
    return 0;
}

static void
usage(FILE *f)
{
    fputs("Usage: sdvm-devices COMMAND [OPTIONS]\n"
          "Commands:\n"
          "  plan      pick the machine table, read and check every device; print the plan\n"
          "  prepare   the same, then reserve hugepages and bind devices to vfio-pci,\n"
          "            journalling each change in --state\n"
          "  undo      revert every change in --state (no-op when it does not exist)\n"
          "  hand PATH...  give each PATH to --owner for the session, the old owner in --state\n"
          "  tables    list the machine tables found and check their syntax\n"
          "  dmi       print the DMI product name\n"
          "Options:\n"
          "  --machine NAME|auto       table to use (default auto: by DMI product_name)\n"
          "  --machines-dir DIR        search DIR (repeatable, first wins; "
          "default " SDVM_SYSCONF_MACHINES_DIR " then " SDVM_DATA_MACHINES_DIR ")\n"
          "  --ostype TYPE             guest OS type (selects [OsType TYPE])\n"
          "  --host-reserve-mib N      memory the host keeps (default: the table's)\n"
          "  --memory-mib N            fixed guest memory (default: the table's)\n"
          "  --user-id ID --image-id ID  for the guest's stable MAC address\n"
          "  --state FILE              undo journal (prepare, undo, hand)\n"
          "  --owner UID:GID           the new owner (hand)\n"
          "  --timeout-ms N            wait for a driver change (default 5000)\n",
          f);
}

static bool
parse_num(const char *s, unsigned *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long v = s && *s != '-' ? strtoul(s, &end, 10) : 0;
    if (!s || !*s || errno || *end || v > (1ul << 24))
        return false;
    *out = (unsigned)v;
    return true;
}

int
main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? SDVM_GUEST_EXIT_CONFIG : 0;
    }
    const char *cmd = argv[1];
    struct opts o = {
        .machine = "auto", .dirs = g_ptr_array_new_with_free_func(g_free), .timeout_ms = 5000};
    static const struct option longopts[] = {
        {"machine", required_argument, NULL, 'm'},
        {"machines-dir", required_argument, NULL, 'd'},
        {"ostype", required_argument, NULL, 'o'},
        {"host-reserve-mib", required_argument, NULL, 'r'},
        {"memory-mib", required_argument, NULL, 'M'},
        {"user-id", required_argument, NULL, 'u'},
        {"image-id", required_argument, NULL, 'i'},
        {"state", required_argument, NULL, 's'},
        {"timeout-ms", required_argument, NULL, 't'},
        {"owner", required_argument, NULL, 'w'},
        {NULL, 0, NULL, 0},
    };
    int c, rc = 0;
    unsigned num;
    const char *owner = NULL;
    optind = 2;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'm':
            o.machine = optarg;
            break;
        case 'd':
            g_ptr_array_add(o.dirs, g_strdup(optarg));
            break;
        case 'o':
            o.ostype = *optarg ? optarg : NULL;
            break;
        case 'u':
            o.user_id = optarg;
            break;
        case 'i':
            o.image_id = optarg;
            break;
        case 's':
            o.state = optarg;
            break;
        case 'w':
            owner = optarg;
            break;
        case 'r':
        case 'M':
        case 't':
            if (!parse_num(optarg, &num)) {
                err("--%s: '%s' is not a number",
                    c == 'r'   ? "host-reserve-mib"
                    : c == 'M' ? "memory-mib"
                               : "timeout-ms",
                    optarg);
                rc = SDVM_GUEST_EXIT_CONFIG;
                goto out;
            }
            if (c == 'r')
                o.host_reserve_mib = num;
            else if (c == 'M')
                o.memory_mib = num;
            else
                o.timeout_ms = (int)num;
            break;
        default:
            usage(stderr);
            rc = SDVM_GUEST_EXIT_CONFIG;
            goto out;
        }
    }
    if (strcmp(cmd, "hand") == 0) {
        rc = cmd_hand(&o, owner, argc - optind, argv + optind);
        goto out;
    }
    if (optind != argc) {
        err("unexpected argument '%s'", argv[optind]);
        rc = SDVM_GUEST_EXIT_CONFIG;
        goto out;
    }
    if (o.dirs->len == 0) {
        g_ptr_array_add(o.dirs, g_strdup(SDVM_SYSCONF_MACHINES_DIR));
        g_ptr_array_add(o.dirs, g_strdup(SDVM_DATA_MACHINES_DIR));
    }
    if ((strcmp(cmd, "prepare") == 0 || strcmp(cmd, "undo") == 0) && !o.state) {
        err("%s needs --state FILE", cmd);
        rc = SDVM_GUEST_EXIT_CONFIG;
        goto out;
    }

    struct udev *udev = udev_new();
    if (!udev) {
        err("udev_new failed");
        rc = SDVM_GUEST_EXIT_INTERNAL;
        goto out;
    }
    if (strcmp(cmd, "plan") == 0) {
        rc = cmd_plan(udev, &o);
    } else if (strcmp(cmd, "prepare") == 0) {
        rc = cmd_prepare(udev, &o);
    } else if (strcmp(cmd, "undo") == 0) {
        int left = journal_undo(udev, o.state, o.timeout_ms);
        rc = left > 0 ? SDVM_GUEST_EXIT_REBOOT_NEEDED : left < 0 ? SDVM_GUEST_EXIT_INTERNAL : 0;
        if (left > 0)
            err("%d device(s) are still not back on their host driver; the terminal needs a "
                "reboot (journal kept in %s)",
                left, o.state);
    } else if (strcmp(cmd, "tables") == 0) {
        rc = cmd_tables(&o);
    } else if (strcmp(cmd, "dmi") == 0) {
        char *error = NULL;
        g_autofree char *name = pci_dmi_product_name(udev, &error);
        if (name) {
            printf("%s\n", name);
        } else {
            err("%s", error);
            g_free(error);
            rc = SDVM_GUEST_EXIT_MACHINE_UNKNOWN;
        }
    } else {
        err("unknown command '%s'", cmd);
        usage(stderr);
        rc = SDVM_GUEST_EXIT_CONFIG;
    }
    udev_unref(udev);
out:
    g_ptr_array_unref(o.dirs);
    return rc;
}
