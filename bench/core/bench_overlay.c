/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Overlay creation: SDVM's native writer against `qemu-img create -f qcow2 -b BASE -F qcow2`
 * on the same 20 GiB-virtual base, alternating, N runs each (default 25), in DIR (default:
 * a directory under the current one). Native is measured two ways: the whole
 * sdvm_store_prepare() of a new user (space rule, temporary file, fsync, rename, directory
 * fsync) and the bare writer with fsync + rename + directory fsync.
 *
 * usage: bench-core-overlay SCRATCH_DIR [N]
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench-util.h"
#include "sdvm/qcow2.h"
#include "sdvm/store.h"
#include "sdvm/user-id.h"

extern char **environ;

static int
run(char *const argv[])
{
    pid_t pid;
    if (posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ) != 0)
        return -1;
    int st;
    if (waitpid(pid, &st, 0) < 0)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static double
bare_native(const char *dir, int i, const char *base, uint64_t size, int dir_sync)
{
    char tmp[8192], final[8192];
    snprintf(tmp, sizeof(tmp), "%s/.bare-%d-%d.qcow2.tmp", dir, dir_sync, i);
    snprintf(final, sizeof(final), "%s/bare-%d-%d.qcow2", dir, dir_sync, i);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    double t0 = now_ms();
    int fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 || sdvm_qcow2_write_overlay(fd, size, base, "qcow2", NULL) < 0 || fsync(fd) < 0 ||
        close(fd) < 0 || rename(tmp, final) < 0 || (dir_sync && fsync(dfd) < 0)) {
        perror("native overlay");
        exit(1);
    }
    double t = now_ms() - t0;
    close(dfd);
    return t;
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s SCRATCH_DIR [N]\n", argv[0]);
        return 2;
    }
    const char *scratch = argv[1];
    int n = argc > 2 ? atoi(argv[2]) : 25;
    if (n < 1)
        n = 25;
    char dir[2048], base[4096], users[4096], qdir[4096];
    snprintf(dir, sizeof(dir), "%s/bench-overlay-%d", scratch, (int)getpid());
    snprintf(base, sizeof(base), "%s/base.qcow2", dir);
    snprintf(users, sizeof(users), "%s/users", dir);
    snprintf(qdir, sizeof(qdir), "%s/qemu-img", dir);
    if (mkdir(scratch, 0755) < 0 && errno != EEXIST) {
        perror(scratch);
        return 1;
    }
    if (mkdir(dir, 0755) < 0 || mkdir(qdir, 0755) < 0) {
        perror(dir);
        return 1;
    }
    char *mk[] = {"qemu-img", "create", "-q", "-f", "qcow2", base, "20G", NULL};
    if (run(mk) != 0) {
        fprintf(stderr, "qemu-img create of the base failed (qemu-utils installed?)\n");
        return 1;
    }
    struct sdvm_qcow2_info info;
    if (sdvm_qcow2_read_info_path(base, &info) < 0)
        return 1;
    struct sdvm_store_options o = {users, SDVM_STORE_BACKEND_QCOW2, 0};
    sdvm_store *st = NULL;
    if (sdvm_store_new(&o, &st) < 0)
        return 1;

    double *prep = calloc((size_t)n, sizeof(double));
    double *bare = calloc((size_t)n, sizeof(double));
    double *qemu = calloc((size_t)n, sizeof(double));
    double *nodir = calloc((size_t)n, sizeof(double));
    for (int i = 0; i < n; i++) {
        /* 1. sdvm_store_prepare for a new user */
        char nai[64], id[SDVM_USER_ID_SIZE];
        snprintf(nai, sizeof(nai), "user%d@example.org", i);
        sdvm_user_id_from_bytes(nai, strlen(nai), id);
        struct sdvm_store_result res;
        char *detail = NULL;
        double t0 = now_ms();
        enum sdvm_failure f = sdvm_store_prepare(st, id, "lab", base, &res, &detail);
        prep[i] = now_ms() - t0;
        if (f != SDVM_FAILURE_NONE || !res.created) {
            fprintf(stderr, "prepare failed: %s\n", detail ? detail : "");
            return 1;
        }
        sdvm_store_result_clear(&res);
        /* 2. the bare writer */
        bare[i] = bare_native(dir, i, base, info.virtual_size, 1);
        nodir[i] = bare_native(dir, i, base, info.virtual_size, 0);
        /* 3. qemu-img create (fork + exec, writes in place) */
        char out[8192];
        snprintf(out, sizeof(out), "%s/user-%d.qcow2", qdir, i);
        char *q[] = {"qemu-img", "create", "-q",    "-f", "qcow2", "-b",
                     base,       "-F",     "qcow2", out,  NULL};
        t0 = now_ms();
        if (run(q) != 0) {
            fprintf(stderr, "qemu-img create failed\n");
            return 1;
        }
        qemu[i] = now_ms() - t0;
    }
    double mp = median(prep, (size_t)n), mb = median(bare, (size_t)n), mq = median(qemu, (size_t)n),
           mn = median(nodir, (size_t)n);
    printf("overlay creation, 20 GiB-virtual base, %d runs each, alternating (%s)\n", n, dir);
    printf("  sdvm_store_prepare (new user, fsync+rename+dir fsync): median %.3f ms\n", mp);
    printf("  native writer (fsync+rename+dir fsync):                median %.3f ms\n", mb);
    printf("  native writer (fsync+rename, as in notes/guest.md):    median %.3f ms\n", mn);
    printf("  qemu-img create -b base -F qcow2 (fork+exec):          median %.3f ms\n", mq);
    printf("  ratio prepare/qemu-img %.3f, writer/qemu-img %.3f, writer without dir fsync/qemu-img "
           "%.3f\n",
           mp / mq, mb / mq, mn / mq);
    sdvm_store_free(st);
    free(prep);
    free(bare);
    free(qemu);
    free(nodir);
    char *rm[] = {"rm", "-rf", dir, NULL};
    run(rm);
    return 0;
}
