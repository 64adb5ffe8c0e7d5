// A private D-Bus bus for one test, plus python-dbusmock templates on it. The bus is a
// dbus-daemon of our own (never the machine's system bus); children are stopped by PID.
#pragma once

#include <gio/gio.h>

#include <string>
#include <vector>

class PrivateBus {
public:
    PrivateBus();
    ~PrivateBus();
    PrivateBus(const PrivateBus &) = delete;
    PrivateBus &operator=(const PrivateBus &) = delete;

    bool ok() const { return connection_ != nullptr; }
    const std::string &address() const { return address_; }
    GDBusConnection *connection() const { return connection_; }

    // Start `python3 -m dbusmock --template NAME [-p JSON]` with this bus as its system bus
    // and wait until `bus_name` is owned. Returns false (and says why) on failure.
    bool start_template(const std::string &name, const std::string &bus_name,
                        const std::string &parameters_json = "");
    // Method calls the mock recorded on `path` (interface org.freedesktop.DBus.Mock).
    std::vector<std::string> calls(const std::string &bus_name, const std::string &path);

private:
    bool wait_for_name(const std::string &bus_name, int timeout_ms);
    GPid bus_pid_ = 0;
    std::vector<GPid> mocks_;
    std::string address_;
    GDBusConnection *connection_ = nullptr;
};
