// A scripted network for daemon tests (the real one is nm-glue on the 802.1X test bed):
//   password "wrong"            -> BAD_CREDENTIALS after CONNECTING_WIRED, AUTHENTICATING
//   realm "cert.test"           -> SERVER_CERT_UNTRUSTED
//   realm "nocarrier.test"      -> NO_NETWORK right after start
//   anything else               -> success
// Each step waits step_ms on the main loop. It remembers what it was asked (never the
// password itself, only that one was given) for assertions.
#pragma once

extern "C" {
#include "net.h"
}

struct FakeNetStats {
    int starts = 0;
    int cancels = 0;
    int logouts = 0;
    int connected = 0; // logins that succeeded and were not logged out yet
    bool password_seen = false;
};

// The returned net is owned by the daemon (freed through its ops).
sdvmd_net *fake_net_new(unsigned step_ms, FakeNetStats *stats);
