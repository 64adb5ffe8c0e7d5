// sdvmd in a thread of the test process, on a private state dir, with the scripted network
// (fake_net.h) and a stand-in run-guest: for the daemon's logic and the ABI transcripts
// without root, NetworkManager or QEMU. The same transcripts run on the 802.1X test bed
// against the real daemon (tests/testbed).
#pragma once

#include <atomic>
#include <string>
#include <thread>

#include "fake_net.h"

extern "C" {
#include "daemon.h"
}

struct HarnessOptions {
    std::string run_guest_body = "sleep 3; exit 0"; // the stand-in run-guest (sh)
    std::string recover_body = ":";                  // its --recover, at sdvmd's start
    std::string extra_config;                        // appended to sdvm.conf
    unsigned step_ms = 30;                           // the fake network's pace
    bool store_full = false;                         // UsersDir on a 1 MiB tmpfs (root)
    unsigned disk_notice_ms = 200;                   // DISK_RENEWED on screen (8 s in sdvmd)
};

class DaemonHarness {
public:
    explicit DaemonHarness(const HarnessOptions &opts = {});
    ~DaemonHarness();

    bool start(std::string *error);
    void stop();
    // Send SIGHUP-equivalent (reload) inside the daemon thread and wait for it.
    int reload();

    const std::string &socket_path() const { return socket_; }
    const std::string &dir() const { return dir_; }
    FakeNetStats stats() const; // a copy, taken on the daemon thread
    bool busy();                // a login or a session in progress (sdvmd_busy)

    // Run fn on the daemon's thread and wait for it.
    void on_daemon_thread(void (*fn)(sdvmd *, void *), void *data);

private:
    HarnessOptions opts_;
    std::string dir_, socket_;
    std::thread thread_;
    struct _GMainLoop *loop_ = nullptr;
    sdvmd *daemon_ = nullptr;
    FakeNetStats stats_;
    std::atomic<int> state_{0}; // 0 starting, 1 running, -1 failed
    std::string error_;
};
