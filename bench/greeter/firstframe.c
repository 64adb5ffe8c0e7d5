/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * greeter-firstframe PROBE.so SETTLE_MS TIMEOUT_MS -- COMMAND [ARGS...]
 *
 * Starts COMMAND with PROBE.so preloaded and measures launch -> first frame: from just
 * before fork() to the first QBackingStore::flush() the probe reports. SETTLE_MS after that
 * frame the program gets SIGTERM; its peak RSS (getrusage through wait4) is reported.
 * Output, one line: "first_frame_ms=<ms> peak_rss_kib=<KiB>". Exit 1 when no frame came
 * within TIMEOUT_MS or the command failed before its first frame.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long
now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int
main(int argc, char **argv)
{
    if (argc < 6 || strcmp(argv[4], "--") != 0) {
        fprintf(stderr, "usage: %s PROBE.so SETTLE_MS TIMEOUT_MS -- COMMAND [ARGS...]\n", argv[0]);
        return 2;
    }
    const char *probe = argv[1];
    const int settle_ms = atoi(argv[2]);
    const int timeout_ms = atoi(argv[3]);
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        perror("pipe2");
        return 1;
    }
    const long long start = now_ns();
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 1;
    }
    if (pid == 0) {
        int w = dup(fds[1]); /* without O_CLOEXEC: survives exec */
        char fd_text[16];
        snprintf(fd_text, sizeof(fd_text), "%d", w);
        setenv("SDVM_BENCH_FD", fd_text, 1);
        setenv("LD_PRELOAD", probe, 1);
        execvp(argv[5], argv + 5);
        perror(argv[5]);
        _exit(127);
    }
    close(fds[1]);

    char buf[64];
    size_t used = 0;
    long long frame = 0;
    struct pollfd p = {.fd = fds[0], .events = POLLIN};
    while (!frame) {
        long long left = timeout_ms - (now_ns() - start) / 1000000;
        if (left <= 0)
            break;
        int r = poll(&p, 1, (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        ssize_t n = read(fds[0], buf + used, sizeof(buf) - 1 - used);
        if (n <= 0)
            break; /* the command exited without a frame */
        used += (size_t)n;
        buf[used] = '\0';
        if (strchr(buf, '\n'))
            frame = atoll(buf);
    }
    if (frame)
        usleep((useconds_t)settle_ms * 1000);
    kill(pid, SIGTERM);
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0) {
        perror("wait4");
        return 1;
    }
    if (!frame) {
        fprintf(stderr, "greeter-firstframe: no frame from %s\n", argv[5]);
        return 1;
    }
    printf("first_frame_ms=%.1f peak_rss_kib=%ld\n", (double)(frame - start) / 1e6, ru.ru_maxrss);
    return 0;
}
