/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sdvm-failure.h: the one numbered list of reasons a login or a session can fail.
 *
 * Every asynchronous outcome in SDVM is one of these values. The numbers are part of the
 * ABI and of the wire protocol (sdvm-ipc(7)): never renumber, only append. 0 means success.
 * A user interface translates from the number, never from sdvm_failure_to_string(), which
 * is for logs.
 */
#ifndef SDVM_FAILURE_H
#define SDVM_FAILURE_H

#ifdef __cplusplus
extern "C" {
#endif

enum sdvm_failure {
    SDVM_FAILURE_NONE = 0,

    /* The person and their realm (1-19). */
    SDVM_FAILURE_BAD_CREDENTIALS = 1,    /* RADIUS said no: wrong password or unknown user */
    SDVM_FAILURE_INVALID_NAI = 2,        /* not a user@realm we accept */
    SDVM_FAILURE_UNKNOWN_REALM = 3,      /* realm in neither realms.d nor the CAT database */
    SDVM_FAILURE_REALM_UNSUPPORTED = 4,  /* realm known, but no password method (EAP-TLS only) */
    SDVM_FAILURE_INSECURE_PROFILE = 5,   /* realm profile has no CA: refused before sending */
    SDVM_FAILURE_THROTTLED = 6,          /* too many failures here: wait, then retry */
    SDVM_FAILURE_PROFILE_EXPIRED = 7,    /* the realm's CAT profile is past its ValidUntil */

    /* The network (20-39). */
    SDVM_FAILURE_SERVER_CERT_UNTRUSTED = 20, /* RADIUS server cert not signed by the realm's CA */
    SDVM_FAILURE_SERVER_NAME_MISMATCH = 21,  /* cert is trusted but names another server */
    SDVM_FAILURE_NO_NETWORK = 22,            /* no ethernet with carrier and no Wi-Fi device */
    SDVM_FAILURE_AUTH_TIMEOUT = 23,          /* no authenticator answered in time */
    SDVM_FAILURE_NM_UNAVAILABLE = 24,        /* NetworkManager not running or went away */
    SDVM_FAILURE_NETWORK_ERROR = 25,         /* NetworkManager refused or dropped the connection */
    SDVM_FAILURE_UNPROTECTED_RESULT = 26,    /* wired, inner success not proven, no opt-in */
    SDVM_FAILURE_HOME_SERVER_TIMEOUT = 27,   /* the switch spoke EAP, RADIUS never decided */

    /* Images and disks (40-59). */
    SDVM_FAILURE_IMAGE_UNKNOWN = 40,     /* no such image id in the catalog */
    SDVM_FAILURE_IMAGE_UNAVAILABLE = 41, /* base image missing, unreadable or corrupt */
    SDVM_FAILURE_DISK_FULL = 42,         /* space rule cannot be met even after eviction */
    SDVM_FAILURE_DISK_ERROR = 43,        /* I/O error while preparing the user's disk */
    SDVM_FAILURE_DISK_IN_USE = 44,       /* the user's disk is held by a running guest */

    /* The guest (60-79); run-guest's exit codes map onto these (run-guest(8)). */
    SDVM_FAILURE_GUEST_START = 60,       /* QEMU could not start */
    SDVM_FAILURE_GUEST_CRASHED = 61,     /* QEMU died abnormally */
    SDVM_FAILURE_DEVICE_MISMATCH = 62,   /* passthrough device not what the machine table says */
    SDVM_FAILURE_HUGEPAGES = 63,         /* hugepages required and not available */
    SDVM_FAILURE_REBOOT_NEEDED = 64,     /* host driver could not take the GPU back */
    SDVM_FAILURE_MACHINE_UNKNOWN = 65,   /* no machine table for this terminal's model */

    /* The session and the system (80-99). */
    SDVM_FAILURE_CANCELLED = 80,         /* the greeter (or the daemon) cancelled the login */
    SDVM_FAILURE_BUSY = 81,              /* another login is in progress */
    SDVM_FAILURE_DAEMON_UNAVAILABLE = 82,/* cannot reach sdvmd */
    SDVM_FAILURE_PROTOCOL = 83,          /* malformed or unexpected message */
    SDVM_FAILURE_CONFIG = 84,            /* the terminal's configuration is broken */
    SDVM_FAILURE_INTERNAL = 99,          /* a bug or an unexpected system error */
};

/* Stable identifier for logs ("BAD_CREDENTIALS"); "UNKNOWN" for numbers not listed. */
const char *sdvm_failure_to_string(enum sdvm_failure failure);

/* One plain English sentence for administrators' logs and tools (not for translation). */
const char *sdvm_failure_describe(enum sdvm_failure failure);

#ifdef __cplusplus
}
#endif

#endif /* SDVM_FAILURE_H */
