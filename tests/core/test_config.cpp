// sdvm.conf: defaults, every key read, and errors that name the file, the line and the key.
#include <gtest/gtest.h>
#include <glib.h>

#include <cerrno>
#include <map>
#include <regex>
#include <set>
#include <string>

#include "core-test-util.h"

extern "C" {
#include "sdvm/config.h"
}

using coretest::TempDir;
using coretest::WriteFile;

namespace {

struct Loaded {
    int r = 0;
    sdvm_config *cfg = nullptr;
    sdvm_config_error *err = nullptr;
    ~Loaded()
    {
        sdvm_config_free(cfg);
        sdvm_config_error_free(err);
    }
};

void
Load(const std::string &text, Loaded &l, const char *name = "/etc/sdvm/sdvm.conf")
{
    l.r = sdvm_config_load_data(name, text.data(), text.size(), &l.cfg, &l.err);
}

std::string
Text(const sdvm_config *c, const char *section, const char *key)
{
    char *t = sdvm_config_get_text(c, section, key);
    std::string s = t ? t : "<null>";
    free(t);
    return s;
}

} // namespace

TEST(Config, MissingFileGivesDefaults)
{
    TempDir dir;
    sdvm_config *cfg = nullptr;
    sdvm_config_error *err = nullptr;
    ASSERT_EQ(0, sdvm_config_load((dir / "absent.conf").c_str(), &cfg, &err));
    ASSERT_NE(nullptr, cfg);
    EXPECT_EQ(nullptr, err);
    EXPECT_EQ(nullptr, cfg->source);
    EXPECT_STREQ("eduroam", cfg->network.wifi_ssid);
    EXPECT_TRUE(cfg->network.use_wired);
    EXPECT_TRUE(cfg->network.use_wifi);
    EXPECT_FALSE(cfg->network.allow_unprotected_wired) << "the wired policy is on by default";
    EXPECT_EQ(25000u, cfg->network.auth_timeout_ms);
    EXPECT_EQ(5000u, cfg->network.slow_server_notice_ms);
    EXPECT_EQ(3000u, cfg->network.eap_start_timeout_ms);
    EXPECT_EQ(60000u, cfg->network.attempt_timeout_ms);
    EXPECT_EQ(5000u, cfg->network.wired_preference_ms) << "wired wins, waited for 5 s";
    EXPECT_EQ(100u, cfg->network.wired_route_metric);
    EXPECT_EQ(600u, cfg->network.wifi_route_metric);
    EXPECT_EQ(SDVM_STORE_BACKEND_QCOW2, cfg->store.backend);
    EXPECT_EQ(1024u, cfg->store.reserve_mib);
    EXPECT_EQ(3u, cfg->login.throttle_after);
    EXPECT_EQ(5u, cfg->login.throttle_base_s);
    EXPECT_EQ(300u, cfg->login.throttle_max_s);
    EXPECT_STREQ("sdvm-greeter", cfg->greeter.user);
    EXPECT_STREQ("sdvm", cfg->greeter.theme);
    EXPECT_STREQ("auto", cfg->greeter.platform);
    EXPECT_FALSE(cfg->greeter.virtual_keyboard);
    ASSERT_NE(nullptr, cfg->greeter.keyboard_layouts);
    EXPECT_EQ(nullptr, cfg->greeter.keyboard_layouts[0]);
    ASSERT_NE(nullptr, cfg->greeter.theme_dirs);
    EXPECT_STREQ("/usr/share/sddm/themes", cfg->greeter.theme_dirs[1]);
    EXPECT_EQ(unsigned(SDVM_CONFIG_POWER_OFF | SDVM_CONFIG_POWER_REBOOT),
              cfg->greeter.power_actions);
    EXPECT_STREQ("auto", cfg->guest.machine);
    EXPECT_EQ(1024u, cfg->guest.host_reserve_mib);
    // Derived paths follow StateDir.
    std::string state = cfg->paths.state_dir;
    EXPECT_EQ(state + "/images", cfg->paths.images_dir);
    EXPECT_EQ(state + "/users", cfg->paths.users_dir);
    EXPECT_EQ(state + "/cat.db", cfg->paths.cat_database);
    EXPECT_EQ(state + "/ca", cfg->paths.ca_dir);
    EXPECT_EQ('/', cfg->paths.socket[0]);
    EXPECT_EQ('/', cfg->paths.run_guest[0]);
    sdvm_config_free(cfg);
}

