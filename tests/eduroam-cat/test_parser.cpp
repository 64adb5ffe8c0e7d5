// eap-config parser: a table over the fixtures in tests/data/eap-config, plus hostile input.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

extern "C" {
#include "sdvm/cat.h"

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
}

namespace {

std::string
fixture(const std::string &name)
{
    const char *src = std::getenv("SDVM_SOURCE_DIR");
    return std::string(src ? src : ".") + "/tests/data/eap-config/" + name;
}

std::string
slurp(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

struct Doc {
    sdvm_cat_document *doc = nullptr;
    std::string error;
    int rc = 0;
    explicit Doc(const std::string &name)
    {
        char *err = nullptr;
        rc = sdvm_cat_parse_file(fixture(name).c_str(), &doc, &err);
        if (err)
            error = err;
        free(err);
    }
    Doc(const char *data, size_t len)
    {
        char *err = nullptr;
        rc = sdvm_cat_parse(data, len, &doc, &err);
        if (err)
            error = err;
        free(err);
    }
    ~Doc() { sdvm_cat_document_free(doc); }
    const sdvm_cat_provider &p(size_t i = 0) const { return doc->providers[i]; }
    const sdvm_cat_method &chosen(size_t i = 0) const
    {
        static const sdvm_cat_method none{};
        const sdvm_cat_provider &p = doc->providers[i];
        EXPECT_GE(p.chosen, 0) << "no usable method";
        return p.chosen >= 0 ? p.methods[p.chosen] : none;
    }
};

struct Row {
    const char *file;
    const char *id;              // nullptr = undefined
    sdvm_failure failure;
    sdvm_eap_method eap;
    sdvm_inner_method inner;
    size_t n_certs;
    size_t n_server_ids;
    const char *outer;           // nullptr = absent
    bool hint;
    bool compat;
};

const Row rows[] = {
    {"ttls-pap.eap-config", "uni-a.test", SDVM_FAILURE_NONE, SDVM_EAP_TTLS, SDVM_INNER_PAP, 1, 1,
     "anonymous@uni-a.test", false, false},
    {"ttls-mschapv2.eap-config", "uni-b.test", SDVM_FAILURE_NONE, SDVM_EAP_TTLS,
     SDVM_INNER_MSCHAPV2, 2, 2, "@uni-b.test", true, false},
    {"ttls-eap-mschapv2.eap-config", "Uni-C.Test", SDVM_FAILURE_NONE, SDVM_EAP_TTLS,
     SDVM_INNER_MSCHAPV2, 1, 1, "anonymous@uni-c.test", false, true},
    {"peap.eap-config", "uni-d.test", SDVM_FAILURE_NONE, SDVM_EAP_PEAP, SDVM_INNER_EAP_MSCHAPV2,
     1, 1, nullptr, false, false},
    {"undefined-id.eap-config", nullptr, SDVM_FAILURE_NONE, SDVM_EAP_PEAP,
     SDVM_INNER_EAP_MSCHAPV2, 1, 1, nullptr, false, false},
    {"eap-tls-only.eap-config", "tls.uni-g.test", SDVM_FAILURE_REALM_UNSUPPORTED, SDVM_EAP_NONE,
     SDVM_INNER_NONE, 0, 0, nullptr, false, false},
    {"letswifi.eap-config", "lw.uni-h.test", SDVM_FAILURE_REALM_UNSUPPORTED, SDVM_EAP_NONE,
     SDVM_INNER_NONE, 0, 0, nullptr, false, false},
    {"no-ca.eap-config", "noca.uni-i.test", SDVM_FAILURE_INSECURE_PROFILE, SDVM_EAP_NONE,
     SDVM_INNER_NONE, 0, 0, nullptr, false, false},
    {"bad-ca.eap-config", "uni-j.test", SDVM_FAILURE_NONE, SDVM_EAP_PEAP,
     SDVM_INNER_EAP_MSCHAPV2, 1, 1, nullptr, false, false},
    {"pwd.eap-config", "pwd.uni-k.test", SDVM_FAILURE_NONE, SDVM_EAP_PWD, SDVM_INNER_NONE, 0, 0,
     nullptr, true, false},
};

class FixtureTable : public ::testing::TestWithParam<Row> {};

TEST_P(FixtureTable, ParsesAsExpected)
{
    const Row &r = GetParam();
    Doc d(r.file);
    ASSERT_EQ(0, d.rc) << r.file << ": " << d.error;
    ASSERT_GE(d.doc->n_providers, 1u);
    const sdvm_cat_provider &p = d.p();
    if (r.id) {
        EXPECT_STREQ(r.id, p.id);
    } else {
        EXPECT_EQ(nullptr, p.id);
    }
    EXPECT_EQ(r.failure, p.failure) << (p.reason ? p.reason : "");
    if (r.failure != SDVM_FAILURE_NONE) {
        EXPECT_EQ(-1, p.chosen);
        ASSERT_NE(nullptr, p.reason);
        EXPECT_GT(strlen(p.reason), 10u);
        return;
    }
    ASSERT_GE(p.chosen, 0);
    const sdvm_cat_method &m = d.chosen();
    EXPECT_EQ(r.eap, m.eap);
    EXPECT_EQ(r.inner, m.inner);
    EXPECT_EQ(r.n_certs, m.n_certs);
    EXPECT_EQ(r.n_server_ids, m.n_server_ids);
    if (r.outer) {
        EXPECT_STREQ(r.outer, m.outer_identity);
    } else {
        EXPECT_EQ(nullptr, m.outer_identity);
    }
    EXPECT_EQ(r.hint, m.inner_hint);
    EXPECT_EQ(r.compat, m.cat_compat);
    EXPECT_EQ(nullptr, m.reason);
    for (size_t i = 0; i < m.n_certs; i++) {
        ASSERT_LT(m.certs[i], p.n_certs);
        EXPECT_TRUE(p.certs[m.certs[i]].is_ca);
    }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, FixtureTable, ::testing::ValuesIn(rows),
                         [](const ::testing::TestParamInfo<Row> &info) {
                             std::string n = info.param.file;
                             for (char &c : n)
                                 if (!isalnum(static_cast<unsigned char>(c)))
                                     c = '_';
                             return n;
                         });

TEST(Parser, BomCrlfLanguagesAndHelpdesk)
{
    std::string raw = slurp(fixture("ttls-pap.eap-config"));
    ASSERT_EQ("\xef\xbb\xbf", raw.substr(0, 3)); // the fixture really has a BOM
    ASSERT_NE(std::string::npos, raw.find("\r\n"));
    Doc d("ttls-pap.eap-config");
    ASSERT_EQ(0, d.rc) << d.error;
    const sdvm_cat_provider &p = d.p();
    EXPECT_STREQ("University A (test)", p.display_name); // English over German
    EXPECT_STREQ("helpdesk@uni-a.test", p.helpdesk_email);
    EXPECT_STREQ("+99 100 2000", p.helpdesk_phone);
    EXPECT_STREQ("https://help.uni-a.test/eduroam", p.helpdesk_url);
    EXPECT_STREQ("uni-a.test", d.chosen().inner_suffix);
    EXPECT_STREQ("radius.uni-a.test", d.chosen().server_ids[0]);
    EXPECT_EQ(nullptr, d.chosen().server_ids[1]);
}

TEST(Parser, CertificatesAreDecodedCheckedAndDeduplicated)
{
    Doc d("ttls-eap-mschapv2.eap-config");
    ASSERT_EQ(0, d.rc) << d.error;
    const sdvm_cat_provider &p = d.p();
    // Shared CA twice + a server certificate: two distinct certificates, one CA in the method.
    EXPECT_EQ(2u, p.n_certs);
    EXPECT_EQ(1u, d.chosen().n_certs);
    bool saw_server = false;
    for (size_t i = 0; i < p.n_certs; i++)
        if (!p.certs[i].is_ca) {
            saw_server = true;
            EXPECT_NE(nullptr, strstr(p.certs[i].subject, "radius.uni-a.test"));
        }
    EXPECT_TRUE(saw_server);
    bool noted_dup = false, noted_server = false;
    for (size_t i = 0; i < p.n_warnings; i++) {
        noted_dup |= strstr(p.warnings[i], "duplicate") != nullptr;
        noted_server |= strstr(p.warnings[i], "not a CA certificate") != nullptr;
    }
    EXPECT_TRUE(noted_dup);
    EXPECT_TRUE(noted_server);

    // PEM of the CA matches what openssl made.
    const sdvm_cat_cert &ca = p.certs[d.chosen().certs[0]];
    char *pem = sdvm_cat_cert_to_pem(ca.der, ca.der_len);
    ASSERT_NE(nullptr, pem);
    EXPECT_EQ(slurp(fixture("certs/test-ca-shared.pem")), std::string(pem));
    free(pem);
}

TEST(Parser, WrappedBase64AndChain)
{
    Doc d("ttls-mschapv2.eap-config");
    ASSERT_EQ(0, d.rc) << d.error;
    const sdvm_cat_method &m = d.chosen();
    ASSERT_EQ(2u, m.n_certs);
    EXPECT_NE(nullptr, strstr(d.p().certs[m.certs[1]].subject, "Uni B RADIUS CA"));
    char fp[97];
    sdvm_cat_fingerprint(d.p().certs[m.certs[0]].sha256, fp);
    EXPECT_EQ(95u, strlen(fp));
    EXPECT_EQ(':', fp[2]);
}

TEST(Parser, MethodsKeepTheirOrder)
{
    Doc d("peap.eap-config");
    ASSERT_EQ(0, d.rc) << d.error;
    ASSERT_EQ(2u, d.p().n_methods);
    EXPECT_EQ(0, d.p().chosen);
    EXPECT_EQ(SDVM_EAP_PEAP, d.p().methods[0].eap);
    EXPECT_EQ(SDVM_EAP_TTLS, d.p().methods[1].eap);
    EXPECT_EQ(SDVM_INNER_PAP, d.p().methods[1].inner);
}

TEST(Parser, BadCaFallsThroughToTheNextMethod)
{
    Doc d("bad-ca.eap-config");
    ASSERT_EQ(0, d.rc) << d.error;
    EXPECT_EQ(1, d.p().chosen);
    EXPECT_EQ(SDVM_FAILURE_INSECURE_PROFILE, d.p().methods[0].failure);
    EXPECT_NE(nullptr, strstr(d.p().methods[0].reason, "could not be verified"));
}

TEST(Parser, UnsupportedReasonsSayWhy)
{
    Doc tls("eap-tls-only.eap-config");
    ASSERT_EQ(0, tls.rc);
    EXPECT_NE(nullptr, strstr(tls.p().reason, "client certificate"));
    Doc lw("letswifi.eap-config");
    ASSERT_EQ(0, lw.rc);
    EXPECT_NE(nullptr, strstr(lw.p().reason, "letswifi"));
    EXPECT_EQ(1940587200, static_cast<long long>(lw.p().valid_until)); // 2031-06-30T12:00:00Z
    Doc noca("no-ca.eap-config");
    ASSERT_EQ(0, noca.rc);
    EXPECT_NE(nullptr, strstr(noca.p().reason, "no CA certificate"));
}

TEST(Parser, TwoProviders)
{
    Doc d("two-providers.eap-config");
    ASSERT_EQ(0, d.rc) << d.error;
    ASSERT_EQ(2u, d.doc->n_providers);
    EXPECT_STREQ("uni-e.test", d.p(0).id);
    EXPECT_STREQ("partner-e.test", d.p(1).id);
    EXPECT_EQ(SDVM_EAP_PEAP, d.chosen(0).eap);
    EXPECT_EQ(SDVM_EAP_TTLS, d.chosen(1).eap);
    EXPECT_STREQ("Partner of E (test)", d.p(1).display_name);
}

struct Bad {
    const char *file;
    const char *message; // a piece of the error
};

const Bad bad_rows[] = {
    {"malformed-truncated.eap-config", "Premature end"},
    {"malformed-unclosed.eap-config", "not well-formed"},
    {"malformed-wrong-root.xml", "<plist>"},
    {"malformed-not-xml.eap-config", "not well-formed"},
    {"malformed-billion-laughs.eap-config", "DOCTYPE"},
    {"malformed-external-entity.eap-config", "DOCTYPE"},
    {"malformed-empty-list.eap-config", "no <EAPIdentityProvider>"},
};

class Malformed : public ::testing::TestWithParam<Bad> {};

TEST_P(Malformed, ClearErrorNoDocument)
{
    Doc d(GetParam().file);
    EXPECT_EQ(-EBADMSG, d.rc);
    EXPECT_EQ(nullptr, d.doc);
    EXPECT_NE(std::string::npos, d.error.find(GetParam().message)) << d.error;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, Malformed, ::testing::ValuesIn(bad_rows));

// A self-signed CA certificate that expired yesterday, base64 DER (made here, never stored).
std::string
expired_ca_b64()
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
    X509_gmtime_adj(X509_getm_notBefore(x), -3 * 86400L);
    X509_gmtime_adj(X509_getm_notAfter(x), -86400L);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char *>("SDVM TEST expired CA"), -1,
                               -1, 0);
    X509_set_issuer_name(x, name);
    X509_set_pubkey(x, key);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
    X509_EXTENSION *bc = X509V3_EXT_conf_nid(nullptr, &ctx, NID_basic_constraints, "critical,CA:TRUE");
    X509_add_ext(x, bc, -1);
    X509_EXTENSION_free(bc);
    X509_sign(x, key, EVP_sha256());
    unsigned char *der = nullptr;
    int n = i2d_X509(x, &der);
    std::string out(4 * ((static_cast<size_t>(n) + 2) / 3) + 1, '\0');
    int m = EVP_EncodeBlock(reinterpret_cast<unsigned char *>(out.data()), der, n);
    out.resize(static_cast<size_t>(m));
    OPENSSL_free(der);
    X509_free(x);
    EVP_PKEY_free(key);
    return out;
}

