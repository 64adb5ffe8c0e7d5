/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Writing one value to a kernel knob (sysfs, /proc/sys), the one way every step does it. */
#ifndef SDVM_DEVICES_SYSFS_H
#define SDVM_DEVICES_SYSFS_H

/* Write value (no newline added) in one write(): 0, or -errno (-EIO for a short write). */
int sysfs_write(const char *path, const char *value);

#endif
