#include "fake_net.h"

#include <glib.h>

#include <cstring>
#include <string>

namespace {
struct FakeNet {
    sdvmd_net base;
    unsigned step_ms;
    FakeNetStats *stats;
    guint timer = 0;
    int step = 0;
    std::string realm;
    bool wrong_password = false;
    unsigned logouts_owed = 0; // logged_out() events still to deliver
    guint logout_idle = 0;
};

void
finish(FakeNet *f, sdvm_failure failure, const char *detail)
{
    if (f->timer)
        g_source_remove(f->timer);
    f->timer = 0;
    if (failure == SDVM_FAILURE_NONE)
        f->stats->connected++;
    f->base.events.done(failure, detail, f->base.userdata);
}

gboolean
on_step(gpointer data)
{
    auto *f = static_cast<FakeNet *>(data);
    f->timer = 0;
    switch (f->step++) {
    case 0:
        if (f->realm == "nocarrier.test") {
            finish(f, SDVM_FAILURE_NO_NETWORK, "no ethernet device with carrier");
            return G_SOURCE_REMOVE;
        }
        f->base.events.stage(SDVM_STAGE_CONNECTING_WIRED, f->base.userdata);
        break;
    case 1:
        f->base.events.stage(SDVM_STAGE_AUTHENTICATING, f->base.userdata);
        break;
    default:
        if (f->realm == "cert.test")
            finish(f, SDVM_FAILURE_SERVER_CERT_UNTRUSTED, "fake: self-signed certificate");
        else if (f->wrong_password)
            finish(f, SDVM_FAILURE_BAD_CREDENTIALS, "fake: EAP failure");
        else
            finish(f, SDVM_FAILURE_NONE, nullptr);
        return G_SOURCE_REMOVE;
    }
    f->timer = g_timeout_add(f->step_ms, on_step, f);
    return G_SOURCE_REMOVE;
}

int
fake_start(sdvmd_net *net, const sdvm_auth_profile *profile, const char *nai, const char *password)
{
    auto *f = reinterpret_cast<FakeNet *>(net);
    f->stats->starts++;
    f->stats->password_seen = password && *password;
    f->realm = profile->realm ? profile->realm : "";
    f->wrong_password = password && strcmp(password, "wrong") == 0;
    f->step = 0;
    f->timer = g_timeout_add(f->step_ms, on_step, f);
    return 0;
}

gboolean
on_cancelled(gpointer data)
{
    auto *f = static_cast<FakeNet *>(data);
    f->base.events.done(SDVM_FAILURE_CANCELLED, nullptr, f->base.userdata);
    return G_SOURCE_REMOVE;
}

void
fake_cancel(sdvmd_net *net)
{
    auto *f = reinterpret_cast<FakeNet *>(net);
    f->stats->cancels++;
    if (f->timer) {
        g_source_remove(f->timer);
        f->timer = 0;
        g_idle_add(on_cancelled, f);
    }
}

gboolean
on_logged_out(gpointer data)
{
    auto *f = static_cast<FakeNet *>(data);
    f->logout_idle = 0;
    for (; f->logouts_owed > 0; f->logouts_owed--)
        f->base.events.logged_out(f->base.userdata);
    return G_SOURCE_REMOVE;
}

void
fake_logout(sdvmd_net *net)
{
    auto *f = reinterpret_cast<FakeNet *>(net);
    f->stats->logouts++;
    f->stats->connected = 0;
    f->logouts_owed++;
    if (!f->logout_idle)
        f->logout_idle = g_idle_add(on_logged_out, f);
}

void
fake_free(sdvmd_net *net)
{
    auto *f = reinterpret_cast<FakeNet *>(net);
    if (f->timer)
        g_source_remove(f->timer);
    if (f->logout_idle)
        g_source_remove(f->logout_idle);
    delete f;
}

const sdvmd_net_ops kOps = {fake_start, fake_cancel, fake_logout, fake_free};
} // namespace

sdvmd_net *
fake_net_new(unsigned step_ms, FakeNetStats *stats)
{
    auto *f = new FakeNet();
    f->base.ops = &kOps;
    f->step_ms = step_ms;
    f->stats = stats;
    return &f->base;
}