TEST(Config, EveryKeyIsRead)
{
    Loaded l;
    Load(R"(# a comment
[Paths]
StateDir=/srv/sdvm
UsersDir = /data/users
RealmsDir=/etc/x/realms.d
CatDatabase=/var/cache/cat.db
CaDir=/srv/ca
MachinesDir=/etc/x/machines.d
RunGuest=/opt/sdvm/run-guest
Socket=/run/x.sock

[Network]
WifiSsid=eduroam lab
UseWired=false
UseWifi=1
AllowUnprotectedWired=true
AuthTimeout=2.5
SlowServerNotice=1.5
EapStartTimeout=0.75
AttemptTimeout=90
WiredPreference=0
WiredRouteMetric=10
WifiRouteMetric=4294967295

[Store]
Backend=reflink
ReserveMiB=0

[Login]
ThrottleAfter=0
ThrottleBaseSeconds=2
ThrottleMaxSeconds=600

[Greeter]
User=_greeter
Command=/usr/bin/sdvm-greeter --verbose
Theme=maldives
ThemeDirs=/a;/b/c;
Platform=linuxfb
VirtualKeyboard=true
KeyboardLayouts=br(abnt2);us
PowerActions=poweroff;suspend;hybrid-sleep

[Guest]
Machine=optiplex-7010
HostReserveMiB=2048
)",
         l);
    ASSERT_EQ(0, l.r) << (l.err ? l.err->message : "");
    const sdvm_config *c = l.cfg;
    EXPECT_STREQ("/etc/sdvm/sdvm.conf", c->source);
    EXPECT_STREQ("/srv/sdvm", c->paths.state_dir);
    EXPECT_STREQ("/srv/sdvm/images", c->paths.images_dir); // derived from the new StateDir
    EXPECT_STREQ("/data/users", c->paths.users_dir);
    EXPECT_STREQ("/var/cache/cat.db", c->paths.cat_database);
    EXPECT_STREQ("/srv/ca", c->paths.ca_dir);
    EXPECT_STREQ("/opt/sdvm/run-guest", c->paths.run_guest);
    EXPECT_STREQ("/run/x.sock", c->paths.socket);
    EXPECT_STREQ("eduroam lab", c->network.wifi_ssid);
    EXPECT_FALSE(c->network.use_wired);
    EXPECT_TRUE(c->network.use_wifi);
    EXPECT_TRUE(c->network.allow_unprotected_wired);
    EXPECT_EQ(2500u, c->network.auth_timeout_ms);
    EXPECT_EQ(1500u, c->network.slow_server_notice_ms);
    EXPECT_EQ(750u, c->network.eap_start_timeout_ms);
    EXPECT_EQ(90000u, c->network.attempt_timeout_ms);
    EXPECT_EQ(0u, c->network.wired_preference_ms);
    EXPECT_EQ(10u, c->network.wired_route_metric);
    EXPECT_EQ(4294967295u, c->network.wifi_route_metric);
    EXPECT_EQ(SDVM_STORE_BACKEND_REFLINK, c->store.backend);
    EXPECT_EQ(0u, c->store.reserve_mib);
    EXPECT_EQ(0u, c->login.throttle_after);
    EXPECT_STREQ("_greeter", c->greeter.user);
    EXPECT_STREQ("/usr/bin/sdvm-greeter --verbose", c->greeter.command);
    EXPECT_STREQ("maldives", c->greeter.theme);
    ASSERT_NE(nullptr, c->greeter.theme_dirs[1]);
    EXPECT_STREQ("/b/c", c->greeter.theme_dirs[1]);
    EXPECT_EQ(nullptr, c->greeter.theme_dirs[2]);
    EXPECT_STREQ("linuxfb", c->greeter.platform);
    EXPECT_TRUE(c->greeter.virtual_keyboard);
    EXPECT_STREQ("br(abnt2)", c->greeter.keyboard_layouts[0]);
    EXPECT_EQ(unsigned(SDVM_CONFIG_POWER_OFF | SDVM_CONFIG_POWER_SUSPEND |
                       SDVM_CONFIG_POWER_HYBRID_SLEEP),
              c->greeter.power_actions);
    EXPECT_STREQ("optiplex-7010", c->guest.machine);
    EXPECT_EQ(2048u, c->guest.host_reserve_mib);

    EXPECT_EQ("2.5", Text(c, "Network", "AuthTimeout"));
    EXPECT_EQ("0.75", Text(c, "Network", "EapStartTimeout"));
    EXPECT_EQ("poweroff;suspend;hybrid-sleep", Text(c, "Greeter", "PowerActions"));
    EXPECT_EQ("reflink", Text(c, "Store", "Backend"));
    EXPECT_EQ("<null>", Text(c, "Store", "Nope"));
}

