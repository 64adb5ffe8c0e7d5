// eduroam CAT data all the way to NetworkManager: every usable eap-config fixture is compiled
// into a realm database, looked up by realm as sdvmd does, turned into wired and Wi-Fi
// connections by nm-glue's builder, and those must pass nm_connection_verify() with the
// settings the notes' §6 mapping asks for. Unusable fixtures stay unusable.
#include <gtest/gtest.h>

#include <NetworkManager.h>
#include <glib.h>

#include <string>

extern "C" {
#include "builder.h"
#include "sdvm/cat.h"
#include "sdvm/realms.h"
}

namespace {
struct Expect {
    const char *realm;
    const char *eap;         // 802-1x.eap
    const char *phase2;      // phase2-auth, or NULL
    const char *phase2_eap;  // phase2-autheap, or NULL
    const char *anonymous;   // anonymous-identity, or NULL
    const char *suffix;      // domain-suffix-match, or NULL
};

// What the fixtures say (tests/data/eap-config); the builder must carry it over.
const Expect kUsable[] = {
    {"uni-a.test", "ttls", "pap", nullptr, "anonymous@uni-a.test", "radius.uni-a.test"},
    // Several ServerIDs: all of them, ';'-joined (NetworkManager >= 1.24).
    {"uni-b.test", "ttls", "mschapv2", nullptr, "@uni-b.test",
     "radius1.uni-b.test;radius2.uni-b.test"},
    // TTLS + inner EAP 26 is CAT's encoding of plain TTLS-MSCHAPv2 (notes §4.5).
    {"uni-c.test", "ttls", "mschapv2", nullptr, "anonymous@uni-c.test", "radius.uni-c.test"},
    {"uni-d.test", "peap", "mschapv2", nullptr, nullptr, "nps.uni-d.test"},
    {"uni-e.test", nullptr, nullptr, nullptr, nullptr, nullptr},
    {"partner-e.test", nullptr, nullptr, nullptr, nullptr, nullptr},
};

class CatToNetworkManager : public ::testing::Test {
protected:
    void SetUp() override
    {
        dir = g_dir_make_tmp("sdvm-cat-map-XXXXXX", nullptr);
        std::string db = std::string(dir) + "/realms.db";
        std::string fixtures = std::string(SDVM_SOURCE_DIR) + "/tests/data/eap-config";
        char *error = nullptr;
        ASSERT_EQ(0, sdvm_cat_db_build_dir(fixtures.c_str(), db.c_str(), nullptr, nullptr, &error))
            << (error ? error : "");
        ASSERT_EQ(0, sdvm_realms_open(nullptr, db.c_str(), (std::string(dir) + "/ca").c_str(),
                                      &realms, &error))
            << (error ? error : "");
    }
    void TearDown() override
    {
        sdvm_realms_free(realms);
        std::string cmd = std::string("rm -rf '") + dir + "'";
        (void)!system(cmd.c_str());
        g_free(dir);
    }
    char *dir = nullptr;
    sdvm_realms *realms = nullptr;
};

std::string
setting_string(NMSetting8021x *s, const char *property)
{
    gchar *value = nullptr;
    g_object_get(s, property, &value, nullptr);
    std::string out = value ? value : "";
    g_free(value);
    return out;
}
} // namespace