// Issue 15 §5: an expired CA is dropped with a warning; a method left with none is
// INSECURE_PROFILE; with another valid CA the profile stays usable.
TEST(Parser, ExpiredCaIsDropped)
{
    std::string xml = slurp(fixture("ttls-pap.eap-config"));
    const std::string open = "<CA format=\"X.509\" encoding=\"base64\">";
    size_t a = xml.find(open);
    ASSERT_NE(std::string::npos, a);
    size_t b = xml.find("</CA>", a);
    const std::string expired = open + expired_ca_b64() + "</CA>";
    std::string only = xml.substr(0, a) + expired + xml.substr(b + 5);
    std::string both = xml.substr(0, a) + expired + xml.substr(a);
    auto dropped = [](const sdvm_cat_provider &p) {
        for (size_t i = 0; i < p.n_warnings; i++)
            if (std::strstr(p.warnings[i], "expired; dropped"))
                return true;
        return false;
    };
    Doc d1(only.data(), only.size());
    ASSERT_EQ(0, d1.rc) << d1.error;
    EXPECT_EQ(SDVM_FAILURE_INSECURE_PROFILE, d1.p().failure);
    EXPECT_TRUE(dropped(d1.p()));
    Doc d2(both.data(), both.size());
    ASSERT_EQ(0, d2.rc) << d2.error;
    EXPECT_EQ(SDVM_FAILURE_NONE, d2.p().failure) << (d2.p().reason ? d2.p().reason : "");
    EXPECT_TRUE(dropped(d2.p()));
}

