// libsdvm's socket backend against the in-test server (test-server.h): the handshake, the
// backend-neutral transcript scenarios over the real protocol, a daemon that goes away,
// oversized and malformed events, stale events, catalog updates, the password's wiping.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <functional>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <vector>

#include "test-server.h"
#include "transcript.h"

extern "C" {
#include "backend-socket.h"
#include "private.h"
}

using namespace sdvmtest;

namespace {

void
socket_env(const std::string &path)
{
    unsetenv("SDVM_BACKEND");
    setenv("SDVM_SOCKET", path.c_str(), 1);
    unsetenv("SDVM_HANDSHAKE_TIMEOUT_MS");
}

std::string
joined(const std::vector<std::string> &v)
{
    std::string s;
    for (const auto &l : v)
        s += "  " + l + "\n";
    return s;
}

void
expect_no_server_failure(TestServer &srv)
{
    for (const auto &r : srv.records())
        EXPECT_EQ(std::string::npos, r.find("SERVER-FAILURE")) << r;
}

ScenarioOptions
socket_options()
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

// An event frame built by hand (the encoder refuses to build bad ones).
std::vector<uint8_t>
frame(uint16_t type, const std::vector<uint8_t> &payload, uint32_t length_override = 0)
{
    uint32_t len = length_override ? length_override : static_cast<uint32_t>(payload.size());
    std::vector<uint8_t> f = {static_cast<uint8_t>(len),
                              static_cast<uint8_t>(len >> 8),
                              static_cast<uint8_t>(len >> 16),
                              static_cast<uint8_t>(len >> 24),
                              static_cast<uint8_t>(type),
                              static_cast<uint8_t>(type >> 8),
                              0,
                              0};
    f.insert(f.end(), payload.begin(), payload.end());
    return f;
}

void
field(std::vector<uint8_t> &p, uint16_t tag, const std::vector<uint8_t> &v)
{
    p.push_back(static_cast<uint8_t>(tag));
    p.push_back(static_cast<uint8_t>(tag >> 8));
    p.push_back(static_cast<uint8_t>(v.size()));
    p.push_back(static_cast<uint8_t>(v.size() >> 8));
    p.insert(p.end(), v.begin(), v.end());
}

std::vector<uint8_t>
u64le(uint64_t x)
{
    std::vector<uint8_t> v;
    for (int i = 0; i < 8; i++)
        v.push_back(static_cast<uint8_t>(x >> (8 * i)));
    return v;
}

std::vector<uint8_t>
u32le(uint32_t x)
{
    std::vector<uint8_t> v;
    for (int i = 0; i < 4; i++)
        v.push_back(static_cast<uint8_t>(x >> (8 * i)));
    return v;
}

sdvm_ipc_msg
ev(sdvm_ipc_type type, uint64_t op)
{
    sdvm_ipc_msg m = {};
    m.type = type;
    m.op = op;
    return m;
}

// Wait in the server thread for the client's LOGIN (op), true if it came.
bool
await_login(ServerConn &c, TestServer &srv, uint64_t *op)
{
    sdvm_ipc_msg m;
    int r = c.recv(&m, 5000);
    bool ok = r == 1 && m.type == SDVM_IPC_LOGIN;
    if (ok) {
        *op = m.op;
        srv.record("LOGIN op=" + std::to_string(m.op));
    } else {
        srv.fail("expected LOGIN, got r=" + std::to_string(r));
    }
    sdvm_ipc_msg_clear(&m);
    return ok;
}

} // namespace

// ---- the neutral transcripts over the protocol -----------------------------------------

class SocketScenario : public testing::TestWithParam<std::string> {};

TEST_P(SocketScenario, Transcript)
{
    TestServer srv;
    ASSERT_FALSE(srv.path().empty());
    srv.start(mini_daemon(&srv));
    socket_env(srv.path());
    ScenarioResult r = run_scenario_file(scenario_path(GetParam()),
                                         socket_options());
    EXPECT_TRUE(r.ok) << r.report() << "server:\n" << joined(srv.records());
    srv.stop();
    expect_no_server_failure(srv);
}

