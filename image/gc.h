/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Removing what no one needs any more, and nothing else:
 *   - a base (versions/<id>/<v>.qcow2, or a legacy <id>.qcow2 once the .ini names a version)
 *     that is not the catalog's active one, that no user's disk is made on (retired disks
 *     count: they are evicted first by the space rule, and their base goes after them) and
 *     that no running guest holds open;
 *   - a staging directory whose version is active (its file is linked into versions/), or
 *     that an activation of another version has superseded. A partial download of the
 *     version still being published is kept: the next fetch resumes it.
 * Each removal is one unlink of a name nothing refers to, so a crash in the middle leaves a
 * consistent tree.
 */
#ifndef SDVM_IMAGE_GC_H
#define SDVM_IMAGE_GC_H

#include <stdbool.h>

#include "sdvm/config.h"

struct gc_report {
    unsigned removed, kept_disks, kept_in_use, staging_removed;
};

/* print: one line per decision on stdout. skip_staging: another fetch holds the lock. */
int gc_run(const struct sdvm_config *cfg, bool dry_run, bool print, bool skip_staging,
           struct gc_report *report);

#endif
