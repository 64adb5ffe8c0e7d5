/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "throttle.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct counter {
    unsigned failures;
    uint64_t last_failure_ms;
};

struct login_counter {
    char who[64]; /* a user id (43 characters); "" = free slot */
    struct counter c;
};

struct sdvmd_throttle {
    unsigned after;
    uint64_t base_ms;
    uint64_t max_ms;
    struct counter terminal;
    struct login_counter logins[SDVMD_THROTTLE_LOGINS];
};

sdvmd_throttle *
sdvmd_throttle_new(unsigned after, unsigned base_s, unsigned max_s)
{
    sdvmd_throttle *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    sdvmd_throttle_configure(t, after, base_s, max_s);
    return t;
}

void
sdvmd_throttle_configure(sdvmd_throttle *t, unsigned after, unsigned base_s, unsigned max_s)
{
    t->after = after;
    t->base_ms = (uint64_t)base_s * 1000;
    t->max_ms = (uint64_t)(max_s < base_s ? base_s : max_s) * 1000;
}

void
sdvmd_throttle_free(sdvmd_throttle *t)
{
    free(t);
}

/* A counter quiet for twice the longest wait starts again from zero. */
static void
forget_old(const sdvmd_throttle *t, struct counter *c, uint64_t now_ms)
{
    if (c->failures && now_ms >= c->last_failure_ms + 2 * t->max_ms)
        c->failures = 0;
}

static uint64_t
delay_ms(const sdvmd_throttle *t, const struct counter *c, unsigned after)
{
    if (after == 0 || c->failures < after)
        return 0;
    unsigned doublings = c->failures - after;
    uint64_t delay = t->base_ms;
    while (doublings-- > 0 && delay < t->max_ms)
        delay *= 2;
    return delay < t->max_ms ? delay : t->max_ms;
}

static uint64_t
wait_ms(const sdvmd_throttle *t, const struct counter *c, unsigned after, uint64_t now_ms)
{
    uint64_t until = c->last_failure_ms + delay_ms(t, c, after);
    return now_ms >= until ? 0 : until - now_ms;
}

static struct login_counter *
find(const sdvmd_throttle *t, const char *who)
{
    if (!who || !*who)
        return NULL;
    for (unsigned i = 0; i < SDVMD_THROTTLE_LOGINS; i++)
        if (!strcmp(t->logins[i].who, who))
            return (struct login_counter *)&t->logins[i];
    return NULL;
}

/* who's slot, taking a free one or the one failed longest ago. */
static struct login_counter *
find_or_add(sdvmd_throttle *t, const char *who)
{
    struct login_counter *l = find(t, who);
    if (l || !who || !*who || strlen(who) >= sizeof(l->who))
        return l;
    struct login_counter *victim = &t->logins[0];
    for (unsigned i = 0; i < SDVMD_THROTTLE_LOGINS; i++) {
        struct login_counter *s = &t->logins[i];
        if (!s->who[0] || s->c.failures == 0) {
            victim = s;
            break;
        }
        if (s->c.last_failure_ms < victim->c.last_failure_ms)
            victim = s;
    }
    memset(victim, 0, sizeof(*victim));
    strcpy(victim->who, who);
    return victim;
}

uint32_t
sdvmd_throttle_wait_s(sdvmd_throttle *t, const char *who, uint64_t now_ms)
{
    if (t->after == 0)
        return 0;
    forget_old(t, &t->terminal, now_ms);
    uint64_t w = wait_ms(t, &t->terminal, t->after * SDVMD_THROTTLE_TERMINAL_FACTOR, now_ms);
    struct login_counter *l = find(t, who);
    if (l) {
        forget_old(t, &l->c, now_ms);
        uint64_t lw = wait_ms(t, &l->c, t->after, now_ms);
        w = lw > w ? lw : w;
    }
    return (uint32_t)((w + 999) / 1000);
}

static void
count(struct counter *c, uint64_t now_ms)
{
    if (c->failures < UINT32_MAX)
        c->failures++;
    c->last_failure_ms = now_ms;
}

static void
give_back(struct counter *c)
{
    if (c->failures)
        c->failures--;
}

void
sdvmd_throttle_begin(sdvmd_throttle *t, const char *who, uint64_t now_ms)
{
    forget_old(t, &t->terminal, now_ms);
    count(&t->terminal, now_ms);
    struct login_counter *l = find_or_add(t, who);
    if (l) {
        forget_old(t, &l->c, now_ms);
        count(&l->c, now_ms);
    }
}

/* Guessing shows as wrong credentials or as an attempt abandoned before its verdict; a cable
 * pulled or a realm typo is not guessing. */
static bool
counts_as_guess(enum sdvm_failure outcome)
{
    return outcome == SDVM_FAILURE_BAD_CREDENTIALS || outcome == SDVM_FAILURE_CANCELLED;
}

void
sdvmd_throttle_end(sdvmd_throttle *t, const char *who, enum sdvm_failure outcome,
                   uint64_t now_ms)
{
    struct login_counter *l = find(t, who);
    if (outcome == SDVM_FAILURE_NONE) {
        give_back(&t->terminal); /* this attempt was no guess; the others' stay */
        if (l)
            memset(l, 0, sizeof(*l));
        return;
    }
    if (!counts_as_guess(outcome)) {
        give_back(&t->terminal);
        if (l)
            give_back(&l->c);
        return;
    }
    /* The wait counts from the verdict, which comes later than the start. */
    t->terminal.last_failure_ms = now_ms;
    if (l)
        l->c.last_failure_ms = now_ms;
}

unsigned
sdvmd_throttle_failures(const sdvmd_throttle *t, const char *who)
{
    const struct login_counter *l = find(t, who);
    return l ? l->c.failures : 0;
}

unsigned
sdvmd_throttle_terminal_failures(const sdvmd_throttle *t)
{
    return t->terminal.failures;
}
