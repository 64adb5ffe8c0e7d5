// nm-glue unit tests: the profile -> NMConnection mapping, checked with nm_connection_verify()
// and property by property, with no NetworkManager running (NM's own first test tier).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "builder.h"

namespace
{

const std::string kCa = std::string(SDVM_TEST_DATA) + "/ca.pem";

struct Profile {
    sdvm_auth_profile p{};
    std::vector<std::string> names;
    std::vector<char *> name_ptrs;
    std::string realm = "uni-a.test", ca = kCa, anon;

    Profile(sdvm_eap_method eap, sdvm_inner_method inner,
            std::vector<std::string> servers = {"lab.test"})
        : names(std::move(servers))
    {
        p.eap = eap;
        p.inner = inner;
        sync();
    }
    void
    sync()
    {
        name_ptrs.clear();
        for (auto &n : names)
            name_ptrs.push_back(n.data());
        name_ptrs.push_back(nullptr);
        p.server_names = name_ptrs.data();
        p.realm = realm.data();
        p.ca_bundle_path = ca.empty() ? nullptr : ca.data();
        p.anonymous_identity = anon.empty() ? nullptr : anon.data();
    }
};

struct Built {
    NMConnection *c = nullptr;
    sdvm_failure f = SDVM_FAILURE_INTERNAL;
    std::string detail;
    ~Built()
    {
        if (c)
            g_object_unref(c);
    }
    NMSetting8021x *
    x()
    {
        return nm_connection_get_setting_802_1x(c);
    }
};

constexpr guint32 kNm142 = SDVM_NM_VERSION(1, 42, 4);

void
build(Built &out, Profile &prof, sdvm_nm_link_type type = SDVM_NM_LINK_WIRED,
      guint32 version = kNm142, bool ip = false)
{
    prof.sync();
    sdvm_nm_build b{};
    b.profile = &prof.p;
    b.nai = "alice@uni-a.test";
    b.type = type;
    b.ifname = type == SDVM_NM_LINK_WIFI ? "wlan0" : "eth0";
    b.ssid = "eduroam";
    b.route_metric = type == SDVM_NM_LINK_WIFI ? 600 : 100;
    b.configure_ip = ip;
    b.auth_timeout_s = 30;
    b.nm_version = version;
    char *detail = nullptr;
    out.f = sdvm_nm_build_connection(&b, &out.c, &detail);
    out.detail = detail ? detail : "";
    g_free(detail);
}

std::string
str(const char *s)
{
    return s ? s : "(null)";
}

TEST(NmVersion, Parse)
{
    EXPECT_EQ(SDVM_NM_VERSION(1, 42, 4), sdvm_nm_parse_version("1.42.4"));
    EXPECT_EQ(SDVM_NM_VERSION(1, 42, 4), sdvm_nm_parse_version("1.42.4-1+deb12u1"));
    EXPECT_EQ(SDVM_NM_VERSION(1, 24, 0), sdvm_nm_parse_version("1.24"));
    EXPECT_EQ(SDVM_NM_VERSION(0, 9, 6), sdvm_nm_parse_version("0.9.6.0"));
    EXPECT_EQ(0u, sdvm_nm_parse_version(""));
    EXPECT_EQ(0u, sdvm_nm_parse_version(nullptr));
    EXPECT_EQ(0u, sdvm_nm_parse_version("x1.2"));
    EXPECT_EQ(0u, sdvm_nm_parse_version("1.300.0"));
    EXPECT_LT(sdvm_nm_parse_version("1.9.0"), sdvm_nm_parse_version("1.10.0"));
}

TEST(NmCommonSuffix, LabelBoundaries)
{
    const char *a[] = {"radius1.uni-a.test", "radius2.uni-a.test", nullptr};
    g_autofree char *s1 = sdvm_nm_common_suffix(a);
    EXPECT_EQ("uni-a.test", str(s1));
    const char *b[] = {"radius.example.org", "radius.badexample.org", nullptr};
    g_autofree char *s2 = sdvm_nm_common_suffix(b);
    EXPECT_EQ("(null)", str(s2)) << "only one common label: no usable suffix";
    const char *c[] = {"a.x.org", nullptr};
    g_autofree char *s3 = sdvm_nm_common_suffix(c);
    EXPECT_EQ("a.x.org", str(s3));
    const char *d[] = {"A.X.org", "b.x.ORG", nullptr};
    g_autofree char *s4 = sdvm_nm_common_suffix(d);
    EXPECT_EQ("X.org", str(s4));
}

TEST(NmBuild, WiredTtlsPap)
{
    Profile prof(SDVM_EAP_TTLS, SDVM_INNER_PAP, {"radius.lab.test", "DNS:Backup.Lab.Test"});
    Built b;
    build(b, prof);
    ASSERT_EQ(SDVM_FAILURE_NONE, b.f) << b.detail;
    GError *error = nullptr;
    EXPECT_TRUE(nm_connection_verify(b.c, &error)) << (error ? error->message : "");
    g_clear_error(&error);

    NMSettingConnection *con = nm_connection_get_setting_connection(b.c);
    EXPECT_EQ(std::string(NM_SETTING_WIRED_SETTING_NAME),
              nm_setting_connection_get_connection_type(con));
    EXPECT_EQ("sdvm-login eth0", str(nm_setting_connection_get_id(con)));
    EXPECT_EQ("eth0", str(nm_setting_connection_get_interface_name(con)));
    EXPECT_FALSE(nm_setting_connection_get_autoconnect(con));
    EXPECT_EQ(1, nm_setting_connection_get_auth_retries(con));
    EXPECT_EQ(0u, nm_setting_connection_get_num_permissions(con)) << "must be system-wide";
    EXPECT_TRUE(sdvm_nm_connection_is_ours(b.c));
    auto *user =
        (NMSettingUser *)nm_connection_get_setting_by_name(b.c, NM_SETTING_USER_SETTING_NAME);
    ASSERT_NE(nullptr, user);
    EXPECT_EQ("nm-glue", str(nm_setting_user_get_data(user, "org.sdvm.owner")));

    NMSetting8021x *x = b.x();
    ASSERT_NE(nullptr, x);
    ASSERT_EQ(1u, nm_setting_802_1x_get_num_eap_methods(x));
    EXPECT_EQ("ttls", str(nm_setting_802_1x_get_eap_method(x, 0)));
    EXPECT_EQ("pap", str(nm_setting_802_1x_get_phase2_auth(x)));
    EXPECT_EQ("(null)", str(nm_setting_802_1x_get_phase2_autheap(x)));
    EXPECT_EQ("alice@uni-a.test", str(nm_setting_802_1x_get_identity(x)));
    EXPECT_EQ("(null)", str(nm_setting_802_1x_get_anonymous_identity(x)));
    EXPECT_EQ("(null)", str(nm_setting_802_1x_get_password(x)))
        << "the password is never in the profile";
    EXPECT_EQ(NM_SETTING_SECRET_FLAG_NOT_SAVED, nm_setting_802_1x_get_password_flags(x));
    EXPECT_EQ(NM_SETTING_802_1X_CK_SCHEME_PATH, nm_setting_802_1x_get_ca_cert_scheme(x));
    EXPECT_EQ(kCa, str(nm_setting_802_1x_get_ca_cert_path(x)));
    EXPECT_FALSE(nm_setting_802_1x_get_system_ca_certs(x));
    EXPECT_EQ("radius.lab.test;backup.lab.test", str(nm_setting_802_1x_get_domain_suffix_match(x)));
    EXPECT_EQ("(null)", str(nm_setting_802_1x_get_domain_match(x)));
    EXPECT_EQ(0u, nm_setting_802_1x_get_num_altsubject_matches(x));
    EXPECT_EQ(0, (int)nm_setting_802_1x_get_phase1_auth_flags(x));
    EXPECT_FALSE(nm_setting_802_1x_get_optional(x));
    EXPECT_EQ(30, nm_setting_802_1x_get_auth_timeout(x));

    NMSettingIPConfig *ip4 = nm_connection_get_setting_ip4_config(b.c);
    NMSettingIPConfig *ip6 = nm_connection_get_setting_ip6_config(b.c);
    EXPECT_EQ("disabled", str(nm_setting_ip_config_get_method(ip4)));
    EXPECT_EQ("disabled", str(nm_setting_ip_config_get_method(ip6)));
    EXPECT_EQ(100, nm_setting_ip_config_get_route_metric(ip4));
    EXPECT_EQ(100, nm_setting_ip_config_get_route_metric(ip6));
}

TEST(NmBuild, SecretsNeverSerialized)
{
    Profile prof(SDVM_EAP_TTLS, SDVM_INNER_PAP);
    Built b;
    build(b, prof);
    ASSERT_EQ(SDVM_FAILURE_NONE, b.f) << b.detail;
    GVariant *all = nm_connection_to_dbus(b.c, NM_CONNECTION_SERIALIZE_ALL);
    g_autofree char *text = g_variant_print(all, FALSE);
    g_variant_unref(all);
    EXPECT_EQ(nullptr, strstr(text, "'password'")) << text;
    EXPECT_NE(nullptr, strstr(text, "'password-flags': <uint32 2>")) << text;
}

TEST(NmBuild, AutoIp)
{
    Profile prof(SDVM_EAP_TTLS, SDVM_INNER_PAP);
    Built b;
    build(b, prof, SDVM_NM_LINK_WIRED, kNm142, true);
    ASSERT_EQ(SDVM_FAILURE_NONE, b.f) << b.detail;
    EXPECT_EQ("auto",
              str(nm_setting_ip_config_get_method(nm_connection_get_setting_ip4_config(b.c))));
    EXPECT_EQ("auto",
              str(nm_setting_ip_config_get_method(nm_connection_get_setting_ip6_config(b.c))));
}

TEST(NmBuild, WifiConnectionVerifies)
{
    Profile prof(SDVM_EAP_PEAP, SDVM_INNER_EAP_MSCHAPV2);
    prof.anon = "anonymous@uni-a.test";
    Built b;
    build(b, prof, SDVM_NM_LINK_WIFI);
    ASSERT_EQ(SDVM_FAILURE_NONE, b.f) << b.detail;
    GError *error = nullptr;
    EXPECT_TRUE(nm_connection_verify(b.c, &error)) << (error ? error->message : "");
    g_clear_error(&error);
    NMSettingConnection *con = nm_connection_get_setting_connection(b.c);
    EXPECT_EQ(std::string(NM_SETTING_WIRELESS_SETTING_NAME),
              nm_setting_connection_get_connection_type(con));
    EXPECT_EQ("sdvm-login wifi eduroam", str(nm_setting_connection_get_id(con)));
    NMSettingWireless *w = nm_connection_get_setting_wireless(b.c);
    ASSERT_NE(nullptr, w);
    gsize n = 0;
    const char *ssid = (const char *)g_bytes_get_data(nm_setting_wireless_get_ssid(w), &n);
    EXPECT_EQ("eduroam", std::string(ssid, n));
    EXPECT_EQ("infrastructure", str(nm_setting_wireless_get_mode(w)));
    NMSettingWirelessSecurity *sec = nm_connection_get_setting_wireless_security(b.c);
    ASSERT_NE(nullptr, sec);
    EXPECT_EQ("wpa-eap", str(nm_setting_wireless_security_get_key_mgmt(sec)));
    EXPECT_EQ(0u, nm_setting_wireless_security_get_num_pairwise(sec)) << "ciphers left to the AP";
    NMSetting8021x *x = b.x();
    EXPECT_EQ("peap", str(nm_setting_802_1x_get_eap_method(x, 0)));
    EXPECT_EQ("mschapv2", str(nm_setting_802_1x_get_phase2_auth(x)));
    EXPECT_EQ("(null)", str(nm_setting_802_1x_get_phase2_autheap(x)));
    EXPECT_EQ("anonymous@uni-a.test", str(nm_setting_802_1x_get_anonymous_identity(x)));
    EXPECT_EQ(600,
              nm_setting_ip_config_get_route_metric(nm_connection_get_setting_ip4_config(b.c)));
}

TEST(NmBuild, InnerMethods)
{
    struct Case {
        sdvm_eap_method eap;
        sdvm_inner_method inner;
        const char *auth, *autheap;
    } cases[] = {
        {SDVM_EAP_TTLS, SDVM_INNER_PAP, "pap", nullptr},
        {SDVM_EAP_TTLS, SDVM_INNER_MSCHAP, "mschap", nullptr},
        {SDVM_EAP_TTLS, SDVM_INNER_MSCHAPV2, "mschapv2", nullptr},
        {SDVM_EAP_TTLS, SDVM_INNER_EAP_MSCHAPV2, nullptr, "mschapv2"},
        {SDVM_EAP_TTLS, SDVM_INNER_EAP_GTC, nullptr, "gtc"},
        {SDVM_EAP_PEAP, SDVM_INNER_EAP_MSCHAPV2, "mschapv2", nullptr},
        {SDVM_EAP_PEAP, SDVM_INNER_MSCHAPV2, "mschapv2", nullptr},
        {SDVM_EAP_PEAP, SDVM_INNER_EAP_GTC, "gtc", nullptr},
    };
    for (auto &c : cases) {
        Profile prof(c.eap, c.inner);
        Built b;
        build(b, prof);
        ASSERT_EQ(SDVM_FAILURE_NONE, b.f) << b.detail;
        EXPECT_EQ(str(c.auth), str(nm_setting_802_1x_get_phase2_auth(b.x())))
            << c.eap << "/" << c.inner;
        EXPECT_EQ(str(c.autheap), str(nm_setting_802_1x_get_phase2_autheap(b.x())))
            << c.eap << "/" << c.inner;
    }
}

TEST(NmBuild, UnusableMethodsAreRefused)
{
    struct Case {
        sdvm_eap_method eap;
        sdvm_inner_method inner;
    } cases[] = {
        {SDVM_EAP_PEAP, SDVM_INNER_PAP},        {SDVM_EAP_PEAP, SDVM_INNER_NONE},
        {SDVM_EAP_TTLS, SDVM_INNER_NONE},       {SDVM_EAP_NONE, SDVM_INNER_PAP},
        {(sdvm_eap_method)13, SDVM_INNER_NONE}, // EAP-TLS needs a client certificate
    };
    for (auto &c : cases) {
        Profile prof(c.eap, c.inner);
        Built b;
        build(b, prof);
        EXPECT_EQ(SDVM_FAILURE_REALM_UNSUPPORTED, b.f) << c.eap << "/" << c.inner;
        EXPECT_EQ(nullptr, b.c);
        EXPECT_NE(std::string::npos, b.detail.find("uni-a.test")) << b.detail;
    }
}

TEST(NmBuild, NoCaIsInsecure)
{
    Profile prof(SDVM_EAP_TTLS, SDVM_INNER_PAP);
    prof.ca.clear();
    Built b;
    build(b, prof);
    EXPECT_EQ(SDVM_FAILURE_INSECURE_PROFILE, b.f);
    EXPECT_EQ(nullptr, b.c);
    EXPECT_NE(std::string::npos, b.detail.find("no CA")) << b.detail;

    // An administrator's explicit exception.
    prof.p.allow_insecure = true;
    Built b2;
    build(b2, prof);
    ASSERT_EQ(SDVM_FAILURE_NONE, b2.f) << b2.detail;
    EXPECT_EQ(NM_SETTING_802_1X_CK_SCHEME_UNKNOWN, nm_setting_802_1x_get_ca_cert_scheme(b2.x()));
}

TEST(NmBuild, PwdNeedsNoCa)
{
    Profile prof(SDVM_EAP_PWD, SDVM_INNER_NONE, {});
    prof.ca.clear();
    prof.anon = "anonymous@uni-a.test";
    Built b;
    build(b, prof);
    ASSERT_EQ(SDVM_FAILURE_NONE, b.f) << b.detail;
    EXPECT_EQ("pwd", str(nm_setting_802_1x_get_eap_method(b.x(), 0)));
    EXPECT_EQ("(null)", str(nm_setting_802_1x_get_phase2_auth(b.x())));
    EXPECT_EQ("(null)", str(nm_setting_802_1x_get_anonymous_identity(b.x())));
}

TEST(NmBuild, UnreadableCaIsAConfigError)
{
    Profile prof(SDVM_EAP_TTLS, SDVM_INNER_PAP);
    prof.ca = "/nonexistent/ca.pem";
    Built b;
    build(b, prof);
    EXPECT_EQ(SDVM_FAILURE_CONFIG, b.f);
    EXPECT_NE(std::string::npos, b.detail.find("/nonexistent/ca.pem")) << b.detail;
    prof.ca = "relative/ca.pem";
    Built b2;
    build(b2, prof);
    EXPECT_EQ(SDVM_FAILURE_CONFIG, b2.f);
}

TEST(NmBuild, MalformedServerNamesAreRefused)
{
    for (const char *bad : {"lab.test;test", "lab test", "", ".lab.test", "a..b", "*.lab.test"}) {
        Profile prof(SDVM_EAP_TTLS, SDVM_INNER_PAP, {"radius.lab.test", bad});
        Built b;
        build(b, prof);
        EXPECT_EQ(SDVM_FAILURE_INSECURE_PROFILE, b.f) << "'" << bad << "'";
    }
}

TEST(NmBuild, ExactServerNames)
{
    Profile prof(SDVM_EAP_TTLS, SDVM_INNER_PAP, {"radius.lab.test", "radius2.lab.test"});
    prof.p.server_names_exact = true;
    Built b;
    build(b, prof);
    ASSERT_EQ(SDVM_FAILURE_NONE, b.f) << b.detail;
    EXPECT_EQ("radius.lab.test;radius2.lab.test", str(nm_setting_802_1x_get_domain_match(b.x())));
    EXPECT_EQ("(null)", str(nm_setting_802_1x_get_domain_suffix_match(b.x())));

    // Before 1.24 there is no domain-match: exact SAN matches instead.
    Built old;
    build(old, prof, SDVM_NM_LINK_WIRED, SDVM_NM_VERSION(1, 22, 0));
    ASSERT_EQ(SDVM_FAILURE_NONE, old.f) << old.detail;
    EXPECT_EQ("(null)", str(nm_setting_802_1x_get_domain_match(old.x())));
    ASSERT_EQ(2u, nm_setting_802_1x_get_num_altsubject_matches(old.x()));
    EXPECT_EQ("DNS:radius.lab.test", str(nm_setting_802_1x_get_altsubject_match(old.x(), 0)));
}

TEST(NmBuild, VersionGatesBefore124)
{
    // One suffix only before 1.24: the longest common one.
    Profile prof(SDVM_EAP_TTLS, SDVM_INNER_PAP, {"radius1.uni-a.test", "radius2.uni-a.test"});
    Built b;
    build(b, prof, SDVM_NM_LINK_WIRED, SDVM_NM_VERSION(1, 20, 0));
    ASSERT_EQ(SDVM_FAILURE_NONE, b.f) << b.detail;
    EXPECT_EQ("uni-a.test", str(nm_setting_802_1x_get_domain_suffix_match(b.x())));
    // IPv6 "disabled" exists since 1.20; before, "ignore".
    Built b16;
    build(b16, prof, SDVM_NM_LINK_WIRED, SDVM_NM_VERSION(1, 16, 0));
    ASSERT_EQ(SDVM_FAILURE_NONE, b16.f) << b16.detail;
    EXPECT_EQ("ignore",
              str(nm_setting_ip_config_get_method(nm_connection_get_setting_ip6_config(b16.c))));

    Profile apart(SDVM_EAP_TTLS, SDVM_INNER_PAP, {"radius.uni-a.test", "radius.other.org"});
    Built b2;
    build(b2, apart, SDVM_NM_LINK_WIRED, SDVM_NM_VERSION(1, 20, 0));
    EXPECT_EQ(SDVM_FAILURE_INSECURE_PROFILE, b2.f) << "no single suffix would cover both";
    Built b3;
    build(b3, apart);
    EXPECT_EQ(SDVM_FAILURE_NONE, b3.f) << "1.24+ takes the list";
}

TEST(NmBuild, Phase1FlagsOnlyWhenSetAndKnown)
{
    Profile prof(SDVM_EAP_TTLS, SDVM_INNER_PAP);
    prof.p.phase1_flags = SDVM_PHASE1_TLS_1_3_DISABLE | SDVM_PHASE1_TLS_1_0_DISABLE;
    Built b;
    build(b, prof);
    ASSERT_EQ(SDVM_FAILURE_NONE, b.f) << b.detail;
    EXPECT_EQ(0x11, (int)nm_setting_802_1x_get_phase1_auth_flags(b.x()));
    Built old;
    build(old, prof, SDVM_NM_LINK_WIRED, SDVM_NM_VERSION(1, 40, 0));
    ASSERT_EQ(SDVM_FAILURE_NONE, old.f) << old.detail;
    EXPECT_EQ(0x1, (int)nm_setting_802_1x_get_phase1_auth_flags(old.x()))
        << "the TLS 1.3 bit is unknown before 1.42 and is dropped";
    EXPECT_EQ(0u, sdvm_nm_known_phase1_flags(SDVM_NM_VERSION(1, 6, 0)));
}

TEST(NmBuild, WifiSsidChecked)
{
    Profile prof(SDVM_EAP_TTLS, SDVM_INNER_PAP);
    prof.sync();
    sdvm_nm_build b{};
    b.profile = &prof.p;
    b.nai = "alice@uni-a.test";
    b.type = SDVM_NM_LINK_WIFI;
    b.ssid = "an SSID that is far longer than 32 bytes";
    b.nm_version = kNm142;
    NMConnection *c = nullptr;
    char *detail = nullptr;
    EXPECT_EQ(SDVM_FAILURE_CONFIG, sdvm_nm_build_connection(&b, &c, &detail));
    EXPECT_EQ(nullptr, c);
    g_free(detail);
}

TEST(NmBuild, ForeignConnectionsAreNotOurs)
{
    NMConnection *c = nm_simple_connection_new();
    NMSetting *s = nm_setting_connection_new();
    g_object_set(s, NM_SETTING_CONNECTION_ID, "Wired connection 1", NULL);
    nm_connection_add_setting(c, s);
    EXPECT_FALSE(sdvm_nm_connection_is_ours(c));
    g_object_set(s, NM_SETTING_CONNECTION_ID, "sdvm-login eth0", NULL);
    EXPECT_TRUE(sdvm_nm_connection_is_ours(c));
    g_object_unref(c);
}

} // namespace
