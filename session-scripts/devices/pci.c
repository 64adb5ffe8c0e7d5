/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "pci.h"
#include "sysfs.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <libudev.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static bool
parse_hex(const char *s, unsigned max, unsigned *out)
{
    if (!s || strncmp(s, "0x", 2) != 0)
        return false;
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(s, &end, 16);
    while (end && (*end == '\n' || *end == ' '))
        end++;
    if (errno || !end || *end || v > max)
        return false;
    *out = (unsigned)v;
    return true;
}

static void
copy(char *dst, size_t size, const char *src)
{
    g_strlcpy(dst, src ? src : "", size);
}

/* Basename of a symlink below the device (driver, iommu_group), "" when absent. */
static void
read_link_name(const char *syspath, const char *link, char *out, size_t size)
{
    g_autofree char *path = g_build_filename(syspath, link, NULL);
    char target[PATH_MAX];
    ssize_t n = readlink(path, target, sizeof(target) - 1);
    out[0] = '\0';
    if (n <= 0)
        return;
    target[n] = '\0';
    const char *base = strrchr(target, '/');
    copy(out, size, base ? base + 1 : target);
}

static int
fill(struct udev_device *dev, const char *address, struct pci_info *out)
{
    memset(out, 0, sizeof(*out));
    copy(out->address, sizeof(out->address), address);
    if (!parse_hex(udev_device_get_sysattr_value(dev, "vendor"), 0xffff, &out->vendor) ||
        !parse_hex(udev_device_get_sysattr_value(dev, "device"), 0xffff, &out->device) ||
        !parse_hex(udev_device_get_sysattr_value(dev, "class"), 0xffffff, &out->cls))
        return -EIO;
    const char *syspath = udev_device_get_syspath(dev);
    read_link_name(syspath, "driver", out->driver, sizeof(out->driver));
    read_link_name(syspath, "iommu_group", out->group, sizeof(out->group));
    const char *ov = udev_device_get_sysattr_value(dev, "driver_override");
    if (ov && strcmp(ov, "(null)") != 0)
        copy(out->override, sizeof(out->override), ov);
    g_strstrip(out->override);
    return 0;
}

int
pci_read(struct udev *udev, const char *address, struct pci_info *out)
{
    struct udev_device *dev = udev_device_new_from_subsystem_sysname(udev, "pci", address);
    if (!dev) {
        memset(out, 0, sizeof(*out));
        copy(out->address, sizeof(out->address), address);
        return -ENODEV;
    }
    int r = fill(dev, address, out);
    udev_device_unref(dev);
    return r;
}

static int
compare_info(const void *a, const void *b)
{
    return strcmp(((const struct pci_info *)a)->address, ((const struct pci_info *)b)->address);
}

int
pci_group_members(struct udev *udev, const char *group, struct pci_info **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    struct udev_enumerate *e = udev_enumerate_new(udev);
    if (!e)
        return -ENOMEM;
    udev_enumerate_add_match_subsystem(e, "pci");
    int r = udev_enumerate_scan_devices(e);
    if (r < 0) {
        udev_enumerate_unref(e);
        return r;
    }
    struct udev_list_entry *entry;
    udev_list_entry_foreach(entry, udev_enumerate_get_list_entry(e))
    {
        struct udev_device *dev =
            udev_device_new_from_syspath(udev, udev_list_entry_get_name(entry));
        if (!dev)
            continue;
        char g[32];
        read_link_name(udev_device_get_syspath(dev), "iommu_group", g, sizeof(g));
        if (strcmp(g, group) == 0) {
            *out = g_renew(struct pci_info, *out, *n + 1);
            if (fill(dev, udev_device_get_sysname(dev), &(*out)[*n]) == 0)
                (*n)++;
        }
        udev_device_unref(dev);
    }
    udev_enumerate_unref(e);
    if (*n > 1)
        qsort(*out, *n, sizeof(**out), compare_info);
    return 0;
}

static gint
compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

bool
pci_is_bridge(const struct pci_info *info)
{
    return (info->cls >> 8) == 0x0604;
}

char *
pci_dmi_product_name(struct udev *udev, char **error)
{
    struct udev_device *dev = udev_device_new_from_syspath(udev, "/sys/class/dmi/id");
    if (!dev) {
        *error = g_strdup("this machine has no DMI information (/sys/class/dmi/id is missing)");
        return NULL;
    }
    const char *v = udev_device_get_sysattr_value(dev, "product_name");
    char *name = v ? g_strstrip(g_strdup(v)) : NULL;
    udev_device_unref(dev);
    if (!name || !*name) {
        g_free(name);
        *error = g_strdup("DMI product_name is empty or unreadable");
        return NULL;
    }
    return name;
}

static int
write_attr(struct udev *udev, const char *address, const char *attr, const char *value,
           char **error)
{
    struct udev_device *dev = udev_device_new_from_subsystem_sysname(udev, "pci", address);
    if (!dev) {
        *error = g_strdup_printf("%s: device disappeared", address);
        return -ENODEV;
    }
    g_autofree char *path = g_build_filename(udev_device_get_syspath(dev), attr, NULL);
    udev_device_unref(dev);
    int r = sysfs_write(path, value);
    if (r < 0)
        *error =
            g_strdup_printf("%s: writing '%s' to %s: %s", address, value, attr, g_strerror(-r));
    return r;
}

static void
current_driver(struct udev *udev, const char *address, char *out, size_t size)
{
    struct pci_info info;
    out[0] = '\0';
    if (pci_read(udev, address, &info) == 0)
        copy(out, size, info.driver);
}

