// The sdvm-ipc server: hello first, requests reach the handlers, events reach the client,
// garbage and strangers get an error and a closed connection, never a crash.
#include <gtest/gtest.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

extern "C" {
#include "sdvm-types.h"
#include "server.h"
}

namespace {
struct Seen {
    std::vector<std::string> lines;
    sdvmd_client *last = nullptr;
    std::string password_copy;
};

void
h_hello(sdvmd_client *c, void *ud)
{
    auto *s = static_cast<Seen *>(ud);
    s->lines.push_back("HELLO");
    s->last = c;
    sdvm_ipc_msg ev = {};
    ev.type = SDVM_IPC_EV_HELLO;
    ev.version = SDVM_IPC_VERSION;
    ev.hostname = "lab-17";
    ev.has_power_mask = true;
    ev.power_mask = SDVM_POWER_OFF;
    sdvmd_client_send(c, &ev);
}

void
h_login(sdvmd_client *c, uint64_t op, const char *nai, const char *password, const char *image,
        void *ud)
{
    auto *s = static_cast<Seen *>(ud);
    s->lines.push_back("LOGIN op=" + std::to_string(op) + " nai=" + nai + " image=" + image);
    s->password_copy = password;
    sdvm_ipc_msg ev = {};
    ev.type = SDVM_IPC_EV_PROGRESS;
    ev.op = op;
    ev.stage = SDVM_STAGE_CHECKING_REALM;
    sdvmd_client_send(c, &ev);
}

void
h_cancel(sdvmd_client *, uint64_t op, void *ud)
{
    static_cast<Seen *>(ud)->lines.push_back("CANCEL op=" + std::to_string(op));
}

void
h_power(sdvmd_client *, uint32_t action, void *ud)
{
    static_cast<Seen *>(ud)->lines.push_back("POWER " + std::to_string(action));
}

void
h_gone(sdvmd_client *, void *ud)
{
    static_cast<Seen *>(ud)->lines.push_back("GONE");
}

const sdvmd_server_handlers kHandlers = {h_hello, h_login, h_cancel, h_power, h_gone};

class Server : public ::testing::Test {
protected:
    void SetUp() override
    {
        dir = g_dir_make_tmp("sdvm-server-XXXXXX", nullptr);
        path = std::string(dir) + "/sdvmd.sock";
        sdvmd_server_params p = {};
        p.path = path.c_str();
        static const uid_t none[] = {4242};
        p.allowed_uids = none;
        p.n_allowed_uids = 1;
        p.socket_gid = (gid_t)-1;
        p.max_clients = 4;
        ASSERT_EQ(0, sdvmd_server_new(&p, &kHandlers, &seen, &server));
    }
    void TearDown() override
    {
        sdvmd_server_free(server);
        EXPECT_FALSE(g_file_test(path.c_str(), G_FILE_TEST_EXISTS)) << "socket file left";
        g_rmdir(dir);
        g_free(dir);
    }
    // Run the loop until pred() or timeout.
    template <typename P>
    bool spin(P pred, int ms = 2000)
    {
        gint64 until = g_get_monotonic_time() + ms * 1000;
        while (!pred() && g_get_monotonic_time() < until) {
            g_main_context_iteration(nullptr, FALSE);
            g_usleep(1000);
        }
        return pred();
    }
    int connect_client()
    {
        int fd = sdvm_ipc_connect(path.c_str());
        EXPECT_GE(fd, 0);
        return fd;
    }
    // Read events from the client side until one arrives (or the peer closes).
    int next_event(sdvm_ipc_conn *conn, sdvm_ipc_msg *msg)
    {
        for (int i = 0; i < 2000; i++) {
            sdvm_ipc_error err = {};
            int n = sdvm_ipc_conn_next(conn, msg, &err);
            if (n != 0)
                return n;
            g_main_context_iteration(nullptr, FALSE);
            int r = sdvm_ipc_conn_fill(conn);
            if (r < 0 && conn->in.len == 0)
                return r;
            g_usleep(1000);
        }
        return 0;
    }
    void send(sdvm_ipc_conn *conn, const sdvm_ipc_msg &m)
    {
        ASSERT_EQ(0, sdvm_ipc_conn_queue(conn, &m));
        ASSERT_EQ(0, sdvm_ipc_conn_flush_wait(conn, 1000));
    }
    char *dir = nullptr;
    std::string path;
    Seen seen;
    sdvmd_server *server = nullptr;
};

sdvm_ipc_msg
hello(uint32_t version = SDVM_IPC_VERSION)
{
    sdvm_ipc_msg m = {};
    m.type = SDVM_IPC_HELLO;
    m.version = version;
    m.software = "test";
    return m;
}
} // namespace

