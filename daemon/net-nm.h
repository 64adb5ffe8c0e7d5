/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The network half of a login through nm-glue (NetworkManager, 802.1X). */
#ifndef SDVM_DAEMON_NET_NM_H
#define SDVM_DAEMON_NET_NM_H

#include "net.h"
#include "sdvm/config.h"

/* On the thread-default main context. configure_ip false: authenticate only, no DHCP (test
 * beds). NULL and errno on failure. */
sdvmd_net *sdvmd_net_nm_new(const struct sdvm_config *config, bool configure_ip);

#endif