TEST(Config, ErrorsNameFileLineAndKey)
{
    struct Case {
        std::string text;
        unsigned line;
        const char *section, *key; // nullptr: not about one
        const char *message_part;
    } cases[] = {
        {"[Paths]\nStateDir=/x\n[Bogus]\nA=b\n", 3, "Bogus", nullptr, "unknown section"},
        {"[Network]\n\nWifiSid=eduroam\n", 3, "Network", "WifiSid", "unknown key"},
        {"[Network]\nUseWired=true\n# x\nUseWired=false\n", 4, "Network", "UseWired",
         "set twice (first on line 2)"},
        {"[Network]\nUseWired=maybe\n", 2, "Network", "UseWired", "not a boolean"},
        {"[Network]\nAllowUnprotectedWired=pap\n", 2, "Network", "AllowUnprotectedWired",
         "not a boolean"},
        {"[Network]\nAuthTimeout=fast\n", 2, "Network", "AuthTimeout", "not a number"},
        {"[Network]\nAuthTimeout=-1\n", 2, "Network", "AuthTimeout", "not a number"},
        {"[Network]\nAuthTimeout=0.05\n", 2, "Network", "AuthTimeout", "out of range"},
        {"[Network]\nAuthTimeout=1.2345\n", 2, "Network", "AuthTimeout", "three decimals"},
        {"[Network]\nSlowServerNotice=soon\n", 2, "Network", "SlowServerNotice", "not a number"},
        {"[Network]\nSlowServerNotice=0\n", 2, "Network", "SlowServerNotice", "out of range"},
        {"[Network]\nSlowServerNotice=601\n", 2, "Network", "SlowServerNotice", "out of range"},
        {"[Network]\nWiredRouteMetric=4294967296\n", 2, "Network", "WiredRouteMetric",
         "out of range"},
        {"[Network]\nWiredRouteMetric=99999999999999999999999\n", 2, "Network",
         "WiredRouteMetric", "too large"},
        {"[Network]\nWifiSsid=\n", 2, "Network", "WifiSsid", "1 to 32 octets"},
        {"[Network]\nWifiSsid=123456789012345678901234567890123\n", 2, "Network", "WifiSsid",
         "1 to 32 octets"},
        {"[Paths]\nImagesDir=images\n", 2, "Paths", "ImagesDir", "not an absolute path"},
        {"[Paths]\nSocket=\n", 2, "Paths", "Socket", "must not be empty"},
        {"[Store]\nBackend=zfs\n", 2, "Store", "Backend", "not a store backend"},
        {"[Store]\nReserveMiB=1.5\n", 2, "Store", "ReserveMiB", "not a whole number"},
        {"[Login]\nThrottleBaseSeconds=0\n", 2, "Login", "ThrottleBaseSeconds", "out of range"},
        {"[Greeter]\nUser=Root Admin\n", 2, "Greeter", "User", "not a valid user name"},
        {"[Greeter]\nCommand=sdvm-greeter\n", 2, "Greeter", "Command", "not an absolute path"},
        {"[Greeter]\nCommand=/usr/bin/x 'unclosed\n", 2, "Greeter", "Command",
         "not a valid command line"},
        {"[Greeter]\nCommand=/usr/bin/x\x7f\n", 2, "Greeter", "Command", "control character"},
        {"[Greeter]\nCommand=/usr/bin/x --a\r", 2, "Greeter", "Command", "control character"},
        {"[Greeter]\nTheme=../../etc\n", 2, "Greeter", "Theme", "not a valid name"},
        {"[Greeter]\nThemeDirs=\n", 2, "Greeter", "ThemeDirs", "at least one"},
        {"[Greeter]\nThemeDirs=/a;relative\n", 2, "Greeter", "ThemeDirs", "not an absolute"},
        {"[Greeter]\nKeyboardLayouts=us;b r\n", 2, "Greeter", "KeyboardLayouts",
         "not a keyboard layout"},
        {"[Greeter]\nPowerActions=poweroff;explode\n", 2, "Greeter", "PowerActions",
         "not a power action"},
        {"[Guest]\nMachine=.hidden\n", 2, "Guest", "Machine", "not a valid name"},
        {"[Guest]\nHostReserveMiB=lots\n", 2, "Guest", "HostReserveMiB", "not a whole number"},
        {"[Greeter]\nTheme[de]=x\n", 2, "Greeter", "Theme[de]", "unknown key"},
        {"StateDir=/x\n", 1, nullptr, "StateDir", "before any [Section]"},
        {"[Paths]\nthis line is junk\n", 2, "Paths", nullptr, "neither a section header"},
        {"[Paths\n", 1, nullptr, nullptr, "malformed section header"},
        {"[Paths]\n=value\n", 2, "Paths", nullptr, "empty key name"},
        {"[Paths]\nStateDir=/x\n\xff\n", 3, nullptr, nullptr, "not valid UTF-8"},
        {std::string("[Paths]\nStateDir=/x\0y\n", 20), 2, nullptr, nullptr, "NUL byte"},
    };
    for (const auto &c : cases) {
        SCOPED_TRACE(c.text);
        Loaded l;
        Load(c.text, l, "/tmp/lab.conf");
        EXPECT_EQ(-EINVAL, l.r);
        EXPECT_EQ(nullptr, l.cfg);
        ASSERT_NE(nullptr, l.err);
        EXPECT_STREQ("/tmp/lab.conf", l.err->file);
        EXPECT_EQ(c.line, l.err->line);
        if (c.section) {
            EXPECT_STREQ(c.section, l.err->section);
        }
        if (c.key) {
            EXPECT_STREQ(c.key, l.err->key);
        } else {
            EXPECT_EQ(nullptr, l.err->key);
        }
        std::string msg = l.err->message;
        EXPECT_EQ(0u, msg.find("/tmp/lab.conf:" + std::to_string(c.line) + ": ")) << msg;
        if (c.key) {
            EXPECT_NE(std::string::npos, msg.find(c.key)) << msg;
        }
        EXPECT_NE(std::string::npos, msg.find(c.message_part)) << msg;
    }
}

