// What sdvmd adds to a login beyond NetworkManager's own activation: the protocol (hello,
// login, events), the NAI, the realm lookup (realms.d + CA bundle), the image check, the
// user id hash, the disk store (space rule + overlay) and LAUNCHING. The network is the
// scripted fake with zero delay, so request -> LAUNCHING is sdvmd's own time, measured by a
// real libsdvm client over the socket. The disk is created on the first login, reused after.
#include <glib.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "daemon_harness.h"

extern "C" {
#include "sdvm.h"
}

namespace {
struct Client {
    bool launched = false;
    bool ended = false;
    bool failed = false;
};

void on_progress(sdvm_ctx *, uint64_t, sdvm_stage, void *) {}
void on_message(sdvm_ctx *, uint64_t, int, const char *, void *) {}
void
on_finished(sdvm_ctx *, uint64_t, const sdvm_outcome *o, void *ud)
{
    fprintf(stderr, "login failed: %s\n", sdvm_failure_to_string(o->failure));
    static_cast<Client *>(ud)->failed = true;
}
void
on_launching(sdvm_ctx *, uint64_t, void *ud)
{
    static_cast<Client *>(ud)->launched = true;
}
void
on_disconnected(sdvm_ctx *, void *ud)
{
    static_cast<Client *>(ud)->ended = true;
}

const sdvm_listener kListener = {sizeof(sdvm_listener), on_progress, on_message, on_finished,
                                 on_launching, nullptr, on_disconnected};

double
median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}
} // namespace

int
main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 50;
    HarnessOptions o;
    o.step_ms = 0;
    o.run_guest_body = "exit 0";
    DaemonHarness h(o);
    std::string error;
    if (!h.start(&error)) {
        fprintf(stderr, "cannot start sdvmd: %s\n", error.c_str());
        return 1;
    }
    unsetenv("SDVM_BACKEND");
    setenv("SDVM_SOCKET", h.socket_path().c_str(), 1);

    std::vector<double> connect_ms, login_ms;
    for (int i = 0; i < runs + 1; i++) {
        Client c;
        sdvm_ctx *ctx = nullptr;
        gint64 t0 = g_get_monotonic_time();
        if (sdvm_ctx_new(&kListener, &c, &ctx) < 0) {
            fprintf(stderr, "cannot connect\n");
            return 1;
        }
        gint64 t1 = g_get_monotonic_time();
        uint64_t op = 0;
        if (sdvm_login_start(ctx, "alice@uni-a.test", "secret", "tiny", &op) < 0)
            return 1;
        while (!c.launched && !c.failed)
            sdvm_dispatch(ctx, 1000);
        gint64 t2 = g_get_monotonic_time();
        if (c.failed)
            return 1;
        while (!c.ended)
            sdvm_dispatch(ctx, 1000); // the stand-in guest ends; sdvmd closes the session
        sdvm_ctx_free(ctx);
        if (i == 0) {
            printf("first login (creates the user's disk): %.3f ms\n", (t2 - t1) / 1000.0);
            continue;
        }
        connect_ms.push_back((t1 - t0) / 1000.0);
        login_ms.push_back((t2 - t1) / 1000.0);
    }
    printf("sdvmd overhead per login, %d logins (disk reused), fake network with no delay:\n",
           runs);
    printf("  connect + handshake (hello, images)   median %.3f ms\n", median(connect_ms));
    printf("  login request -> LAUNCHING            median %.3f ms (max %.3f ms)\n",
           median(login_ms), *std::max_element(login_ms.begin(), login_ms.end()));
    printf("  goal: <= 20 ms beyond NetworkManager's own activation\n");
    return 0;
}
