// nm-glue against python-dbusmock's NetworkManager template on a private bus: the cases the
// real test bed cannot make (no NetworkManager, no device, Wi-Fi only, an old version,
// leftovers), the exact settings nm-glue hands to NetworkManager for a Wi-Fi login, and
// logins on two links at once (a port and Wi-Fi) carried to the end, where the order of the
// links' successes and failures decides which link wins (WiredPreference).
//
// For those the mock NetworkManager gets mock_nm_links.py (it accepts the connections, asks
// the glue's secret agent for the password and moves each link's ActiveConnection state),
// and a second dbusmock is wpa_supplicant (mock_wpa_supplicant.py: its interfaces, EAP
// signal and State). Every step comes from the test.
//
// The suite starts its own dbus-daemon (no service activation) and points
// DBUS_SYSTEM_BUS_ADDRESS at it before anything touches D-Bus; it never uses the machine's
// system bus. Debian's /usr/bin/python3 runs dbusmock (a pyenv python would not see it).
#include <gtest/gtest.h>

#include <gio/gio.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <cstring>
#include <string>

#include "glue-harness.h"

namespace
{

const char *const kPython = "/usr/bin/python3";
const char *const kNmName = "org.freedesktop.NetworkManager";
const char *const kNmPath = "/org/freedesktop/NetworkManager";
const char *const kMockIface = "org.freedesktop.DBus.Mock";
const char *const kWpasName = "fi.w1.wpa_supplicant1";
const char *const kWpasPath = "/fi/w1/wpa_supplicant1";
// NMActiveConnectionState and a reason (NetworkManager's D-Bus API).
constexpr guint32 kActivated = 2, kDeactivated = 4, kDeviceDisconnected = 3;
constexpr double kFast = 3.5;

std::string g_dir;
GPid g_bus_pid = 0;

bool
spawn(const std::vector<std::string> &argv, GPid *pid, std::string *error)
{
    std::vector<char *> args;
    for (auto &a : argv)
        args.push_back(const_cast<char *>(a.c_str()));
    args.push_back(nullptr);
    GError *e = nullptr;
    // A crashed test takes its bus and mocks along (they would hold ctest's pipe open).
    auto die_with_parent = [](gpointer) { prctl(PR_SET_PDEATHSIG, SIGTERM); };
    bool ok = g_spawn_async(nullptr, args.data(), nullptr,
                            (GSpawnFlags)(G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_SEARCH_PATH),
                            die_with_parent, nullptr, pid, &e);
    if (!ok) {
        *error = e->message;
        g_error_free(e);
    }
    return ok;
}

void
stop(GPid &pid)
{
    if (pid <= 0)
        return;
    kill(pid, SIGTERM);
    int status;
    waitpid(pid, &status, 0);
    g_spawn_close_pid(pid);
    pid = 0;
}

GDBusConnection *
bus()
{
    static GDBusConnection *c;
    if (!c)
        c = g_bus_get_sync(G_BUS_TYPE_SYSTEM, nullptr, nullptr);
    return c;
}

// Whether `name` is owned by process `pid`: a mock just spawned, not the one of an earlier
// test, which the bus may still list for a moment after it exited.
bool
owned_by(const char *name, GPid pid)
{
    GVariant *r = g_dbus_connection_call_sync(
        bus(), "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
        "GetConnectionUnixProcessID", g_variant_new("(s)", name), G_VARIANT_TYPE("(u)"),
        G_DBUS_CALL_FLAGS_NONE, 2000, nullptr, nullptr);
    guint32 owner = 0;
    if (r) {
        g_variant_get(r, "(u)", &owner);
        g_variant_unref(r);
    }
    return pid > 0 && owner == (guint32)pid;
}

// Wait (10 s) until process `pid` owns `name`.
bool
wait_owned_by(const char *name, GPid pid)
{
    for (int i = 0; i < 1000 && !owned_by(name, pid); i++)
        g_usleep(10000);
    return owned_by(name, pid);
}

// Call a method of `name` (NetworkManager's mock unless told); returns the reply (or nullptr
// and sets *error).
GVariant *
call(const char *path, const char *iface, const char *method, GVariant *args,
     std::string *error = nullptr, const char *name = kNmName)
{
    GError *e = nullptr;
    GVariant *r = g_dbus_connection_call_sync(bus(), name, path, iface, method, args, nullptr,
                                              G_DBUS_CALL_FLAGS_NONE, 5000, nullptr, &e);
    if (!r) {
        if (error)
            *error = e->message;
        else
            ADD_FAILURE() << method << ": " << e->message;
        g_error_free(e);
    }
    return r;
}

void
mock_call(const char *path, const char *method, GVariant *args, const char *name = kNmName)
{
    GVariant *r = call(path, kMockIface, method, args, nullptr, name);
    if (r)
        g_variant_unref(r);
}

std::string
mock_call_s(const char *path, const char *method, GVariant *args)
{
    GVariant *r = call(path, kMockIface, method, args);
    std::string s;
    if (r) {
        if (g_variant_is_of_type(r, G_VARIANT_TYPE("(s)"))) {
            // The child is a new reference of its own (GLib's slice allocator hid the leak on
            // Debian 12; G_SLICE=always-malloc or GLib >= 2.76 shows it).
            GVariant *child = g_variant_get_child_value(r, 0);
            s = g_variant_get_string(child, nullptr);
            g_variant_unref(child);
        }
        g_variant_unref(r);
    }
    return s;
}

struct Profile {
    sdvm_auth_profile p{};
    char *names[2] = {const_cast<char *>("lab.test"), nullptr};
    Profile(sdvm_eap_method eap = SDVM_EAP_TTLS, sdvm_inner_method inner = SDVM_INNER_PAP)
    {
        p.eap = eap;
        p.inner = inner;
        p.realm = const_cast<char *>("uni-a.test");
        p.ca_bundle_path = const_cast<char *>(SDVM_TEST_DATA "/ca.pem");
        p.server_names = names;
        // Wired TTLS-PAP needs the wired policy's opt-in (sdvm_auth_profile_wired_check).
        p.allow_unprotected_wired = true;
    }
};

class Mock : public ::testing::Test
{
  protected:
    static void
    SetUpTestSuite()
    {
        char tmpl[] = "/tmp/sdvm-nm-mock-XXXXXX";
        ASSERT_NE(nullptr, mkdtemp(tmpl));
        g_dir = tmpl;
        std::string socket = g_dir + "/system_bus_socket";
        std::string conf = g_dir + "/bus.conf";
        std::string xml =
            "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
            " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
            "<busconfig><listen>unix:path=" +
            socket +
            "</listen>"
            "<auth>EXTERNAL</auth><policy context=\"default\"><allow own=\"*\"/>"
            "<allow send_destination=\"*\"/><allow receive_sender=\"*\"/></policy></busconfig>\n";
        ASSERT_TRUE(g_file_set_contents(conf.c_str(), xml.c_str(), -1, nullptr));
        std::string error;
        ASSERT_TRUE(
            spawn({"dbus-daemon", "--config-file=" + conf, "--nofork", "--nopidfile", "--nosyslog"},
                  &g_bus_pid, &error))
            << error;
        for (int i = 0; i < 500 && !g_file_test(socket.c_str(), G_FILE_TEST_EXISTS); i++)
            g_usleep(10000);
        setenv("DBUS_SYSTEM_BUS_ADDRESS", ("unix:path=" + socket).c_str(), 1);
        ASSERT_NE(nullptr, bus()) << "cannot connect to the private bus";
    }
    static void
    TearDownTestSuite()
    {
        stop(g_bus_pid);
        if (!g_dir.empty()) {
            std::string cmd = "rm -rf '" + g_dir + "'";
            (void)!system(cmd.c_str());
        }
    }
    void
    SetUp() override
    {
        glue_log_from_env();
        if (!g_file_test(kPython, G_FILE_TEST_IS_EXECUTABLE))
            GTEST_SKIP() << kPython << " is missing";
    }
    void
    TearDown() override
    {
        stop(wpas_pid);
        stop(mock_pid);
    }