INSTANTIATE_TEST_SUITE_P(Neutral, SocketScenario, testing::ValuesIn(scenario_files("scenarios")),
                         [](const testing::TestParamInfo<std::string> &info) {
                             return scenario_test_name(info.param);
                         });

TEST(Socket, HandshakeBringsCatalogHostAndPower)
{
    TestServer srv;
    srv.start(mini_daemon(&srv));
    socket_env(srv.path());
    auto r = run_scenario("IMAGES\n"
                          "EXPECT IMAGES count=3\n"
                          "EXPECT IMAGE id=debian-12 default=1 available=1 comment=\"GCC, Python\"\n"
                          "EXPECT IMAGE id=windows-11 default=0 available=1 comment=\"\"\n"
                          "EXPECT IMAGE id=broken default=0 available=0 "
                          "reason=\"base image is corrupt\" status=4\n" // CORRUPT, from sdvmd
                          "HOSTNAME\n"
                          "EXPECT HOSTNAME name=test-host\n"
                          "POWER-AVAILABLE\n"
                          "EXPECT POWER-AVAILABLE actions=poweroff,reboot\n"
                          "POWER action=reboot\n"
                          "POWER action=suspend result=EPERM\n"
                          "QUIET ms=50\n");
    EXPECT_TRUE(r.ok) << r.report();
    srv.stop();
    auto rec = srv.records();
    EXPECT_EQ((std::vector<std::string>{"POWER action=2", "EOF"}), rec) << joined(rec);
}

TEST(Socket, PasswordTooLongOrNaiUnsendable)
{
    TestServer srv;
    srv.start(mini_daemon(&srv));
    socket_env(srv.path());
    std::string long_pw(SDVM_IPC_MAX_PASSWORD + 1, 'x');
    std::string long_nai = std::string(300, 'a') + "@example.org";
    auto r = run_scenario("LOGIN nai=a@example.org password=" + long_pw +
                          " image=debian-12 result=EINVAL\n"
                          "LOGIN nai=" + long_nai + " password=x image=debian-12 op=1\n"
                          "EXPECT FINISHED op=1 failure=INVALID_NAI\n"
                          "LOGIN nai=a@example.org password=x image=../../etc op=2\n"
                          "EXPECT FINISHED op=2 failure=IMAGE_UNKNOWN\n"
                          "QUIET ms=50\n");
    EXPECT_TRUE(r.ok) << r.report();
    srv.stop();
    // None of them reached the server.
    EXPECT_EQ(std::vector<std::string>{"EOF"}, srv.records());
}

// ---- connecting ----------------------------------------------------------------------

TEST(Socket, NoDaemon)
{
    char dir[] = "/tmp/sdvm-nodaemon-XXXXXX";
    ASSERT_TRUE(mkdtemp(dir));
    std::string path = std::string(dir) + "/sdvmd.sock";
    socket_env(path);
    Recorder rec;
    EXPECT_EQ(-ENOENT, rec.connect());

    // A socket file nobody listens on.
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {};
    sa.sun_family = AF_UNIX;
    strcpy(sa.sun_path, path.c_str());
    ASSERT_EQ(0, bind(fd, reinterpret_cast<sockaddr *>(&sa), sizeof(sa)));
    close(fd);
    EXPECT_EQ(-ECONNREFUSED, rec.connect());
    unlink(path.c_str());
    rmdir(dir);

    setenv("SDVM_SOCKET", (std::string(200, 'x') + "/sdvmd.sock").c_str(), 1);
    EXPECT_EQ(-ENAMETOOLONG, rec.connect());
    setenv("SDVM_HANDSHAKE_TIMEOUT_MS", "soon", 1);
    EXPECT_EQ(-EINVAL, rec.connect());
    unsetenv("SDVM_HANDSHAKE_TIMEOUT_MS");
}

