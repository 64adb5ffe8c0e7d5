// sdvmd's login logic through the real ABI (libsdvm's socket backend) with the scripted
// network: the backend-neutral transcripts, a whole session, throttling, a client that
// leaves mid-login, a full disk, a reload. On the 802.1X test bed the same transcripts run
// against the real daemon and NetworkManager (tests/testbed).
#include <gtest/gtest.h>

#include <dirent.h>
#include <glib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "daemon_harness.h"
#include "transcript.h"

using namespace sdvmtest;

namespace {
ScenarioOptions
daemon_vars()
{
    ScenarioOptions o;
    o.vars = {{"GOOD_NAI", "alice@uni-a.test"},
              {"GOOD_PASSWORD", "correct horse"},
              {"BAD_PASSWORD", "wrong"},
              {"IMAGE", "tiny"},
              {"CERT_NAI", "carol@cert.test"},
              {"UNKNOWN_REALM_NAI", "mallory@unknown.test"},
              {"QUIET_MS", "200"}};
    return o;
}

void
use_socket(const DaemonHarness &h)
{
    unsetenv("SDVM_BACKEND");
    setenv("SDVM_SOCKET", h.socket_path().c_str(), 1);
}

class Transcripts : public ::testing::TestWithParam<std::string> {};
} // namespace

TEST_P(Transcripts, AgainstTheDaemon)
{
    DaemonHarness h;
    std::string error;
    ASSERT_TRUE(h.start(&error)) << error;
    use_socket(h);
    ScenarioResult r = run_scenario_file(scenario_path(GetParam()), daemon_vars());
    EXPECT_TRUE(r.ok) << r.report();
}

INSTANTIATE_TEST_SUITE_P(Scenarios, Transcripts, ::testing::ValuesIn(scenario_files("scenarios")),
                         [](const auto &info) { return scenario_test_name(info.param); });
TEST(Daemon, AWholeSession)
{
    HarnessOptions o;
    // The stand-in launcher records its environment, then the "guest" powers off.
    o.run_guest_body = "env | grep '^SDVM_' | sort > \"$(dirname \"$0\")/guest.env\"; "
                       "echo 'guest: booting'; sleep 0.3; exit 0";
    DaemonHarness h(o);
    std::string error;
    ASSERT_TRUE(h.start(&error)) << error;
    use_socket(h);
    ScenarioResult r = run_scenario(R"(
IMAGES
EXPECT IMAGES count=1
EXPECT IMAGE id=tiny default=1 available=1 name="Tiny Linux" os=linux
LOGIN nai=Alice@UNI-A.test password=secret image=tiny op=1
EXPECT PROGRESS op=1 stage=CHECKING_REALM
EXPECT PROGRESS op=1 stage=CONNECTING_WIRED
EXPECT PROGRESS op=1 stage=AUTHENTICATING
EXPECT PROGRESS op=1 stage=PREPARING_DISK
EXPECT PROGRESS op=1 stage=STARTING
EXPECT LAUNCHING op=1
EXPECT MESSAGE op=0 error=0 text="guest: booting"
EXPECT MESSAGE op=0 error=0 text="session ended: NONE"
EXPECT DISCONNECTED
)",
                                    daemon_vars());
    EXPECT_TRUE(r.ok) << r.report();
    FakeNetStats s = h.stats();
    EXPECT_EQ(1, s.starts);
    EXPECT_TRUE(s.password_seen);
    EXPECT_EQ(1, s.logouts) << "the user's connection must be torn down at session end";
    EXPECT_EQ(0, s.connected);

    // The user id is of the normalized NAI (realm lower-cased, user part as typed).
    gchar *out = nullptr;
    ASSERT_TRUE(g_spawn_command_line_sync(
        "sh -c \"printf '%s' 'Alice@uni-a.test' | openssl dgst -sha3-256 -binary | "
        "basenc --base64url | tr -d '=\\n'\"",
        &out, nullptr, nullptr, nullptr));
    std::string user_id = out;
    g_free(out);
    ASSERT_EQ(43u, user_id.size());
    std::string disk = h.dir() + "/users/" + user_id + "/tiny.qcow2";
    EXPECT_TRUE(g_file_test(disk.c_str(), G_FILE_TEST_IS_REGULAR)) << disk;
    gchar *env = nullptr;
    ASSERT_TRUE(g_file_get_contents((h.dir() + "/guest.env").c_str(), &env, nullptr, nullptr));
    std::string e = env;
    g_free(env);
    EXPECT_NE(std::string::npos, e.find("SDVM_DISK=" + disk)) << e;
    EXPECT_NE(std::string::npos, e.find("SDVM_IMAGE_ID=tiny")) << e;
    EXPECT_NE(std::string::npos, e.find("SDVM_OS_TYPE=linux")) << e;
    EXPECT_NE(std::string::npos, e.find("SDVM_USER_ID=" + user_id)) << e;
    EXPECT_NE(std::string::npos, e.find("SDVM_MACHINE=auto")) << e; // sdvm.conf [Guest]
    EXPECT_EQ(std::string::npos, e.find("secret")) << "the password reached run-guest";
}

