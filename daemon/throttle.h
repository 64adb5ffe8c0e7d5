/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Slow-down after repeated failed logins on this terminal, so a terminal cannot be used to
 * guess passwords fast. After `after` consecutive credential failures, each further attempt
 * must wait base * 2^(failures - after) seconds (capped at max) counted from the last failure.
 * A successful login resets the count. Time is passed in (monotonic ms) so tests control it.
 */
#ifndef SDVM_DAEMON_THROTTLE_H
#define SDVM_DAEMON_THROTTLE_H

#include <stdint.h>

#include "sdvm-failure.h"

typedef struct sdvmd_throttle sdvmd_throttle;

/* after = 0 disables throttling. Returns NULL on allocation failure. */
sdvmd_throttle *sdvmd_throttle_new(unsigned after, unsigned base_s, unsigned max_s);
void sdvmd_throttle_free(sdvmd_throttle *throttle);

/* Seconds to wait before a login may start (0 = now), rounded up. */
uint32_t sdvmd_throttle_wait_s(const sdvmd_throttle *throttle, uint64_t now_ms);

/* Record how a login ended. Only failures that say "wrong credentials" count. */
void sdvmd_throttle_record(sdvmd_throttle *throttle, enum sdvm_failure outcome, uint64_t now_ms);

unsigned sdvmd_throttle_failures(const sdvmd_throttle *throttle);

#endif
