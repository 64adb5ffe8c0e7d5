/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Machine tables (machines.d/<name>.conf): which terminal model gets which passthrough
 * devices, memory, CPU topology and QEMU options. INI, read with GKeyFile; unknown keys and
 * bad values are refused naming the file, section and key. Format: machines.d(5) section of
 * run-guest(8).
 */
#ifndef SDVM_DEVICES_TABLE_H
#define SDVM_DEVICES_TABLE_H

#include <stdbool.h>
#include <stddef.h>

enum hugepages_mode {
    HUGEPAGES_OFF = 0,
    HUGEPAGES_PREFERRED, /* try; on failure run without, saying so loudly */
    HUGEPAGES_REQUIRED,  /* try; on failure refuse (exit HUGEPAGES) */
};

struct table_device {
    char *name;           /* the [Device NAME] section name */
    char address[16];     /* normalized "0000:00:02.0" */
    unsigned vendor;      /* 0x8086 */
    unsigned cls;         /* class to match, see cls_bits */
    unsigned cls_bits;    /* 8 (class), 16 (class+subclass) or 24 (with prog-if) */
    unsigned *device_ids; /* optional list of accepted device ids */
    size_t n_device_ids;
    char *guest_address; /* "0x02" or "0x1f.0x3" */
    char *options;       /* extra vfio-pci properties, appended after a comma, or NULL */
};

struct table_ostype {
    char *name;
    char *rtc;           /* -rtc value, or NULL for the default */
    char **qemu_options; /* extra argv elements, NULL-terminated, may be empty */
};

struct machine_table {
    char *name; /* file name without .conf */
    char *path; /* where it was read from */
    char *description;
    char **product_names; /* DMI product_name values this table is for (NULL-terminated) */
    char *qemu_machine;   /* -machine value, "pc" by default */
    char *bus;            /* bus for passthrough devices: pci.0 (pc) or pcie.0 (q35) */
    char *cpu;            /* -cpu value, "host" by default */
    unsigned sockets, cores, threads; /* 0 cores = all online host CPUs */
    unsigned memory_mib;              /* 0 = auto: host memory minus the host reserve */
    unsigned host_reserve_mib;
    enum hugepages_mode hugepages;
    unsigned hugepage_kib;
    char *hugepages_path;
    char **qemu_options; /* for every ostype */
    struct table_device *devices;
    size_t n_devices;
    struct table_ostype *ostypes;
    size_t n_ostypes;
};

/* Parse one table file. On error returns NULL and sets *error to a message naming the file,
 * section and key (caller frees). */
struct machine_table *table_load(const char *path, const char *name, char **error);
void table_free(struct machine_table *t);

/* "00:02.0" or "0000:00:02.0" -> "0000:00:02.0"; false when malformed. */
bool table_normalize_address(const char *in, char out[16]);

/* The ostype section for name, or NULL. */
const struct table_ostype *table_find_ostype(const struct machine_table *t, const char *ostype);

/* Whether class (24-bit, from sysfs) matches the device's expected class. */
bool table_device_class_matches(const struct table_device *d, unsigned cls);
bool table_device_id_matches(const struct table_device *d, unsigned device_id);

#endif
