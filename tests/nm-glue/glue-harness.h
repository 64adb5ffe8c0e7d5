// A small harness around sdvm_nm for the tests: runs the default GMainContext until an event
// arrives and records every event with its time since the request.
#pragma once

#include <glib.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

extern "C" {
#include "sdvm/log.h"
#include "sdvm/nm-glue.h"
}

struct GlueEvents {
    std::vector<std::string> order; // "started", "eap-started", ...
    unsigned n_links = 0;
    bool done = false;
    bool ok = false;
    sdvm_failure failure = SDVM_FAILURE_NONE;
    std::string detail, ifname, subject, eap_ifname;
    bool detail_null = false; // failure's detail was NULL (a cancelled login that never began)
    double t_done = -1, t_eap = -1, t_cert = -1, t_slow = -1;
    bool logged_out = false;
    int logged_out_at = -1; // how many of `order` had arrived before logged_out
    unsigned removed = 0;
    int logout_error = 0;
};

class Glue
{
  public:
    explicit Glue(const sdvm_nm_params *params = nullptr)
    {
        sdvm_nm_params p;
        sdvm_nm_params_init(&p);
        p.configure_ip = false;
        if (params)
            p = *params;
        static const sdvm_nm_listener l = {
            sizeof(sdvm_nm_listener),
            on_started,
            on_eap,
            on_cert,
            on_success,
            on_failure,
            on_logged_out,
            on_home_server_slow,
        };
        err = sdvm_nm_new(&p, &l, this, &nm);
    }
    ~Glue()
    {
        sdvm_nm_free(nm);
    }
    Glue(const Glue &) = delete;
    Glue &operator=(const Glue &) = delete;

    // Start a login; returns sdvm_nm_login's result.
    int
    start(const sdvm_auth_profile *profile, const char *nai, const char *password)
    {
        ev = GlueEvents();
        t0 = g_get_monotonic_time();
        return sdvm_nm_login(nm, profile, nai, password, &attempt);
    }
    // Run the loop until pred() or the timeout (seconds); false on timeout.
    bool
    run_until(const std::function<bool()> &pred, double timeout)
    {
        gint64 end = g_get_monotonic_time() + (gint64)(timeout * 1e6);
        while (!pred()) {
            if (g_get_monotonic_time() >= end)
                return false;
            if (!g_main_context_iteration(nullptr, FALSE))
                g_usleep(2000);
        }
        return true;
    }
    bool
    wait_done(double timeout = 20)
    {
        return run_until([&] { return ev.done; }, timeout);
    }
    bool
    login(const sdvm_auth_profile *profile, const char *nai, const char *password,
          double timeout = 20)
    {
        return start(profile, nai, password) == 0 && wait_done(timeout);
    }
    bool
    logout(double timeout = 10)
    {
        ev.logged_out = false;
        return sdvm_nm_logout(nm) == 0 && run_until([&] { return ev.logged_out; }, timeout);
    }
    // Let the loop run for a while (events that should not come).
    void
    idle(double seconds)
    {
        run_until([] { return false; }, seconds);
    }

    double
    now() const
    {
        return (double)(g_get_monotonic_time() - t0) / 1e6;
    }

    sdvm_nm *nm = nullptr;
    int err = 0;
    uint64_t attempt = 0;
    GlueEvents ev;
    gint64 t0 = 0;

  private:
    static Glue *
    self(void *ud)
    {
        return static_cast<Glue *>(ud);
    }
    static void
    on_started(sdvm_nm *, uint64_t, unsigned n, void *ud)
    {
        self(ud)->ev.order.push_back("started");
        self(ud)->ev.n_links = n;
    }
    static void
    on_eap(sdvm_nm *, uint64_t, const char *ifname, void *ud)
    {
        Glue *g = self(ud);
        g->ev.order.push_back("eap-started");
        g->ev.eap_ifname = ifname;
        g->ev.t_eap = g->now();
    }
    static void
    on_cert(sdvm_nm *, uint64_t, const char *, const char *subject, void *ud)
    {
        Glue *g = self(ud);
        g->ev.order.push_back("cert-accepted");
        g->ev.subject = subject;
        g->ev.t_cert = g->now();
    }
    static void
    on_home_server_slow(sdvm_nm *, uint64_t, const char *, void *ud)
    {
        Glue *g = self(ud);
        g->ev.order.push_back("home-server-slow");
        g->ev.t_slow = g->now();
    }
    static void
    on_success(sdvm_nm *, uint64_t a, const char *ifname, void *ud)
    {
        Glue *g = self(ud);
        g->ev.order.push_back("success");
        g->ev.done = true;
        g->ev.ok = true;
        g->ev.ifname = ifname;
        g->ev.t_done = g->now();
        if (a != g->attempt)
            g->ev.detail = "event for another attempt";
    }
    static void
    on_failure(sdvm_nm *, uint64_t a, sdvm_failure f, const char *detail, void *ud)
    {
        Glue *g = self(ud);
        g->ev.order.push_back("failure");
        g->ev.done = true;
        g->ev.ok = false;
        g->ev.failure = f;
        g->ev.detail = detail ? detail : "";
        g->ev.detail_null = !detail;
        g->ev.t_done = g->now();
        if (a != g->attempt)
            g->ev.detail += " [event for another attempt]";
    }
    static void
    on_logged_out(sdvm_nm *, unsigned removed, int error, void *ud)
    {
        Glue *g = self(ud);
        g->ev.logged_out = true;
        g->ev.logged_out_at = (int)g->ev.order.size();
        g->ev.removed = removed;
        g->ev.logout_error = error;
    }
};

inline std::string
failure_name(sdvm_failure f)
{
    return sdvm_failure_to_string(f);
}

// Debug log of nm-glue on stderr when SDVM_TEST_DEBUG is set.
inline void
glue_log_from_env()
{
    if (getenv("SDVM_TEST_DEBUG"))
        sdvm_log_set_handler(
            SDVM_LOG_DEBUG,
            [](sdvm_log_level, const char *msg, void *) { fprintf(stderr, "  | %s\n", msg); },
            nullptr);
}

// nm-glue's log lines (info and up) while it lives: what the glue must say, or a step it takes
// without an event. Also on stderr when SDVM_TEST_DEBUG is set.
struct LogCapture {
    std::vector<std::string> lines;
    LogCapture()
    {
        sdvm_log_set_handler(
            SDVM_LOG_INFO,
            [](sdvm_log_level, const char *msg, void *ud) {
                static_cast<LogCapture *>(ud)->lines.emplace_back(msg);
                if (getenv("SDVM_TEST_DEBUG"))
                    fprintf(stderr, "  | %s\n", msg);
            },
            this);
    }
    ~LogCapture()
    {
        sdvm_log_set_handler(SDVM_LOG_INFO, nullptr, nullptr);
        glue_log_from_env();
    }
    LogCapture(const LogCapture &) = delete;
    LogCapture &operator=(const LogCapture &) = delete;
    size_t
    count(const std::string &needle) const
    {
        size_t n = 0;
        for (auto &l : lines)
            n += l.find(needle) != std::string::npos;
        return n;
    }
};
