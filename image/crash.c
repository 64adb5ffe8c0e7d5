/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tool_crash_point(): the fleet-activation test kills sdvm-image at each named step. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

void
tool_crash_point(const char *name)
{
    const char *at = getenv("SDVM_IMAGE_CRASH_AT");
    if (at && !strcmp(at, name))
        kill(getpid(), SIGKILL);
}