TEST(Parser, ExternalEntityIsNeverRead)
{
    // Even inside the element text, nothing of /etc/passwd can show up: parsing stops.
    Doc d("malformed-external-entity.eap-config");
    EXPECT_EQ(nullptr, d.doc);
    EXPECT_EQ(std::string::npos, d.error.find("root:"));
}

TEST(Parser, HugeDocumentIsRefusedBeforeParsing)
{
    std::string big(SDVM_CAT_MAX_DOCUMENT + 1, ' ');
    Doc d(big.data(), big.size());
    EXPECT_EQ(-EFBIG, d.rc);
    EXPECT_NE(std::string::npos, d.error.find("bytes"));
}

TEST(Parser, EmptyAndNul)
{
    Doc e("", 0);
    EXPECT_EQ(-EBADMSG, e.rc);
    const char nul[] = "<EAPIdentityProviderList>\0</EAPIdentityProviderList>";
    Doc n(nul, sizeof(nul) - 1);
    EXPECT_EQ(-EBADMSG, n.rc);
}

TEST(Parser, DeepNestingIsAnErrorNotACrash)
{
    std::string s = "<EAPIdentityProviderList>";
    for (int i = 0; i < 100000; i++)
        s += "<a>";
    Doc d(s.data(), s.size());
    EXPECT_EQ(-EBADMSG, d.rc);
}

