// A tiny sdvmd stand-in for libsdvm's socket tests; see test-server.h.
#include "test-server.h"

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <poll.h>
#include <string>
#include <unistd.h>

namespace sdvmtest {

namespace {

int64_t
now_ms()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

bool
contains(const uint8_t *hay, size_t n, const std::string &needle)
{
    if (needle.empty() || n < needle.size())
        return false;
    for (size_t i = 0; i + needle.size() <= n; i++)
        if (memcmp(hay + i, needle.data(), needle.size()) == 0)
            return true;
    return false;
}

} // namespace

std::vector<sdvm_ipc_image>
default_catalog()
{
    return {
        {"debian-12", "Debian GNU/Linux 12", "linux", "GCC, Python", true, true, nullptr, 0},
        {"windows-11", "Windows 11 Education", "windows", nullptr, false, true, nullptr, 0},
        {"broken", "Broken image", "linux", "", false, false, "base image is corrupt",
         SDVM_IMAGE_CORRUPT},
    };
}

// ---- ServerConn ----------------------------------------------------------------------

ServerConn::ServerConn(int fd)
{
    sdvm_ipc_conn_init(&conn, fd, SDVM_IPC_SIDE_SERVER);
}

ServerConn::~ServerConn()
{
    sdvm_ipc_conn_close(&conn);
}

void
ServerConn::close_now()
{
    sdvm_ipc_conn_close(&conn);
}

int
ServerConn::recv(sdvm_ipc_msg *m, int timeout_ms, sdvm_ipc_error *err)
{
    sdvm_ipc_error local;
    if (!err)
        err = &local;
    int64_t deadline = now_ms() + timeout_ms;
    bool eof = false;
    for (;;) {
        int r = sdvm_ipc_conn_next(&conn, m, err);
        if (r != 0)
            return r;
        if (eof)
            return -EPIPE;
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return 0;
        struct pollfd p = {conn.fd, POLLIN, 0};
        int pr = poll(&p, 1, static_cast<int>(left));
        if (pr < 0 && errno != EINTR)
            return -errno;
        if (pr > 0) {
            int fr = sdvm_ipc_conn_fill(&conn);
            if (fr == -EPIPE)
                eof = true;
            else if (fr < 0)
                return fr;
        }
    }
}

bool
ServerConn::send(const sdvm_ipc_msg &m)
{
    if (sdvm_ipc_conn_queue(&conn, &m) < 0)
        return false;
    return sdvm_ipc_conn_flush_wait(&conn, 5000) == 0;
}

bool
ServerConn::send_raw(const std::vector<uint8_t> &bytes)
{
    size_t off = 0;
    while (off < bytes.size()) {
        ssize_t n = ::send(conn.fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EAGAIN) {
            struct pollfd p = {conn.fd, POLLOUT, 0};
            poll(&p, 1, 1000);
            continue;
        }
        if (n <= 0)
            return false;
        off += static_cast<size_t>(n);
    }
    return true;
}

void
ServerConn::reject(enum sdvm_failure failure, const std::string &text)
{
    sdvm_ipc_conn_queue_error(&conn, failure, 0, text.c_str());
    sdvm_ipc_conn_flush_wait(&conn, 2000);
    close_now();
}

bool
ServerConn::handshake(uint32_t version)
{
    sdvm_ipc_msg m;
    sdvm_ipc_error err;
    int r = recv(&m, 5000, &err);
    if (r < 0 && r != -EPIPE) {
        reject(SDVM_FAILURE_PROTOCOL, err.text); // garbage instead of a hello
        return false;
    }
    if (r != 1)
        return false;
    bool ok = m.type == SDVM_IPC_HELLO && m.version >= 1;
    sdvm_ipc_msg_clear(&m);
    if (!ok) {
        reject(SDVM_FAILURE_PROTOCOL, "expected HELLO");
        return false;
    }
    std::vector<sdvm_ipc_image> cat = default_catalog();
    sdvm_ipc_msg hello = {};
    hello.type = SDVM_IPC_EV_HELLO;
    hello.version = version;
    hello.software = "test-server";
    hello.hostname = "test-host";
    hello.has_power_mask = true;
    hello.power_mask = SDVM_POWER_OFF | SDVM_POWER_REBOOT;
    hello.images = cat.data();
    hello.n_images = cat.size();
    return send(hello);
}

bool
ServerConn::wait_closed(int timeout_ms)
{
    if (conn.fd < 0)
        return true; // we closed it ourselves
    int64_t deadline = now_ms() + timeout_ms;
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return false;
        struct pollfd p = {conn.fd, POLLIN, 0};
        if (poll(&p, 1, static_cast<int>(left)) > 0) {
            int r = sdvm_ipc_conn_fill(&conn);
            sdvm_ipc_buf_consume(&conn.in, conn.in.len);
            if (r == -EPIPE)
                return true;
            if (r < 0)
                return false;
        }
    }
}