TEST(Socket, HandshakeFailures)
{
    struct Case {
        const char *name;
        std::function<void(ServerConn &)> server;
        int expect;
    };
    std::vector<Case> cases = {
        {"silent server", [](ServerConn &c) { c.wait_closed(5000); }, -ETIMEDOUT},
        {"hangs up", [](ServerConn &c) { c.close_now(); }, -ECONNRESET},
        {"garbage",
         [](ServerConn &c) {
             sdvm_ipc_msg m;
             c.recv(&m, 5000);
             sdvm_ipc_msg_clear(&m);
             c.send_raw({'H', 'T', 'T', 'P', '/', '1', '.', '1', ' ', '4', '0', '0'});
             c.wait_closed(5000);
         },
         -EPROTO},
        {"newer version", [](ServerConn &c) { c.handshake(2); c.wait_closed(5000); }, -EPROTO},
        {"refuses the peer",
         [](ServerConn &c) { c.reject(SDVM_FAILURE_DAEMON_UNAVAILABLE, "uid 1000 not allowed"); },
         -EACCES},
        {"busy",
         [](ServerConn &c) { c.reject(SDVM_FAILURE_BUSY, "another greeter is connected"); },
         -EBUSY},
        {"progress instead of hello",
         [](ServerConn &c) {
             sdvm_ipc_msg m;
             c.recv(&m, 5000);
             sdvm_ipc_msg_clear(&m);
             sdvm_ipc_msg p = ev(SDVM_IPC_EV_PROGRESS, 1);
             p.stage = SDVM_STAGE_STARTING;
             c.send(p);
             c.wait_closed(5000);
         },
         -EPROTO},
    };
    for (const auto &tc : cases) {
        TestServer srv;
        srv.start(tc.server);
        socket_env(srv.path());
        setenv("SDVM_HANDSHAKE_TIMEOUT_MS", "300", 1);
        Recorder rec;
        EXPECT_EQ(tc.expect, rec.connect()) << tc.name;
        EXPECT_EQ(nullptr, rec.ctx()) << tc.name;
        rec.disconnect_and_free();
        srv.stop();
        unsetenv("SDVM_HANDSHAKE_TIMEOUT_MS");
    }
}

// ---- the daemon goes away or misbehaves ----------------------------------------------

TEST(Socket, DisconnectEndsTheLoginThenReportsDisconnected)
{
    TestServer srv;
    srv.start([&srv](ServerConn &c) {
        if (!c.handshake())
            return;
        uint64_t op;
        if (!await_login(c, srv, &op))
            return;
        sdvm_ipc_msg p = ev(SDVM_IPC_EV_PROGRESS, op);
        p.stage = SDVM_STAGE_CHECKING_REALM;
        c.send(p);
        c.close_now(); // sdvmd crashed
    });
    socket_env(srv.path());
    auto r = run_scenario("LOGIN nai=a@example.org password=pw image=debian-12 op=1\n"
                          "EXPECT PROGRESS op=1 stage=CHECKING_REALM\n"
                          "EXPECT FINISHED op=1 failure=DAEMON_UNAVAILABLE\n"
                          "EXPECT DISCONNECTED\n"
                          "DISPATCH result=EPIPE\n"
                          "DISPATCH timeout=50 result=EPIPE\n"
                          "LOGIN nai=a@example.org password=pw image=debian-12 result=EPIPE\n"
                          "POWER action=reboot result=EPIPE\n"
                          "POWER-AVAILABLE\n"
                          "EXPECT POWER-AVAILABLE actions=none\n"
                          "CANCEL op=1\n");
    EXPECT_TRUE(r.ok) << r.report();
    srv.stop();
}

TEST(Socket, DisconnectedFdIsQuiet)
{
    // Once gone, the context's fd must stop being readable (no busy loop in a greeter).
    TestServer srv;
    srv.start([](ServerConn &c) {
        if (c.handshake())
            c.close_now();
    });
    socket_env(srv.path());
    Recorder rec;
    ASSERT_EQ(0, rec.connect());
    EXPECT_TRUE(rec.wait_for(1, 5000));
    EXPECT_EQ("DISCONNECTED", rec.lines().at(0).text());
    EXPECT_EQ(-EPIPE, rec.last_dispatch());
    struct pollfd p = {sdvm_get_fd(rec.ctx()), POLLIN, 0};
    EXPECT_EQ(0, poll(&p, 1, 50));
    srv.stop();
}

