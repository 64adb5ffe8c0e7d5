/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "sdvm/guest-exit.h"

#include <sys/wait.h>

enum sdvm_failure
sdvm_guest_exit_code_to_failure(int code)
{
    switch ((enum sdvm_guest_exit)code) {
    case SDVM_GUEST_EXIT_OK:
        return SDVM_FAILURE_NONE;
    case SDVM_GUEST_EXIT_DISK:
        return SDVM_FAILURE_DISK_ERROR;
    case SDVM_GUEST_EXIT_START:
        return SDVM_FAILURE_GUEST_START;
    case SDVM_GUEST_EXIT_CRASHED:
        return SDVM_FAILURE_GUEST_CRASHED;
    case SDVM_GUEST_EXIT_DEVICE_MISMATCH:
        return SDVM_FAILURE_DEVICE_MISMATCH;
    case SDVM_GUEST_EXIT_HUGEPAGES:
        return SDVM_FAILURE_HUGEPAGES;
    case SDVM_GUEST_EXIT_REBOOT_NEEDED:
        return SDVM_FAILURE_REBOOT_NEEDED;
    case SDVM_GUEST_EXIT_MACHINE_UNKNOWN:
        return SDVM_FAILURE_MACHINE_UNKNOWN;
    case SDVM_GUEST_EXIT_CONFIG:
        return SDVM_FAILURE_CONFIG;
    case SDVM_GUEST_EXIT_INTERNAL:
        return SDVM_FAILURE_INTERNAL;
    }
    return SDVM_FAILURE_INTERNAL;
}

enum sdvm_failure
sdvm_guest_exit_to_failure(int status)
{
    if (WIFEXITED(status))
        return sdvm_guest_exit_code_to_failure(WEXITSTATUS(status));
    if (WIFSIGNALED(status))
        return SDVM_FAILURE_GUEST_CRASHED;
    return SDVM_FAILURE_INTERNAL; /* stopped/continued: not a final status */
}
