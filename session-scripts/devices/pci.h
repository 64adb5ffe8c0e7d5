/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Host PCI devices through libudev: what a device is, which driver holds it, its IOMMU group,
 * and the driver_override / unbind / drivers_probe steps that move it to vfio-pci and back.
 * Every path comes from libudev's syspath, so the whole module runs against an umockdev
 * testbed unchanged.
 */
#ifndef SDVM_DEVICES_PCI_H
#define SDVM_DEVICES_PCI_H

#include <stdbool.h>
#include <stddef.h>

struct udev;

struct pci_info {
    char address[16]; /* 0000:00:02.0 */
    unsigned vendor, device, cls;
    char driver[64];   /* "" when no driver is bound */
    char override[64]; /* driver_override, "" when unset */
    char group[32];    /* IOMMU group number, "" when the device has none */
};

/* Read one device. -ENODEV when it does not exist, -EIO when its attributes are unreadable. */
int pci_read(struct udev *udev, const char *address, struct pci_info *out);

/* Every PCI device in IOMMU group `group` (sorted by address). *out freed by the caller. */
int pci_group_members(struct udev *udev, const char *group, struct pci_info **out, size_t *n);

/* Whether a device's class makes it a PCI bridge (class 0x0604), which may stay on its host
 * driver (pcieport) inside a group handed to vfio, as the kernel's vfio allows. */
bool pci_is_bridge(const struct pci_info *info);

/* DMI product_name (trimmed), or NULL when the machine has no DMI (*error set). */
char *pci_dmi_product_name(struct udev *udev, char **error);

/* Move the device to `driver` (vfio-pci): driver_override, unbind the current driver,
 * drivers_probe, then wait until the driver link names `driver`. -ETIMEDOUT when it did
 * not; *error says which step failed. */
int pci_bind(struct udev *udev, const char *address, const char *driver, int timeout_ms,
             char **error);

/* Give the device back: set driver_override to `override` ("" clears it), unbind whatever
 * holds it, and when `driver` is not empty probe and wait until `driver` holds it. */
int pci_restore(struct udev *udev, const char *address, const char *driver, const char *override,
                int timeout_ms, char **error);

/* Virtual consoles bound to a frame buffer (fbcon on the iGPU's framebuffer): their sysnames
 * ("vtcon1"), NULL-terminated (g_strfreev). A display device cannot leave its host driver
 * cleanly while the console still draws on it. */
char **pci_fb_consoles(struct udev *udev);

/* Unbind (bind=false) or bind a virtual console: its "bind" attribute. */
int pci_console_bind(struct udev *udev, const char *sysname, bool bind, char **error);

/* Whether /sys/bus/pci/drivers/<driver> exists (the module is loaded). */
bool pci_driver_loaded(struct udev *udev, const char *driver);

#endif