TEST(Socket, FinishedRightBeforeHangUpIsDelivered)
{
    TestServer srv;
    srv.start([&srv](ServerConn &c) {
        if (!c.handshake())
            return;
        uint64_t op;
        if (!await_login(c, srv, &op))
            return;
        sdvm_ipc_msg l = ev(SDVM_IPC_EV_LAUNCHING, op);
        c.send(l);
        c.close_now(); // the greeter should exit now anyway
    });
    socket_env(srv.path());
    auto r = run_scenario("LOGIN nai=a@example.org password=pw image=debian-12 op=1\n"
                          "EXPECT LAUNCHING op=1\n"
                          "EXPECT DISCONNECTED\n");
    EXPECT_TRUE(r.ok) << r.report();
    srv.stop();
}

TEST(Socket, MalformedOrOversizedEventsAreRejected)
{
    struct Case {
        const char *name;
        std::vector<uint8_t> bytes;
    };
    std::vector<uint8_t> bad_stage, op_only, long_text, bad_utf8, repeated, wrong_len;
    field(bad_stage, SDVM_IPC_TAG_OP, u64le(1));
    field(bad_stage, SDVM_IPC_TAG_STAGE, u32le(99));
    field(op_only, SDVM_IPC_TAG_OP, u64le(1));
    field(long_text, SDVM_IPC_TAG_OP, u64le(1));
    field(long_text, SDVM_IPC_TAG_IS_ERROR, {0});
    field(long_text, SDVM_IPC_TAG_TEXT, std::vector<uint8_t>(SDVM_IPC_MAX_TEXT + 1, 'a'));
    field(bad_utf8, SDVM_IPC_TAG_OP, u64le(1));
    field(bad_utf8, SDVM_IPC_TAG_IS_ERROR, {1});
    field(bad_utf8, SDVM_IPC_TAG_TEXT, {0xc0, 0xaf});
    field(repeated, SDVM_IPC_TAG_OP, u64le(1));
    field(repeated, SDVM_IPC_TAG_OP, u64le(1));
    field(wrong_len, SDVM_IPC_TAG_OP, u64le(1));
    wrong_len.push_back(0x0d); // a field header cut short
    std::vector<Case> cases = {
        {"oversized frame", frame(SDVM_IPC_EV_PROGRESS, {}, SDVM_IPC_MAX_PAYLOAD + 1)},
        {"unknown stage", frame(SDVM_IPC_EV_PROGRESS, bad_stage)},
        {"required field missing", frame(SDVM_IPC_EV_FINISHED, op_only)},
        {"text over its bound", frame(SDVM_IPC_EV_MESSAGE, long_text)},
        {"not UTF-8", frame(SDVM_IPC_EV_MESSAGE, bad_utf8)},
        {"field repeated", frame(SDVM_IPC_EV_LAUNCHING, repeated)},
        {"truncated field", frame(SDVM_IPC_EV_LAUNCHING, wrong_len)},
        {"a request sent to the client", frame(SDVM_IPC_CANCEL, op_only)},
        {"unknown type", frame(0x7777, {})},
        {"error event", {}},
    };
    for (const auto &tc : cases) {
        TestServer srv;
        srv.start([&srv, &tc](ServerConn &c) {
            if (!c.handshake())
                return;
            uint64_t op;
            if (!await_login(c, srv, &op))
                return;
            if (tc.bytes.empty())
                c.reject(SDVM_FAILURE_PROTOCOL, "you sent garbage");
            else
                c.send_raw(tc.bytes);
            c.wait_closed(5000);
        });
        socket_env(srv.path());
        auto r = run_scenario("LOGIN nai=a@example.org password=pw image=debian-12 op=1\n"
                              "EXPECT FINISHED op=1 failure=PROTOCOL\n"
                              "EXPECT DISCONNECTED\n"
                              "DISPATCH result=EPIPE\n");
        EXPECT_TRUE(r.ok) << tc.name << ": " << r.report();
        srv.stop();
    }
}

