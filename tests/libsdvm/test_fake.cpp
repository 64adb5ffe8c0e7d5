// libsdvm over the fake backend: transcript scenarios (tests/data/libsdvm) and the ABI's
// rules: listener checks, callbacks only inside dispatch, a pollable fd, the fake's
// transcript file, logging silent by default and never carrying the password.
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <poll.h>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "transcript.h"

using namespace sdvmtest;

namespace {

// The fake's environment, reset before every test so one test's ENV never leaks.
void
fake_env(int delay_ms = 10)
{
    setenv("SDVM_BACKEND", "fake", 1);
    setenv("SDVM_FAKE_DELAY_MS", std::to_string(delay_ms).c_str(), 1);
    unsetenv("SDVM_FAKE_LOG");
    unsetenv("SDVM_FAKE_POWER");
    unsetenv("SDVM_FAKE_HOSTNAME");
    unsetenv("SDVM_FAKE_RELOAD_MS");
}

// The backend-neutral scenarios' variables, as the fake's script answers them.
ScenarioOptions
fake_options()
{
    ScenarioOptions o;
    o.vars = {
        {"GOOD_NAI", "alice@example.org"},
        {"GOOD_PASSWORD", "correct horse"},
        {"BAD_PASSWORD", "wrong"},
        {"IMAGE", "debian-12"},
        {"UNKNOWN_REALM_NAI", "alice@unknown.test"},
        {"CERT_NAI", "alice@cert.test"},
        {"QUIET_MS", "100"},
    };
    return o;
}

} // namespace

class FakeScenario : public testing::TestWithParam<std::string> {
  protected:
    void SetUp() override { fake_env(); }
};

TEST_P(FakeScenario, Transcript)
{
    ScenarioResult r = run_scenario_file(scenario_path(GetParam()), fake_options());
    EXPECT_TRUE(r.ok) << r.report();
}

static std::string
name_of(const testing::TestParamInfo<std::string> &info)
{
    return scenario_test_name(info.param);
}
INSTANTIATE_TEST_SUITE_P(Neutral, FakeScenario, testing::ValuesIn(scenario_files("scenarios")),
                         name_of);
INSTANTIATE_TEST_SUITE_P(Fake, FakeScenario, testing::ValuesIn(scenario_files("fake")), name_of);

TEST(FakeScenarios, AreFound)
{
    // A renamed data folder must not turn the suite above into zero tests that pass.
    EXPECT_GE(scenario_files("scenarios").size(), 7u);
    EXPECT_GE(scenario_files("fake").size(), 10u);
}

