/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal: where each section header and key of a GLib key file is. GKeyFile parses values
 * but reports no line numbers; this scanner follows the same grammar so errors can name the
 * line, and refuses what GKeyFile would silently accept (a key before any section).
 */
#ifndef SDVM_INI_LINES_H
#define SDVM_INI_LINES_H

#include <stddef.h>

#include <glib.h>

struct sdvm_ini_line {
    char *section; /* NULL for a section header line */
    char *name;    /* the section name (header line) or the key */
    unsigned line; /* 1-based */
};

/*
 * Scan data[0..len) (valid UTF-8, no NUL: check first). Returns an array of struct
 * sdvm_ini_line in file order (free with g_array_unref), or NULL with *bad_line and
 * *message (to g_free) describing the first line that is not blank, a '#' comment, a
 * "[Section]" header or a "Key=Value" inside a section; *bad_section is the section the
 * bad line is in and *bad_key the key it names (to g_free; each may be NULL).
 */
GArray *sdvm_ini_scan(const char *data, size_t len, unsigned *bad_line, char **bad_section,
                      char **bad_key, char **message);

/* 1-based line number of the byte at `at`. */
unsigned sdvm_ini_line_of(const char *data, const char *at);

#endif
