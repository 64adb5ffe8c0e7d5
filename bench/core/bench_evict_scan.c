/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The eviction scan over N user overlays (default 10000), one user directory each, with
 * spread mtimes: the time of sdvm_store_plan_eviction() when about ten disks must go (every
 * disk listed and sorted, the oldest checked for QEMU's lock until the rule holds), when the
 * rule cannot be met at all, and of a plain listing. One long-lived store, as in sdvmd;
 * warm page cache (the tree was just written); median of R runs (default 11).
 *
 * usage: bench-core-evict-scan SCRATCH_DIR [N] [R]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "bench-util.h"
#include "sdvm/qcow2.h"
#include "sdvm/store.h"
#include "sdvm/user-id.h"

int
main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s SCRATCH_DIR [N] [R]\n", argv[0]);
        return 2;
    }
    const char *scratch = argv[1];
    int n = argc > 2 ? atoi(argv[2]) : 10000;
    int runs = argc > 3 ? atoi(argv[3]) : 11;
    if (n < 1 || runs < 1)
        return 2;
    char dir[2048], users[4096];
    snprintf(dir, sizeof(dir), "%s/bench-evict-%d", scratch, (int)getpid());
    snprintf(users, sizeof(users), "%s/users", dir);
    if ((mkdir(scratch, 0755) < 0 && errno != EEXIST) || mkdir(dir, 0755) < 0) {
        perror(dir);
        return 1;
    }
    struct sdvm_store_options o = {users, SDVM_STORE_BACKEND_QCOW2, 0};
    sdvm_store *st = NULL;
    if (sdvm_store_new(&o, &st) < 0)
        return 1;

    double t0 = now_ms();
    time_t now = time(NULL);
    for (int i = 0; i < n; i++) {
        char nai[64], id[SDVM_USER_ID_SIZE], path[4200];
        snprintf(nai, sizeof(nai), "student%d@example.org", i);
        sdvm_user_id_from_bytes(nai, strlen(nai), id);
        snprintf(path, sizeof(path), "%s/%s", users, id);
        if (mkdir(path, 0700) < 0) {
            perror(path);
            return 1;
        }
        strcat(path, "/win10.qcow2");
        int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0 || sdvm_qcow2_write_overlay(fd, UINT64_C(20) << 30,
                                               "/var/lib/sdvm/images/win10.qcow2", "qcow2", NULL) < 0) {
            perror(path);
            return 1;
        }
        struct timespec ts[2] = {{now - (time_t)((i * 7919L) % 100000), 0},
                                 {now - (time_t)((i * 7919L) % 100000), 0}};
        futimens(fd, ts);
        close(fd);
    }
    double setup = now_ms() - t0;

    double *plan_t = calloc((size_t)runs, sizeof(double));
    double *few_t = calloc((size_t)runs, sizeof(double));
    double *list_cpu = calloc((size_t)runs, sizeof(double));
    size_t few = 0;
    double *list_t = calloc((size_t)runs, sizeof(double));
    size_t listed = 0, checked = 0;
    struct sdvm_disk_list probe;
    if (sdvm_store_list_disks(st, 0, &probe) < 0)
        return 1;
    checked = probe.count;
    sdvm_disk_list_clear(&probe);
    for (int r = 0; r < runs; r++) {
        struct sdvm_evict_plan plan;
        t0 = now_ms();
        /* 1 PiB: the rule cannot hold, so every disk is a candidate and lock-checked. */
        if (sdvm_store_plan_eviction(st, NULL, NULL, UINT64_C(1) << 50, &plan) < 0)
            return 1;
        plan_t[r] = now_ms() - t0;
        if (plan.feasible)
            return 1;
        sdvm_evict_plan_clear(&plan);

        /* The usual case: free space short by about ten overlays' worth. */
        struct statvfs v;
        if (statvfs(users, &v) < 0)
            return 1;
        uint64_t free_now = (uint64_t)v.f_bavail * v.f_frsize;
        t0 = now_ms();
        if (sdvm_store_plan_eviction(st, NULL, NULL, free_now + 10 * 12288 - 1, &plan) < 0)
            return 1;
        few_t[r] = now_ms() - t0;
        few = plan.victims.count;
        sdvm_evict_plan_clear(&plan);

        struct sdvm_disk_list list;
        double c0 = cpu_ms();
        t0 = now_ms();
        if (sdvm_store_list_disks(st, 0, &list) < 0)
            return 1;
        list_t[r] = now_ms() - t0;
        list_cpu[r] = cpu_ms() - c0;
        listed = list.count;
        sdvm_disk_list_clear(&list);
    }
    printf("eviction scan over %d user overlays (setup %.0f ms), %d runs, warm cache\n", n, setup,
           runs);
    printf("  plan, about ten victims (list + sort + %zu lock checks): median %.2f ms"
           " (goal <= 50 ms)\n",
           few, median(few_t, (size_t)runs));
    printf("  plan, rule cannot be met (list + sort, %zu candidates): median %.2f ms\n", checked,
           median(plan_t, (size_t)runs));
    printf("  listing only (%zu disks):                       median %.2f ms"
           " (CPU %.2f ms, all threads)\n",
           listed, median(list_t, (size_t)runs), median(list_cpu, (size_t)runs));
    sdvm_store_free(st);
    free(plan_t);
    free(few_t);
    free(list_cpu);
    free(list_t);
    char cmd[4200];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}