TEST_F(Server, HelloLoginCancelPower)
{
    sdvm_ipc_conn conn;
    sdvm_ipc_conn_init(&conn, connect_client(), SDVM_IPC_SIDE_CLIENT);
    send(&conn, hello());
    sdvm_ipc_msg ev = {};
    ASSERT_EQ(1, next_event(&conn, &ev));
    EXPECT_EQ(SDVM_IPC_EV_HELLO, ev.type);
    EXPECT_STREQ("lab-17", ev.hostname);
    sdvm_ipc_msg_clear(&ev);

    sdvm_ipc_msg login = {};
    login.type = SDVM_IPC_LOGIN;
    login.op = 7;
    login.nai = "alice@uni-a.test";
    login.password = "s3cret!";
    login.image_id = "debian";
    send(&conn, login);
    ASSERT_EQ(1, next_event(&conn, &ev));
    EXPECT_EQ(SDVM_IPC_EV_PROGRESS, ev.type);
    EXPECT_EQ(7u, ev.op);
    sdvm_ipc_msg_clear(&ev);
    EXPECT_EQ("s3cret!", seen.password_copy);

    sdvm_ipc_msg cancel = {};
    cancel.type = SDVM_IPC_CANCEL;
    cancel.op = 7;
    send(&conn, cancel);
    sdvm_ipc_msg power = {};
    power.type = SDVM_IPC_POWER;
    power.power_action = SDVM_POWER_REBOOT;
    send(&conn, power);
    ASSERT_TRUE(spin([&] { return seen.lines.size() >= 4; }));
    sdvm_ipc_conn_close(&conn);
    ASSERT_TRUE(spin([&] { return seen.lines.size() >= 5; }));
    std::vector<std::string> want = {"HELLO", "LOGIN op=7 nai=alice@uni-a.test image=debian",
                                     "CANCEL op=7", "POWER 2", "GONE"};
    EXPECT_EQ(want, seen.lines);
    EXPECT_EQ(0u, sdvmd_server_client_count(server));
}

TEST_F(Server, RequestBeforeHelloIsRefused)
{
    sdvm_ipc_conn conn;
    sdvm_ipc_conn_init(&conn, connect_client(), SDVM_IPC_SIDE_CLIENT);
    sdvm_ipc_msg power = {};
    power.type = SDVM_IPC_POWER;
    power.power_action = SDVM_POWER_OFF;
    send(&conn, power);
    sdvm_ipc_msg ev = {};
    ASSERT_EQ(1, next_event(&conn, &ev));
    EXPECT_EQ(SDVM_IPC_EV_ERROR, ev.type);
    EXPECT_EQ(unsigned(SDVM_FAILURE_PROTOCOL), ev.failure);
    sdvm_ipc_msg_clear(&ev);
    EXPECT_LT(next_event(&conn, &ev), 0) << "connection should be closed";
    sdvm_ipc_conn_close(&conn);
    EXPECT_EQ(std::vector<std::string>{"GONE"}, seen.lines) << "no POWER may reach the daemon";
}

TEST_F(Server, WrongVersionIsRefused)
{
    sdvm_ipc_conn conn;
    sdvm_ipc_conn_init(&conn, connect_client(), SDVM_IPC_SIDE_CLIENT);
    send(&conn, hello(99));
    sdvm_ipc_msg ev = {};
    ASSERT_EQ(1, next_event(&conn, &ev));
    EXPECT_EQ(SDVM_IPC_EV_ERROR, ev.type);
    EXPECT_NE(nullptr, strstr(ev.text, "version"));
    sdvm_ipc_msg_clear(&ev);
    sdvm_ipc_conn_close(&conn);
}

TEST_F(Server, GarbageGetsAnErrorAndAClosedConnection)
{
    const std::vector<std::string> garbage = {
        std::string("\xff\xff\xff\xff\x01\x00\x00\x00", 8),        // length over the bound
        std::string("\x04\x00\x00\x00\x02\x00\x00\x00" "abcd", 12), // LOGIN with junk fields
        std::string("\x00\x00\x00\x00\x99\x77\x00\x00", 8),        // unknown type
        std::string("GET / HTTP/1.1\r\n\r\n"),
    };
    for (const auto &g : garbage) {
        seen.lines.clear();
        int fd = connect_client();
        ASSERT_EQ(ssize_t(g.size()), write(fd, g.data(), g.size()));
        sdvm_ipc_conn conn;
        sdvm_ipc_conn_init(&conn, fd, SDVM_IPC_SIDE_CLIENT);
        sdvm_ipc_msg ev = {};
        int n = next_event(&conn, &ev);
        if (n == 1) {
            EXPECT_EQ(SDVM_IPC_EV_ERROR, ev.type);
            sdvm_ipc_msg_clear(&ev);
            n = next_event(&conn, &ev);
        }
        EXPECT_LT(n, 0) << "connection stays open after garbage";
        sdvm_ipc_conn_close(&conn);
        ASSERT_TRUE(spin([&] { return seen.lines == std::vector<std::string>{"GONE"}; }));
    }
    // The server still works.
    sdvm_ipc_conn conn;
    sdvm_ipc_conn_init(&conn, connect_client(), SDVM_IPC_SIDE_CLIENT);
    send(&conn, hello());
    sdvm_ipc_msg ev = {};
    ASSERT_EQ(1, next_event(&conn, &ev));
    EXPECT_EQ(SDVM_IPC_EV_HELLO, ev.type);
    sdvm_ipc_msg_clear(&ev);
    sdvm_ipc_conn_close(&conn);
}