// ---- TestServer ----------------------------------------------------------------------

TestServer::TestServer()
{
    char tmpl[] = "/tmp/sdvm-test-server-XXXXXX";
    const char *d = mkdtemp(tmpl);
    if (d) {
        dir_ = d;
        path_ = dir_ + "/sdvmd.sock";
        listen_fd_ = sdvm_ipc_listen(path_.c_str(), 0600, 4);
    }
}

TestServer::~TestServer()
{
    stop();
    if (listen_fd_ >= 0)
        close(listen_fd_);
    if (!path_.empty())
        unlink(path_.c_str());
    if (!dir_.empty())
        rmdir(dir_.c_str());
}

void
TestServer::start(Handler handler, int connections)
{
    stopping_ = false;
    thread_ = std::thread([this, handler, connections] {
        for (int served = 0; served < connections && !stopping_;) {
            struct pollfd p = {listen_fd_, POLLIN, 0};
            if (poll(&p, 1, 100) <= 0)
                continue;
            int fd = sdvm_ipc_accept(listen_fd_);
            if (fd < 0)
                continue;
            served++;
            ServerConn c(fd);
            handler(c);
        }
    });
}

void
TestServer::stop()
{
    stopping_ = true;
    if (thread_.joinable())
        thread_.join();
}

void
TestServer::record(const std::string &line)
{
    std::lock_guard<std::mutex> lock(mu_);
    records_.push_back(line);
}

std::vector<std::string>
TestServer::records()
{
    std::lock_guard<std::mutex> lock(mu_);
    return records_;
}

// ---- MiniDaemon ----------------------------------------------------------------------

namespace {

struct Step {
    sdvm_ipc_type type;
    uint32_t value; // stage or failure
};

class MiniDaemon {
  public:
    MiniDaemon(TestServer *server, ServerConn &c, int delay_ms)
        : server_(server), c_(c), delay_ms_(delay_ms)
    {
    }

    void run()
    {
        uid_t me = getuid();
        struct ucred cred;
        if (sdvm_ipc_peer_check(c_.conn.fd, &me, 1, &cred) != 0) {
            server_->fail("peer check refused our own process");
            c_.reject(SDVM_FAILURE_DAEMON_UNAVAILABLE, "peer not allowed");
            return;
        }
        if (!c_.handshake()) {
            server_->record("HANDSHAKE-FAILED");
            return;
        }
        for (;;) {
            int timeout = 1000;
            if (!steps_.empty())
                timeout = static_cast<int>(std::max<int64_t>(0, due_ - now_ms()));
            sdvm_ipc_msg m;
            sdvm_ipc_error err;
            int r = c_.recv(&m, timeout, &err);
            if (r == -EPIPE) {
                server_->record("EOF");
                return;
            }
            if (r < 0) {
                server_->record(std::string("REJECTED ") + err.text);
                c_.reject(SDVM_FAILURE_PROTOCOL, err.text);
                return;
            }
            if (r == 1) {
                bool keep = handle(m);
                sdvm_ipc_msg_clear(&m);
                if (!keep)
                    return;
            }
            if (!steps_.empty() && now_ms() >= due_)
                advance();
        }
    }