TEST(Runner, RejectsAWrongTranscript)
{
    // The runner itself must be able to fail: a wrong stage, a missing line, a leftover line.
    fake_env();
    auto r = run_scenario("LOGIN nai=a@example.org password=x image=debian-12\n"
                          "EXPECT PROGRESS op=1 stage=AUTHENTICATING\n");
    EXPECT_FALSE(r.ok);
    EXPECT_NE(std::string::npos, r.error.find("got:")) << r.error;

    ScenarioOptions quick;
    quick.expect_timeout_ms = 300;
    r = run_scenario("LOGIN nai=a@example.org password=x image=debian-12\n"
                     "CANCEL op=1\n"
                     "EXPECT FINISHED op=1 failure=CANCELLED\n"
                     "EXPECT LAUNCHING op=1\n",
                     quick);
    EXPECT_FALSE(r.ok);
    EXPECT_NE(std::string::npos, r.error.find("timed out")) << r.error;

    r = run_scenario("LOGIN nai=a@unknown.test password=x image=debian-12\n"
                     "EXPECT PROGRESS op=1 stage=CHECKING_REALM\n"
                     "WAIT ms=50\n");
    EXPECT_FALSE(r.ok);
    EXPECT_NE(std::string::npos, r.error.find("unexpected line at the end")) << r.error;

    r = run_scenario("LOGIN nai=a@example.org password=x image=debian-12 result=EBUSY\n");
    EXPECT_FALSE(r.ok);

    // UNORDERED ... FENCE: any order inside, but every line must come.
    r = run_scenario("LOGIN nai=a@notice.test password=x image=debian-12\n"
                     "EXPECT PROGRESS op=1 stage=CHECKING_REALM\n"
                     "EXPECT PROGRESS op=1 stage=CONNECTING_WIRED\n"
                     "EXPECT PROGRESS op=1 stage=AUTHENTICATING\n"
                     "UNORDERED\n"
                     "EXPECT PROGRESS op=1 stage=PREPARING_DISK\n"
                     "EXPECT MESSAGE op=1 error=0\n"
                     "FENCE\n"
                     "EXPECT PROGRESS op=1 stage=STARTING\n"
                     "EXPECT LAUNCHING op=1\n");
    EXPECT_TRUE(r.ok) << r.report();
    r = run_scenario("LOGIN nai=a@notice.test password=x image=debian-12\n"
                     "EXPECT PROGRESS op=1 stage=CHECKING_REALM\n"
                     "UNORDERED\n"
                     "EXPECT PROGRESS op=1 stage=AUTHENTICATING\n"
                     "EXPECT MESSAGE op=1 error=1\n"
                     "FENCE\n",
                     quick);
    EXPECT_FALSE(r.ok);
    EXPECT_NE(std::string::npos, r.error.find("UNORDERED")) << r.error;
}

TEST(Runner, MatchesFields)
{
    Line want, got;
    std::string err;
    ASSERT_TRUE(parse_line("FINISHED op=1 failure=THROTTLED retry-after=30", &want, &err));
    got.kind = "FINISHED";
    got.core = {{"op", "1"}, {"failure", "THROTTLED"}};
    got.extra = {{"retry-after", "30"}, {"detail", "a b"}};
    EXPECT_TRUE(line_matches(want, got));
    got.extra[0].second = "31";
    EXPECT_FALSE(line_matches(want, got));
    ASSERT_TRUE(parse_line("FINISHED op=1", &want, &err));
    EXPECT_FALSE(line_matches(want, got)) << "a core field left out must not match";
    ASSERT_TRUE(parse_line("FINISHED op=1 failure=THROTTLED detail=\"a b\"", &want, &err));
    EXPECT_TRUE(line_matches(want, got));
    ASSERT_TRUE(parse_line("FINISHED op=1 failure=THROTTLED institution=*", &want, &err));
    EXPECT_FALSE(line_matches(want, got)) << "* needs the field to be present";
    EXPECT_EQ("FINISHED op=1 failure=THROTTLED retry-after=31 detail=\"a b\"", got.text());
}

// ---- the ABI's rules -----------------------------------------------------------------

namespace {

struct Counter {
    int progress = 0, message = 0, finished = 0, launching = 0, disconnected = 0;
    uint64_t last_op = 0;
    enum sdvm_failure failure = SDVM_FAILURE_NONE;
    bool free_in_callback = false;
    int nested_dispatch = 1;
};

void
c_progress(sdvm_ctx *ctx, uint64_t op, enum sdvm_stage, void *ud)
{
    auto *c = static_cast<Counter *>(ud);
    c->progress++;
    c->last_op = op;
    c->nested_dispatch = sdvm_dispatch(ctx, 0);
    if (c->free_in_callback)
        sdvm_ctx_free(ctx);
}
void
c_message(sdvm_ctx *, uint64_t, int, const char *, void *ud)
{
    static_cast<Counter *>(ud)->message++;
}
void
c_finished(sdvm_ctx *, uint64_t op, const struct sdvm_outcome *o, void *ud)
{
    auto *c = static_cast<Counter *>(ud);
    c->finished++;
    c->last_op = op;
    c->failure = o->failure;
}
void
c_launching(sdvm_ctx *, uint64_t op, void *ud)
{
    auto *c = static_cast<Counter *>(ud);
    c->launching++;
    c->last_op = op;
}

const struct sdvm_listener counting = {sizeof(struct sdvm_listener), c_progress, c_message,
                                       c_finished, c_launching, nullptr, nullptr};

int
run_until_end(sdvm_ctx *ctx, Counter &c, int timeout_ms = 10000)
{
    int r = 0;
    for (int waited = 0; c.finished + c.launching == 0 && waited < timeout_ms; waited += 100)
        r = sdvm_dispatch(ctx, 100);
    return r;
}

} // namespace