TEST_F(Server, StrangersAreRefused)
{
    if (getuid() != 0)
        GTEST_SKIP() << "needs root to connect as another user";
    struct passwd *nobody = getpwnam("nobody");
    ASSERT_NE(nullptr, nobody);
    chmod(dir, 0755);
    chmod(path.c_str(), 0666); // the file mode is not what protects sdvmd: the peer check is
    pid_t pid = fork();
    if (pid == 0) {
        if (setgid(nobody->pw_gid) != 0 || setuid(nobody->pw_uid) != 0)
            _exit(2);
        int fd = sdvm_ipc_connect(path.c_str());
        if (fd < 0)
            _exit(3);
        sdvm_ipc_conn conn;
        sdvm_ipc_conn_init(&conn, fd, SDVM_IPC_SIDE_CLIENT);
        sdvm_ipc_msg h = hello();
        sdvm_ipc_conn_queue(&conn, &h);
        sdvm_ipc_conn_flush_wait(&conn, 1000);
        // Expect an error event, then the end of the stream.
        for (int i = 0; i < 2000; i++) {
            int r = sdvm_ipc_conn_fill(&conn);
            sdvm_ipc_msg ev = {};
            sdvm_ipc_error err = {};
            if (sdvm_ipc_conn_next(&conn, &ev, &err) == 1) {
                // libsdvm turns DAEMON_UNAVAILABLE here into -EACCES for the caller.
                bool refused = ev.type == SDVM_IPC_EV_ERROR &&
                               ev.failure == SDVM_FAILURE_DAEMON_UNAVAILABLE;
                sdvm_ipc_msg_clear(&ev);
                _exit(refused ? 0 : 4);
            }
            if (r == -EPIPE)
                _exit(0);
            usleep(1000);
        }
        _exit(5);
    }
    int status = -1;
    bool reaped = false;
    ASSERT_TRUE(spin([&] { return reaped || (reaped = waitpid(pid, &status, WNOHANG) == pid); },
                     5000));
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
    EXPECT_TRUE(seen.lines.empty()) << "a stranger reached a handler";
}

// Review L1: connections that never say HELLO are dropped after the hello timeout, so as
// many of them as there are slots cannot keep the next greeter or sdvm-admin out.
TEST_F(Server, SilentClientsAreDroppedAfterTheHelloTimeout)
{
    sdvmd_server_free(server);
    sdvmd_server_params p = {};
    p.path = path.c_str();
    p.socket_gid = (gid_t)-1;
    p.max_clients = 4;
    p.hello_timeout_ms = 200;
    ASSERT_EQ(0, sdvmd_server_new(&p, &kHandlers, &seen, &server));
    std::vector<sdvm_ipc_conn> silent(4);
    for (auto &c : silent)
        sdvm_ipc_conn_init(&c, connect_client(), SDVM_IPC_SIDE_CLIENT);
    ASSERT_TRUE(spin([&] { return sdvmd_server_client_count(server) == 4; }));
    // Each gets an error and a closed connection once its time is up.
    for (auto &c : silent) {
        sdvm_ipc_msg ev = {};
        ASSERT_EQ(1, next_event(&c, &ev));
        EXPECT_EQ(SDVM_IPC_EV_ERROR, ev.type);
        EXPECT_NE(nullptr, strstr(ev.text, "no HELLO")) << ev.text;
        sdvm_ipc_msg_clear(&ev);
        sdvm_ipc_conn_close(&c);
    }
    ASSERT_TRUE(spin([&] { return sdvmd_server_client_count(server) == 0; }));
    // A client that says hello in time stays.
    sdvm_ipc_conn conn;
    sdvm_ipc_conn_init(&conn, connect_client(), SDVM_IPC_SIDE_CLIENT);
    send(&conn, hello());
    sdvm_ipc_msg ev = {};
    ASSERT_EQ(1, next_event(&conn, &ev));
    EXPECT_EQ(SDVM_IPC_EV_HELLO, ev.type);
    sdvm_ipc_msg_clear(&ev);
    spin([] { return false; }, 400); // past the timeout
    EXPECT_EQ(1u, sdvmd_server_client_count(server));
    sdvm_ipc_conn_close(&conn);
}
