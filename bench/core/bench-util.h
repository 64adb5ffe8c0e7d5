/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Small helpers for the core benchmarks: a monotonic clock and medians. */
#ifndef SDVM_BENCH_UTIL_H
#define SDVM_BENCH_UTIL_H

#include <stdlib.h>
#include <time.h>

static inline double
now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

#include <sys/resource.h>

/* CPU time of the process (all threads), user + system, in ms. */
static inline double
cpu_ms(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 +
           (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
}

/* Sorts v. */
static inline double
median(double *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

#endif