TEST(Listener, NullOrIncompleteIsRejected)
{
    fake_env();
    sdvm_ctx *ctx = reinterpret_cast<sdvm_ctx *>(0x1);
    EXPECT_EQ(-EINVAL, sdvm_ctx_new(nullptr, nullptr, &ctx));
    EXPECT_EQ(nullptr, ctx);
    EXPECT_EQ(-EINVAL, sdvm_ctx_new(&counting, nullptr, nullptr));

    struct sdvm_listener l = counting;
    l.finished = nullptr;
    EXPECT_EQ(-EINVAL, sdvm_ctx_new(&l, nullptr, &ctx));
    l = counting;
    l.progress = nullptr;
    EXPECT_EQ(-EINVAL, sdvm_ctx_new(&l, nullptr, &ctx));
    l = counting;
    l.launching = nullptr;
    EXPECT_EQ(-EINVAL, sdvm_ctx_new(&l, nullptr, &ctx));
    // A size that leaves out a required callback is incomplete, whatever the pointers say.
    l = counting;
    l.size = offsetof(struct sdvm_listener, launching);
    EXPECT_EQ(-EINVAL, sdvm_ctx_new(&l, nullptr, &ctx));
    l.size = 0;
    EXPECT_EQ(-EINVAL, sdvm_ctx_new(&l, nullptr, &ctx));
    EXPECT_EQ(nullptr, ctx);
}

TEST(Listener, OlderAndNewerSizesAreAccepted)
{
    fake_env(0);
    // An older caller: only the four required callbacks.
    struct sdvm_listener l = counting;
    l.size = offsetof(struct sdvm_listener, images_changed);
    l.images_changed = reinterpret_cast<void (*)(sdvm_ctx *, void *)>(0x1); // past size: unused
    sdvm_ctx *ctx = nullptr;
    ASSERT_EQ(0, sdvm_ctx_new(&l, nullptr, &ctx));
    sdvm_ctx_free(ctx);

    // A newer caller whose struct has grown: the library reads only what it knows.
    struct {
        struct sdvm_listener known;
        void *future[4];
    } big = {counting, {nullptr, nullptr, nullptr, nullptr}};
    big.known.size = sizeof(big);
    ASSERT_EQ(0, sdvm_ctx_new(&big.known, nullptr, &ctx));
    sdvm_ctx_free(ctx);
}

TEST(Listener, MessageIsOptional)
{
    // A client that shows no messages leaves message NULL; the fake's realm notice.test
    // sends one ("Your password expires in 3 days.") in the middle of a login.
    fake_env(0);
    struct sdvm_listener l = counting;
    l.message = nullptr;
    Counter c;
    sdvm_ctx *ctx = nullptr;
    ASSERT_EQ(0, sdvm_ctx_new(&l, &c, &ctx));
    uint64_t op = 0;
    ASSERT_EQ(0, sdvm_login_start(ctx, "alice@notice.test", "pw", "debian-12", &op));
    run_until_end(ctx, c);
    EXPECT_EQ(1, c.launching);
    EXPECT_EQ(5, c.progress);
    EXPECT_EQ(0, c.message);
    sdvm_ctx_free(ctx);

    // The same login with a message callback does see it: the test above can fail.
    Counter seen;
    ASSERT_EQ(0, sdvm_ctx_new(&counting, &seen, &ctx));
    ASSERT_EQ(0, sdvm_login_start(ctx, "alice@notice.test", "pw", "debian-12", &op));
    run_until_end(ctx, seen);
    EXPECT_EQ(1, seen.launching);
    EXPECT_EQ(1, seen.message);
    sdvm_ctx_free(ctx);
}