TEST_F(CatToNetworkManager, EveryUsableFixtureBecomesAValidConnection)
{
    const guint32 nm_1_42 = sdvm_nm_parse_version("1.42.4");
    for (const Expect &e : kUsable) {
        SCOPED_TRACE(e.realm);
        sdvm_auth_profile *profile = nullptr;
        char *detail = nullptr;
        ASSERT_EQ(SDVM_FAILURE_NONE, sdvm_realms_lookup(realms, e.realm, &profile, &detail))
            << (detail ? detail : "");
        ASSERT_NE(nullptr, profile->ca_bundle_path) << "a CAT profile without its CA bundle";
        EXPECT_EQ(SDVM_FAILURE_NONE, sdvm_nm_check_profile(profile, nm_1_42, &detail))
            << (detail ? detail : "");
        std::string nai = std::string("someone@") + e.realm;
        for (auto type : {SDVM_NM_LINK_WIRED, SDVM_NM_LINK_WIFI}) {
            sdvm_nm_build b = {};
            b.profile = profile;
            b.nai = nai.c_str();
            b.type = type;
            b.ifname = type == SDVM_NM_LINK_WIRED ? "eth0" : "wlan0";
            b.ssid = "eduroam";
            b.route_metric = type == SDVM_NM_LINK_WIRED ? 100 : 600;
            b.configure_ip = true;
            b.nm_version = nm_1_42;
            NMConnection *c = nullptr;
            ASSERT_EQ(SDVM_FAILURE_NONE, sdvm_nm_build_connection(&b, &c, &detail))
                << (detail ? detail : "");
            GError *error = nullptr;
            EXPECT_TRUE(nm_connection_verify(c, &error)) << (error ? error->message : "");
            g_clear_error(&error);
            NMSetting8021x *x = nm_connection_get_setting_802_1x(c);
            ASSERT_NE(nullptr, x);
            if (e.eap) {
                EXPECT_STREQ(e.eap, nm_setting_802_1x_get_eap_method(x, 0));
            }
            if (e.phase2) {
                EXPECT_EQ(e.phase2, setting_string(x, NM_SETTING_802_1X_PHASE2_AUTH));
            }
            if (e.anonymous) {
                EXPECT_EQ(e.anonymous, setting_string(x, NM_SETTING_802_1X_ANONYMOUS_IDENTITY));
            }
            if (e.suffix) {
                EXPECT_EQ(e.suffix, setting_string(x, NM_SETTING_802_1X_DOMAIN_SUFFIX_MATCH));
            }
            // Always: the CA as a file path, never the system store; the password only
            // through the agent; the identity as typed.
            EXPECT_EQ(NM_SETTING_802_1X_CK_SCHEME_PATH, nm_setting_802_1x_get_ca_cert_scheme(x));
            EXPECT_STREQ(profile->ca_bundle_path, nm_setting_802_1x_get_ca_cert_path(x));
            EXPECT_FALSE(nm_setting_802_1x_get_system_ca_certs(x));
            EXPECT_EQ(NM_SETTING_SECRET_FLAG_NOT_SAVED, nm_setting_802_1x_get_password_flags(x));
            EXPECT_EQ(nullptr, nm_setting_802_1x_get_password(x));
            EXPECT_EQ(nai, nm_setting_802_1x_get_identity(x));
            EXPECT_FALSE(nm_setting_802_1x_get_optional(x));
            g_object_unref(c);
        }
        sdvm_auth_profile_free(profile);
    }
}

TEST_F(CatToNetworkManager, UnusableFixturesNeverReachNetworkManager)
{
    struct {
        const char *realm;
        sdvm_failure failure;
    } cases[] = {
        {"tls.uni-g.test", SDVM_FAILURE_REALM_UNSUPPORTED}, // EAP-TLS only
        {"lw.uni-h.test", SDVM_FAILURE_REALM_UNSUPPORTED},  // letswifi: client certificates
        {"noca.uni-i.test", SDVM_FAILURE_INSECURE_PROFILE}, // no CA
        {"nowhere.test", SDVM_FAILURE_UNKNOWN_REALM},
    };
    for (auto &c : cases) {
        SCOPED_TRACE(c.realm);
        sdvm_auth_profile *profile = nullptr;
        char *detail = nullptr;
        EXPECT_EQ(c.failure, sdvm_realms_lookup(realms, c.realm, &profile, &detail));
        EXPECT_EQ(nullptr, profile);
        free(detail);
    }
}

