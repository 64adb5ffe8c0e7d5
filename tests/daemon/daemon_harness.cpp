#include "daemon_harness.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <sys/mount.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <mutex>

extern "C" {
#include "sdvm/config.h"
}

namespace {
std::string
read_file(const std::string &path)
{
    gchar *text = nullptr;
    if (!g_file_get_contents(path.c_str(), &text, nullptr, nullptr))
        return "";
    std::string s(text);
    g_free(text);
    return s;
}

void
write_file(const std::string &path, const std::string &text, int mode = 0644)
{
    g_file_set_contents(path.c_str(), text.c_str(), -1, nullptr);
    g_chmod(path.c_str(), mode);
}

std::string
source_dir()
{
    const char *s = getenv("SDVM_SOURCE_DIR");
    return s ? s : ".";
}

struct Call {
    void (*fn)(sdvmd *, void *);
    void *data;
    sdvmd *daemon;
    std::mutex m;
    std::condition_variable cv;
    bool done = false;
};

gboolean
run_call(gpointer p)
{
    auto *c = static_cast<Call *>(p);
    c->fn(c->daemon, c->data);
    std::lock_guard<std::mutex> lock(c->m);
    c->done = true;
    c->cv.notify_all();
    return G_SOURCE_REMOVE;
}
} // namespace

DaemonHarness::DaemonHarness(const HarnessOptions &opts) : opts_(opts)
{
    char *d = g_dir_make_tmp("sdvmd-test-XXXXXX", nullptr);
    dir_ = d;
    g_free(d);
    socket_ = dir_ + "/sdvmd.sock";
    for (const char *sub : {"images", "users", "realms.d", "ca"})
        g_mkdir_with_parents((dir_ + "/" + sub).c_str(), 0755);
}

DaemonHarness::~DaemonHarness()
{
    stop();
    if (opts_.store_full)
        umount2((dir_ + "/users").c_str(), MNT_DETACH);
    std::string cmd = "rm -rf '" + dir_ + "'";
    (void)!system(cmd.c_str());
}