// ---- stale events, catalog updates, messages -------------------------------------------

TEST(Socket, StaleEventsAreDropped)
{
    TestServer srv;
    srv.start([&srv](ServerConn &c) {
        if (!c.handshake())
            return;
        uint64_t op;
        if (!await_login(c, srv, &op))
            return;
        sdvm_ipc_msg f = ev(SDVM_IPC_EV_FINISHED, op);
        f.failure = SDVM_FAILURE_BAD_CREDENTIALS;
        c.send(f);
        // Late events of the ended op, and events of ops that never existed.
        sdvm_ipc_msg p = ev(SDVM_IPC_EV_PROGRESS, op);
        p.stage = SDVM_STAGE_AUTHENTICATING;
        c.send(p);
        c.send(f);
        c.send(ev(SDVM_IPC_EV_LAUNCHING, op));
        p.op = 99;
        c.send(p);
        sdvm_ipc_msg msg = ev(SDVM_IPC_EV_MESSAGE, op);
        msg.text = "late";
        c.send(msg);
        // The next login: the old op's events still arrive in between and are dropped.
        uint64_t op2;
        if (!await_login(c, srv, &op2))
            return;
        p.op = op;
        c.send(p);
        p.op = op2;
        p.stage = SDVM_STAGE_CHECKING_REALM;
        c.send(p);
        f.op = op;
        c.send(f);
        c.send(ev(SDVM_IPC_EV_LAUNCHING, op2));
        c.wait_closed(5000);
    });
    socket_env(srv.path());
    auto r = run_scenario("LOGIN nai=a@example.org password=pw image=debian-12 op=1\n"
                          "EXPECT FINISHED op=1 failure=BAD_CREDENTIALS\n"
                          "QUIET ms=100\n"
                          "LOGIN nai=a@example.org password=pw image=debian-12 op=2\n"
                          "EXPECT PROGRESS op=2 stage=CHECKING_REALM\n"
                          "EXPECT LAUNCHING op=2\n"
                          "QUIET ms=100\n");
    EXPECT_TRUE(r.ok) << r.report();
    srv.stop();
    expect_no_server_failure(srv);
}

TEST(Socket, EventsOfACancelledOpAreDroppedButItsEndArrives)
{
    TestServer srv;
    srv.start([&srv](ServerConn &c) {
        if (!c.handshake())
            return;
        uint64_t op;
        if (!await_login(c, srv, &op))
            return;
        sdvm_ipc_msg m;
        if (c.recv(&m, 5000) != 1 || m.type != SDVM_IPC_CANCEL || m.op != op)
            srv.fail("expected CANCEL");
        sdvm_ipc_msg_clear(&m);
        // The daemon was mid-way: a progress crosses the cancel, then the end.
        sdvm_ipc_msg p = ev(SDVM_IPC_EV_PROGRESS, op);
        p.stage = SDVM_STAGE_AUTHENTICATING;
        c.send(p);
        sdvm_ipc_msg f = ev(SDVM_IPC_EV_FINISHED, op);
        f.failure = SDVM_FAILURE_CANCELLED;
        c.send(f);
        c.wait_closed(5000);
    });
    socket_env(srv.path());
    auto r = run_scenario("LOGIN nai=a@example.org password=pw image=debian-12 op=1\n"
                          "CANCEL op=1\n"
                          "EXPECT FINISHED op=1 failure=CANCELLED\n"
                          "QUIET ms=100\n");
    EXPECT_TRUE(r.ok) << r.report();
    srv.stop();
    expect_no_server_failure(srv);
}

