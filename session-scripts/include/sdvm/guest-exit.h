/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * guest-exit.h: run-guest's exit-code contract (run-guest(8)) and its mapping onto
 * enum sdvm_failure. sdvmd waits for run-guest and turns the wait status into a failure
 * reason with sdvm_guest_exit_to_failure().
 *
 * The codes deliberately equal the sdvm_failure number they stand for, so a log line
 * "run-guest exited 62" reads as DEVICE_MISMATCH without a table. They are still mapped
 * explicitly: any other code (a shell error such as 1, 2, 126 or 127) is INTERNAL.
 * sdvm-devices, the C helper run-guest calls, exits with the same codes.
 */
#ifndef SDVM_GUEST_EXIT_H
#define SDVM_GUEST_EXIT_H

#include "sdvm-failure.h"

#ifdef __cplusplus
extern "C" {
#endif

enum sdvm_guest_exit {
    SDVM_GUEST_EXIT_OK = 0,               /* the guest ran and QEMU exited 0 (guest powered off) */
    SDVM_GUEST_EXIT_DISK = 43,            /* SDVM_DISK missing, not a regular file, unreadable */
    SDVM_GUEST_EXIT_START = 60,           /* QEMU could not start (exec failed, exit status 1) */
    SDVM_GUEST_EXIT_CRASHED = 61,         /* QEMU killed by a signal or other non-zero status */
    SDVM_GUEST_EXIT_DEVICE_MISMATCH = 62, /* a table device is missing, differs, or its IOMMU
                                             group holds a device the table does not list */
    SDVM_GUEST_EXIT_HUGEPAGES = 63,       /* hugepages required and not obtainable */
    SDVM_GUEST_EXIT_REBOOT_NEEDED = 64,   /* a host driver could not take a device back */
    SDVM_GUEST_EXIT_MACHINE_UNKNOWN = 65, /* no machine table for this DMI product name */
    SDVM_GUEST_EXIT_CONFIG = 84,          /* bad environment or a malformed machine table */
    SDVM_GUEST_EXIT_INTERNAL = 99,        /* unexpected system error in run-guest itself */
};

/*
 * How long a stop may take (review M6, M7). sdvmd asks run-guest to stop with SIGTERM;
 * run-guest gives QEMU SDVM_GUEST_STOP_TIMEOUT_S (sdvmd passes it as SDVM_STOP_TIMEOUT, the
 * default in run-guest.in is the same) and then gives every device back to its host driver
 * (at most SDVM_GUEST_UNDO_ALLOWANCE_S); sdvmd then deletes the 802.1X connections (at most
 * SDVMD_LOGOUT_ALLOWANCE_S). sdvmd's own stop waits for all of that, SDVMD_STOP_GRACE_S at
 * most, and the service manager allows more than that before it kills: TimeoutStopSec= of
 * packaging/systemd/sdvmd.service and the retry= of packaging/openrc/sdvmd are
 * SDVMD_STOP_TIMEOUT_S (test-stop-timeouts reads them against these numbers).
 */
#define SDVM_GUEST_STOP_TIMEOUT_S 30
#define SDVM_GUEST_UNDO_ALLOWANCE_S 15
#define SDVMD_LOGOUT_ALLOWANCE_S 5
#define SDVMD_STOP_GRACE_S                                                                     \
    (SDVM_GUEST_STOP_TIMEOUT_S + SDVM_GUEST_UNDO_ALLOWANCE_S + SDVMD_LOGOUT_ALLOWANCE_S)
#define SDVMD_STOP_TIMEOUT_S (SDVMD_STOP_GRACE_S + 10)

/*
 * Map a wait status (as filled in by waitpid()) of run-guest to a failure reason.
 * Exit 0 gives SDVM_FAILURE_NONE; run-guest itself killed by a signal gives
 * SDVM_FAILURE_GUEST_CRASHED (its undo journal is replayed by run-guest --recover); an exit code
 * outside the contract gives SDVM_FAILURE_INTERNAL.
 */
enum sdvm_failure sdvm_guest_exit_to_failure(int status);

/* Same mapping for a plain exit code (0-255). */
enum sdvm_failure sdvm_guest_exit_code_to_failure(int code);

#ifdef __cplusplus
}
#endif

#endif /* SDVM_GUEST_EXIT_H */