// An invalid escape in a list value is one error, reported once: GLib warns (fatal here)
// when a GError is set twice, which the fuzzer found.
TEST(Config, BadEscapeInListIsOneError)
{
    GLogLevelFlags old = g_log_set_always_fatal(
        (GLogLevelFlags)(G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL | G_LOG_FLAG_FATAL));
    for (const char *text : {"[Greeter]\nKeyboardLayouts=a\\q\n",
                             "[Greeter]\nThemeDirs=/a;\\x\n",
                             "[Greeter]\nPowerActions=reboot;\\\n"}) {
        SCOPED_TRACE(text);
        Loaded l;
        Load(text, l, "x.conf");
        EXPECT_EQ(-EINVAL, l.r);
        ASSERT_NE(nullptr, l.err);
        EXPECT_EQ(2u, l.err->line);
    }
    g_log_set_always_fatal(old);
}

TEST(Config, FirstErrorInFileOrderAndCrLf)
{
    Loaded l;
    Load("[Network]\r\nUseWifi=true\r\nUseWired=nope\r\n[Bad]\r\n", l, "x.conf");
    ASSERT_NE(nullptr, l.err);
    EXPECT_EQ(3u, l.err->line);
    EXPECT_STREQ("UseWired", l.err->key);
}

TEST(Config, FileErrors)
{
    TempDir dir;
    sdvm_config *cfg = nullptr;
    sdvm_config_error *err = nullptr;
    // A directory where the file should be.
    EXPECT_EQ(-EISDIR, sdvm_config_load(dir.path().c_str(), &cfg, &err));
    EXPECT_EQ(nullptr, cfg);
    ASSERT_NE(nullptr, err);
    EXPECT_NE(std::string::npos, std::string(err->message).find(dir.path())) << err->message;
    sdvm_config_error_free(err);

    std::string path = dir / "sdvm.conf";
    WriteFile(path, "[Store]\nBackend=qcow2\nReserveMiB=12\n");
    ASSERT_EQ(0, sdvm_config_load(path.c_str(), &cfg, nullptr));
    EXPECT_EQ(path, cfg->source);
    EXPECT_EQ(12u, cfg->store.reserve_mib);
    sdvm_config_free(cfg);

    WriteFile(path, "[Store]\nReserveMiB=x\n");
    EXPECT_EQ(-EINVAL, sdvm_config_load(path.c_str(), &cfg, &err));
    ASSERT_NE(nullptr, err);
    EXPECT_EQ(path + ":2: [Store] ReserveMiB: \"x\" is not a whole number", err->message);
    sdvm_config_error_free(err);
    // error pointer may be NULL
    EXPECT_EQ(-EINVAL, sdvm_config_load(path.c_str(), &cfg, nullptr));
}

