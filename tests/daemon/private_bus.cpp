#include "private_bus.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

namespace {
void
stop_child(GPid pid)
{
    if (pid <= 0)
        return;
    kill(pid, SIGTERM);
    int status;
    for (int i = 0; i < 200; i++) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            return;
        usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
}
} // namespace

PrivateBus::PrivateBus()
{
    const char *argv[] = {"dbus-daemon", "--session", "--nofork", "--print-address=1", nullptr};
    int out_fd = -1;
    GError *error = nullptr;
    if (!g_spawn_async_with_pipes(nullptr, const_cast<char **>(argv), nullptr,
                                  static_cast<GSpawnFlags>(G_SPAWN_SEARCH_PATH |
                                                           G_SPAWN_DO_NOT_REAP_CHILD),
                                  nullptr, nullptr, &bus_pid_, nullptr, &out_fd, nullptr,
                                  &error)) {
        fprintf(stderr, "private bus: %s\n", error->message);
        g_error_free(error);
        return;
    }
    char line[512];
    size_t n = 0;
    while (n < sizeof(line) - 1) {
        ssize_t r = read(out_fd, line + n, 1);
        if (r <= 0 || line[n] == '\n')
            break;
        n++;
    }
    close(out_fd);
    line[n] = '\0';
    address_ = line;
    connection_ = g_dbus_connection_new_for_address_sync(
        address_.c_str(),
        static_cast<GDBusConnectionFlags>(G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                          G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION),
        nullptr, nullptr, &error);
    if (!connection_) {
        fprintf(stderr, "private bus %s: %s\n", address_.c_str(), error->message);
        g_error_free(error);
    }
}

PrivateBus::~PrivateBus()
{
    if (connection_) {
        g_dbus_connection_close_sync(connection_, nullptr, nullptr);
        g_object_unref(connection_);
    }
    for (GPid pid : mocks_)
        stop_child(pid);
    stop_child(bus_pid_);
}

bool
PrivateBus::wait_for_name(const std::string &bus_name, int timeout_ms)
{
    for (int waited = 0; waited < timeout_ms; waited += 20) {
        GVariant *reply = g_dbus_connection_call_sync(
            connection_, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
            "NameHasOwner", g_variant_new("(s)", bus_name.c_str()), G_VARIANT_TYPE("(b)"),
            G_DBUS_CALL_FLAGS_NONE, 1000, nullptr, nullptr);
        gboolean owned = FALSE;
        if (reply) {
            g_variant_get(reply, "(b)", &owned);
            g_variant_unref(reply);
        }
        if (owned)
            return true;
        g_usleep(20000);
    }
    return false;
}

bool
PrivateBus::start_template(const std::string &name, const std::string &bus_name,
                           const std::string &parameters_json)
{
    if (!connection_)
        return false;
    // Debian's python3: a pyenv python first on PATH does not see python3-dbusmock.
    std::vector<const char *> argv = {"/usr/bin/python3", "-m", "dbusmock", "--template",
                                      name.c_str()};
    if (!parameters_json.empty()) {
        argv.push_back("-p");
        argv.push_back(parameters_json.c_str());
    }
    argv.push_back(nullptr);
    char **env = g_get_environ();
    env = g_environ_setenv(env, "DBUS_SYSTEM_BUS_ADDRESS", address_.c_str(), TRUE);
    env = g_environ_setenv(env, "DBUS_SESSION_BUS_ADDRESS", address_.c_str(), TRUE);
    GPid pid = 0;
    GError *error = nullptr;
    gboolean ok = g_spawn_async(nullptr, const_cast<char **>(argv.data()), env,
                                G_SPAWN_DO_NOT_REAP_CHILD, nullptr, nullptr, &pid, &error);
    g_strfreev(env);
    if (!ok) {
        fprintf(stderr, "dbusmock: %s\n", error->message);
        g_error_free(error);
        return false;
    }
    mocks_.push_back(pid);
    if (!wait_for_name(bus_name, 10000)) {
        fprintf(stderr, "dbusmock template %s never owned %s\n", name.c_str(), bus_name.c_str());
        return false;
    }
    return true;
}

std::vector<std::string>
PrivateBus::calls(const std::string &bus_name, const std::string &path)
{
    std::vector<std::string> out;
    GVariant *reply = g_dbus_connection_call_sync(
        connection_, bus_name.c_str(), path.c_str(), "org.freedesktop.DBus.Mock", "GetCalls",
        nullptr, nullptr, G_DBUS_CALL_FLAGS_NONE, 2000, nullptr, nullptr);
    if (!reply)
        return out;
    GVariant *list = g_variant_get_child_value(reply, 0);
    GVariantIter iter;
    g_variant_iter_init(&iter, list);
    GVariant *call;
    while ((call = g_variant_iter_next_value(&iter))) {
        GVariant *method = g_variant_get_child_value(call, 1);
        out.emplace_back(g_variant_get_string(method, nullptr));
        g_variant_unref(method);
        g_variant_unref(call);
    }
    g_variant_unref(list);
    g_variant_unref(reply);
    return out;
}