TEST(Socket, CatalogUpdatesAndTerminalMessages)
{
    TestServer srv;
    srv.start([](ServerConn &c) {
        if (!c.handshake())
            return;
        sdvm_ipc_image one[] = {{"fedora-41", "Fedora 41", "linux", nullptr, true, true, nullptr, 0}};
        sdvm_ipc_msg m = ev(SDVM_IPC_EV_IMAGES, 0);
        m.images = one;
        m.n_images = 1;
        m.hostname = "renamed-host";
        m.has_power_mask = true;
        m.power_mask = SDVM_POWER_OFF;
        c.send(m);
        sdvm_ipc_msg t = ev(SDVM_IPC_EV_MESSAGE, 0);
        t.is_error = true;
        t.text = "Shutting down for maintenance at 18:00.";
        c.send(t);
        c.wait_closed(5000);
    });
    socket_env(srv.path());
    auto r = run_scenario("IMAGES\n"
                          "EXPECT IMAGES count=3\n"
                          "EXPECT IMAGE id=debian-12 default=1 available=1\n"
                          "EXPECT IMAGE id=windows-11 default=0 available=1\n"
                          "EXPECT IMAGE id=broken default=0 available=0\n"
                          "EXPECT IMAGES-CHANGED\n"
                          "EXPECT MESSAGE op=0 error=1 "
                          "text=\"Shutting down for maintenance at 18:00.\"\n"
                          "IMAGES\n"
                          "EXPECT IMAGES count=1\n"
                          "EXPECT IMAGE id=fedora-41 default=1 available=1 name=\"Fedora 41\"\n"
                          "HOSTNAME\n"
                          "EXPECT HOSTNAME name=renamed-host\n"
                          "POWER-AVAILABLE\n"
                          "EXPECT POWER-AVAILABLE actions=poweroff\n");
    EXPECT_TRUE(r.ok) << r.report();
    srv.stop();
}

TEST(Socket, FreeDuringALoginSendsCancel)
{
    TestServer srv;
    srv.start(mini_daemon(&srv, 200));
    socket_env(srv.path());
    Recorder rec;
    ASSERT_EQ(0, rec.connect());
    uint64_t op;
    ASSERT_EQ(0, sdvm_login_start(rec.ctx(), "a@example.org", "pw", "debian-12", &op));
    rec.disconnect_and_free();
    srv.stop();
    auto recs = srv.records();
    ASSERT_EQ(3u, recs.size()) << joined(recs);
    EXPECT_EQ("CANCEL op=1", recs[1]);
    EXPECT_EQ("EOF", recs[2]);
}

// ---- the password ----------------------------------------------------------------------

TEST(Socket, PasswordCrossesOnceAndIsWipedOnBothSides)
{
    static const std::string password = "P4ssw0rd-only-once";
    TestServer srv;
    srv.start(mini_daemon(&srv)); // the mini daemon checks its own input buffer
    socket_env(srv.path());
    Recorder rec;
    ASSERT_EQ(0, rec.connect());
    auto *s = static_cast<struct sock *>(rec.ctx()->backend_data);
    uint64_t op;
    ASSERT_EQ(0, sdvm_login_start(rec.ctx(), "a@example.org", password.c_str(), "debian-12", &op));
    // Sent at once (the socket had room): nothing left, and no trace in the buffer's memory.
    EXPECT_EQ(0u, s->conn.out.len);
    ASSERT_NE(nullptr, s->conn.out.data);
    std::string mem(reinterpret_cast<char *>(s->conn.out.data), s->conn.out.cap);
    EXPECT_EQ(std::string::npos, mem.find(password));
    EXPECT_EQ(std::string::npos, mem.find("P4ssw0rd"));
    EXPECT_TRUE(rec.wait_for(6, 5000));
    EXPECT_EQ("LAUNCHING op=1", rec.lines().back().text());
    rec.disconnect_and_free();
    srv.stop();
    expect_no_server_failure(srv);
    auto recs = srv.records();
    ASSERT_FALSE(recs.empty());
    EXPECT_EQ("LOGIN op=1 nai=a@example.org image=debian-12 password-length=18", recs[0]);
}

