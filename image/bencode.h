/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Just enough bencode (BEP 3) to check a .torrent against the manifest: where the info
 * dictionary's bytes are (its SHA-1 is the info hash), and its single file's name and length.
 * The input is untrusted until the info hash matches: bounded depth, every length checked.
 */
#ifndef SDVM_IMAGE_BENCODE_H
#define SDVM_IMAGE_BENCODE_H

#include <stddef.h>
#include <stdint.h>

struct torrent_info {
    size_t info_offset, info_len; /* the info dictionary, as bytes of the file */
    char *name;                   /* info.name (g_free); NULL when absent */
    uint64_t length;              /* info.length (single-file torrents); 0 when absent */
    uint64_t piece_length;
};

/*
 * The torrent without its web seeds (the top-level "url-list", BEP 19; outside the info
 * dictionary, so the info hash stays): *out (g_free) and the URLs in *urls (g_strfreev,
 * NULL-terminated, maybe empty). 0 or -EINVAL.
 */
int bencode_strip_web_seeds(const void *data, size_t len, char **out, size_t *out_len,
                            char ***urls);

/* 0 and *out, or -EINVAL (not a single-file torrent, malformed). */
int bencode_torrent_info(const void *data, size_t len, struct torrent_info *out);
void torrent_info_clear(struct torrent_info *t);

#endif
