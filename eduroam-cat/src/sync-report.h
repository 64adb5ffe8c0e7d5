/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sdvm-cat sync's database comparisons (sync-report.c), for sync.c. */
#ifndef SDVM_CAT_SYNC_REPORT_H
#define SDVM_CAT_SYNC_REPORT_H

#include <time.h>

#include <jansson.h>

struct cat_db;

/*
 * Sets realms_added, realms_removed (arrays of realm keys) and realms_changed (objects:
 * realm, ca, server_names, usable) of out: cur against old (NULL: no previous database, every
 * realm is added). 0 or -errno.
 */
int cat_sync_compare(struct cat_db *old, struct cat_db *cur, json_t *out);

/*
 * Sets ca_expiring of out: one object (realm, source, subject, not_after, days_left) per
 * usable realm and CA certificate whose notAfter is less than days days after now.
 */
int cat_sync_expiring(struct cat_db *cur, time_t now, unsigned days, json_t *out);

#endif
