/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The compiled realm database's file format: what db-write.c (sdvm-cat build, offline) writes
 * and db-read.c (sdvmd, on the terminal) reads. Private to those two files.
 *
 * File layout (all integers little-endian):
 *
 *   header, 64 bytes:
 *     0  magic "SDVMCATD"          8  u32 version (1)        12 u32 header size (64)
 *     16 u64 created (Unix time)   24 u32 realms  28 u32 profiles  32 u32 certs
 *     36 u32 meta raw length       40 u32 meta zlib length
 *     44 u32 certs raw length      48 u32 certs zlib length
 *     52 u32 strings raw length    56 u32 strings zlib length
 *     60 u32 CRC-32 of bytes 0..59
 *   meta:    zlib stream (realm index, profiles, cert table, lists, string blocks, keys)
 *   strings: one zlib stream per 16 KiB block of the string area
 *   certs:   zlib stream (the DER of every distinct certificate, concatenated)
 *
 * meta, once inflated:
 *     9 u32: realm table, profile table, cert table, list words offset, list word count,
 *            key area offset, key area length, block table offset, block count
 *            (offsets from the start of meta)
 *     realms:   n_realms × { u32 key (key area offset), u32 profile }  sorted by key (strcmp)
 *     profiles: n_profiles × 64 bytes (see PROF_* below)
 *     certs:    n_certs × { u32 der offset, u32 der length, u32 subject, 32 bytes SHA-256 }
 *     lists:    u32 words (cert indexes and server-name string offsets of the profiles)
 *     blocks:   block count + 1 u32: where each string block starts in the strings section
 *     keys:     the realm keys, NUL-terminated
 *
 * Strings (names, helpdesk, server names, subjects) live in the string area: NUL-terminated,
 * never crossing a 16 KiB block boundary; offset 0 is the empty string and means "none".
 */
#ifndef SDVM_CAT_DB_FORMAT_H
#define SDVM_CAT_DB_FORMAT_H

#include <stdint.h>

#define CAT_DB_MAGIC "SDVMCATD"
#define CAT_DB_VERSION 1u
#define CAT_DB_MAX_FILE (256u * 1024u * 1024u)

#define HEADER_SIZE 64u
#define META_HEAD 36u
#define STR_BLOCK 16384u
#define REALM_REC 8u
#define PROF_REC 64u
#define CERT_REC 44u

/* Profile record layout. */
enum {
    PROF_SOURCE = 0,
    PROF_ID = 4,
    PROF_DISPLAY = 8,
    PROF_EMAIL = 12,
    PROF_PHONE = 16,
    PROF_URL = 20,
    PROF_OUTER = 24,
    PROF_SUFFIX = 28,
    PROF_REASON = 32,
    PROF_CERT_LIST = 36,
    PROF_CERT_N = 40,
    PROF_SERVER_LIST = 44,
    PROF_SERVER_N = 48,
    PROF_VALID_UNTIL = 52, /* i64 */
    PROF_EAP = 60,
    PROF_INNER = 61,
    PROF_FAILURE = 62,
    PROF_FLAGS = 63, /* enum cat_db_flags (cat-private.h) */
};

static inline uint32_t
rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t
rd64(const unsigned char *p)
{
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static inline void
wr32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static inline void
wr64(unsigned char *p, uint64_t v)
{
    wr32(p, (uint32_t)v);
    wr32(p + 4, (uint32_t)(v >> 32));
}

#endif