// What a client built against an older sdvm.h sees: its struct sdvm_image is a prefix of
// the library's. sdvm_images() hands out pointers, so the client's sizeof never matters
// (with an array of structs, every element after the first would be misread).
namespace {
struct older_image {
    size_t size;
    const char *id;
    const char *name;
};
} // namespace

TEST(Images, PointersSoAnOlderSmallerStructStillReadsEveryImage)
{
    fake_env(0);
    sdvm_ctx *ctx = nullptr;
    ASSERT_EQ(0, sdvm_ctx_new(&counting, nullptr, &ctx));
    const struct sdvm_image *const *images = nullptr;
    size_t n = 0;
    ASSERT_EQ(0, sdvm_images(ctx, &images, &n));
    ASSERT_EQ(3u, n);
    EXPECT_EQ(nullptr, images[n]); // NULL-terminated, like argv
    const char *ids[] = {"windows-11", "debian-12", "ubuntu-24.04"};
    const char *names[] = {"Windows 11 Education", "Debian GNU/Linux 12", "Ubuntu 24.04 LTS"};
    for (size_t i = 0; i < n; i++) {
        EXPECT_EQ(sizeof(struct sdvm_image), images[i]->size);
        const auto *old = reinterpret_cast<const older_image *>(images[i]);
        EXPECT_GE(old->size, sizeof(older_image));
        EXPECT_STREQ(ids[i], old->id);
        EXPECT_STREQ(names[i], old->name);
    }
    EXPECT_EQ(0u, offsetof(struct sdvm_image, size));
    EXPECT_EQ(offsetof(older_image, id), offsetof(struct sdvm_image, id));
    EXPECT_EQ(offsetof(older_image, name), offsetof(struct sdvm_image, name));
    // The field appended for issue 16 is covered by the size the library stamps, and says
    // why the unavailable image is unavailable as a number (the text only as a detail).
    EXPECT_LT(offsetof(struct sdvm_image, unavailable_status), images[2]->size);
    EXPECT_GT(offsetof(struct sdvm_image, unavailable_status),
              offsetof(struct sdvm_image, unavailable_reason));
    EXPECT_EQ(SDVM_IMAGE_AVAILABLE, images[0]->unavailable_status);
    EXPECT_EQ(SDVM_IMAGE_QCOW2_MISSING, images[2]->unavailable_status);
    sdvm_ctx_free(ctx);
}

TEST(Context, FreeNullAndNullArguments)
{
    sdvm_ctx_free(nullptr);
    EXPECT_EQ(-EINVAL, sdvm_get_fd(nullptr));
    EXPECT_EQ(-EINVAL, sdvm_dispatch(nullptr, 0));
    uint64_t op;
    EXPECT_EQ(-EINVAL, sdvm_login_start(nullptr, "a@b", "p", "i", &op));
    EXPECT_EQ(-EINVAL, sdvm_login_cancel(nullptr, 1));
    EXPECT_EQ(0u, sdvm_power_available(nullptr));
    EXPECT_EQ(-EINVAL, sdvm_power(nullptr, SDVM_POWER_OFF));
    EXPECT_STREQ("", sdvm_hostname(nullptr));
    const struct sdvm_image *const *im;
    size_t n;
    EXPECT_EQ(-EINVAL, sdvm_images(nullptr, &im, &n));
    sdvm_set_log_handler(nullptr, SDVM_LOG_SILENT, nullptr, nullptr);
}

