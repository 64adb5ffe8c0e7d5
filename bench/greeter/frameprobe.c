/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * LD_PRELOAD probe for the greeter benchmark: reports the moment a Qt Quick window first puts
 * a frame on screen, in Qt 5 and Qt 6 alike, without the program's cooperation.
 *
 * Qt Quick's software render loop hands every finished frame to QBackingStore::flush(), a
 * QtGui function called from QtQuick through the PLT, so a preloaded definition of the same
 * symbol sees it. On the first call the probe writes CLOCK_MONOTONIC (ns, decimal, newline)
 * to the file descriptor named by $SDVM_BENCH_FD, then forwards to the real function.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef void (*flush_fn)(void *self, const void *region, void *window, const void *offset);

#define FLUSH_SYMBOL "_ZN13QBackingStore5flushERK7QRegionP7QWindowRK6QPoint"

__attribute__((visibility("default"))) void
_ZN13QBackingStore5flushERK7QRegionP7QWindowRK6QPoint(void *self, const void *region,
                                                       void *window, const void *offset);

static int reported;

__attribute__((visibility("default"))) void
_ZN13QBackingStore5flushERK7QRegionP7QWindowRK6QPoint(void *self, const void *region,
                                                       void *window, const void *offset)
{
    static flush_fn real;
    if (!real)
        real = (flush_fn)dlsym(RTLD_NEXT, FLUSH_SYMBOL);
    if (real)
        real(self, region, window, offset);
    if (!reported) {
        reported = 1;
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        const char *fd_text = getenv("SDVM_BENCH_FD");
        if (fd_text) {
            char line[64];
            int n = snprintf(line, sizeof(line), "%lld\n",
                             (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
            if (n > 0 && write(atoi(fd_text), line, (size_t)n) < 0)
                perror("frameprobe");
        }
    }
}
