/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "sdvm/qcow2.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define QCOW2_MAGIC 0x514649fbu /* "QFI\xfb" */
#define EXT_END 0x00000000u
#define EXT_BACKING_FORMAT 0xe2792acau
/* Base stamp payload: version (1), reserved, inode, size, mtime in ns. */
#define BASE_STAMP_VERSION 1
#define BASE_STAMP_LENGTH 32

#define CLUSTER_BITS 16
#define CLUSTER_SIZE (UINT64_C(1) << CLUSTER_BITS)
#define V3_HEADER_LENGTH 112
#define V2_HEADER_LENGTH 72

/* Incompatible feature bits this code knows (dirty, corrupt, external data file,
 * compression type, extended L2). */
#define KNOWN_INCOMPATIBLE UINT64_C(0x1f)

/* The largest overlay we write: 64 TiB (a 1 MiB L1 table). */
#define MAX_VIRTUAL_SIZE (UINT64_C(64) << 40)

static uint32_t
get32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t
get64(const unsigned char *p)
{
    return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static void
put16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

static void
put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static void
put64(unsigned char *p, uint64_t v)
{
    put32(p, (uint32_t)(v >> 32));
    put32(p + 4, (uint32_t)v);
}

/* pread exactly len bytes; -EINVAL on a short file. */
static int
read_at(int fd, void *buf, size_t len, uint64_t off)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread(fd, (char *)buf + done, len - done, (off_t)(off + done));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0)
            return -EINVAL;
        done += (size_t)n;
    }
    return 0;
}

static int
write_at(int fd, const void *buf, size_t len, uint64_t off)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = pwrite(fd, (const char *)buf + done, len - done, (off_t)(off + done));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        done += (size_t)n;
    }
    return 0;
}

int
sdvm_qcow2_read_info(int fd, struct sdvm_qcow2_info *info)
{
    if (fd < 0 || !info)
        return -EINVAL;
    memset(info, 0, sizeof(*info));
    unsigned char h[V3_HEADER_LENGTH];
    int r = read_at(fd, h, V2_HEADER_LENGTH, 0);
    if (r < 0)
        return r;
    if (get32(h) != QCOW2_MAGIC)
        return -EINVAL;
    info->version = get32(h + 4);
    if (info->version != 2 && info->version != 3)
        return -EINVAL;
    uint64_t backing_offset = get64(h + 8);
    uint32_t backing_size = get32(h + 16);
    info->cluster_bits = get32(h + 20);
    info->virtual_size = get64(h + 24);
    info->encrypted = get32(h + 32) != 0;
    if (info->cluster_bits < 9 || info->cluster_bits > 21)
        return -EINVAL;
    uint64_t cluster_size = UINT64_C(1) << info->cluster_bits;

    uint32_t header_length = V2_HEADER_LENGTH;
    if (info->version == 3) {
        r = read_at(fd, h + V2_HEADER_LENGTH, 104 - V2_HEADER_LENGTH, V2_HEADER_LENGTH);
        if (r < 0)
            return r;
        info->incompatible_features = get64(h + 72);
        header_length = get32(h + 100);
        if (header_length < 104 || header_length % 8 || header_length > cluster_size)
            return -EINVAL;
    }
    info->dirty = info->incompatible_features & 1;
    info->corrupt = (info->incompatible_features >> 1) & 1;
    info->unknown_features = (info->incompatible_features & ~KNOWN_INCOMPATIBLE) != 0;

    /* Header extensions, up to the end marker, all inside cluster 0. */
    uint64_t off = header_length;
    for (;;) {
        unsigned char ext[8];
        if (off + 8 > cluster_size)
            return -EINVAL;
        r = read_at(fd, ext, 8, off);
        if (r < 0)
            return r;
        uint32_t type = get32(ext), len = get32(ext + 4);
        off += 8;
        if (type == EXT_END)
            break;
        if (off + len > cluster_size)
            return -EINVAL;
        if (type == SDVM_QCOW2_EXT_BASE_STAMP && len == BASE_STAMP_LENGTH) {
            unsigned char b[BASE_STAMP_LENGTH];
            r = read_at(fd, b, sizeof(b), off);
            if (r < 0)
                return r;
            /* Another version of the stamp is one this reader cannot compare: as if absent. */
            if (get32(b) == BASE_STAMP_VERSION) {
                info->has_base_stamp = true;
                info->base_stamp.inode = get64(b + 8);
                info->base_stamp.size = get64(b + 16);
                info->base_stamp.mtime_ns = (int64_t)get64(b + 24);
            }
        } else if (type == EXT_BACKING_FORMAT) {
            if (len >= sizeof(info->backing_format))
                return -EINVAL;
            r = read_at(fd, info->backing_format, len, off);
            if (r < 0)
                return r;
            info->backing_format[len] = '\0';
        }
        off += ((uint64_t)len + 7) & ~UINT64_C(7);
    }

    if (backing_offset) {
        if (backing_size > SDVM_QCOW2_MAX_BACKING || backing_offset + backing_size > cluster_size)
            return -EINVAL;
        r = read_at(fd, info->backing_file, backing_size, backing_offset);
        if (r < 0)
            return r;
        info->backing_file[backing_size] = '\0';
        if (strlen(info->backing_file) != backing_size)
            return -EINVAL; /* an embedded NUL */
    }
    return 0;
}

int
sdvm_qcow2_read_info_path(const char *path, struct sdvm_qcow2_info *info)
{
    if (!path)
        return -EINVAL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return -errno;
    int r = sdvm_qcow2_read_info(fd, info);
    close(fd);
    return r;
}

