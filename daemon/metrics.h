/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sdvmd's Prometheus metrics, written for the node exporter's textfile collector: the whole
 * exposition is rendered into [Metrics] Textfile (a .prom file in the collector's directory)
 * through a temporary file and a rename, after each login and session event and every
 * 15 seconds (for the gauges: free space, the CAT database's age, fetch progress).
 *
 * Why a file and not an HTTP endpoint: sdvmd runs as root and answers on a socket only
 * root and the greeter may use; a listener that anyone on the lab network can reach would be
 * the daemon's only network-facing parser. The lab runs the node exporter already (the
 * thesis's Prometheus graphs of every terminal's traffic came from it), which serves the
 * file unprivileged, with its own TLS and auth options. Off when Textfile is empty.
 *
 * Counters start at 0 when sdvmd starts; Prometheus's rate() and increase() handle the reset.
 */
#ifndef SDVMD_METRICS_H
#define SDVMD_METRICS_H

#include <stdint.h>

#include "sdvm-failure.h"
#include "sdvm/catalog.h"
#include "sdvm/config.h"

typedef struct sdvmd_metrics sdvmd_metrics;

enum sdvmd_duration {
    SDVMD_DURATION_8021X = 0, /* login start to the network's verdict */
    SDVMD_DURATION_DISK,      /* the user's disk: space rule, create or reuse */
    SDVMD_DURATION_GUEST_START, /* disk ready to run-guest started (the greeter's exit) */
    SDVMD_DURATION_COUNT,
};

sdvmd_metrics *sdvmd_metrics_new(void);
void sdvmd_metrics_free(sdvmd_metrics *m);

/* A login attempt's outcome (NONE = authenticated and launched). */
void sdvmd_metrics_login(sdvmd_metrics *m, enum sdvm_failure failure);
void sdvmd_metrics_duration(sdvmd_metrics *m, enum sdvmd_duration which, double seconds);
void sdvmd_metrics_evicted(sdvmd_metrics *m, uint64_t disks, uint64_t bytes);
void sdvmd_metrics_session_started(sdvmd_metrics *m);
void sdvmd_metrics_session_ended(sdvmd_metrics *m, double seconds);
void sdvmd_metrics_set_greeter_restarts(sdvmd_metrics *m, uint64_t restarts);

/* The exposition text (g_free), with the gauges read now from cfg's paths and the catalog. */
char *sdvmd_metrics_render(const sdvmd_metrics *m, const struct sdvm_config *cfg,
                           const sdvm_catalog *catalog);
/* Render and replace cfg->metrics.textfile; nothing when it is "". 0 or -errno. */
int sdvmd_metrics_write(const sdvmd_metrics *m, const struct sdvm_config *cfg,
                        const sdvm_catalog *catalog);

#endif