TEST(Context, UnknownBackendAndBadFakeSettingsAreRejected)
{
    fake_env();
    sdvm_ctx *ctx = nullptr;
    setenv("SDVM_BACKEND", "carrier-pigeon", 1);
    EXPECT_EQ(-EINVAL, sdvm_ctx_new(&counting, nullptr, &ctx));
    fake_env();
    setenv("SDVM_FAKE_DELAY_MS", "fast", 1);
    EXPECT_EQ(-EINVAL, sdvm_ctx_new(&counting, nullptr, &ctx));
    setenv("SDVM_FAKE_DELAY_MS", "-1", 1);
    EXPECT_EQ(-EINVAL, sdvm_ctx_new(&counting, nullptr, &ctx));
    fake_env();
    setenv("SDVM_FAKE_POWER", "reboot;teleport", 1);
    EXPECT_EQ(-EINVAL, sdvm_ctx_new(&counting, nullptr, &ctx));
    fake_env();
    setenv("SDVM_FAKE_RELOAD_MS", "0", 1);
    EXPECT_EQ(-EINVAL, sdvm_ctx_new(&counting, nullptr, &ctx));
    fake_env();
    setenv("SDVM_FAKE_LOG", "/nonexistent-dir/fake.log", 1);
    EXPECT_EQ(-ENOENT, sdvm_ctx_new(&counting, nullptr, &ctx));
    EXPECT_EQ(nullptr, ctx);
}

TEST(Dispatch, CallbacksOnlyInsideDispatchAndTheFdIsPollable)
{
    fake_env(0); // everything queued at once: the strictest case for "never from login_start"
    Counter c;
    sdvm_ctx *ctx = nullptr;
    ASSERT_EQ(0, sdvm_ctx_new(&counting, &c, &ctx));
    int fd = sdvm_get_fd(ctx);
    ASSERT_GE(fd, 0);
    struct pollfd p = {fd, POLLIN, 0};
    EXPECT_EQ(0, poll(&p, 1, 0)) << "nothing to do yet";

    uint64_t op = 0;
    ASSERT_EQ(0, sdvm_login_start(ctx, "alice@example.org", "pw", "debian-12", &op));
    EXPECT_EQ(1u, op);
    EXPECT_EQ(0, c.progress + c.finished + c.launching) << "callback from login_start";
    EXPECT_EQ(0, sdvm_login_cancel(ctx, op));
    EXPECT_EQ(0, c.finished) << "callback from login_cancel";

    p.revents = 0;
    EXPECT_EQ(1, poll(&p, 1, 1000));
    EXPECT_TRUE(p.revents & POLLIN);
    EXPECT_EQ(1, sdvm_dispatch(ctx, 0));
    EXPECT_EQ(1, c.finished);
    EXPECT_EQ(SDVM_FAILURE_CANCELLED, c.failure);
    p.revents = 0;
    EXPECT_EQ(0, poll(&p, 1, 0)) << "fd stays readable with nothing queued";
    EXPECT_EQ(0, sdvm_dispatch(ctx, 0));
    sdvm_ctx_free(ctx);
}

TEST(Dispatch, PollableFdWakesForTimedStages)
{
    fake_env(30);
    Counter c;
    sdvm_ctx *ctx = nullptr;
    ASSERT_EQ(0, sdvm_ctx_new(&counting, &c, &ctx));
    uint64_t op = 0;
    ASSERT_EQ(0, sdvm_login_start(ctx, "alice@example.org", "pw", "windows-11", &op));
    // Drive the context only through poll() on its fd, as a Qt QSocketNotifier would.
    struct pollfd p = {sdvm_get_fd(ctx), POLLIN, 0};
    for (int i = 0; i < 200 && c.launching == 0; i++) {
        if (poll(&p, 1, 100) > 0) {
            EXPECT_GE(sdvm_dispatch(ctx, 0), 0);
        }
    }
    EXPECT_EQ(5, c.progress);
    EXPECT_EQ(1, c.launching);
    EXPECT_EQ(op, c.last_op);
    sdvm_ctx_free(ctx);
}