int
sdvm_qcow2_base_stamp_of(int fd, struct sdvm_qcow2_base_stamp *stamp)
{
    struct stat st;
    if (!stamp || fstat(fd, &st) < 0)
        return stamp ? -errno : -EINVAL;
    stamp->inode = (uint64_t)st.st_ino;
    stamp->size = (uint64_t)st.st_size;
    stamp->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    return 0;
}

bool
sdvm_qcow2_base_stamp_equal(const struct sdvm_qcow2_base_stamp *a,
                            const struct sdvm_qcow2_base_stamp *b)
{
    return a->inode == b->inode && a->size == b->size && a->mtime_ns == b->mtime_ns;
}

/* One L1 entry maps cluster_size * (cluster_size / 8) bytes: 512 MiB at 64 KiB clusters. */
static uint64_t
l1_entries(uint64_t virtual_size)
{
    uint64_t per_entry = CLUSTER_SIZE * (CLUSTER_SIZE / 8);
    return (virtual_size + per_entry - 1) / per_entry;
}

#define REFCOUNT_TABLE_OFFSET (1 * CLUSTER_SIZE)
#define REFCOUNT_BLOCK_OFFSET (2 * CLUSTER_SIZE)
#define L1_OFFSET (3 * CLUSTER_SIZE)

uint64_t
sdvm_qcow2_overlay_length(uint64_t virtual_size)
{
    return L1_OFFSET + l1_entries(virtual_size) * 8;
}

int
sdvm_qcow2_write_overlay(int fd, uint64_t virtual_size, const char *backing_path,
                         const char *backing_format, const struct sdvm_qcow2_base_stamp *base_stamp)
{
    if (fd < 0 || !backing_path || !backing_format || backing_path[0] != '/')
        return -EINVAL;
    if (virtual_size == 0 || virtual_size > MAX_VIRTUAL_SIZE || virtual_size % 512)
        return -EINVAL;
    size_t backing_len = strlen(backing_path);
    size_t format_len = strlen(backing_format);
    if (backing_len > SDVM_QCOW2_MAX_BACKING || format_len == 0 || format_len > 16)
        return -EINVAL;

    uint64_t l1_size = l1_entries(virtual_size);
    uint64_t l1_clusters = (l1_size * 8 + CLUSTER_SIZE - 1) / CLUSTER_SIZE;
    uint64_t clusters = 3 + l1_clusters; /* header, refcount table, refcount block, L1 */

    /* Cluster 0: header, backing-format extension, base stamp extension (when asked for),
     * end marker, backing file name. */
    unsigned char h[V3_HEADER_LENGTH + 8 + 24 + 8 + BASE_STAMP_LENGTH + 8 + SDVM_QCOW2_MAX_BACKING];
    memset(h, 0, sizeof(h));
    size_t ext_off = V3_HEADER_LENGTH;
    size_t ext_padded = (format_len + 7) & ~(size_t)7;
    size_t stamp_off = ext_off + 8 + ext_padded;
    size_t end_off = stamp_off + (base_stamp ? 8 + BASE_STAMP_LENGTH : 0);
    size_t name_off = end_off + 8;
    put32(h + 0, QCOW2_MAGIC);
    put32(h + 4, 3);
    put64(h + 8, name_off);
    put32(h + 16, (uint32_t)backing_len);
    put32(h + 20, CLUSTER_BITS);
    put64(h + 24, virtual_size);
    put32(h + 32, 0); /* no encryption */
    put32(h + 36, (uint32_t)l1_size);
    put64(h + 40, L1_OFFSET);
    put64(h + 48, REFCOUNT_TABLE_OFFSET);
    put32(h + 56, 1); /* refcount table clusters */
    /* 60..71: no snapshots; 72..95: no feature bits. */
    put32(h + 96, 4); /* refcount_order: 16-bit refcounts */
    put32(h + 100, V3_HEADER_LENGTH);
    /* 104: compression type zlib (0), then padding to 112. */
    put32(h + ext_off, EXT_BACKING_FORMAT);
    put32(h + ext_off + 4, (uint32_t)format_len);
    memcpy(h + ext_off + 8, backing_format, format_len);
    if (base_stamp) {
        put32(h + stamp_off, SDVM_QCOW2_EXT_BASE_STAMP);
        put32(h + stamp_off + 4, BASE_STAMP_LENGTH);
        put32(h + stamp_off + 8, BASE_STAMP_VERSION);
        put64(h + stamp_off + 16, base_stamp->inode);
        put64(h + stamp_off + 24, base_stamp->size);
        put64(h + stamp_off + 32, (uint64_t)base_stamp->mtime_ns);
    }
    /* end marker at end_off is zeros */
    memcpy(h + name_off, backing_path, backing_len);

    int r = write_at(fd, h, name_off + backing_len, 0);
    if (r < 0)
        return r;

    unsigned char table[8];
    put64(table, REFCOUNT_BLOCK_OFFSET);
    r = write_at(fd, table, sizeof(table), REFCOUNT_TABLE_OFFSET);
    if (r < 0)
        return r;

    /* At most 3 + 16 clusters: one refcount block holds 32768 entries. */
    unsigned char block[2 * 32];
    size_t block_len = (size_t)clusters * 2;
    if (block_len > sizeof(block))
        return -EINVAL;
    for (uint64_t i = 0; i < clusters; i++)
        put16(block + 2 * i, 1);
    r = write_at(fd, block, block_len, REFCOUNT_BLOCK_OFFSET);
    if (r < 0)
        return r;

    /* The L1 table is all zeros: unallocated, reads fall through to the backing file. */
    if (ftruncate(fd, (off_t)sdvm_qcow2_overlay_length(virtual_size)) < 0)
        return -errno;
    return 0;
}
