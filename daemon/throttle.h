/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Slow-down after repeated failed logins, so a terminal cannot be used to guess passwords
 * fast. Two counters (review L2): one per login (keyed by the user id, so no NAI is kept
 * here) and one for the terminal, whose threshold is SDVMD_THROTTLE_TERMINAL_FACTOR times
 * higher (guessing across many logins). After `after` failures, each further attempt waits
 * base * 2^(failures - after) seconds (capped at max) counted from the last failure; the
 * longer of the two waits applies.
 *
 * An attempt is counted when it starts talking to the network (sdvmd_throttle_begin()), not
 * when it fails: cancelling or disconnecting before the verdict (which arrives later for a
 * wrong password than for a right one) is a guess too. sdvmd_throttle_end() gives the attempt
 * back when it ended in a way that is not a guess (no carrier, realm typo) and resets the
 * login's own counter on its success; a success never resets the terminal's counter or
 * another login's. A counter is forgotten after 2 * max seconds without a failure. The
 * counters live as long as the daemon (a reload only changes the parameters).
 * Time is passed in (monotonic ms) so tests control it.
 */
#ifndef SDVM_DAEMON_THROTTLE_H
#define SDVM_DAEMON_THROTTLE_H

#include <stdint.h>

#include "sdvm-failure.h"

#define SDVMD_THROTTLE_TERMINAL_FACTOR 4u
#define SDVMD_THROTTLE_LOGINS 64u /* logins remembered; the oldest is forgotten first */

typedef struct sdvmd_throttle sdvmd_throttle;

/* after = 0 disables throttling. Returns NULL on allocation failure. */
sdvmd_throttle *sdvmd_throttle_new(unsigned after, unsigned base_s, unsigned max_s);
/* New parameters (sdvm.conf reloaded); the counts are kept. */
void sdvmd_throttle_configure(sdvmd_throttle *throttle, unsigned after, unsigned base_s,
                              unsigned max_s);
void sdvmd_throttle_free(sdvmd_throttle *throttle);

/* Seconds `who` (a user id) must wait before a login may start (0 = now), rounded up. */
uint32_t sdvmd_throttle_wait_s(sdvmd_throttle *throttle, const char *who, uint64_t now_ms);

/* The attempt of `who` reached the network: counted as a failure until it ends otherwise. */
void sdvmd_throttle_begin(sdvmd_throttle *throttle, const char *who, uint64_t now_ms);
/* How it ended: NONE resets who's counter; BAD_CREDENTIALS and CANCELLED (abandoned) stay
 * counted; anything else is given back. */
void sdvmd_throttle_end(sdvmd_throttle *throttle, const char *who, enum sdvm_failure outcome,
                        uint64_t now_ms);

unsigned sdvmd_throttle_failures(const sdvmd_throttle *throttle, const char *who);
unsigned sdvmd_throttle_terminal_failures(const sdvmd_throttle *throttle);

#endif