TEST(Daemon, GuestFailureIsReported)
{
    HarnessOptions o;
    o.run_guest_body = "exit 62";
    DaemonHarness h(o);
    std::string error;
    ASSERT_TRUE(h.start(&error)) << error;
    use_socket(h);
    ScenarioResult r = run_scenario(R"(
LOGIN nai=alice@uni-a.test password=secret image=tiny op=1
EXPECT PROGRESS op=1 stage=CHECKING_REALM
EXPECT PROGRESS op=1 stage=CONNECTING_WIRED
EXPECT PROGRESS op=1 stage=AUTHENTICATING
EXPECT PROGRESS op=1 stage=PREPARING_DISK
EXPECT PROGRESS op=1 stage=STARTING
EXPECT LAUNCHING op=1
EXPECT MESSAGE op=0 error=1 text="session ended: DEVICE_MISMATCH"
EXPECT DISCONNECTED
)",
                                    daemon_vars());
    EXPECT_TRUE(r.ok) << r.report();
    EXPECT_EQ(1, h.stats().logouts);
}

TEST(Daemon, GuestThatCannotStartEndsTheSessionAsOneThatRan)
{
    DaemonHarness h;
    std::string error;
    ASSERT_TRUE(h.start(&error)) << error;
    // run-guest cannot be executed: nothing runs, and the session ends as a guest's would
    // (logout, message, disconnect), with GUEST_START.
    ASSERT_EQ(0, chmod((h.dir() + "/run-guest").c_str(), 0644));
    use_socket(h);
    ScenarioResult r = run_scenario(R"(
LOGIN nai=alice@uni-a.test password=secret image=tiny op=1
EXPECT PROGRESS op=1 stage=CHECKING_REALM
EXPECT PROGRESS op=1 stage=CONNECTING_WIRED
EXPECT PROGRESS op=1 stage=AUTHENTICATING
EXPECT PROGRESS op=1 stage=PREPARING_DISK
EXPECT PROGRESS op=1 stage=STARTING
EXPECT LAUNCHING op=1
EXPECT MESSAGE op=0 error=1 text="session ended: GUEST_START"
EXPECT DISCONNECTED
)",
                                    daemon_vars());
    EXPECT_TRUE(r.ok) << r.report();
    EXPECT_EQ(1, h.stats().logouts);
    EXPECT_EQ(0, h.stats().connected);
}

TEST(Daemon, RepeatedWrongPasswordsSlowTheTerminalDown)
{
    HarnessOptions o;
    o.extra_config = "[Login]\nThrottleAfter=2\nThrottleBaseSeconds=30\nThrottleMaxSeconds=60\n";
    DaemonHarness h(o);
    std::string error;
    ASSERT_TRUE(h.start(&error)) << error;
    use_socket(h);
    ScenarioResult r = run_scenario(R"(
LOGIN nai=alice@uni-a.test password=wrong image=tiny op=1
EXPECT PROGRESS op=1 stage=CHECKING_REALM
EXPECT PROGRESS op=1 stage=CONNECTING_WIRED
EXPECT PROGRESS op=1 stage=AUTHENTICATING
EXPECT FINISHED op=1 failure=BAD_CREDENTIALS retry-after=0
LOGIN nai=alice@uni-a.test password=wrong image=tiny op=2
EXPECT PROGRESS op=2 stage=CHECKING_REALM
EXPECT PROGRESS op=2 stage=CONNECTING_WIRED
EXPECT PROGRESS op=2 stage=AUTHENTICATING
EXPECT FINISHED op=2 failure=BAD_CREDENTIALS retry-after=30
LOGIN nai=alice@uni-a.test password=right image=tiny op=3
EXPECT FINISHED op=3 failure=THROTTLED retry-after=30
)",
                                    daemon_vars());
    EXPECT_TRUE(r.ok) << r.report();
    EXPECT_EQ(2, h.stats().starts) << "a throttled login must not reach the network";
}