TEST(Dispatch, NotReentrantAndFreeFromCallbackIsSafe)
{
    fake_env(0);
    Counter c;
    sdvm_ctx *ctx = nullptr;
    ASSERT_EQ(0, sdvm_ctx_new(&counting, &c, &ctx));
    uint64_t op;
    ASSERT_EQ(0, sdvm_login_start(ctx, "alice@example.org", "pw", "debian-12", &op));
    c.free_in_callback = true;
    // The first progress callback frees the context; dispatch must stop there (ASan checks
    // that nothing touches the freed context).
    EXPECT_EQ(1, sdvm_dispatch(ctx, 1000));
    EXPECT_EQ(-EDEADLK, c.nested_dispatch);
    EXPECT_EQ(1, c.progress);
}

TEST(Dispatch, TimeoutWithNothingToDo)
{
    fake_env();
    Counter c;
    sdvm_ctx *ctx = nullptr;
    ASSERT_EQ(0, sdvm_ctx_new(&counting, &c, &ctx));
    EXPECT_EQ(0, sdvm_dispatch(ctx, 0));
    EXPECT_EQ(0, sdvm_dispatch(ctx, 20));
    EXPECT_EQ(-EINVAL, sdvm_dispatch(ctx, -2));
    sdvm_ctx_free(ctx);
}

TEST(Dispatch, FreeDuringALoginCancelsIt)
{
    char path[] = "/tmp/sdvm-fake-log-XXXXXX";
    int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    close(fd);
    fake_env();
    setenv("SDVM_FAKE_LOG", path, 1);
    Counter c;
    sdvm_ctx *ctx = nullptr;
    ASSERT_EQ(0, sdvm_ctx_new(&counting, &c, &ctx));
    uint64_t op;
    ASSERT_EQ(0, sdvm_login_start(ctx, "alice@example.org", "pw", "debian-12", &op));
    sdvm_ctx_free(ctx);
    EXPECT_EQ(0, c.finished) << "no callback from free";
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    EXPECT_EQ("LOGIN nai=alice@example.org image=debian-12 password-length=2\nCANCEL op=1\n",
              ss.str());
    unlink(path);
    unsetenv("SDVM_FAKE_LOG");
}

TEST(FakeLog, RecordsWhatTheGreeterSentButNeverThePassword)
{
    char path[] = "/tmp/sdvm-fake-log-XXXXXX";
    int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    close(fd);
    fake_env(0);
    setenv("SDVM_FAKE_LOG", path, 1);
    const char *password = "Tr0ub4dor&3 \xc3\xa9"; // 14 bytes, UTF-8
    Counter c;
    sdvm_ctx *ctx = nullptr;
    ASSERT_EQ(0, sdvm_ctx_new(&counting, &c, &ctx));
    uint64_t op;
    ASSERT_EQ(0, sdvm_login_start(ctx, "Alice Smith@example.org\nLOGIN", password, "windows-11",
                                  &op));
    run_until_end(ctx, c);
    EXPECT_EQ(SDVM_FAILURE_INVALID_NAI, c.failure);
    ASSERT_EQ(0, sdvm_power(ctx, SDVM_POWER_REBOOT));
    c = Counter();
    ASSERT_EQ(0, sdvm_login_start(ctx, "bob@example.org", "wrong", "debian-12", &op));
    run_until_end(ctx, c);
    EXPECT_EQ(SDVM_FAILURE_BAD_CREDENTIALS, c.failure);
    sdvm_ctx_free(ctx);
    unsetenv("SDVM_FAKE_LOG");

    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string log = ss.str();
    unlink(path);
    EXPECT_EQ("LOGIN nai=Alice\\x20Smith@example.org\\x0aLOGIN image=windows-11 "
              "password-length=14\n"
              "POWER action=reboot\n"
              "LOGIN nai=bob@example.org image=debian-12 password-length=5\n",
              log);
    EXPECT_EQ(std::string::npos, log.find("Tr0ub4dor"));
}