    // Start dbusmock's NetworkManager (version as given) and wait until it owns its name.
    void
    start_nm(const char *version = "1.42.4")
    {
        std::string params = std::string("{\"Version\": \"") + version + "\"}";
        std::string error;
        ASSERT_TRUE(spawn({kPython, "-m", "dbusmock", "--system", "--template", "networkmanager",
                           "-p", params, "-l", g_dir + "/dbusmock.log"},
                          &mock_pid, &error))
            << error;
        wait_for_name();
        add_agent_manager();
    }

    // NetworkManager's own start in two steps, as it does it (nm-dbus-manager.c): the bus name
    // with an object manager that lists nothing, then, once its manager is set up, every
    // object exported at once (InterfacesAdded). start_nm_objects() is the second step.
    void
    start_nm_name_only()
    {
        std::string error;
        ASSERT_TRUE(spawn({kPython, "-m", "dbusmock", "--system", "--is-object-manager",
                           "org.freedesktop.NetworkManager", "/org/freedesktop",
                           "org.sdvm.test.Starting", "-l", g_dir + "/dbusmock.log"},
                          &mock_pid, &error))
            << error;
        wait_for_name();
        // What NetworkManager answers then: its objects' paths, none with an interface yet.
        mock_call(
            "/org/freedesktop", "AddMethod",
            g_variant_new("(sssss)", "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", "",
                          "a{oa{sa{sv}}}",
                          "ret = {dbus.ObjectPath('/org/freedesktop/NetworkManager'): {}, "
                          "dbus.ObjectPath('/org/freedesktop/NetworkManager/Settings'): {}}"));
    }
    void
    start_nm_objects()
    {
        GVariantBuilder params;
        g_variant_builder_init(&params, G_VARIANT_TYPE("a{sv}"));
        g_variant_builder_add(&params, "{sv}", "Version", g_variant_new_string("1.42.4"));
        GVariant *r = g_dbus_connection_call_sync(
            bus(), "org.freedesktop.NetworkManager", "/org/freedesktop", kMockIface, "AddTemplate",
            g_variant_new("(sa{sv})", "networkmanager", &params), nullptr, G_DBUS_CALL_FLAGS_NONE,
            5000, nullptr, nullptr);
        ASSERT_NE(nullptr, r) << "AddTemplate networkmanager failed";
        g_variant_unref(r);
        add_agent_manager();
    }

    void
    wait_for_name()
    {
        ASSERT_TRUE(wait_owned_by("org.freedesktop.NetworkManager", mock_pid))
            << "dbusmock did not start";
    }

    void
    add_agent_manager()
    {
        // The agent manager the template lacks: sdvm's secret agent registers with it.
        GVariantBuilder methods;
        g_variant_builder_init(&methods, G_VARIANT_TYPE("a(ssss)"));
        g_variant_builder_add(&methods, "(ssss)", "Register", "s", "", "");
        g_variant_builder_add(&methods, "(ssss)", "RegisterWithCapabilities", "su", "", "");
        g_variant_builder_add(&methods, "(ssss)", "Unregister", "", "", "");
        mock_call(kNmPath, "AddObject",
                  g_variant_new("(ss@a{sv}a(ssss))", "/org/freedesktop/NetworkManager/AgentManager",
                                "org.freedesktop.NetworkManager.AgentManager",
                                g_variant_new_array(G_VARIANT_TYPE("{sv}"), nullptr, 0), &methods));
    }

    std::string
    add_ethernet(const char *name, const char *iface, bool carrier)
    {
        std::string path =
            mock_call_s(kNmPath, "AddEthernetDevice", g_variant_new("(ssi)", name, iface, 30));
        if (carrier)
            mock_call(kNmPath, "SetProperty",
                      g_variant_new("(sssv)", path.c_str(),
                                    "org.freedesktop.NetworkManager.Device.Wired", "Carrier",
                                    g_variant_new_boolean(TRUE)));
        return path;
    }

    std::string
    add_wifi(const char *ssid, const std::string &iface = "wlan0")
    {
        std::string name = iface + "dev", ap = iface == "wlan0" ? "ap0" : "ap_" + iface;
        std::string dev = mock_call_s(kNmPath, "AddWiFiDevice",
                                      g_variant_new("(ssi)", name.c_str(), iface.c_str(), 30));
        mock_call(kNmPath, "AddAccessPoint",
                  g_variant_new("(ssssuuuyu)", dev.c_str(), ap.c_str(), ssid, "00:11:22:33:44:55",
                                2u, 2437u, 54000u, (guchar)80, 0u));
        return dev;
    }

    // AddAndActivateConnection2 that records what it got and refuses.
    void
    record_activations()
    {
        mock_call(kNmPath, "AddMethod",
                  g_variant_new("(sssss)", "org.freedesktop.NetworkManager",
                                "AddAndActivateConnection2", "a{sa{sv}}ooa{sv}", "ooa{sv}",
                                "self.sdvm_calls = getattr(self, 'sdvm_calls', []) + "
                                "[(args[0], args[1], args[3])]\n"
                                "raise dbus.exceptions.DBusException('refused by the test', "
                                "name='org.freedesktop.NetworkManager.PermissionDenied')"));
        mock_call(kNmPath, "AddMethod",
                  g_variant_new("(sssss)", "org.freedesktop.NetworkManager", "SdvmLastCall", "",
                                "a{sa{sv}}oa{sv}", "ret = self.sdvm_calls[-1]"));
    }

    // ---- logins carried to the end, on a port (eth0, with a cable) and Wi-Fi (wlan0, which
    // sees eduroam). mock_nm_links.py makes NetworkManager accept the connections, ask the
    // agent for the password and move the links' states; mock_wpa_supplicant.py is the
    // supplicant whose EAP events decide. Each step is the test's. with_port = false: Wi-Fi
    // only.
    void
    start_two_links(bool with_port = true)
    {
        start_nm();
        GVariantBuilder none;
        g_variant_builder_init(&none, G_VARIANT_TYPE("a{sv}"));
        mock_call(kNmPath, "AddTemplate",
                  g_variant_new("(sa{sv})", SDVM_NM_MOCKS "/mock_nm_links.py", &none));
        std::string error;
        ASSERT_TRUE(spawn({kPython, "-m", "dbusmock", "--system", "--template",
                           SDVM_NM_MOCKS "/mock_wpa_supplicant.py", "-l", g_dir + "/wpas.log"},
                          &wpas_pid, &error))
            << error;
        ASSERT_TRUE(wait_owned_by(kWpasName, wpas_pid)) << "the wpa_supplicant mock did not start";
        if (with_port)
            add_ethernet("eth0dev", "eth0", true);
        add_wifi("eduroam");
    }

