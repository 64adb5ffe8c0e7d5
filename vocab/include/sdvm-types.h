/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sdvm-types.h: the stages of a login, the power actions and why an image is unavailable,
 * as numbers.
 *
 * Part of the ABI (sdvm.h includes it) and of the wire protocol (sdvm-ipc(7) carries them
 * as u32), so sdvmd, the ipc codec and every client agree without linking libsdvm. The
 * numbers never change; new values are appended.
 */
#ifndef SDVM_TYPES_H
#define SDVM_TYPES_H

#ifdef __cplusplus
extern "C" {
#endif

/* Progress of one login, reported in this order (some may be skipped). */
enum sdvm_stage {
    SDVM_STAGE_CHECKING_REALM = 1,   /* looking the realm up (realms.d, CAT database) */
    SDVM_STAGE_CONNECTING_WIRED = 2, /* 802.1X on the ethernet port(s) */
    SDVM_STAGE_CONNECTING_WIFI = 3,  /* 802.1X on Wi-Fi (configured SSID) */
    SDVM_STAGE_AUTHENTICATING = 4,   /* EAP exchange with the home RADIUS server */
    SDVM_STAGE_PREPARING_DISK = 5,   /* space rule, eviction, the user's overlay */
    SDVM_STAGE_STARTING = 6,         /* about to hand the terminal to the guest */
    /* The switch spoke EAP, the home RADIUS server has not decided for a while (sdvm.conf
     * SlowServerNotice): still waiting, at most AuthTimeout. Sent at most once, after
     * AUTHENTICATING; not a step forward (a progress bar stays where AUTHENTICATING put it). */
    SDVM_STAGE_HOME_SERVER_SLOW = 7,
    /* The person's disk of this image was made on a base that has changed since (a new
     * version, or the file replaced in place): it is kept aside and a new one was made.
     * Sent after PREPARING_DISK, and sdvmd holds the screen a few seconds so it can be read;
     * not a step forward. */
    SDVM_STAGE_DISK_RENEWED = 8,
};

/* Power actions; sdvm_power_available() returns a mask of these. */
enum sdvm_power_action {
    SDVM_POWER_OFF = 1u << 0,
    SDVM_POWER_REBOOT = 1u << 1,
    SDVM_POWER_SUSPEND = 1u << 2,
    SDVM_POWER_HIBERNATE = 1u << 3,
    SDVM_POWER_HYBRID_SLEEP = 1u << 4,
};

/* Why an image is unavailable; numbers are stable (append only). */
enum sdvm_image_status {
    SDVM_IMAGE_AVAILABLE = 0,
    SDVM_IMAGE_QCOW2_MISSING = 1,    /* <id>.ini without <id>.qcow2 */
    SDVM_IMAGE_QCOW2_UNREADABLE = 2, /* cannot be opened or read (permissions, I/O error) */
    SDVM_IMAGE_NOT_QCOW2 = 3,        /* no qcow2 header (raw image, truncated, garbage) */
    SDVM_IMAGE_CORRUPT = 4,          /* the qcow2 corrupt bit is set: QEMU refuses it */
    SDVM_IMAGE_UNSUPPORTED = 5,      /* encrypted, or incompatible features we do not know */
    SDVM_IMAGE_INI_MISSING = 6,      /* <id>.qcow2 without <id>.ini */
    SDVM_IMAGE_INI_BROKEN = 7,       /* the .ini cannot be parsed or lacks Name/OsType */
};

#ifdef __cplusplus
}
#endif

#endif /* SDVM_TYPES_H */