// Review L2: an attempt counts when it reaches the network, so cancelling before the verdict
// (a success comes faster than a reject) is no way around the throttle; the count is per
// login and survives a reload (SIGHUP, e.g. each nightly CAT database install).
TEST(Daemon, ThrottleCountsCancelsPerLoginAcrossAReload)
{
    HarnessOptions o;
    o.step_ms = 500; // time to cancel between the stages
    o.extra_config = "[Login]\nThrottleAfter=2\nThrottleBaseSeconds=30\nThrottleMaxSeconds=60\n";
    DaemonHarness h(o);
    std::string error;
    ASSERT_TRUE(h.start(&error)) << error;
    use_socket(h);
    ScenarioResult r = run_scenario(R"(
LOGIN nai=alice@uni-a.test password=right image=tiny op=1
EXPECT PROGRESS op=1 stage=CHECKING_REALM
EXPECT PROGRESS op=1 stage=CONNECTING_WIRED
CANCEL op=1
EXPECT FINISHED op=1 failure=CANCELLED retry-after=0
LOGIN nai=alice@uni-a.test password=right image=tiny op=2
EXPECT PROGRESS op=2 stage=CHECKING_REALM
EXPECT PROGRESS op=2 stage=CONNECTING_WIRED
CANCEL op=2
EXPECT FINISHED op=2 failure=CANCELLED retry-after=30
)",
                                    daemon_vars());
    EXPECT_TRUE(r.ok) << r.report();
    ASSERT_EQ(0, h.reload());
    r = run_scenario(R"(
LOGIN nai=alice@uni-a.test password=right image=tiny op=1
EXPECT FINISHED op=1 failure=THROTTLED
LOGIN nai=bob@uni-a.test password=wrong image=tiny op=2
EXPECT PROGRESS op=2 stage=CHECKING_REALM
EXPECT PROGRESS op=2 stage=CONNECTING_WIRED
EXPECT PROGRESS op=2 stage=AUTHENTICATING
EXPECT FINISHED op=2 failure=BAD_CREDENTIALS retry-after=0
)",
                     daemon_vars());
    EXPECT_TRUE(r.ok) << r.report();
    EXPECT_EQ(3, h.stats().starts) << "only the throttled login stays off the network";
}

TEST(Daemon, InputAndCatalogFailuresNeverReachTheNetwork)
{
    DaemonHarness h;
    std::string error;
    ASSERT_TRUE(h.start(&error)) << error;
    use_socket(h);
    ScenarioResult r = run_scenario(R"(
LOGIN nai=alice@@uni-a.test password=x image=tiny op=1
EXPECT PROGRESS op=1 stage=CHECKING_REALM
EXPECT FINISHED op=1 failure=INVALID_NAI
LOGIN nai=alice@uni-a.test password=x image=no-such-image op=2
EXPECT PROGRESS op=2 stage=CHECKING_REALM
EXPECT FINISHED op=2 failure=IMAGE_UNKNOWN
LOGIN nai=mallory@unknown.test password=x image=tiny op=3
EXPECT PROGRESS op=3 stage=CHECKING_REALM
EXPECT FINISHED op=3 failure=UNKNOWN_REALM
LOGIN nai=bob@nocarrier.test password=x image=tiny op=4
EXPECT PROGRESS op=4 stage=CHECKING_REALM
EXPECT FINISHED op=4 failure=NO_NETWORK
)",
                                    daemon_vars());
    EXPECT_TRUE(r.ok) << r.report();
    EXPECT_EQ(1, h.stats().starts);
}