bool
DaemonHarness::start(std::string *error)
{
    // One base image: a real qcow2 (the store reads its header), 64 MiB virtual.
    std::string base = dir_ + "/images/tiny.qcow2";
    std::string cmd = "qemu-img create -q -f qcow2 '" + base + "' 64M";
    if (system(cmd.c_str()) != 0) {
        *error = "qemu-img create failed";
        return false;
    }
    write_file(dir_ + "/images/tiny.ini",
               "[Image]\nName=Tiny Linux\nOsType=linux\nDefault=true\nComment=test guest\n");
    std::string ca = read_file(source_dir() + "/tests/data/eap-config/certs/test-ca-local.pem");
    if (ca.empty()) {
        *error = "test CA not found (SDVM_SOURCE_DIR?)";
        return false;
    }
    write_file(dir_ + "/ca-test.pem", ca);
    write_file(dir_ + "/realms.d/test.conf",
               "[Realm uni-a]\nName=uni-a.test\nMethod=ttls\nInner=pap\nCaFile=" + dir_ +
                   "/ca-test.pem\nServerNames=radius.lab.test\nDisplayName=University A\n"
                   "HelpdeskEmail=help@uni-a.test\nHelpdeskPhone=+99 1 2345\n"
                   "HelpdeskUrl=https://help.uni-a.test/\n"
                   "[Realm cert]\nName=cert.test\nMethod=peap\nInner=eap-mschapv2\nCaFile=" +
                   dir_ + "/ca-test.pem\nServerNames=radius.cert.test\n"
                   "[Realm nocarrier]\nName=nocarrier.test\nMethod=ttls\nInner=pap\nCaFile=" +
                   dir_ + "/ca-test.pem\nServerNames=radius.lab.test\n");
    write_file(dir_ + "/run-guest",
               "#!/bin/sh\nif [ \"${1:-}\" = --recover ]; then\n" + opts_.recover_body +
                   "\nexit 0\nfi\n" + opts_.run_guest_body + "\n",
               0755);
    if (opts_.store_full &&
        mount("tmpfs", (dir_ + "/users").c_str(), "tmpfs", 0, "size=1m,mode=0700") != 0) {
        *error = "cannot mount a tiny tmpfs (not root?)";
        return false;
    }
    std::string conf = "[Paths]\nStateDir=" + dir_ + "\nImagesDir=" + dir_ +
                       "/images\nUsersDir=" + dir_ + "/users\nRealmsDir=" + dir_ +
                       "/realms.d\nCatDatabase=" + dir_ + "/no-cat.db\nCaDir=" + dir_ +
                       "/ca\nRunGuest=" + dir_ + "/run-guest\nSocket=" + socket_ + "\n" +
                       opts_.extra_config;
    write_file(dir_ + "/sdvm.conf", conf);

    state_ = 0;
    thread_ = std::thread([this] {
        GMainContext *ctx = g_main_context_default();
        sdvm_config *config = nullptr;
        sdvm_config_error *cerr = nullptr;
        if (sdvm_config_load((dir_ + "/sdvm.conf").c_str(), &config, &cerr) < 0) {
            error_ = cerr ? cerr->message : "config";
            sdvm_config_error_free(cerr);
            state_ = -1;
            return;
        }
        sdvmd_options opts = {};
        opts.no_greeter = true;
        opts.disk_notice_ms = opts_.disk_notice_ms;
        char *err = nullptr;
        if (sdvmd_new(config, fake_net_new(opts_.step_ms, &stats_), nullptr, &opts, &daemon_,
                      &err) < 0) {
            error_ = err ? err : "sdvmd_new";
            free(err);
            state_ = -1;
            return;
        }
        loop_ = reinterpret_cast<_GMainLoop *>(g_main_loop_new(ctx, FALSE));
        state_ = 1;
        g_main_loop_run(reinterpret_cast<GMainLoop *>(loop_));
        sdvmd_free(daemon_);
        daemon_ = nullptr;
        g_main_loop_unref(reinterpret_cast<GMainLoop *>(loop_));
        loop_ = nullptr;
    });
    while (state_ == 0)
        g_usleep(1000);
    if (state_ < 0) {
        thread_.join();
        *error = error_;
        return false;
    }
    // sdvmd's run-guest --recover runs first (logins are BUSY meanwhile), as at every start.
    for (int i = 0; i < 1000 && busy(); i++)
        g_usleep(10000);
    return true;
}

void
DaemonHarness::stop()
{
    if (!thread_.joinable())
        return;
    if (loop_)
        g_main_loop_quit(reinterpret_cast<GMainLoop *>(loop_));
    thread_.join();
}

void
DaemonHarness::on_daemon_thread(void (*fn)(sdvmd *, void *), void *data)
{
    Call c;
    c.fn = fn;
    c.data = data;
    c.daemon = daemon_;
    g_main_context_invoke(g_main_context_default(), run_call, &c);
    std::unique_lock<std::mutex> lock(c.m);
    c.cv.wait(lock, [&] { return c.done; });
}

FakeNetStats
DaemonHarness::stats() const
{
    FakeNetStats copy;
    struct Args {
        const FakeNetStats *from;
        FakeNetStats *to;
    } args = {&stats_, &copy};
    const_cast<DaemonHarness *>(this)->on_daemon_thread(
        [](sdvmd *, void *p) {
            auto *a = static_cast<Args *>(p);
            *a->to = *a->from;
        },
        &args);
    return copy;
}

bool
DaemonHarness::busy()
{
    bool busy = false;
    on_daemon_thread([](sdvmd *d, void *p) { *static_cast<bool *>(p) = sdvmd_busy(d); }, &busy);
    return busy;
}

int
DaemonHarness::reload()
{
    int result = 0;
    on_daemon_thread(
        [](sdvmd *d, void *p) {
            char *err = nullptr;
            *static_cast<int *>(p) = sdvmd_reload(d, nullptr, &err);
            free(err);
        },
        &result);
    return result;
}