TEST(Parser, LenientOnOddButHarmlessInput)
{
    const char xml[] =
        "<EAPIdentityProviderList><EAPIdentityProvider ID=' Uni-X.test ' namespace='x'>"
        "<Unknown><Deep/></Unknown>"
        "<AuthenticationMethods><AuthenticationMethod><EAPMethod><Type>25</Type></EAPMethod>"
        "<ServerSideCredential><CA format='X.509' encoding='base64'>%CA%</CA>"
        "<ServerID> radius.uni-x.test </ServerID><ServerID>RADIUS.uni-x.test</ServerID>"
        "<ServerID>bad;name</ServerID></ServerSideCredential>"
        "<ClientSideCredential><InnerIdentityHint>maybe</InnerIdentityHint>"
        "<OuterIdentity>an on@x</OuterIdentity></ClientSideCredential>"
        "</AuthenticationMethod></AuthenticationMethods>"
        "<ValidUntil>garbage</ValidUntil></EAPIdentityProvider></EAPIdentityProviderList>";
    std::string s = xml;
    std::string ca = slurp(fixture("certs/test-ca-uni-a.b64"));
    s.replace(s.find("%CA%"), 4, ca);
    Doc d(s.data(), s.size());
    ASSERT_EQ(0, d.rc) << d.error;
    EXPECT_STREQ("Uni-X.test", d.p().id);
    const sdvm_cat_method &m = d.chosen();
    EXPECT_EQ(SDVM_INNER_EAP_MSCHAPV2, m.inner); // PEAP without inner: EAP-MSCHAPv2
    ASSERT_EQ(1u, m.n_server_ids);               // trimmed, case-insensitive dedup, ';' dropped
    EXPECT_STREQ("radius.uni-x.test", m.server_ids[0]);
    EXPECT_FALSE(m.inner_hint);
    EXPECT_EQ(nullptr, m.outer_identity);
    EXPECT_EQ(0, d.p().valid_until);
    EXPECT_GE(d.p().n_warnings, 4u);
}