  private:
    bool handle(const sdvm_ipc_msg &m)
    {
        switch (m.type) {
        case SDVM_IPC_LOGIN: {
            std::string pw = m.password;
            server_->record("LOGIN op=" + std::to_string(m.op) + " nai=" + m.nai + " image=" +
                            m.image_id + " password-length=" + std::to_string(pw.size()));
            if (contains(c_.conn.in.data, c_.conn.in.cap, pw))
                server_->fail("the password is still in the server's input buffer");
            if (op_) {
                finish(m.op, SDVM_FAILURE_BUSY);
                return true;
            }
            op_ = m.op;
            script(m.nai, pw, m.image_id);
            explicit_bzero(&pw[0], pw.size());
            sdvm_ipc_msg_wipe_password(const_cast<sdvm_ipc_msg *>(&m));
            return true;
        }
        case SDVM_IPC_CANCEL:
            server_->record("CANCEL op=" + std::to_string(m.op));
            if (m.op == op_) {
                steps_.clear();
                op_ = 0;
                finish(m.op, SDVM_FAILURE_CANCELLED);
            }
            return true;
        case SDVM_IPC_POWER:
            server_->record("POWER action=" + std::to_string(m.power_action));
            return true;
        case SDVM_IPC_HELLO:
            server_->record("REJECTED hello twice");
            c_.reject(SDVM_FAILURE_PROTOCOL, "HELLO twice");
            return false;
        default:
            return true; // events cannot arrive: the server-side decoder rejects them
        }
    }

    void script(const std::string &nai, const std::string &pw, const std::string &image)
    {
        steps_.clear();
        std::string realm = nai.substr(nai.find('@') == std::string::npos ? nai.size()
                                                                          : nai.find('@') + 1);
        bool known_image = false;
        for (const auto &im : default_catalog())
            known_image |= image == im.id;
        if (!known_image) {
            steps_.push_back({SDVM_IPC_EV_FINISHED, SDVM_FAILURE_IMAGE_UNKNOWN});
        } else if (realm.empty()) {
            steps_.push_back({SDVM_IPC_EV_FINISHED, SDVM_FAILURE_INVALID_NAI});
        } else {
            steps_.push_back({SDVM_IPC_EV_PROGRESS, SDVM_STAGE_CHECKING_REALM});
            if (realm == "unknown.test") {
                steps_.push_back({SDVM_IPC_EV_FINISHED, SDVM_FAILURE_UNKNOWN_REALM});
            } else {
                steps_.push_back({SDVM_IPC_EV_PROGRESS, SDVM_STAGE_CONNECTING_WIRED});
                steps_.push_back({SDVM_IPC_EV_PROGRESS, SDVM_STAGE_AUTHENTICATING});
                if (realm == "cert.test") {
                    steps_.push_back({SDVM_IPC_EV_FINISHED, SDVM_FAILURE_SERVER_CERT_UNTRUSTED});
                } else if (pw == "wrong") {
                    steps_.push_back({SDVM_IPC_EV_FINISHED, SDVM_FAILURE_BAD_CREDENTIALS});
                } else {
                    steps_.push_back({SDVM_IPC_EV_PROGRESS, SDVM_STAGE_PREPARING_DISK});
                    steps_.push_back({SDVM_IPC_EV_PROGRESS, SDVM_STAGE_STARTING});
                    steps_.push_back({SDVM_IPC_EV_LAUNCHING, 0});
                }
            }
        }
        due_ = now_ms(); // the first step at once
    }

    void advance()
    {
        Step s = steps_.front();
        steps_.pop_front();
        due_ = now_ms() + delay_ms_;
        uint64_t op = op_;
        if (s.type == SDVM_IPC_EV_PROGRESS) {
            sdvm_ipc_msg m = {};
            m.type = SDVM_IPC_EV_PROGRESS;
            m.op = op;
            m.stage = s.value;
            c_.send(m);
        } else if (s.type == SDVM_IPC_EV_LAUNCHING) {
            op_ = 0;
            sdvm_ipc_msg m = {};
            m.type = SDVM_IPC_EV_LAUNCHING;
            m.op = op;
            c_.send(m);
        } else {
            op_ = 0;
            finish(op, static_cast<sdvm_failure>(s.value));
        }
    }

    void finish(uint64_t op, enum sdvm_failure f)
    {
        sdvm_ipc_msg m = {};
        m.type = SDVM_IPC_EV_FINISHED;
        m.op = op;
        m.failure = f;
        if (f == SDVM_FAILURE_BAD_CREDENTIALS) {
            m.institution = "Test University";
            m.helpdesk_email = "help@test.example";
            m.detail = "EAP-Failure";
        }
        c_.send(m);
    }

    TestServer *server_;
    ServerConn &c_;
    int delay_ms_;
    uint64_t op_ = 0;
    std::deque<Step> steps_;
    int64_t due_ = 0;
};

} // namespace

TestServer::Handler
mini_daemon(TestServer *server, int delay_ms)
{
    return [server, delay_ms](ServerConn &c) {
        MiniDaemon d(server, c, delay_ms);
        d.run();
    };
}

} // namespace sdvmtest
