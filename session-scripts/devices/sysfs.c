/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "sysfs.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

int
sysfs_write(const char *path, const char *value)
{
    int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return -errno;
    size_t len = strlen(value);
    ssize_t w = write(fd, value, len);
    int r = w < 0 ? -errno : ((size_t)w != len ? -EIO : 0);
    if (close(fd) < 0 && r == 0)
        r = -errno;
    return r;
}