TEST(Parser, CaWithWrongFormatIsIgnored)
{
    std::string ca = slurp(fixture("certs/test-ca-uni-a.b64"));
    std::string s = "<EAPIdentityProviderList><EAPIdentityProvider ID='y.test' namespace='n'>"
                    "<AuthenticationMethods><AuthenticationMethod><EAPMethod><Type>21</Type>"
                    "</EAPMethod><ServerSideCredential><CA format='PKCS7' encoding='base64'>" +
                    ca +
                    "</CA></ServerSideCredential><InnerAuthenticationMethod><NonEAPAuthMethod>"
                    "<Type>1</Type></NonEAPAuthMethod></InnerAuthenticationMethod>"
                    "</AuthenticationMethod></AuthenticationMethods></EAPIdentityProvider>"
                    "</EAPIdentityProviderList>";
    Doc d(s.data(), s.size());
    ASSERT_EQ(0, d.rc) << d.error;
    EXPECT_EQ(SDVM_FAILURE_INSECURE_PROFILE, d.p().failure);
}

TEST(Parser, InnerMethodsTheOuterCannotUse)
{
    // PEAP with a non-EAP inner and TTLS with an unknown inner EAP type are unusable.
    std::string ca = slurp(fixture("certs/test-ca-uni-a.b64"));
    auto doc = [&](int outer, const char *inner) {
        return "<EAPIdentityProviderList><EAPIdentityProvider ID='z.test' namespace='n'>"
               "<AuthenticationMethods><AuthenticationMethod><EAPMethod><Type>" +
               std::to_string(outer) +
               "</Type></EAPMethod><ServerSideCredential><CA format='X.509' encoding='base64'>" +
               ca + "</CA></ServerSideCredential>" + inner +
               "</AuthenticationMethod></AuthenticationMethods></EAPIdentityProvider>"
               "</EAPIdentityProviderList>";
    };
    std::string a = doc(25, "<InnerAuthenticationMethod><NonEAPAuthMethod><Type>1</Type>"
                            "</NonEAPAuthMethod></InnerAuthenticationMethod>");
    Doc da(a.data(), a.size());
    ASSERT_EQ(0, da.rc);
    EXPECT_EQ(SDVM_FAILURE_REALM_UNSUPPORTED, da.p().failure);
    std::string b = doc(21, "<InnerAuthenticationMethod><EAPMethod><Type>4</Type></EAPMethod>"
                            "</InnerAuthenticationMethod>");
    Doc db(b.data(), b.size());
    ASSERT_EQ(0, db.rc);
    EXPECT_EQ(SDVM_FAILURE_REALM_UNSUPPORTED, db.p().failure);
    std::string c = doc(21, "");
    Doc dc(c.data(), c.size());
    ASSERT_EQ(0, dc.rc);
    EXPECT_NE(nullptr, strstr(dc.p().reason, "without an inner method"));
    std::string e = doc(43, "");
    Doc de(e.data(), e.size());
    ASSERT_EQ(0, de.rc);
    EXPECT_NE(nullptr, strstr(de.p().reason, "EAP-FAST"));
}

TEST(Parser, EveryPrefixOfAFixtureIsHandled)
{
    // Truncation at any byte: an error or a document, never a crash or a leak (ASan).
    std::string raw = slurp(fixture("ttls-mschapv2.eap-config"));
    size_t ok = 0;
    for (size_t n = 0; n < raw.size(); n += 7) {
        Doc d(raw.data(), n);
        if (d.rc == 0) {
            ok++;
        } else {
            EXPECT_FALSE(d.error.empty());
        }
    }
    EXPECT_EQ(0u, ok);
}

} // namespace