namespace {
std::vector<std::string> log_lines;
void
collect_log(enum sdvm_log_level, const char *msg, void *)
{
    log_lines.push_back(msg);
}
} // namespace

TEST(Logging, SilentByDefaultAndNeverThePassword)
{
    fake_env(0);
    log_lines.clear();
    Counter c;
    sdvm_ctx *ctx = nullptr;
    ASSERT_EQ(0, sdvm_ctx_new(&counting, &c, &ctx));
    uint64_t op;
    ASSERT_EQ(0, sdvm_login_start(ctx, "alice@example.org", "hunter2-secret", "debian-12", &op));
    run_until_end(ctx, c);
    EXPECT_TRUE(log_lines.empty());

    sdvm_set_log_handler(ctx, SDVM_LOG_DEBUG, collect_log, nullptr);
    ASSERT_EQ(0, sdvm_login_start(ctx, "alice@example.org", "hunter2-secret", "debian-12", &op));
    c = Counter();
    run_until_end(ctx, c);
    EXPECT_FALSE(log_lines.empty());
    for (const auto &l : log_lines) {
        EXPECT_EQ(std::string::npos, l.find("hunter2")) << l;
        EXPECT_EQ('[', l[0]) << "lines start with [file:line]: " << l;
    }
    size_t n = log_lines.size();
    sdvm_set_log_handler(ctx, SDVM_LOG_DEBUG, nullptr, nullptr); // NULL: silent again
    ASSERT_EQ(0, sdvm_login_start(ctx, "alice@example.org", "x", "debian-12", &op));
    c = Counter();
    run_until_end(ctx, c);
    EXPECT_EQ(n, log_lines.size());
    sdvm_ctx_free(ctx);

    // The default handler (ctx NULL) reaches sdvm_ctx_new's own complaints.
    sdvm_set_log_handler(nullptr, SDVM_LOG_ERROR, collect_log, nullptr);
    setenv("SDVM_FAKE_DELAY_MS", "soon", 1);
    EXPECT_EQ(-EINVAL, sdvm_ctx_new(&counting, nullptr, &ctx));
    sdvm_set_log_handler(nullptr, SDVM_LOG_SILENT, nullptr, nullptr);
    ASSERT_GT(log_lines.size(), n);
    EXPECT_NE(std::string::npos, log_lines.back().find("SDVM_FAKE_DELAY_MS")) << log_lines.back();
}

TEST(Strings, StagesFailuresVersion)
{
    EXPECT_STREQ("CHECKING_REALM", sdvm_stage_to_string(SDVM_STAGE_CHECKING_REALM));
    EXPECT_STREQ("STARTING", sdvm_stage_to_string(SDVM_STAGE_STARTING));
    EXPECT_STREQ("UNKNOWN", sdvm_stage_to_string(static_cast<sdvm_stage>(77)));
    EXPECT_STREQ("BAD_CREDENTIALS", sdvm_failure_to_string(SDVM_FAILURE_BAD_CREDENTIALS));
    EXPECT_STRNE("an unknown failure", sdvm_failure_describe(SDVM_FAILURE_DISK_FULL));
    std::string v = sdvm_version();
    EXPECT_EQ(2, std::count(v.begin(), v.end(), '.')) << v;
}

TEST(Fake, HostnameFromTheEnvironment)
{
    fake_env();
    setenv("SDVM_FAKE_HOSTNAME", "lab-b-07", 1);
    Counter c;
    sdvm_ctx *ctx = nullptr;
    ASSERT_EQ(0, sdvm_ctx_new(&counting, &c, &ctx));
    EXPECT_STREQ("lab-b-07", sdvm_hostname(ctx));
    sdvm_ctx_free(ctx);
    unsetenv("SDVM_FAKE_HOSTNAME");
}