TEST(Socket, PasswordWaitingForTheSocketIsWipedOnceSent)
{
    // The server does not read for a while, so the LOGIN waits in the output buffer and
    // goes out from sdvm_dispatch() (EPOLLOUT); afterwards the buffer holds no trace.
    static const std::string password = "queued-secret-4711";
    std::atomic<bool> go{false};
    TestServer srv;
    srv.start([&srv, &go](ServerConn &c) {
        if (!c.handshake())
            return;
        while (!go)
            usleep(1000);
        for (;;) {
            sdvm_ipc_msg m;
            int r = c.recv(&m, 5000);
            if (r != 1) {
                srv.record(r == -EPIPE ? "EOF" : "ERROR");
                return;
            }
            if (m.type == SDVM_IPC_LOGIN) {
                srv.record(std::string("LOGIN password-ok=") +
                           (password == m.password ? "1" : "0"));
                sdvm_ipc_msg f = ev(SDVM_IPC_EV_FINISHED, m.op);
                f.failure = SDVM_FAILURE_BAD_CREDENTIALS;
                c.send(f);
            }
            sdvm_ipc_msg_clear(&m);
        }
    });
    socket_env(srv.path());
    Recorder rec;
    ASSERT_EQ(0, rec.connect());
    auto *s = static_cast<struct sock *>(rec.ctx()->backend_data);
    int small = 4096;
    ASSERT_EQ(0, setsockopt(s->conn.fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)));
    // Fill the socket with power requests until the library has to queue.
    int sent = 0;
    while (s->conn.out.len == 0 && sent < 100000) {
        ASSERT_EQ(0, sdvm_power(rec.ctx(), SDVM_POWER_REBOOT));
        sent++;
    }
    ASSERT_GT(s->conn.out.len, 0u) << "the socket never filled up";
    uint64_t op;
    ASSERT_EQ(0, sdvm_login_start(rec.ctx(), "a@example.org", password.c_str(), "debian-12", &op));
    std::string queued(reinterpret_cast<char *>(s->conn.out.data), s->conn.out.len);
    EXPECT_NE(std::string::npos, queued.find(password)) << "the LOGIN should be waiting";
    go = true;
    EXPECT_TRUE(rec.wait_for(1, 10000));
    ASSERT_FALSE(rec.lines().empty());
    EXPECT_EQ("FINISHED op=1 failure=BAD_CREDENTIALS", rec.lines()[0].text().substr(0, 37));
    EXPECT_EQ(0u, s->conn.out.len);
    std::string mem(reinterpret_cast<char *>(s->conn.out.data), s->conn.out.cap);
    EXPECT_EQ(std::string::npos, mem.find("queued-secret"));
    rec.disconnect_and_free();
    srv.stop();
    auto recs = srv.records();
    ASSERT_EQ(2u, recs.size()) << joined(recs);
    EXPECT_EQ("LOGIN password-ok=1", recs[0]);
}

// ---- the server side of the ipc library, as sdvmd uses it ---------------------------------

namespace {

// A raw client: connect, write bytes, read what comes back until EOF.
struct RawClient {
    int fd = -1;
    explicit RawClient(const std::string &path) { fd = sdvm_ipc_connect(path.c_str()); }
    ~RawClient()
    {
        if (fd >= 0)
            close(fd);
    }
    void write_all(const std::vector<uint8_t> &b)
    {
        size_t off = 0;
        while (off < b.size()) {
            ssize_t n = send(fd, b.data() + off, b.size() - off, MSG_NOSIGNAL);
            if (n <= 0) {
                if (n < 0 && errno == EAGAIN) {
                    struct pollfd p = {fd, POLLOUT, 0};
                    poll(&p, 1, 1000);
                    continue;
                }
                return; // the server may already have closed
            }
            off += static_cast<size_t>(n);
        }
    }
    // Everything the server sends until it closes (false if it does not within 5 s).
    bool read_to_eof(std::vector<uint8_t> *out)
    {
        for (int i = 0; i < 500; i++) {
            struct pollfd p = {fd, POLLIN, 0};
            if (poll(&p, 1, 10) <= 0)
                continue;
            uint8_t buf[4096];
            ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
            if (n == 0)
                return true;
            if (n < 0 && errno != EAGAIN)
                return errno == ECONNRESET;
            if (n > 0)
                out->insert(out->end(), buf, buf + n);
        }
        return false;
    }
};

std::vector<uint8_t>
hello_frame()
{
    sdvm_ipc_msg h = {};
    h.type = SDVM_IPC_HELLO;
    h.version = 1;
    sdvm_ipc_buf b = {};
    sdvm_ipc_encode(&h, &b);
    std::vector<uint8_t> v(b.data, b.data + b.len);
    sdvm_ipc_buf_free(&b);
    return v;
}

} // namespace