// The schema, the man page and the annotated example agree: every key is documented, and
// the example with every line uncommented loads and gives the defaults (paths aside, which
// follow the install prefix).
TEST(Config, DocumentationCoversEveryKey)
{
    std::string man = coretest::ReadFile(coretest::SourceDir() + "/packaging/man/sdvm.conf.5");
    std::string example = coretest::ReadFile(coretest::SourceDir() + "/packaging/sdvm.conf");
    ASSERT_FALSE(man.empty());
    ASSERT_FALSE(example.empty());

    std::string uncommented;
    std::istringstream in(example);
    std::string line;
    while (std::getline(in, line)) {
        // "#Key=value" lines become settings; "# prose" stays a comment.
        if (line.size() > 1 && line[0] == '#' && line[1] != ' ' && line[1] != '#')
            line = line.substr(1);
        uncommented += line + "\n";
    }
    Loaded l;
    Load(uncommented, l, "packaging/sdvm.conf");
    ASSERT_EQ(0, l.r) << l.err->message;
    sdvm_config *defaults = sdvm_config_new_defaults();

    const char *section, *key, *def;
    size_t n = 0;
    for (size_t i = 0; sdvm_config_key_at(i, &section, &key, &def); i++, n++) {
        SCOPED_TRACE(std::string(section) + "/" + key);
        std::string k(key);
        // sdvm.conf.5 lists each key as a tagged paragraph (.TP then .B Key=).
        EXPECT_NE(std::string::npos, man.find(".B " + k + "=")) << "not in sdvm.conf(5)";
        EXPECT_NE(std::string::npos, man.find("[" + std::string(section) + "]"));
        EXPECT_NE(std::string::npos, example.find("#" + k + "=")) << "not in the example";
        if (std::string(section) != "Paths" && k != "Command" && k != "ThemeDirs" &&
            k != "TrustedKey") {
            EXPECT_EQ(Text(defaults, section, key), Text(l.cfg, section, key));
            EXPECT_EQ(std::string(def), Text(defaults, section, key));
            EXPECT_NE(std::string::npos, man.find(def)) << "default not in sdvm.conf(5)";
        }
    }
    EXPECT_EQ(48u, n);
    sdvm_config_free(defaults);
}
