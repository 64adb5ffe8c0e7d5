/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "throttle.h"

#include <stdlib.h>

struct sdvmd_throttle {
    unsigned after;
    uint64_t base_ms;
    uint64_t max_ms;
    unsigned failures;       /* consecutive credential failures */
    uint64_t last_failure_ms;
};

sdvmd_throttle *
sdvmd_throttle_new(unsigned after, unsigned base_s, unsigned max_s)
{
    sdvmd_throttle *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->after = after;
    t->base_ms = (uint64_t)base_s * 1000;
    t->max_ms = (uint64_t)(max_s < base_s ? base_s : max_s) * 1000;
    return t;
}

void
sdvmd_throttle_free(sdvmd_throttle *t)
{
    free(t);
}

static uint64_t
current_delay_ms(const sdvmd_throttle *t)
{
    if (t->after == 0 || t->failures < t->after)
        return 0;
    unsigned doublings = t->failures - t->after;
    uint64_t delay = t->base_ms;
    while (doublings-- > 0 && delay < t->max_ms)
        delay *= 2;
    return delay < t->max_ms ? delay : t->max_ms;
}

uint32_t
sdvmd_throttle_wait_s(const sdvmd_throttle *t, uint64_t now_ms)
{
    uint64_t delay = current_delay_ms(t);
    if (delay == 0)
        return 0;
    uint64_t until = t->last_failure_ms + delay;
    if (now_ms >= until)
        return 0;
    return (uint32_t)((until - now_ms + 999) / 1000);
}

/* Guessing shows as wrong credentials; a cable pulled or a realm typo is not guessing. */
static int
counts_as_guess(enum sdvm_failure outcome)
{
    return outcome == SDVM_FAILURE_BAD_CREDENTIALS;
}

void
sdvmd_throttle_record(sdvmd_throttle *t, enum sdvm_failure outcome, uint64_t now_ms)
{
    if (outcome == SDVM_FAILURE_NONE) {
        t->failures = 0;
        return;
    }
    if (!counts_as_guess(outcome))
        return;
    if (t->failures < UINT32_MAX)
        t->failures++;
    t->last_failure_ms = now_ms;
}

unsigned
sdvmd_throttle_failures(const sdvmd_throttle *t)
{
    return t->failures;
}
