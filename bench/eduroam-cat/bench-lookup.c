/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Realm database load and lookup times (the numbers sdvmd sees):
 *
 *   bench-lookup DB REALMS.TXT CADIR
 *
 * load:   sdvm_realms_open() of the database, median of 51 opens
 * lookup: sdvm_realms_lookup() (profile built, CA bundle already on disk), median and p99
 *         over every realm, shuffled, 20 rounds; plus sub-realm (parent walk) and unknown
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sdvm/realms.h"

static double
now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* CPU time of this thread: what a busy shared machine does not inflate. */
static double
cpu_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double
percentile(double *v, size_t n, double p)
{
    qsort(v, n, sizeof(double), cmp_double);
    size_t i = (size_t)(p * (double)(n - 1));
    return v[i];
}

static double
time_lookups(sdvm_realms *r, char **realms, size_t n, int rounds, double *p99,
             enum sdvm_failure expect, size_t *wrong)
{
    size_t total = n * (size_t)rounds;
    double *t = malloc(total * sizeof(double));
    size_t k = 0;
    *wrong = 0;
    for (int round = 0; round < rounds; round++) {
        for (size_t i = n - 1; i > 0; i--) { /* shuffle */
            size_t j = (size_t)rand() % (i + 1);
            char *tmp = realms[i];
            realms[i] = realms[j];
            realms[j] = tmp;
        }
        for (size_t i = 0; i < n; i++) {
            struct sdvm_auth_profile *p = NULL;
            double t0 = now_ns();
            enum sdvm_failure f = sdvm_realms_lookup(r, realms[i], &p, NULL);
            double t1 = now_ns();
            t[k++] = t1 - t0;
            if (expect == SDVM_FAILURE_NONE ? f == SDVM_FAILURE_UNKNOWN_REALM : f != expect)
                (*wrong)++;
            sdvm_auth_profile_free(p);
        }
    }
    double med = percentile(t, total, 0.5);
    *p99 = percentile(t, total, 0.99);
    free(t);
    return med;
}

int
main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: bench-lookup DB REALMS.TXT CADIR\n");
        return 2;
    }
    FILE *f = fopen(argv[2], "r");
    if (!f) {
        perror(argv[2]);
        return 1;
    }
    size_t n = 0, cap = 8192;
    char **realms = malloc(cap * sizeof(char *));
    char line[512];
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        if (!*line)
            continue;
        if (n == cap)
            realms = realloc(realms, (cap *= 2) * sizeof(char *));
        realms[n++] = strdup(line);
    }
    fclose(f);
    if (n == 0) {
        fprintf(stderr, "no realms in %s\n", argv[2]);
        return 1;
    }

    enum { OPENS = 51 };
    double loads[OPENS], load_cpu[OPENS];
    size_t count = 0;
    for (int i = 0; i < OPENS; i++) {
        sdvm_realms *r = NULL;
        char *error = NULL;
        double c0 = cpu_ns();
        double t0 = now_ns();
        int rc = sdvm_realms_open(NULL, argv[1], argv[3], &r, &error);
        double t1 = now_ns();
        load_cpu[i] = cpu_ns() - c0;
        if (rc < 0) {
            fprintf(stderr, "open: %s\n", error ? error : "failed");
            return 1;
        }
        count = sdvm_realms_db_count(r);
        loads[i] = t1 - t0;
        sdvm_realms_free(r);
    }
    double load_med = percentile(loads, OPENS, 0.5);
    double load_cpu_med = percentile(load_cpu, OPENS, 0.5);

    sdvm_realms *r = NULL;
    if (sdvm_realms_open(NULL, argv[1], argv[3], &r, NULL) < 0)
        return 1;
    /* First lookups: CA bundles are written (once per distinct CA set). */
    double t0 = now_ns();
    size_t found = 0;
    for (size_t i = 0; i < n; i++) {
        struct sdvm_auth_profile *p = NULL;
        found += sdvm_realms_lookup(r, realms[i], &p, NULL) != SDVM_FAILURE_UNKNOWN_REALM;
        sdvm_auth_profile_free(p);
    }
    double first_all = now_ns() - t0;

    srand(1);
    double p99, sub_p99, unk_p99;
    size_t wrong, sub_wrong, unk_wrong;
    double med = time_lookups(r, realms, n, 20, &p99, SDVM_FAILURE_NONE, &wrong);
    /* The same lookups without per-call clocks, as CPU time: the mean cost of one. */
    double c0 = cpu_ns();
    for (int round = 0; round < 20; round++)
        for (size_t i = 0; i < n; i++) {
            struct sdvm_auth_profile *p = NULL;
            sdvm_realms_lookup(r, realms[i], &p, NULL);
            sdvm_auth_profile_free(p);
        }
    double cpu_mean = (cpu_ns() - c0) / (20.0 * (double)n);
    char **subs = malloc(n * sizeof(char *)), **unknown = malloc(n * sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        subs[i] = malloc(strlen(realms[i]) + 16);
        sprintf(subs[i], "staff.dept.%s", realms[i]);
        unknown[i] = malloc(strlen(realms[i]) + 16);
        sprintf(unknown[i], "nowhere%zu.invalid-tld", i);
    }
    /* Sub-realms: allowed unless the profile set InnerIdentityHint, so any outcome counts. */
    double sub_med = time_lookups(r, subs, n, 5, &sub_p99, SDVM_FAILURE_NONE, &sub_wrong);
    double unk_med = time_lookups(r, unknown, n, 5, &unk_p99, SDVM_FAILURE_UNKNOWN_REALM,
                                  &unk_wrong);
    sdvm_realms_free(r);

    printf("realms in database:        %zu (%zu of %zu listed realms found)\n", count, found, n);
    printf("load (open) median:        %.2f ms wall, %.2f ms CPU   (goal <= 10 ms)\n",
           load_med / 1e6, load_cpu_med / 1e6);
    printf("lookup median:             %.0f ns    p99 %.0f ns   (goal <= 2000 ns median)\n",
           med, p99);
    printf("lookup mean CPU time:      %.0f ns (incl. freeing the profile)\n", cpu_mean);
    printf("sub-realm lookup median:   %.0f ns    p99 %.0f ns\n", sub_med, sub_p99);
    printf("unknown realm median:      %.0f ns    p99 %.0f ns\n", unk_med, unk_p99);
    printf("first lookup of every realm (CA bundles written): %.1f ms total\n", first_all / 1e6);
    if (wrong || unk_wrong) {
        fprintf(stderr, "bench-lookup: %zu realms not found, %zu unknown realms found\n", wrong,
                unk_wrong);
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        free(realms[i]);
        free(subs[i]);
        free(unknown[i]);
    }
    free(realms);
    free(subs);
    free(unknown);
    return 0;
}
