// A tiny sdvmd stand-in for libsdvm's socket tests, built on the ipc library: it listens on a
// private socket, accepts one client at a time in a thread and runs a handler on it. The
// default handler, MiniDaemon, answers the hello and plays logins like the fake backend
// (so the backend-neutral transcript scenarios run over the real protocol); tests that need
// something else (garbage, silence, stale events, a hang-up) pass their own handler.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

extern "C" {
#include "sdvm-types.h"
#include "sdvm/ipc.h"
}

namespace sdvmtest {

// One accepted connection, used from the server thread.
class ServerConn {
  public:
    explicit ServerConn(int fd);
    ~ServerConn();
    ServerConn(const ServerConn &) = delete;
    ServerConn &operator=(const ServerConn &) = delete;

    // Wait for one request: 1 and *m (clear it afterwards), 0 on timeout, -EPIPE when the
    // client closed, another negative errno on garbage (then *err says why).
    int recv(sdvm_ipc_msg *m, int timeout_ms, sdvm_ipc_error *err = nullptr);
    bool send(const sdvm_ipc_msg &m);
    bool send_raw(const std::vector<uint8_t> &bytes);
    // Answer garbage as sdvmd must: EV_ERROR, then close.
    void reject(enum sdvm_failure failure, const std::string &text);
    // Read the HELLO and answer with the default catalog (or the given version).
    bool handshake(uint32_t version = SDVM_IPC_VERSION);
    // Wait until the client closes its end (EOF); false on timeout.
    bool wait_closed(int timeout_ms);
    void close_now();

    sdvm_ipc_conn conn;
};

// The catalog the server announces.
std::vector<sdvm_ipc_image> default_catalog();

class TestServer {
  public:
    using Handler = std::function<void(ServerConn &)>;

    TestServer();
    ~TestServer();
    TestServer(const TestServer &) = delete;
    TestServer &operator=(const TestServer &) = delete;

    // Serve `connections` clients, one after the other, each with handler.
    void start(Handler handler, int connections = 1);
    // Stop accepting and join the thread (the handler must return by itself).
    void stop();

    const std::string &path() const { return path_; }

    // Lines the server recorded ("LOGIN op=1 nai=... image=... password-length=N", ...).
    void record(const std::string &line);
    std::vector<std::string> records();
    // Failures inside the server thread (a gtest assertion there would be lost).
    void fail(const std::string &what) { record("SERVER-FAILURE " + what); }

  private:
    std::string dir_, path_;
    int listen_fd_ = -1;
    std::thread thread_;
    std::atomic<bool> stopping_{false};
    std::mutex mu_;
    std::vector<std::string> records_;
};

// The default handler: handshake, then logins scripted like the fake backend (stage delay
// delay_ms): password "wrong" -> BAD_CREDENTIALS, realm unknown.test -> UNKNOWN_REALM,
// cert.test -> SERVER_CERT_UNTRUSTED, CANCEL -> FINISHED CANCELLED, a LOGIN while one runs
// -> FINISHED BUSY. It checks the peer (SO_PEERCRED) and that the password is wiped from its
// input buffer; garbage gets EV_ERROR and a closed connection.
TestServer::Handler mini_daemon(TestServer *server, int delay_ms = 10);

} // namespace sdvmtest