// Who owns a realm (issue 13 §2, review M1/M2): tests/eduroam-cat/realm-claims through the
// build, the lookup as sdvmd does it and nm-glue's settings. The tools' side of the same
// fixtures is tests/eduroam-cat/test-realm-claims.sh.
TEST(RealmClaims, OnlyTheRealmsOwnProfileReachesNetworkManager)
{
    char *dir = g_dir_make_tmp("sdvm-cat-claims-XXXXXX", nullptr);
    std::string db = std::string(dir) + "/realms.db";
    std::string fixtures = std::string(SDVM_SOURCE_DIR) + "/tests/eduroam-cat/realm-claims";
    char *error = nullptr;
    ASSERT_EQ(0, sdvm_cat_db_build_dir(fixtures.c_str(), db.c_str(), nullptr, nullptr, &error))
        << (error ? error : "");
    sdvm_realms *realms = nullptr;
    ASSERT_EQ(0, sdvm_realms_open(nullptr, db.c_str(), (std::string(dir) + "/ca").c_str(),
                                  &realms, &error))
        << (error ? error : "");
    struct {
        const char *realm;
        sdvm_failure failure;
        const char *anonymous; // anonymous-identity, "" = none (the NAI goes out in clear)
        const char *suffix;    // domain-suffix-match
    } cases[] = {
        {"otheruni.ac.uk", SDVM_FAILURE_UNKNOWN_REALM, nullptr, nullptr},
        {"smallu.edu.br", SDVM_FAILURE_UNKNOWN_REALM, nullptr, nullptr},
        {"tlsonly.test", SDVM_FAILURE_REALM_UNSUPPORTED, nullptr, nullptr},
        {"noserver.test", SDVM_FAILURE_INSECURE_PROFILE, nullptr, nullptr},
        {"wildcard.test", SDVM_FAILURE_INSECURE_PROFILE, nullptr, nullptr},
        {"single.test", SDVM_FAILURE_INSECURE_PROFILE, nullptr, nullptr},
        {"med.bigu.test", SDVM_FAILURE_NONE, "anonymous@med.bigu.test", "radius.med.bigu.test"},
        {"lab.bigu.test", SDVM_FAILURE_NONE, "anonymous@bigu.test", "radius.bigu.test"},
        {"outer.test", SDVM_FAILURE_NONE, "@outer.test", "radius.outer.test"},
        {"plain.test", SDVM_FAILURE_NONE, "", "radius.plain.test"},
    };
    for (auto &c : cases) {
        SCOPED_TRACE(c.realm);
        sdvm_auth_profile *profile = nullptr;
        char *detail = nullptr;
        EXPECT_EQ(c.failure, sdvm_realms_lookup(realms, c.realm, &profile, &detail))
            << (detail ? detail : "");
        free(detail);
        detail = nullptr;
        if (c.failure != SDVM_FAILURE_NONE || !profile) {
            EXPECT_EQ(nullptr, profile);
            sdvm_auth_profile_free(profile);
            continue;
        }
        std::string nai = std::string("someone@") + c.realm;
        sdvm_nm_build b = {};
        b.profile = profile;
        b.nai = nai.c_str();
        b.type = SDVM_NM_LINK_WIFI;
        b.ifname = "wlan0";
        b.ssid = "eduroam";
        b.route_metric = 600;
        b.configure_ip = true;
        b.nm_version = sdvm_nm_parse_version("1.42.4");
        NMConnection *conn = nullptr;
        ASSERT_EQ(SDVM_FAILURE_NONE, sdvm_nm_build_connection(&b, &conn, &detail))
            << (detail ? detail : "");
        NMSetting8021x *x = nm_connection_get_setting_802_1x(conn);
        EXPECT_EQ(c.anonymous, setting_string(x, NM_SETTING_802_1X_ANONYMOUS_IDENTITY));
        EXPECT_EQ(c.suffix, setting_string(x, NM_SETTING_802_1X_DOMAIN_SUFFIX_MATCH));
        EXPECT_EQ(nai, nm_setting_802_1x_get_identity(x));
        g_object_unref(conn);
        sdvm_auth_profile_free(profile);
    }
    sdvm_realms_free(realms);
    std::string cmd = std::string("rm -rf '") + dir + "'";
    (void)!system(cmd.c_str());
    g_free(dir);
}
