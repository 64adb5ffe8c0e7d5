/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Power actions through systemd-logind's D-Bus API (org.freedesktop.login1.Manager).
 * What the greeter may offer = what the lab allows (sdvm.conf [Greeter] PowerActions) AND
 * what logind says is possible now (Can* = "yes"). Queries and requests are asynchronous on
 * the thread-default GMainContext; the cached mask is what the greeter is told.
 */
#ifndef SDVM_DAEMON_POWER_H
#define SDVM_DAEMON_POWER_H

#include <gio/gio.h>

#include "sdvm-types.h"

typedef struct sdvmd_power sdvmd_power;

/* Called on the main context when the available mask changed after a refresh. */
typedef void (*sdvmd_power_changed_fn)(unsigned available_mask, void *userdata);

/* bus: the system bus (tests pass a private bus). allowed_mask: enum sdvm_power_action bits
 * (sdvm.conf [Greeter] PowerActions as parsed by core: the bit values are the same). */
sdvmd_power *sdvmd_power_new(GDBusConnection *bus, unsigned allowed_mask,
                           sdvmd_power_changed_fn changed, void *userdata);
void sdvmd_power_free(sdvmd_power *power);

/* The lab's allow-list changed (reload); takes effect at the next refresh. */
void sdvmd_power_set_allowed(sdvmd_power *power, unsigned allowed_mask);
/* Ask logind again (async); `changed` fires if the answer differs. */
void sdvmd_power_refresh(sdvmd_power *power);
/* The mask known now (0 until the first refresh answers). */
unsigned sdvmd_power_available(const sdvmd_power *power);
/* Request an action: -EPERM if not available now, else 0 and the call goes out (async). */
int sdvmd_power_request(sdvmd_power *power, enum sdvm_power_action action);

/* The host cannot take the GPU back (run-guest exit 64): reboot whatever the lab allows the
 * greeter to offer. 0 when the request went out, -ENOTCONN without logind. */
int sdvmd_power_reboot_for_recovery(sdvmd_power *power);

#endif