TEST(Daemon, AClientLeavingMidLoginCancelsIt)
{
    HarnessOptions o;
    o.step_ms = 300;
    DaemonHarness h(o);
    std::string error;
    ASSERT_TRUE(h.start(&error)) << error;
    use_socket(h);
    ScenarioResult r = run_scenario(R"(
LOGIN nai=alice@uni-a.test password=secret image=tiny op=1
EXPECT PROGRESS op=1 stage=CHECKING_REALM
FREE
)",
                                    daemon_vars());
    EXPECT_TRUE(r.ok) << r.report();
    for (int i = 0; i < 200 && (h.stats().cancels == 0 || h.busy()); i++)
        g_usleep(10000);
    EXPECT_EQ(1, h.stats().cancels);
    EXPECT_FALSE(h.busy()) << "the abandoned login never ended";
    // The terminal is usable again at once.
    r = run_scenario(R"(
LOGIN nai=alice@uni-a.test password=wrong image=tiny op=1
EXPECT PROGRESS op=1 stage=CHECKING_REALM
EXPECT PROGRESS op=1 stage=CONNECTING_WIRED
EXPECT PROGRESS op=1 stage=AUTHENTICATING
EXPECT FINISHED op=1 failure=BAD_CREDENTIALS
)",
                     daemon_vars());
    EXPECT_TRUE(r.ok) << r.report();
}

TEST(Daemon, AFullStoreTearsTheConnectionDown)
{
    if (getuid() != 0)
        GTEST_SKIP() << "needs root for a tiny tmpfs";
    HarnessOptions o;
    o.store_full = true; // 64 MiB image, 1 MiB store: the space rule cannot be met
    DaemonHarness h(o);
    std::string error;
    ASSERT_TRUE(h.start(&error)) << error;
    use_socket(h);
    ScenarioResult r = run_scenario(R"(
LOGIN nai=alice@uni-a.test password=secret image=tiny op=1
EXPECT PROGRESS op=1 stage=CHECKING_REALM
EXPECT PROGRESS op=1 stage=CONNECTING_WIRED
EXPECT PROGRESS op=1 stage=AUTHENTICATING
EXPECT PROGRESS op=1 stage=PREPARING_DISK
EXPECT FINISHED op=1 failure=DISK_FULL
)",
                                    daemon_vars());
    EXPECT_TRUE(r.ok) << r.report();
    FakeNetStats s = h.stats();
    EXPECT_EQ(1, s.logouts) << "an authenticated port must not stay open after a failure";
    EXPECT_EQ(0, s.connected);
}

TEST(Daemon, ReloadAnnouncesNewImages)
{
    DaemonHarness h;
    std::string error;
    ASSERT_TRUE(h.start(&error)) << error;
    use_socket(h);
    Recorder rec;
    ASSERT_EQ(0, rec.connect());
    std::string cmd = "qemu-img create -q -f qcow2 '" + h.dir() + "/images/win.qcow2' 64M";
    ASSERT_EQ(0, system(cmd.c_str()));
    ASSERT_TRUE(g_file_set_contents((h.dir() + "/images/win.ini").c_str(),
                                    "[Image]\nName=Windows\nOsType=windows\n", -1, nullptr));
    ASSERT_EQ(0, h.reload());
    ASSERT_TRUE(rec.wait_for(1, 5000));
    EXPECT_EQ("IMAGES-CHANGED", rec.lines()[0].kind);
    const sdvm_image *const *images = nullptr;
    size_t n = 0;
    ASSERT_EQ(0, sdvm_images(rec.ctx(), &images, &n));
    EXPECT_EQ(2u, n);
}

TEST(Daemon, AdminLoginFollowsTheSessionToItsEnd)
{
    HarnessOptions o;
    o.run_guest_body = "echo 'guest: Linux version 6.1'; echo 'guest: powering off'; exit 0";
    DaemonHarness h(o);
    std::string error;
    ASSERT_TRUE(h.start(&error)) << error;
    std::string cmd = "printf 'secret\\n' | SDVM_SOCKET='" + h.socket_path() + "' '" +
                      SDVM_ADMIN_PATH + "' login alice@uni-a.test --image tiny --follow";
    gchar *out = nullptr;
    gint status = -1;
    const char *argv[] = {"/bin/sh", "-c", cmd.c_str(), nullptr};
    ASSERT_TRUE(g_spawn_sync(nullptr, const_cast<char **>(argv), nullptr, G_SPAWN_DEFAULT,
                             nullptr, nullptr, &out, nullptr, &status, nullptr));
    std::string text = out;
    g_free(out);
    EXPECT_TRUE(g_spawn_check_wait_status(status, nullptr)) << text;
    EXPECT_NE(std::string::npos, text.find("stage: AUTHENTICATING")) << text;
    EXPECT_NE(std::string::npos, text.find("launching:")) << text;
    EXPECT_NE(std::string::npos, text.find("message: guest: powering off")) << text;
    EXPECT_NE(std::string::npos, text.find("message: session ended: NONE")) << text;
    EXPECT_EQ(std::string::npos, text.find("secret")) << "the password was echoed";
}