    // How often the glue called `method` (EAPLogon, EAPLogoff) on ifname's wpa_supplicant
    // interface (dbusmock's call log).
    unsigned
    supplicant_calls(const char *ifname, const char *method)
    {
        GVariant *r = call(kWpasPath, "fi.w1.wpa_supplicant1", "GetInterface",
                           g_variant_new("(s)", ifname), nullptr, kWpasName);
        if (!r)
            return 0;
        const char *path;
        g_variant_get(r, "(&o)", &path);
        GVariant *calls = call(path, kMockIface, "GetMethodCalls", g_variant_new("(s)", method),
                               nullptr, kWpasName);
        g_variant_unref(r);
        if (!calls)
            return 0;
        GVariant *list = g_variant_get_child_value(calls, 0);
        unsigned n = (unsigned)g_variant_n_children(list);
        g_variant_unref(list);
        g_variant_unref(calls);
        return n;
    }

    // Run the glue until pred() holds (asked every 20 ms: it may call the mocks).
    static bool
    eventually(Glue &g, const std::function<bool()> &pred, double timeout = 15)
    {
        gint64 next = 0;
        return g.run_until(
            [&] {
                gint64 now = g_get_monotonic_time();
                if (now < next)
                    return false;
                next = now + 20000;
                return pred();
            },
            timeout);
    }

    std::string
    nm_says(const char *method, const char *ifname)
    {
        return mock_call_s(kNmPath, method, g_variant_new("(s)", ifname));
    }

    // NetworkManager has the link's connection (AddAndActivateConnection2 answered).
    bool
    activating(Glue &g, const char *ifname)
    {
        return eventually(g, [&] { return !nm_says("SdvmActive", ifname).empty(); });
    }

    // NetworkManager asks the glue's agent for the link's password, and gets it.
    void
    give_password(Glue &g, const char *ifname)
    {
        mock_call(kNmPath, "SdvmAskSecrets", g_variant_new("(s)", ifname));
        ASSERT_TRUE(eventually(g, [&] { return nm_says("SdvmSecrets", ifname) != "asked"; }))
            << "the agent did not answer for " << ifname;
        ASSERT_EQ("given", nm_says("SdvmSecrets", ifname)) << ifname;
    }

    void
    nm_state(const char *ifname, guint32 state, guint32 reason = 0)
    {
        mock_call(kNmPath, "SdvmSetActiveState", g_variant_new("(suu)", ifname, state, reason));
    }

    void
    eap(const char *ifname, const char *status, const char *parameter = "")
    {
        mock_call(kWpasPath, "SdvmEap", g_variant_new("(sss)", ifname, status, parameter),
                  kWpasName);
    }

    void
    supplicant_state(const char *ifname, const char *state)
    {
        mock_call(kWpasPath, "SdvmState", g_variant_new("(ss)", ifname, state), kWpasName);
    }

    // A link all the way to success: password, EAP started and succeeded, wpa_supplicant
    // "completed", NetworkManager ACTIVATED.
    void
    authenticate(Glue &g, const char *ifname)
    {
        ASSERT_NO_FATAL_FAILURE(give_password(g, ifname));
        eap(ifname, "started");
        eap(ifname, "completion", "success");
        supplicant_state(ifname, "completed");
        nm_state(ifname, kActivated);
    }

    // Both links handed to NetworkManager, then Wi-Fi authenticated first: the glue holds it
    // for the wired link (log: it says so), and nothing is decided yet. *t_wifi: when the Wi-Fi
    // success began (g.now()).
    void
    wifi_held(Glue &g, const LogCapture &log, double *t_wifi = nullptr)
    {
        Profile p;
        ASSERT_EQ(0, g.start(&p.p, "alice@uni-a.test", "secret"));
        ASSERT_TRUE(activating(g, "eth0") && activating(g, "wlan0"));
        if (t_wifi)
            *t_wifi = g.now();
        ASSERT_NO_FATAL_FAILURE(authenticate(g, "wlan0"));
        ASSERT_TRUE(g.run_until([&] { return g.ev.done || log.count(kHeld); }, 15));
        ASSERT_FALSE(g.ev.done) << "decided at once, on " << g.ev.ifname << g.ev.detail;
        ASSERT_LE(2u, g.ev.n_links);
    }

    // The interface names of the connections NetworkManager has.
    std::vector<std::string>
    connections()
    {
        std::vector<std::string> out;
        GVariant *r = call("/org/freedesktop/NetworkManager/Settings",
                           "org.freedesktop.NetworkManager.Settings", "ListConnections", nullptr);
        if (!r)
            return out;
        GVariantIter *it;
        const char *path;
        g_variant_get(r, "(ao)", &it);
        while (g_variant_iter_next(it, "&o", &path)) {
            GVariant *r2 = call(path, "org.freedesktop.NetworkManager.Settings.Connection",
                                "GetSettings", nullptr);
            GVariant *settings = r2 ? g_variant_get_child_value(r2, 0) : nullptr;
            GVariant *con =
                settings ? g_variant_lookup_value(settings, "connection", nullptr) : nullptr;
            const char *ifname = "?";
            if (con)
                g_variant_lookup(con, "interface-name", "&s", &ifname);
            out.push_back(ifname);
            for (GVariant *v : {con, settings, r2})
                if (v)
                    g_variant_unref(v);
        }
        g_variant_iter_free(it);
        g_variant_unref(r);
        return out;
    }

    // Only ifname's connection is left (the others' deletions are asynchronous).
    void
    expect_only_connection(Glue &g, const std::string &ifname)
    {
        EXPECT_TRUE(eventually(g, [&] { return connections().size() == 1; }))
            << connections().size() << " connections";
        EXPECT_EQ(std::vector<std::string>{ifname}, connections());
    }

    // While wlan0 is held, the second adapter wlan1 authenticates too; nothing is decided.
    void
    second_wifi_waits(Glue &g, LogCapture &log)
    {
        ASSERT_TRUE(activating(g, "wlan1"));
        ASSERT_NO_FATAL_FAILURE(authenticate(g, "wlan1"));
        ASSERT_TRUE(
            g.run_until([&] { return g.ev.done || log.count("authenticated on wlan1"); }, 15));
        ASSERT_FALSE(g.ev.done) << "decided on " << g.ev.ifname;
    }

    // Both links under way, `first` authenticates: the attempt is decided at once, on `first`,
    // and only its connection is left.
    void
    expect_decided_at_once(const sdvm_nm_params *params, const char *first)
    {
        Glue g(params);
        LogCapture log;
        Profile p;
        ASSERT_EQ(0, g.start(&p.p, "alice@uni-a.test", "secret"));
        ASSERT_TRUE(activating(g, "eth0") && activating(g, "wlan0"));
        ASSERT_NO_FATAL_FAILURE(authenticate(g, first));
        ASSERT_TRUE(g.wait_done(15));
        EXPECT_TRUE(g.ev.ok) << failure_name(g.ev.failure) << ": " << g.ev.detail;
        EXPECT_EQ(first, g.ev.ifname);
        EXPECT_EQ(0u, log.count(kHeld));
        expect_only_connection(g, first);
    }