TEST(ServerSide, GarbageGetsAnErrorEventAndAClose)
{
    std::vector<uint8_t> login_before_hello;
    {
        sdvm_ipc_msg l = {};
        l.type = SDVM_IPC_LOGIN;
        l.op = 1;
        l.nai = "a@b";
        l.password = "pw";
        l.image_id = "debian-12";
        sdvm_ipc_buf b = {};
        sdvm_ipc_encode(&l, &b);
        login_before_hello.assign(b.data, b.data + b.len);
        sdvm_ipc_buf_free(&b);
    }
    std::vector<uint8_t> after_hello_oversized = hello_frame();
    auto big = frame(SDVM_IPC_LOGIN, {}, 1u << 24);
    std::vector<uint8_t> after_hello_event = hello_frame();
    std::vector<uint8_t> op_only;
    field(op_only, SDVM_IPC_TAG_OP, u64le(1));
    auto launching = frame(SDVM_IPC_EV_LAUNCHING, op_only);
    std::vector<uint8_t> twice = hello_frame();
    auto h2 = hello_frame();
    twice.insert(twice.end(), h2.begin(), h2.end());
    after_hello_oversized.insert(after_hello_oversized.end(), big.begin(), big.end());
    after_hello_event.insert(after_hello_event.end(), launching.begin(), launching.end());
    std::vector<uint8_t> http(std::begin("GET / HTTP/1.0\r\n\r\n"), std::end("GET / HTTP/1.0\r\n\r\n"));
    struct Case {
        const char *name;
        std::vector<uint8_t> bytes;
        const char *reason; // in the EV_ERROR text
    } cases[] = {
        {"http", http, "at most 65536"}, // "GET " read as a length
        {"login before hello", login_before_hello, "expected HELLO"},
        {"oversized", after_hello_oversized, "at most 65536"},
        {"an event sent to the server", after_hello_event, "EV_LAUNCHING sent to the server"},
        {"hello twice", twice, "HELLO twice"},
    };
    for (const auto &tc : cases) {
        TestServer srv;
        srv.start(mini_daemon(&srv));
        RawClient c(srv.path());
        ASSERT_GE(c.fd, 0);
        c.write_all(tc.bytes);
        std::vector<uint8_t> got;
        EXPECT_TRUE(c.read_to_eof(&got)) << tc.name << ": the server did not close";
        // The last frame before the close is an EV_ERROR naming the reason.
        sdvm_ipc_conn conn;
        sdvm_ipc_conn_init(&conn, -1, SDVM_IPC_SIDE_CLIENT);
        sdvm_ipc_buf_reserve(&conn.in, got.size() + 1);
        if (!got.empty())
            memcpy(conn.in.data, got.data(), got.size());
        conn.in.len = got.size();
        sdvm_ipc_msg m, last = {};
        sdvm_ipc_error err;
        std::string text;
        while (sdvm_ipc_conn_next(&conn, &m, &err) == 1) {
            last.type = m.type;
            last.failure = m.failure;
            text = m.text ? m.text : "";
            sdvm_ipc_msg_clear(&m);
        }
        EXPECT_EQ(SDVM_IPC_EV_ERROR, last.type) << tc.name;
        EXPECT_EQ(static_cast<uint32_t>(SDVM_FAILURE_PROTOCOL), last.failure) << tc.name;
        EXPECT_NE(std::string::npos, text.find(tc.reason)) << tc.name << ": " << text;
        sdvm_ipc_conn_close(&conn);
        srv.stop();
        expect_no_server_failure(srv);
    }
}