static long long
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Poll the driver link until it names `want` ("" = no driver); the kernel binds
 * asynchronously for some drivers, so a fixed sleep would be either slow or wrong. */
static bool
wait_driver(struct udev *udev, const char *address, const char *want, int timeout_ms, char *got,
            size_t size)
{
    long long deadline = now_ms() + timeout_ms;
    for (;;) {
        current_driver(udev, address, got, size);
        if (strcmp(got, want) == 0)
            return true;
        if (now_ms() >= deadline)
            return false;
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

static int
unbind_current(struct udev *udev, const char *address, int timeout_ms, char **error)
{
    char drv[64], got[64];
    current_driver(udev, address, drv, sizeof(drv));
    if (!drv[0])
        return 0;
    int r = write_attr(udev, address, "driver/unbind", address, error);
    if (r < 0)
        return r;
    if (!wait_driver(udev, address, "", timeout_ms, got, sizeof(got))) {
        *error = g_strdup_printf("%s: still bound to %s after unbind", address, got);
        return -ETIMEDOUT;
    }
    return 0;
}

static int
probe(const char *address, char **error)
{
    int r = sysfs_write("/sys/bus/pci/drivers_probe", address);
    if (r < 0)
        *error = g_strdup_printf("%s: writing to /sys/bus/pci/drivers_probe: %s", address,
                                 g_strerror(-r));
    return r;
}

int
pci_bind(struct udev *udev, const char *address, const char *driver, int timeout_ms, char **error)
{
    char got[64];
    int r = write_attr(udev, address, "driver_override", driver, error);
    if (r < 0)
        return r;
    current_driver(udev, address, got, sizeof(got));
    if (strcmp(got, driver) == 0)
        return 0;
    if ((r = unbind_current(udev, address, timeout_ms, error)) < 0 ||
        (r = probe(address, error)) < 0)
        return r;
    if (!wait_driver(udev, address, driver, timeout_ms, got, sizeof(got))) {
        *error = g_strdup_printf("%s: %s did not take the device within %d ms (driver: %s)",
                                 address, driver, timeout_ms, got[0] ? got : "none");
        return -ETIMEDOUT;
    }
    return 0;
}

int
pci_restore(struct udev *udev, const char *address, const char *driver, const char *override,
            int timeout_ms, char **error)
{
    char got[64];
    /* The kernel clears driver_override on an empty write ("\n"). */
    int r = write_attr(udev, address, "driver_override", override[0] ? override : "\n", error);
    if (r < 0)
        return r;
    current_driver(udev, address, got, sizeof(got));
    if (strcmp(got, driver) == 0)
        return 0;
    if ((r = unbind_current(udev, address, timeout_ms, error)) < 0)
        return r;
    if (!driver[0])
        return 0;
    if ((r = probe(address, error)) < 0)
        return r;
    if (!wait_driver(udev, address, driver, timeout_ms, got, sizeof(got))) {
        *error = g_strdup_printf("%s: host driver %s did not take the device back within %d ms "
                                 "(driver: %s)",
                                 address, driver, timeout_ms, got[0] ? got : "none");
        return -ETIMEDOUT;
    }
    return 0;
}

char **
pci_fb_consoles(struct udev *udev)
{
    GPtrArray *out = g_ptr_array_new();
    struct udev_enumerate *e = udev_enumerate_new(udev);
    if (e) {
        udev_enumerate_add_match_subsystem(e, "vtconsole");
        if (udev_enumerate_scan_devices(e) >= 0) {
            struct udev_list_entry *entry;
            udev_list_entry_foreach(entry, udev_enumerate_get_list_entry(e))
            {
                struct udev_device *dev =
                    udev_device_new_from_syspath(udev, udev_list_entry_get_name(entry));
                if (!dev)
                    continue;
                const char *name = udev_device_get_sysattr_value(dev, "name");
                const char *bind = udev_device_get_sysattr_value(dev, "bind");
                if (name && strstr(name, "frame buffer") && bind && bind[0] == '1')
                    g_ptr_array_add(out, g_strdup(udev_device_get_sysname(dev)));
                udev_device_unref(dev);
            }
        }
        udev_enumerate_unref(e);
    }
    g_ptr_array_sort(out, compare_names);
    g_ptr_array_add(out, NULL);
    return (char **)g_ptr_array_free(out, FALSE);
}

int
pci_console_bind(struct udev *udev, const char *sysname, bool bind, char **error)
{
    if (strchr(sysname, '/') || sysname[0] == '.') {
        *error = g_strdup_printf("'%s' is not a console name", sysname);
        return -EINVAL;
    }
    g_autofree char *syspath = g_build_filename("/sys/class/vtconsole", sysname, NULL);
    struct udev_device *dev = udev_device_new_from_syspath(udev, syspath);
    if (!dev) {
        *error = g_strdup_printf("%s: no such virtual console", sysname);
        return -ENODEV;
    }
    g_autofree char *path = g_build_filename(udev_device_get_syspath(dev), "bind", NULL);
    udev_device_unref(dev);
    int r = sysfs_write(path, bind ? "1" : "0");
    if (r < 0)
        *error = g_strdup_printf("%s: writing %d to bind: %s", sysname, bind, g_strerror(-r));
    return r;
}

bool
pci_driver_loaded(struct udev *udev, const char *driver)
{
    (void)udev;
    g_autofree char *path = g_build_filename("/sys/bus/pci/drivers", driver, NULL);
    return access(path, F_OK) == 0;
}