    static constexpr const char *kHeld = "waiting up to";

    GPid mock_pid = 0;
    GPid wpas_pid = 0;
};

TEST_F(Mock, NetworkManagerAbsent)
{
    Glue g;
    Profile p;
    ASSERT_TRUE(g.login(&p.p, "alice@uni-a.test", "secret", 10));
    EXPECT_EQ(failure_name(SDVM_FAILURE_NM_UNAVAILABLE), failure_name(g.ev.failure)) << g.ev.detail;
    EXPECT_LT(g.ev.t_done, kFast);
}

TEST_F(Mock, NoDevice)
{
    start_nm();
    Glue g;
    Profile p;
    ASSERT_TRUE(g.login(&p.p, "alice@uni-a.test", "secret", 10));
    EXPECT_EQ(failure_name(SDVM_FAILURE_NO_NETWORK), failure_name(g.ev.failure)) << g.ev.detail;
    EXPECT_NE(std::string::npos, g.ev.detail.find("no ethernet or Wi-Fi device")) << g.ev.detail;
    EXPECT_LT(g.ev.t_done, kFast);
}

TEST_F(Mock, EthernetWithoutCable)
{
    start_nm();
    add_ethernet("eth0dev", "eth0", false);
    Glue g;
    Profile p;
    ASSERT_TRUE(g.login(&p.p, "alice@uni-a.test", "secret", 10));
    EXPECT_EQ(failure_name(SDVM_FAILURE_NO_NETWORK), failure_name(g.ev.failure));
    EXPECT_NE(std::string::npos, g.ev.detail.find("eth0 has no cable")) << g.ev.detail;
}

TEST_F(Mock, WiredTurnedOffInConfig)
{
    start_nm();
    add_ethernet("eth0dev", "eth0", true);
    sdvm_nm_params params;
    sdvm_nm_params_init(&params);
    params.use_wired = false;
    Glue g(&params);
    Profile p;
    ASSERT_TRUE(g.login(&p.p, "alice@uni-a.test", "secret", 10));
    EXPECT_EQ(failure_name(SDVM_FAILURE_NO_NETWORK), failure_name(g.ev.failure)) << g.ev.detail;
}

TEST_F(Mock, WifiOnlyConnectionAsSent)
{
    start_nm();
    record_activations();
    std::string dev = add_wifi("eduroam");
    Glue g;
    Profile p(SDVM_EAP_PEAP, SDVM_INNER_EAP_MSCHAPV2);
    ASSERT_TRUE(g.login(&p.p, "alice@uni-a.test", "not-on-the-wire", 10));
    // The mock refuses the activation: a link failure NetworkManager reported.
    EXPECT_EQ(failure_name(SDVM_FAILURE_NETWORK_ERROR), failure_name(g.ev.failure));
    EXPECT_NE(std::string::npos, g.ev.detail.find("refused by the test")) << g.ev.detail;
    EXPECT_EQ(std::vector<std::string>({"started", "failure"}), g.ev.order);

    GVariant *r = call(kNmPath, "org.freedesktop.NetworkManager", "SdvmLastCall", nullptr);
    ASSERT_NE(nullptr, r);
    GVariant *settings, *options;
    const char *device;
    g_variant_get(r, "(@a{sa{sv}}&o@a{sv})", &settings, &device, &options);
    EXPECT_EQ(dev, device);
    g_autofree char *text = g_variant_print(settings, FALSE);
    GVariant *con = g_variant_lookup_value(settings, "connection", nullptr);
    GVariant *wifi = g_variant_lookup_value(settings, "802-11-wireless", nullptr);
    GVariant *sec = g_variant_lookup_value(settings, "802-11-wireless-security", nullptr);
    GVariant *x = g_variant_lookup_value(settings, "802-1x", nullptr);
    GVariant *ip4 = g_variant_lookup_value(settings, "ipv4", nullptr);
    ASSERT_TRUE(con && wifi && sec && x && ip4) << text;
    const char *s = nullptr;
    ASSERT_TRUE(g_variant_lookup(con, "type", "&s", &s)) << text;
    EXPECT_STREQ("802-11-wireless", s);
    ASSERT_TRUE(g_variant_lookup(con, "interface-name", "&s", &s));
    EXPECT_STREQ("wlan0", s);
    gboolean autoconnect = TRUE;
    ASSERT_TRUE(g_variant_lookup(con, "autoconnect", "b", &autoconnect));
    EXPECT_FALSE(autoconnect);
    GVariant *perms = g_variant_lookup_value(con, "permissions", G_VARIANT_TYPE_STRING_ARRAY);
    EXPECT_TRUE(!perms || g_variant_n_children(perms) == 0) << "must be system-wide: " << text;
    if (perms)
        g_variant_unref(perms);
    GVariant *ssid = g_variant_lookup_value(wifi, "ssid", G_VARIANT_TYPE_BYTESTRING);
    ASSERT_NE(nullptr, ssid) << text;
    gsize n = 0;
    const char *bytes = (const char *)g_variant_get_fixed_array(ssid, &n, 1);
    EXPECT_EQ("eduroam", std::string(bytes, n));
    ASSERT_TRUE(g_variant_lookup(sec, "key-mgmt", "&s", &s));
    EXPECT_STREQ("wpa-eap", s);
    ASSERT_TRUE(g_variant_lookup(x, "phase2-auth", "&s", &s));
    EXPECT_STREQ("mschapv2", s);
    guint32 flags = 0;
    ASSERT_TRUE(g_variant_lookup(x, "password-flags", "u", &flags));
    EXPECT_EQ(2u, flags) << "not-saved";
    EXPECT_EQ(nullptr, g_variant_lookup_value(x, "password", nullptr)) << "never sent: " << text;
    EXPECT_EQ(nullptr, strstr(text, "not-on-the-wire")) << text;
    gint64 metric = 0;
    ASSERT_TRUE(g_variant_lookup(ip4, "route-metric", "x", &metric)) << text;
    EXPECT_EQ(600, metric) << "Wi-Fi gets the higher (worse) metric";
    ASSERT_TRUE(g_variant_lookup(options, "persist", "&s", &s));
    EXPECT_STREQ("volatile", s);
    for (GVariant *v : {settings, options, con, wifi, sec, x, ip4, ssid, r})
        g_variant_unref(v);
}

TEST_F(Mock, WifiOutOfRange)
{
    start_nm();
    add_wifi("another-network");
    Glue g;
    Profile p;
    ASSERT_TRUE(g.login(&p.p, "alice@uni-a.test", "secret", 10));
    EXPECT_EQ(failure_name(SDVM_FAILURE_NO_NETWORK), failure_name(g.ev.failure));
    EXPECT_NE(std::string::npos, g.ev.detail.find("no Wi-Fi network \"eduroam\"")) << g.ev.detail;
}

TEST_F(Mock, OldNetworkManager)
{
    start_nm("1.14.0");
    add_ethernet("eth0dev", "eth0", true);
    Glue g;
    Profile p;
    ASSERT_TRUE(g.login(&p.p, "alice@uni-a.test", "secret", 10));
    EXPECT_EQ(failure_name(SDVM_FAILURE_NETWORK_ERROR), failure_name(g.ev.failure));
    EXPECT_NE(std::string::npos, g.ev.detail.find("too old")) << g.ev.detail;
}

TEST_F(Mock, LeftoversRemovedAtStart)
{
    start_nm();
    auto add = [](const char *id, bool mark) {
        GVariantBuilder b, c;
        g_variant_builder_init(&b, G_VARIANT_TYPE("a{sa{sv}}"));
        g_variant_builder_init(&c, G_VARIANT_TYPE("a{sv}"));
        g_variant_builder_add(&c, "{sv}", "id", g_variant_new_string(id));
        g_variant_builder_add(&c, "{sv}", "type", g_variant_new_string("802-3-ethernet"));
        g_autofree char *uuid = g_uuid_string_random();
        g_variant_builder_add(&c, "{sv}", "uuid", g_variant_new_string(uuid));
        g_variant_builder_add(&b, "{sa{sv}}", "connection", &c);
        if (mark) {
            GVariantBuilder u, data;
            g_variant_builder_init(&u, G_VARIANT_TYPE("a{sv}"));
            g_variant_builder_init(&data, G_VARIANT_TYPE("a{ss}"));
            g_variant_builder_add(&data, "{ss}", "org.sdvm.owner", "nm-glue");
            g_variant_builder_add(&u, "{sv}", "data", g_variant_builder_end(&data));
            g_variant_builder_add(&b, "{sa{sv}}", "user", &u);
        }
        GVariant *r = call("/org/freedesktop/NetworkManager/Settings",
                           "org.freedesktop.NetworkManager.Settings", "AddConnection",
                           g_variant_new("(a{sa{sv}})", &b));
        if (r)
            g_variant_unref(r);
    };
    add("sdvm-login eth0", false); // marked by its id
    add("lab uplink", true);       // marked by user data only
    add("Wired connection 1", false);
    auto count = [] {
        GVariant *r = call("/org/freedesktop/NetworkManager/Settings",
                           "org.freedesktop.NetworkManager.Settings", "ListConnections", nullptr);
        gsize n = 0;
        if (r) {
            GVariant *list = g_variant_get_child_value(r, 0);
            n = g_variant_n_children(list);
            g_variant_unref(list);
            g_variant_unref(r);
        }
        return n;
    };
    ASSERT_EQ(3u, count());
    Glue g;
    EXPECT_TRUE(g.run_until([&] { return count() == 1; }, 5)) << count() << " connections left";
    g.idle(0.3);
    EXPECT_EQ(1u, count()) << "the foreign connection must stay";
}

TEST_F(Mock, Misuse)
{
    sdvm_nm *nm = nullptr;
    sdvm_nm_params params;
    sdvm_nm_params_init(&params);
    sdvm_nm_listener l{};
    l.size = sizeof(l);
    EXPECT_EQ(-EINVAL, sdvm_nm_new(&params, &l, nullptr, &nm)) << "success and failure required";
    EXPECT_EQ(nullptr, nm);
    params.auth_timeout_ms = 0;
    Glue bad(&params);
    EXPECT_EQ(-EINVAL, bad.err);
    sdvm_nm_params_init(&params);
    params.wifi_ssid = "";
    Glue bad2(&params);
    EXPECT_EQ(-EINVAL, bad2.err);

    start_nm();
    Glue g;
    ASSERT_EQ(0, g.err);
    Profile p;
    uint64_t id = 0;
    EXPECT_EQ(-EINVAL, sdvm_nm_login(g.nm, nullptr, "a@b", "pw", &id));
    EXPECT_EQ(-EINVAL, sdvm_nm_login(g.nm, &p.p, "", "pw", &id));
    EXPECT_EQ(-EINVAL, sdvm_nm_login(g.nm, &p.p, "a@b", "", &id));
    EXPECT_EQ(-EINVAL, sdvm_nm_login(g.nm, &p.p, "a@b", "pw", nullptr));
    EXPECT_EQ(-EINVAL, sdvm_nm_cancel(g.nm, 0));
    EXPECT_EQ(-EINVAL, sdvm_nm_cancel(g.nm, 1)) << "never issued";
    ASSERT_EQ(0, g.start(&p.p, "alice@uni-a.test", "pw"));
    EXPECT_EQ(-EBUSY, sdvm_nm_login(g.nm, &p.p, "alice@uni-a.test", "pw", &id));
    EXPECT_TRUE(g.ev.order.empty()) << "no event from inside an nm-glue call";
    ASSERT_TRUE(g.wait_done(10));
    EXPECT_EQ(failure_name(SDVM_FAILURE_NO_NETWORK), failure_name(g.ev.failure));
    sdvm_nm_free(nullptr);
}

// Right after sdvm_nm_new() the client is still connecting, so a logout then is still running
// when the next call comes: a login waits for it (as it waits for the client), begins after
// logged_out and fails for its own reason.
TEST_F(Mock, LoginWaitsForTheLogout)
{
    start_nm();
    Glue g;
    ASSERT_EQ(0, g.err);
    Profile p;
    ASSERT_EQ(0, sdvm_nm_logout(g.nm));
    ASSERT_EQ(0, g.start(&p.p, "alice@uni-a.test", "secret")) << "a login during a logout waits";
    uint64_t id = 0;
    EXPECT_EQ(-EBUSY, sdvm_nm_login(g.nm, &p.p, "alice@uni-a.test", "secret", &id));
    EXPECT_EQ(-EBUSY, sdvm_nm_logout(g.nm));
    ASSERT_TRUE(g.wait_done(10));
    EXPECT_TRUE(g.ev.logged_out);
    EXPECT_EQ(0, g.ev.logged_out_at) << "the login began only after the logout";
    EXPECT_EQ(failure_name(SDVM_FAILURE_NO_NETWORK), failure_name(g.ev.failure)) << g.ev.detail;
    EXPECT_EQ(std::vector<std::string>{"failure"}, g.ev.order);
}

// Cancelled while it waits: CANCELLED with no detail (it never began), then the logout's
// logged_out, and nothing of the login after that.
TEST_F(Mock, LoginCancelledWhileWaitingForTheLogout)
{
    start_nm();
    Glue g;
    ASSERT_EQ(0, g.err);
    Profile p;
    ASSERT_EQ(0, sdvm_nm_logout(g.nm));
    ASSERT_EQ(0, g.start(&p.p, "alice@uni-a.test", "secret"));
    EXPECT_EQ(0, sdvm_nm_cancel(g.nm, g.attempt));
    EXPECT_TRUE(g.ev.order.empty()) << "no event from inside an nm-glue call";
    ASSERT_TRUE(g.wait_done(5));
    EXPECT_EQ(failure_name(SDVM_FAILURE_CANCELLED), failure_name(g.ev.failure));
    EXPECT_TRUE(g.ev.detail_null) << g.ev.detail;
    EXPECT_EQ(0, sdvm_nm_cancel(g.nm, g.attempt)) << "idempotent";
    ASSERT_TRUE(g.run_until([&] { return g.ev.logged_out; }, 5));
    g.idle(0.3);
    EXPECT_EQ(std::vector<std::string>{"failure"}, g.ev.order) << "the login never began";
    // The next login is an ordinary one.
    ASSERT_TRUE(g.login(&p.p, "alice@uni-a.test", "secret", 10));
    EXPECT_EQ(failure_name(SDVM_FAILURE_NO_NETWORK), failure_name(g.ev.failure)) << g.ev.detail;
}

// A device NetworkManager gets after sdvm_nm_new() (issue 17: under systemd sdvmd started
// before NetworkManager had the terminal's port): a login then reaches it. The mock refuses
// the activation, so "reached" is a started event with one link and NetworkManager's refusal.
TEST_F(Mock, DeviceAddedAfterStart)
{
    start_nm();
    record_activations();
    Glue g;
    Profile p;
    ASSERT_TRUE(g.login(&p.p, "alice@uni-a.test", "secret", 10));
    ASSERT_EQ(failure_name(SDVM_FAILURE_NO_NETWORK), failure_name(g.ev.failure)) << g.ev.detail;
    add_ethernet("eth0dev", "eth0", true);
    g.idle(1);
    ASSERT_TRUE(g.login(&p.p, "alice@uni-a.test", "secret", 10));
    EXPECT_EQ(failure_name(SDVM_FAILURE_NETWORK_ERROR), failure_name(g.ev.failure)) << g.ev.detail;
    EXPECT_NE(std::string::npos, g.ev.detail.find("refused by the test")) << g.ev.detail;
    EXPECT_EQ(std::vector<std::string>({"started", "failure"}), g.ev.order);
    EXPECT_EQ(1u, g.ev.n_links);
}

// A port without a cable at start that gets one later.
TEST_F(Mock, CarrierComesLater)
{
    start_nm();
    record_activations();
    std::string dev = add_ethernet("eth0dev", "eth0", false);
    Glue g;
    Profile p;
    ASSERT_TRUE(g.login(&p.p, "alice@uni-a.test", "secret", 10));
    ASSERT_EQ(failure_name(SDVM_FAILURE_NO_NETWORK), failure_name(g.ev.failure)) << g.ev.detail;
    EXPECT_NE(std::string::npos, g.ev.detail.find("eth0 has no cable")) << g.ev.detail;
    mock_call(kNmPath, "SetProperty",
              g_variant_new("(sssv)", dev.c_str(), "org.freedesktop.NetworkManager.Device.Wired",
                            "Carrier", g_variant_new_boolean(TRUE)));
    g.idle(1);
    ASSERT_TRUE(g.login(&p.p, "alice@uni-a.test", "secret", 10));
    EXPECT_EQ(failure_name(SDVM_FAILURE_NETWORK_ERROR), failure_name(g.ev.failure)) << g.ev.detail;
    EXPECT_EQ(std::vector<std::string>({"started", "failure"}), g.ev.order);
}

// NetworkManager not running at sdvm_nm_new(), started later with the port.
TEST_F(Mock, NetworkManagerAppearsLater)
{
    Glue g;
    Profile p;
    ASSERT_TRUE(g.login(&p.p, "alice@uni-a.test", "secret", 10));
    ASSERT_EQ(failure_name(SDVM_FAILURE_NM_UNAVAILABLE), failure_name(g.ev.failure)) << g.ev.detail;
    start_nm();
    record_activations();
    add_ethernet("eth0dev", "eth0", true);
    ASSERT_TRUE(g.login(&p.p, "alice@uni-a.test", "secret", 10));
    EXPECT_EQ(failure_name(SDVM_FAILURE_NETWORK_ERROR), failure_name(g.ev.failure)) << g.ev.detail;
    EXPECT_EQ(std::vector<std::string>({"started", "failure"}), g.ev.order);
}

// NetworkManager restarted (without the port, which it finds a moment later).
TEST_F(Mock, NetworkManagerRestartedThenDeviceAdded)
{
    start_nm();
    add_ethernet("eth0dev", "eth0", true);
    Glue g;
    Profile p;
    ASSERT_TRUE(g.login(&p.p, "alice@uni-a.test", "secret", 10));
    stop(mock_pid);
    g.idle(1);
    start_nm();
    record_activations();
    g.idle(1);
    ASSERT_TRUE(g.login(&p.p, "alice@uni-a.test", "secret", 10));
    EXPECT_EQ(failure_name(SDVM_FAILURE_NO_NETWORK), failure_name(g.ev.failure)) << g.ev.detail;
    add_ethernet("eth1dev", "eth1", true);
    g.idle(1);
    ASSERT_TRUE(g.login(&p.p, "alice@uni-a.test", "secret", 10));
    EXPECT_EQ(failure_name(SDVM_FAILURE_NETWORK_ERROR), failure_name(g.ev.failure)) << g.ev.detail;
    EXPECT_EQ(std::vector<std::string>({"started", "failure"}), g.ev.order);
}

// The terminal VM's boot (tests/terminal/README.md): sdvmd's client connected while
// NetworkManager owned its name but had not exported its objects yet (sdvmd logged
// "NetworkManager - (running)": no version). Its objects, then its port, come a moment later.
TEST_F(Mock, NetworkManagerExportsItsObjectsAfterTheName)
{
    start_nm_name_only();
    Glue g;
    g.idle(1); // the client is ready, NetworkManager lists nothing yet
    start_nm_objects();
    record_activations();
    g.idle(0.5);
    add_ethernet("eth0dev", "eth0", true);
    g.idle(1);
    Profile p;
    ASSERT_TRUE(g.login(&p.p, "alice@uni-a.test", "secret", 10));
    EXPECT_EQ(failure_name(SDVM_FAILURE_NETWORK_ERROR), failure_name(g.ev.failure)) << g.ev.detail;
    EXPECT_EQ(std::vector<std::string>({"started", "failure"}), g.ev.order);
    EXPECT_EQ(1u, g.ev.n_links);
}

// A port NetworkManager has but does not manage (its unmanaged-devices, ifupdown's
// /etc/network/interfaces): the reason names it, rather than "no ethernet device", which the
// terminal VM's log could not tell apart from a device nm-glue never saw.
TEST_F(Mock, UnmanagedPortIsNamed)
{
    start_nm();
    std::string dev = add_ethernet("eth0dev", "eth0", true);
    mock_call(kNmPath, "SetProperty",
              g_variant_new("(sssv)", dev.c_str(), "org.freedesktop.NetworkManager.Device",
                            "Managed", g_variant_new_boolean(FALSE)));
    Glue g;
    Profile p;
    ASSERT_TRUE(g.login(&p.p, "alice@uni-a.test", "secret", 10));
    EXPECT_EQ(failure_name(SDVM_FAILURE_NO_NETWORK), failure_name(g.ev.failure)) << g.ev.detail;
    EXPECT_NE(std::string::npos, g.ev.detail.find("eth0 is not managed by NetworkManager"))
        << g.ev.detail;
}

// ---- two links, wired first (WiredPreference) ----------------------------------------------

// On a real terminal Wi-Fi got there first and won (17580ed): now it waits for the port, and
// the port, which authenticates within the hold, wins; the Wi-Fi connection goes.
TEST_F(Mock, WiredWinsOverAWifiSuccessThatCameFirst)
{
    ASSERT_NO_FATAL_FAILURE(start_two_links());
    sdvm_nm_params params;
    sdvm_nm_params_init(&params);
    params.wired_preference_ms = 30000; // the wired success below comes well within it
    Glue g(&params);
    LogCapture log;
    ASSERT_NO_FATAL_FAILURE(wifi_held(g, log));
    double t_wired = g.now();
    ASSERT_NO_FATAL_FAILURE(authenticate(g, "eth0"));
    ASSERT_TRUE(g.wait_done(15));
    EXPECT_TRUE(g.ev.ok) << failure_name(g.ev.failure) << ": " << g.ev.detail;
    EXPECT_EQ("eth0", g.ev.ifname);
    EXPECT_LT(g.ev.t_done - t_wired, 15) << "the wired success decided, not the hold's end";
    EXPECT_TRUE(eventually(g, [&] { return connections().size() == 1; }))
        << connections().size() << " connections";
    EXPECT_EQ(std::vector<std::string>{"eth0"}, connections()) << "the Wi-Fi connection goes";
}

// During the hold a wired EAP failure ends only the wired link: the Wi-Fi success already
// proved the credentials. Without the hold the same failure would end the login.
TEST_F(Mock, WifiWinsWhenTheWiredLinkFailsDuringTheHold)
{
    ASSERT_NO_FATAL_FAILURE(start_two_links());
    sdvm_nm_params params;
    sdvm_nm_params_init(&params);
    params.wired_preference_ms = 30000;
    Glue g(&params);
    LogCapture log;
    ASSERT_NO_FATAL_FAILURE(wifi_held(g, log));
    double t_wired = g.now();
    ASSERT_NO_FATAL_FAILURE(give_password(g, "eth0"));
    eap("eth0", "started");
    eap("eth0", "completion", "failure");
    ASSERT_TRUE(g.wait_done(15));
    EXPECT_TRUE(g.ev.ok) << failure_name(g.ev.failure) << ": " << g.ev.detail;
    EXPECT_EQ("wlan0", g.ev.ifname);
    EXPECT_LT(g.ev.t_done - t_wired, 15) << "the wired failure decided, not the hold's end";
    EXPECT_EQ(1u, log.count("BAD_CREDENTIALS although wlan0 authenticated"));
    expect_only_connection(g, "wlan0");
}

// Wi-Fi's EAP success is proven but NetworkManager has not ACTIVATED it yet (IP set-up) when
// the port's EAP fails: the credentials are good, only the port goes, Wi-Fi wins once up.
TEST_F(Mock, ARefusalAfterAnotherLinksEapSuccessEndsOnlyThatLink)
{
    ASSERT_NO_FATAL_FAILURE(start_two_links());
    Glue g;
    LogCapture log;
    Profile p;
    ASSERT_EQ(0, g.start(&p.p, "alice@uni-a.test", "secret"));
    ASSERT_TRUE(activating(g, "eth0") && activating(g, "wlan0"));
    ASSERT_NO_FATAL_FAILURE(give_password(g, "wlan0"));
    eap("wlan0", "started");
    ASSERT_TRUE(
        g.run_until([&] { return !g.ev.order.empty() && g.ev.order.back() == "eap-started"; }, 15));
    eap("wlan0", "completion", "success");
    supplicant_state("wlan0", "completed");
    // wpa_supplicant's signals arrive in the order it sent them: eth0's after wlan0's.
    ASSERT_NO_FATAL_FAILURE(give_password(g, "eth0"));
    eap("eth0", "started");
    eap("eth0", "completion", "failure");
    ASSERT_TRUE(
        g.run_until([&] { return g.ev.done || log.count("although wlan0 authenticated"); }, 15));
    ASSERT_FALSE(g.ev.done) << failure_name(g.ev.failure) << ": " << g.ev.detail;
    nm_state("wlan0", kActivated);
    ASSERT_TRUE(g.wait_done(15));
    EXPECT_TRUE(g.ev.ok) << failure_name(g.ev.failure) << ": " << g.ev.detail;
    EXPECT_EQ("wlan0", g.ev.ifname);
    EXPECT_EQ(0u, log.count(kHeld)) << "no wired link left to wait for";
}

// NetworkManager giving up on the port during the hold: the Wi-Fi link wins at once.
TEST_F(Mock, WifiWinsWhenTheWiredLinkIsDeactivatedDuringTheHold)
{
    ASSERT_NO_FATAL_FAILURE(start_two_links());
    sdvm_nm_params params;
    sdvm_nm_params_init(&params);
    params.wired_preference_ms = 30000;
    Glue g(&params);
    LogCapture log;
    ASSERT_NO_FATAL_FAILURE(wifi_held(g, log));
    double t_wired = g.now();
    nm_state("eth0", kDeactivated, kDeviceDisconnected);
    ASSERT_TRUE(g.wait_done(15));
    EXPECT_TRUE(g.ev.ok) << failure_name(g.ev.failure) << ": " << g.ev.detail;
    EXPECT_EQ("wlan0", g.ev.ifname);
    EXPECT_LT(g.ev.t_done - t_wired, 15) << "the deactivation decided, not the hold's end";
}

// A port that never answers: the Wi-Fi link wins when the hold is over, long before the
// attempt's own timeouts.
TEST_F(Mock, WifiWinsWhenTheHoldIsOver)
{
    ASSERT_NO_FATAL_FAILURE(start_two_links());
    sdvm_nm_params params;
    sdvm_nm_params_init(&params);
    params.wired_preference_ms = 300;
    Glue g(&params);
    LogCapture log;
    double t_wifi = 0; // before the Wi-Fi success: the hold starts after it
    ASSERT_NO_FATAL_FAILURE(wifi_held(g, log, &t_wifi));
    ASSERT_TRUE(g.wait_done(15));
    EXPECT_TRUE(g.ev.ok) << failure_name(g.ev.failure) << ": " << g.ev.detail;
    EXPECT_EQ("wlan0", g.ev.ifname);
    EXPECT_GE(g.ev.t_done - t_wifi, 0.3);
    EXPECT_LT(g.ev.t_done, params.auth_timeout_ms / 2000.0);
    EXPECT_EQ(1u, log.count("eth0 did not authenticate within 0.3 s of wlan0: wlan0 wins"));
}

// The attempt's bound (AttemptTimeout) comes during the hold: the Wi-Fi link is usable, it
// wins.
TEST_F(Mock, WifiWinsWhenTheAttemptTimeoutComesDuringTheHold)
{
    ASSERT_NO_FATAL_FAILURE(start_two_links());
    sdvm_nm_params params;
    sdvm_nm_params_init(&params);
    params.wired_preference_ms = 60000;
    params.attempt_timeout_ms = 6000;
    Glue g(&params);
    LogCapture log;
    ASSERT_NO_FATAL_FAILURE(wifi_held(g, log));
    ASSERT_TRUE(g.wait_done(20));
    EXPECT_TRUE(g.ev.ok) << failure_name(g.ev.failure) << ": " << g.ev.detail;
    EXPECT_EQ("wlan0", g.ev.ifname);
    EXPECT_GE(g.ev.t_done, 6.0);
}

// Two Wi-Fi adapters that both authenticate while the port is under way: one hold, one
// winner, and nothing of the hold left once the port has won.
TEST_F(Mock, ASecondWifiSuccessDuringTheHoldIsHeldToo)
{
    ASSERT_NO_FATAL_FAILURE(start_two_links());
    add_wifi("eduroam", "wlan1");
    sdvm_nm_params params;
    sdvm_nm_params_init(&params);
    params.wired_preference_ms = 1500;
    Glue g(&params);
    LogCapture log;
    ASSERT_NO_FATAL_FAILURE(wifi_held(g, log));
    ASSERT_NO_FATAL_FAILURE(second_wifi_waits(g, log));
    ASSERT_NO_FATAL_FAILURE(authenticate(g, "eth0"));
    ASSERT_TRUE(g.wait_done(15));
    EXPECT_EQ("eth0", g.ev.ifname) << failure_name(g.ev.failure) << ": " << g.ev.detail;
    g.idle(2.5); // past both holds' ends
    EXPECT_EQ(std::vector<std::string>({"started", "eap-started", "success"}), g.ev.order);
    expect_only_connection(g, "eth0");
}

// The held Wi-Fi link drops during the hold: a second adapter's success is held in its place,
// and wins when that hold is over.
TEST_F(Mock, ASpareWifiSuccessTakesOverWhenTheHeldOneDrops)
{
    ASSERT_NO_FATAL_FAILURE(start_two_links());
    add_wifi("eduroam", "wlan1");
    sdvm_nm_params params;
    sdvm_nm_params_init(&params);
    params.wired_preference_ms = 1000;
    Glue g(&params);
    LogCapture log;
    ASSERT_NO_FATAL_FAILURE(wifi_held(g, log));
    ASSERT_NO_FATAL_FAILURE(second_wifi_waits(g, log));
    nm_state("wlan0", kDeactivated, kDeviceDisconnected);
    ASSERT_TRUE(g.wait_done(15));
    EXPECT_EQ("wlan1", g.ev.ifname) << failure_name(g.ev.failure) << ": " << g.ev.detail;
    EXPECT_EQ(1u, log.count("eth0 did not authenticate within 1.0 s of wlan1: wlan1 wins"));
    g.idle(1.5);
    EXPECT_EQ(std::vector<std::string>({"started", "eap-started", "success"}), g.ev.order);
}

// WiredPreference=0: the first success wins, Wi-Fi too.
TEST_F(Mock, FirstSuccessWinsWithoutAPreference)
{
    ASSERT_NO_FATAL_FAILURE(start_two_links());
    sdvm_nm_params params;
    sdvm_nm_params_init(&params);
    params.wired_preference_ms = 0;
    expect_decided_at_once(&params, "wlan0");
}

// The port first: it wins at once, nothing waits for the Wi-Fi link.
TEST_F(Mock, WiredSuccessFirstIsNotHeld)
{
    ASSERT_NO_FATAL_FAILURE(start_two_links());
    expect_decided_at_once(nullptr, "eth0");
}

// Wi-Fi: the access point speaks first, once the station has associated, and scanning plus
// associating may take longer than EapStartTimeout. Until the association no re-trigger, and
// above all no restart of wpa_supplicant's EAPOL machine (EAPLogoff); from then on the
// re-trigger works as on a port, and it stops again when the station drops off.
TEST_F(Mock, WifiIsNotRetriggeredBeforeItAssociates)
{
    ASSERT_NO_FATAL_FAILURE(start_two_links(false));
    sdvm_nm_params params;
    sdvm_nm_params_init(&params);
    params.eap_start_timeout_ms = 100;
    Glue g(&params);
    LogCapture log;
    Profile p;
    ASSERT_EQ(0, g.start(&p.p, "alice@uni-a.test", "secret"));
    ASSERT_TRUE(activating(g, "wlan0"));
    ASSERT_NO_FATAL_FAILURE(give_password(g, "wlan0"));
    supplicant_state("wlan0", "scanning");
    g.idle(0.5); // five EapStartTimeouts
    supplicant_state("wlan0", "associating");
    g.idle(0.5);
    EXPECT_EQ(0u, log.count("no EAP start")) << "re-triggered before the association";
    EXPECT_EQ(0u, supplicant_calls("wlan0", "EAPLogoff"));
    EXPECT_EQ(0u, supplicant_calls("wlan0", "EAPLogon"));

    supplicant_state("wlan0", "associated"); // fast start: one EAPLogon at once
    ASSERT_TRUE(eventually(
        g, [&] { return log.count("no EAP start") >= 1; }, 5))
        << "an access point silent after the association is re-triggered";
    EXPECT_LE(2u, supplicant_calls("wlan0", "EAPLogon"));

    supplicant_state("wlan0", "disconnected"); // dropped off: nothing until it is back
    g.idle(0.1);
    size_t retriggers = log.count("no EAP start");
    unsigned logoffs = supplicant_calls("wlan0", "EAPLogoff");
    g.idle(0.5);
    EXPECT_EQ(retriggers, log.count("no EAP start")) << "re-triggered while not associated";
    EXPECT_EQ(logoffs, supplicant_calls("wlan0", "EAPLogoff"));

    supplicant_state("wlan0", "associated");
    eap("wlan0", "started");
    eap("wlan0", "completion", "success");
    supplicant_state("wlan0", "completed");
    nm_state("wlan0", kActivated);
    ASSERT_TRUE(g.wait_done(15));
    EXPECT_TRUE(g.ev.ok) << failure_name(g.ev.failure) << ": " << g.ev.detail;
    EXPECT_EQ("wlan0", g.ev.ifname);
}

// Run on its own (see CMakeLists.txt) with DBUS_SYSTEM_BUS_ADDRESS pointing nowhere.
TEST(NoBus, NetworkManagerUnreachable)
{
    glue_log_from_env();
    const char *addr = getenv("DBUS_SYSTEM_BUS_ADDRESS");
    if (!addr || !strstr(addr, "nonexistent"))
        GTEST_SKIP() << "needs DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent/...";
    Glue g;
    Profile p;
    ASSERT_TRUE(g.login(&p.p, "alice@uni-a.test", "secret", 10));
    EXPECT_EQ(failure_name(SDVM_FAILURE_NM_UNAVAILABLE), failure_name(g.ev.failure));
    EXPECT_NE(std::string::npos, g.ev.detail.find("cannot reach NetworkManager")) << g.ev.detail;
    EXPECT_LT(g.ev.t_done, kFast);
    // A second attempt tries again (the bus may have come up meanwhile).
    ASSERT_TRUE(g.login(&p.p, "alice@uni-a.test", "secret", 10));
    EXPECT_EQ(failure_name(SDVM_FAILURE_NM_UNAVAILABLE), failure_name(g.ev.failure));
}

} // namespace
