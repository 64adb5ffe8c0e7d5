// The guest runner: run-guest gets the session's environment, its output reaches the log,
// its exit codes become failure reasons, and a stop request ends it.
#include <gtest/gtest.h>

#include <glib.h>
#include <glib/gstdio.h>

#include <string>
#include <vector>

extern "C" {
#include "guest-runner.h"
#include "sdvm/guest-exit.h"
#include "sdvm/log.h"
}

namespace {
struct Done {
    bool fired = false;
    sdvm_failure failure = SDVM_FAILURE_INTERNAL;
};

void
on_done(sdvm_failure failure, int, uint64_t, void *userdata)
{
    auto *d = static_cast<Done *>(userdata);
    d->fired = true;
    d->failure = failure;
}

std::vector<std::string> lines;
void
record(sdvm_log_level, const char *msg, void *)
{
    lines.emplace_back(msg);
}

bool
logged(const std::string &needle)
{
    for (auto &l : lines)
        if (l.find(needle) != std::string::npos)
            return true;
    return false;
}

class GuestRunner : public ::testing::Test {
protected:
    void SetUp() override
    {
        lines.clear();
        sdvm_log_set_handler(SDVM_LOG_DEBUG, record, nullptr);
        dir = g_dir_make_tmp("sdvm-guest-XXXXXX", nullptr);
        script = std::string(dir) + "/run-guest";
    }
    void TearDown() override
    {
        sdvm_log_set_handler(SDVM_LOG_SILENT, nullptr, nullptr);
        g_unlink(script.c_str());
        g_rmdir(dir);
        g_free(dir);
    }
    void write_script(const std::string &body)
    {
        std::string text = "#!/bin/sh\n" + body + "\n";
        ASSERT_TRUE(g_file_set_contents(script.c_str(), text.c_str(), -1, nullptr));
        g_chmod(script.c_str(), 0755);
    }
    Done run(const char *const *env = nullptr, bool stop = false)
    {
        Done done;
        sdvmd_guest_params p = {};
        p.run_guest = script.c_str();
        p.disk = "/var/lib/sdvm/users/abc/win.qcow2";
        p.image_id = "win";
        p.os_type = "windows";
        p.user_id = "p9zvmu8mIC_OgqfH1mcq-zoUnbIH2QoH5DfVq8f8me0";
        p.env = env;
        sdvmd_guest *g = sdvmd_guest_start(&p, on_done, nullptr, &done);
        EXPECT_NE(nullptr, g);
        if (!g)
            return done;
        if (stop) {
            for (int i = 0; i < 20; i++)
                g_main_context_iteration(nullptr, FALSE), g_usleep(10000);
            sdvmd_guest_stop(g);
        }
        gint64 until = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
        while (!done.fired && g_get_monotonic_time() < until)
            g_main_context_iteration(nullptr, TRUE);
        sdvmd_guest_free(g);
        return done;
    }
    char *dir = nullptr;
    std::string script;
};
} // namespace

TEST_F(GuestRunner, PassesTheSessionAndLogsItsOutput)
{
    write_script("echo \"disk=$SDVM_DISK image=$SDVM_IMAGE_ID os=$SDVM_OS_TYPE user=$SDVM_USER_ID"
                 " extra=$QEMU\"; echo 'on stderr' >&2; exit 0");
    const char *env[] = {"QEMU=/usr/bin/qemu-system-x86_64", nullptr};
    Done d = run(env);
    ASSERT_TRUE(d.fired);
    EXPECT_EQ(SDVM_FAILURE_NONE, d.failure);
    EXPECT_TRUE(logged("disk=/var/lib/sdvm/users/abc/win.qcow2 image=win os=windows "
                       "user=p9zvmu8mIC_OgqfH1mcq-zoUnbIH2QoH5DfVq8f8me0 "
                       "extra=/usr/bin/qemu-system-x86_64"));
    EXPECT_TRUE(logged("run-guest: on stderr"));
}

TEST_F(GuestRunner, ExitCodesBecomeFailureReasons)
{
    struct {
        int code;
        sdvm_failure failure;
    } cases[] = {{62, SDVM_FAILURE_DEVICE_MISMATCH}, {64, SDVM_FAILURE_REBOOT_NEEDED},
                 {61, SDVM_FAILURE_GUEST_CRASHED},   {60, SDVM_FAILURE_GUEST_START},
                 {127, SDVM_FAILURE_INTERNAL}};
    for (auto &c : cases) {
        write_script("exit " + std::to_string(c.code));
        Done d = run();
        ASSERT_TRUE(d.fired);
        EXPECT_EQ(c.failure, d.failure) << "exit " << c.code;
    }
}

TEST_F(GuestRunner, StopEndsTheGuest)
{
    write_script("trap 'echo undo steps done; exit 0' TERM; while :; do sleep 0.05; done");
    Done d = run(nullptr, true);
    ASSERT_TRUE(d.fired);
    EXPECT_EQ(SDVM_FAILURE_NONE, d.failure);
    EXPECT_TRUE(logged("undo steps done"));
}

TEST_F(GuestRunner, MissingLauncherIsAnError)
{
    sdvmd_guest_params p = {};
    p.run_guest = "/nonexistent/run-guest";
    p.disk = "/d";
    p.image_id = "i";
    p.user_id = "u";
    Done d;
    EXPECT_EQ(nullptr, sdvmd_guest_start(&p, on_done, nullptr, &d));
    p.disk = nullptr;
    EXPECT_EQ(nullptr, sdvmd_guest_start(&p, on_done, nullptr, &d));
}

// Review M6: run-guest gets the stop timeout sdvmd's own stop waits for (guest-exit.h).
TEST_F(GuestRunner, RunGuestGetsTheStopTimeoutSdvmdWaitsFor)
{
    write_script("echo \"stop=$SDVM_STOP_TIMEOUT undo=$SDVM_UNDO_TIMEOUT\"; exit 0");
    Done d = run();
    ASSERT_TRUE(d.fired);
    EXPECT_TRUE(logged("stop=" + std::to_string(SDVM_GUEST_STOP_TIMEOUT_S) +
                       " undo=" + std::to_string(SDVM_GUEST_UNDO_ALLOWANCE_S)));
}

// Review M7: the recovery run is run-guest --recover, with no session in its environment.
TEST_F(GuestRunner, RecoverRunsRunGuestWithoutASession)
{
    write_script("echo \"args=$* disk=${SDVM_DISK:-none} stop=$SDVM_STOP_TIMEOUT\"; exit 64");
    Done done;
    sdvmd_guest_params p = {};
    p.run_guest = script.c_str();
    p.recover = true;
    sdvmd_guest *g = sdvmd_guest_start(&p, on_done, nullptr, &done);
    ASSERT_NE(nullptr, g);
    gint64 until = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    while (!done.fired && g_get_monotonic_time() < until)
        g_main_context_iteration(nullptr, TRUE);
    sdvmd_guest_free(g);
    ASSERT_TRUE(done.fired);
    EXPECT_EQ(SDVM_FAILURE_REBOOT_NEEDED, done.failure);
    EXPECT_TRUE(logged("args=--recover disk=none stop=" +
                       std::to_string(SDVM_GUEST_STOP_TIMEOUT_S)));
}