// Review finding M4 through the daemon: the base of an image replaced in place between two
// sessions. The second login does not boot the old overlay: the person's disk is kept aside
// whole, a new one is made on the new base, and the person is told (DISK_RENEWED) before the
// guest starts.
TEST(Daemon, ABaseReplacedInPlaceGivesANewDiskAndTellsThePerson)
{
    HarnessOptions o;
    // The "guest" writes her files into her disk, as a real one would.
    o.run_guest_body = "qemu-io -f qcow2 -c 'write -P 0x61 1M 64k' \"$SDVM_DISK\" >/dev/null; "
                       "echo \"$SDVM_DISK\" > \"$(dirname \"$0\")/disk-used\"; exit 0";
    DaemonHarness h(o);
    std::string error;
    ASSERT_TRUE(h.start(&error)) << error;
    use_socket(h);
    const char *session = R"(
LOGIN nai=alice@uni-a.test password=secret image=tiny op=1
EXPECT PROGRESS op=1 stage=CHECKING_REALM
EXPECT PROGRESS op=1 stage=CONNECTING_WIRED
EXPECT PROGRESS op=1 stage=AUTHENTICATING
EXPECT PROGRESS op=1 stage=PREPARING_DISK
EXPECT PROGRESS op=1 stage=STARTING
EXPECT LAUNCHING op=1
EXPECT MESSAGE op=0 error=0 text="session ended: NONE"
EXPECT DISCONNECTED
)";
    ScenarioResult r = run_scenario(session, daemon_vars());
    ASSERT_TRUE(r.ok) << r.report();
    for (int i = 0; i < 200 && h.busy(); i++)
        g_usleep(20000);
    gchar *used = nullptr;
    ASSERT_TRUE(g_file_get_contents((h.dir() + "/disk-used").c_str(), &used, nullptr, nullptr));
    std::string disk = g_strstrip(used);
    g_free(used);
    gchar *hers = nullptr;
    gsize hers_len = 0;
    ASSERT_TRUE(g_file_get_contents(disk.c_str(), &hers, &hers_len, nullptr));

    // The administrator puts the new version over the old file.
    const std::string base = h.dir() + "/images/tiny.qcow2";
    ASSERT_EQ(0, system(("qemu-img create -q -f qcow2 '" + base + ".new' 64M && mv '" + base +
                         ".new' '" + base + "'")
                            .c_str()));

    r = run_scenario(R"(
LOGIN nai=alice@uni-a.test password=secret image=tiny op=1
EXPECT PROGRESS op=1 stage=CHECKING_REALM
EXPECT PROGRESS op=1 stage=CONNECTING_WIRED
EXPECT PROGRESS op=1 stage=AUTHENTICATING
EXPECT PROGRESS op=1 stage=PREPARING_DISK
EXPECT PROGRESS op=1 stage=DISK_RENEWED
EXPECT PROGRESS op=1 stage=STARTING
EXPECT LAUNCHING op=1
EXPECT MESSAGE op=0 error=0 text="session ended: NONE"
EXPECT DISCONNECTED
)",
                     daemon_vars());
    EXPECT_TRUE(r.ok) << r.report();
    for (int i = 0; i < 200 && h.busy(); i++)
        g_usleep(20000);

    // Her old disk, whole, under a retired name beside the new one.
    const std::string user_dir = disk.substr(0, disk.rfind('/'));
    std::string retired;
    GDir *dir = g_dir_open(user_dir.c_str(), 0, nullptr);
    ASSERT_NE(nullptr, dir);
    for (const char *n; (n = g_dir_read_name(dir));)
        if (g_str_has_prefix(n, "tiny.retired-"))
            retired = user_dir + "/" + n;
    g_dir_close(dir);
    ASSERT_FALSE(retired.empty()) << "no retired disk in " << user_dir;
    gchar *kept = nullptr;
    gsize kept_len = 0;
    ASSERT_TRUE(g_file_get_contents(retired.c_str(), &kept, &kept_len, nullptr));
    EXPECT_TRUE(kept_len == hers_len && memcmp(kept, hers, hers_len) == 0)
        << "the old disk was not kept as it was";
    g_free(kept);
    g_free(hers);
}
