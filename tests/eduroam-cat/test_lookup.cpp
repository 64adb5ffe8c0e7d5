// Realm lookup: case, sub-realms, InnerIdentityHint, realms.d precedence and overrides,
// unknown realms, and the content-addressed CA bundle (written once, 0644, atomically).
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <string>

#include <dirent.h>
#include <openssl/sha.h>
#include <sys/stat.h>

extern "C" {
#include "sdvm/cat.h"
#include "sdvm/realms.h"
}

#include "cat-test-util.h"

namespace {

struct Env {
    TempDir tmp;
    std::string db, realms_d, ca;
    Env()
    {
        db = tmp / "realms.db";
        realms_d = tmp / "realms.d";
        ca = tmp / "ca";
        mkdir(realms_d.c_str(), 0755);
        char *error = nullptr;
        EXPECT_EQ(0, sdvm_cat_db_build_dir(fixture("").c_str(), db.c_str(), nullptr, nullptr,
                                           &error))
            << (error ? error : "");
        free(error);
    }
    void conf(const std::string &name, const std::string &text) { spit(realms_d + "/" + name, text); }
};

struct Handle {
    sdvm_realms *r = nullptr;
    int rc;
    std::string error;
    Handle(const Env &e, bool with_ca = true, bool with_dir = true)
    {
        char *err = nullptr;
        rc = sdvm_realms_open(with_dir ? e.realms_d.c_str() : nullptr, e.db.c_str(),
                              with_ca ? e.ca.c_str() : nullptr, &r, &err);
        if (err)
            error = err;
        free(err);
    }
    ~Handle() { sdvm_realms_free(r); }
};

struct Result {
    sdvm_failure f;
    sdvm_auth_profile *p = nullptr;
    std::string detail;
    Result(sdvm_realms *r, const char *realm)
    {
        char *d = nullptr;
        f = sdvm_realms_lookup(r, realm, &p, &d);
        if (d)
            detail = d;
        free(d);
    }
    ~Result() { sdvm_auth_profile_free(p); }
};

TEST(Lookup, CaseInsensitive)
{
    Env e;
    Handle h(e);
    ASSERT_EQ(0, h.rc) << h.error;
    for (const char *realm : {"uni-a.test", "UNI-A.TEST", "Uni-A.Test"}) {
        Result r(h.r, realm);
        ASSERT_EQ(SDVM_FAILURE_NONE, r.f) << realm << ": " << r.detail;
        EXPECT_STREQ("uni-a.test", r.p->realm);
        EXPECT_EQ(SDVM_EAP_TTLS, r.p->eap);
        EXPECT_EQ(SDVM_INNER_PAP, r.p->inner);
    }
    // The ID itself was mixed case in the file.
    Result c(h.r, "uni-c.TEST");
    ASSERT_EQ(SDVM_FAILURE_NONE, c.f) << c.detail;
    EXPECT_STREQ("uni-c.test", c.p->realm);
}

TEST(Lookup, SubRealmsWalkUpToTwoLabels)
{
    Env e;
    Handle h(e);
    ASSERT_EQ(0, h.rc) << h.error;
    for (const char *realm : {"cs.uni-a.test", "a.b.c.uni-a.test", "Students.UNI-A.test"}) {
        Result r(h.r, realm);
        ASSERT_EQ(SDVM_FAILURE_NONE, r.f) << realm << ": " << r.detail;
        EXPECT_STREQ("uni-a.test", r.p->realm);
    }
    // No single-label parent: "test" is never a realm.
    Result t(h.r, "nowhere.test");
    EXPECT_EQ(SDVM_FAILURE_UNKNOWN_REALM, t.f);
    Result one(h.r, "test");
    EXPECT_EQ(SDVM_FAILURE_INVALID_NAI, one.f);
    EXPECT_FALSE(one.detail.empty());
}

TEST(Lookup, HintForbidsSubRealms)
{
    Env e;
    Handle h(e);
    ASSERT_EQ(0, h.rc);
    Result exact(h.r, "uni-b.test");
    EXPECT_EQ(SDVM_FAILURE_NONE, exact.f) << exact.detail;
    Result sub(h.r, "staff.uni-b.test");
    EXPECT_EQ(SDVM_FAILURE_UNKNOWN_REALM, sub.f);
    EXPECT_NE(std::string::npos, sub.detail.find("does not accept sub-realms")) << sub.detail;
    // EAP-pwd fixture: InnerIdentityHint=1 as well.
    Result pwd(h.r, "x.pwd.uni-k.test");
    EXPECT_EQ(SDVM_FAILURE_UNKNOWN_REALM, pwd.f);
}

TEST(Lookup, UnknownUnsupportedInsecure)
{
    Env e;
    Handle h(e);
    ASSERT_EQ(0, h.rc);
    Result u(h.r, "no-such-uni.test");
    EXPECT_EQ(SDVM_FAILURE_UNKNOWN_REALM, u.f);
    EXPECT_EQ(nullptr, u.p);
    EXPECT_NE(std::string::npos, u.detail.find("no-such-uni.test"));
    Result tls(h.r, "tls.uni-g.test");
    EXPECT_EQ(SDVM_FAILURE_REALM_UNSUPPORTED, tls.f);
    EXPECT_NE(std::string::npos, tls.detail.find("client certificate")) << tls.detail;
    Result lw(h.r, "LW.uni-h.test");
    EXPECT_EQ(SDVM_FAILURE_REALM_UNSUPPORTED, lw.f);
    Result noca(h.r, "noca.uni-i.test");
    EXPECT_EQ(SDVM_FAILURE_INSECURE_PROFILE, noca.f);
    EXPECT_NE(std::string::npos, noca.detail.find("could not be verified"));
    Result bad(h.r, "bad realm.test");
    EXPECT_EQ(SDVM_FAILURE_INVALID_NAI, bad.f);
}

// ValidUntil is enforced (issue 15 §5): a CAT profile past it is PROFILE_EXPIRED, with its own
// reason; one still valid is used.
TEST(Lookup, ExpiredProfileIsRefused)
{
    TempDir tmp;
    std::string xml = slurp(fixture("ttls-pap.eap-config"));
    const std::string tag = "version=\"1\">";
    size_t at = xml.find(tag);
    ASSERT_NE(std::string::npos, at);
    std::string expired = xml, valid = xml;
    expired.insert(at + tag.size(), "<ValidUntil>2001-01-01T00:00:00Z</ValidUntil>");
    valid.insert(at + tag.size(), "<ValidUntil>2099-01-01T00:00:00Z</ValidUntil>");
    mkdir((tmp / "in").c_str(), 0755);
    for (const auto &[name, text] : {std::pair<std::string, std::string>{"expired", expired},
                                     {"valid", valid}}) {
        spit(tmp / ("in/" + name + ".eap-config"), text);
        std::string db = tmp / (name + ".db");
        char *error = nullptr;
        ASSERT_EQ(0, sdvm_cat_db_build_dir((tmp / "in").c_str(), db.c_str(), nullptr, nullptr,
                                           &error))
            << (error ? error : "");
        free(error);
        unlink((tmp / ("in/" + name + ".eap-config")).c_str());
        sdvm_realms *r = nullptr;
        char *err = nullptr;
        ASSERT_EQ(0, sdvm_realms_open(nullptr, db.c_str(), (tmp / "ca").c_str(), &r, &err))
            << (err ? err : "");
        free(err);
        Result res(r, "uni-a.test");
        if (name == "expired") {
            EXPECT_EQ(SDVM_FAILURE_PROFILE_EXPIRED, res.f);
            EXPECT_NE(std::string::npos, res.detail.find("expired")) << res.detail;
            EXPECT_STREQ("PROFILE_EXPIRED", sdvm_failure_to_string(res.f));
        } else {
            EXPECT_EQ(SDVM_FAILURE_NONE, res.f) << res.detail;
        }
        sdvm_realms_free(r);
    }
}

TEST(Lookup, ProfileCarriesWhatNmGlueNeeds)
{
    Env e;
    Handle h(e);
    ASSERT_EQ(0, h.rc);
    Result b(h.r, "uni-b.test");
    ASSERT_EQ(SDVM_FAILURE_NONE, b.f) << b.detail;
    const sdvm_auth_profile *p = b.p;
    EXPECT_EQ(SDVM_EAP_TTLS, p->eap);
    EXPECT_EQ(SDVM_INNER_MSCHAPV2, p->inner);
    EXPECT_STREQ("@uni-b.test", p->anonymous_identity);
    ASSERT_NE(nullptr, p->server_names);
    EXPECT_STREQ("radius1.uni-b.test", p->server_names[0]);
    EXPECT_STREQ("radius2.uni-b.test", p->server_names[1]);
    EXPECT_EQ(nullptr, p->server_names[2]);
    EXPECT_FALSE(p->server_names_exact);
    EXPECT_FALSE(p->allow_insecure);
    EXPECT_EQ(0u, p->phase1_flags);
    ASSERT_NE(nullptr, p->ca_bundle_path);
    EXPECT_EQ('/', p->ca_bundle_path[0]);
    EXPECT_STREQ("University B (test)", p->institution);
    EXPECT_STREQ("eduroam@uni-b.test", p->helpdesk_email);
    EXPECT_STREQ("+99 200 3000", p->helpdesk_phone);
    EXPECT_EQ(nullptr, p->helpdesk_url);
    // The bundle holds the root and the intermediate, in the file's order.
    std::string bundle = slurp(p->ca_bundle_path);
    EXPECT_EQ(slurp(fixture("certs/test-ca-uni-b-root.pem")) +
                  slurp(fixture("certs/test-ca-uni-b-intermediate.pem")),
              bundle);
}

TEST(Lookup, RealmsDTakesPrecedence)
{
    Env e;
    e.conf("10-home.conf", "# the home institution\n[Realm]\nName=UNI-A.test\nMethod=peap\n"
                           "AnonymousIdentity=\nCaFile=" +
                               fixture("certs/test-ca-local.pem") +
                               "\nServerNames=radius1.home.test;radius2.home.test\n"
                               "ServerNamesExact=true\nTlsMin=1.2\nDisplayName=Home\n");
    Handle h(e);
    ASSERT_EQ(0, h.rc) << h.error;
    EXPECT_EQ(1u, sdvm_realms_local_count(h.r));
    Result r(h.r, "uni-a.test");
    ASSERT_EQ(SDVM_FAILURE_NONE, r.f) << r.detail;
    EXPECT_STREQ("realms.d/10-home.conf", r.p->source);
    EXPECT_EQ(SDVM_EAP_PEAP, r.p->eap);
    EXPECT_EQ(SDVM_INNER_EAP_MSCHAPV2, r.p->inner);
    EXPECT_EQ(nullptr, r.p->anonymous_identity);
    EXPECT_TRUE(r.p->server_names_exact);
    EXPECT_STREQ("radius2.home.test", r.p->server_names[1]);
    EXPECT_EQ(static_cast<uint32_t>(SDVM_PHASE1_TLS_1_0_DISABLE | SDVM_PHASE1_TLS_1_1_DISABLE),
              r.p->phase1_flags);
    EXPECT_STREQ("Home", r.p->institution);
    EXPECT_EQ(slurp(fixture("certs/test-ca-local.pem")), slurp(r.p->ca_bundle_path));
    // Its sub-realms too (SubRealms defaults to true).
    Result sub(h.r, "cs.uni-a.test");
    ASSERT_EQ(SDVM_FAILURE_NONE, sub.f);
    EXPECT_STREQ("realms.d/10-home.conf", sub.p->source);
}

TEST(Lookup, MostSpecificRealmWinsAcrossSources)
{
    Env e;
    e.conf("lab.conf", "[Realm]\nName=lab.uni-d.test\nMethod=ttls\nInner=pap\nSubRealms=false\n"
                       "ServerNames=radius.lab.uni-d.test\nCaFile=" +
                           fixture("certs/test-ca-local.pem") + "\n");
    Handle h(e);
    ASSERT_EQ(0, h.rc) << h.error;
    Result lab(h.r, "lab.uni-d.test");
    ASSERT_EQ(SDVM_FAILURE_NONE, lab.f);
    EXPECT_STREQ("realms.d/lab.conf", lab.p->source);
    // SubRealms=false: x.lab.uni-d.test falls through to the database's uni-d.test.
    Result x(h.r, "x.lab.uni-d.test");
    ASSERT_EQ(SDVM_FAILURE_NONE, x.f) << x.detail;
    EXPECT_STREQ("cat-db:peap.eap-config", x.p->source);
    EXPECT_STREQ("uni-d.test", x.p->realm);
}

TEST(Lookup, OverrideOfACatRealm)
{
    Env e;
    e.conf("uni-c.conf", "[Realm]\nName=uni-c.test\nFromCat=true\nTlsMin=1.0\nTlsMax=1.2\n"
                         "ServerNames=radius.uni-c.test\nServerNamesExact=true\n");
    Handle h(e);
    ASSERT_EQ(0, h.rc) << h.error;
    Result r(h.r, "uni-c.test");
    ASSERT_EQ(SDVM_FAILURE_NONE, r.f) << r.detail;
    EXPECT_STREQ("realms.d/uni-c.conf over cat-db:ttls-eap-mschapv2.eap-config", r.p->source);
    EXPECT_EQ(SDVM_EAP_TTLS, r.p->eap);              // from CAT
    EXPECT_EQ(SDVM_INNER_MSCHAPV2, r.p->inner);      // from CAT
    EXPECT_STREQ("anonymous@uni-c.test", r.p->anonymous_identity);
    EXPECT_EQ(static_cast<uint32_t>(SDVM_PHASE1_TLS_1_0_ENABLE | SDVM_PHASE1_TLS_1_1_ENABLE |
                                    SDVM_PHASE1_TLS_1_3_DISABLE),
              r.p->phase1_flags);                    // from realms.d
    EXPECT_TRUE(r.p->server_names_exact);
    EXPECT_EQ(slurp(fixture("certs/test-ca-shared.pem")), slurp(r.p->ca_bundle_path));

    // An override of a realm the database does not have, without its own method.
    Env e2;
    e2.conf("ghost.conf", "[Realm]\nName=ghost.test\nFromCat=true\nTlsMin=1.0\n");
    Handle h2(e2);
    ASSERT_EQ(0, h2.rc) << h2.error;
    Result g(h2.r, "ghost.test");
    EXPECT_EQ(SDVM_FAILURE_UNKNOWN_REALM, g.f);
    EXPECT_NE(std::string::npos, g.detail.find("ghost.conf"));
}

TEST(Lookup, LocalRealmWithoutCa)
{
    Env e;
    e.conf("a.conf", "[Realm]\nName=open.test\nMethod=ttls\nInner=pap\n");
    e.conf("b.conf", "[Realm one]\nName=allowed.test\nMethod=peap\nAllowInsecure=true\n"
                     "[Realm two]\nName=inline.test\nMethod=ttls\nInner=mschapv2\n"
                     "ServerNames=radius.inline.test\nCaCert=" +
                         slurp(fixture("certs/test-ca-local.b64")) + "\n");
    Handle h(e);
    ASSERT_EQ(0, h.rc) << h.error;
    EXPECT_EQ(3u, sdvm_realms_local_count(h.r));
    Result open(h.r, "open.test");
    EXPECT_EQ(SDVM_FAILURE_INSECURE_PROFILE, open.f);
    EXPECT_NE(std::string::npos, open.detail.find("AllowInsecure")) << open.detail;
    Result allowed(h.r, "allowed.test");
    ASSERT_EQ(SDVM_FAILURE_NONE, allowed.f) << allowed.detail;
    EXPECT_TRUE(allowed.p->allow_insecure);
    EXPECT_EQ(nullptr, allowed.p->ca_bundle_path);
    Result in(h.r, "inline.test");
    ASSERT_EQ(SDVM_FAILURE_NONE, in.f) << in.detail;
    EXPECT_EQ(slurp(fixture("certs/test-ca-local.pem")), slurp(in.p->ca_bundle_path));
}

// AllowUnprotectedWired= reaches the profile (the wired policy's per-realm opt-in), also in
// an override of a CAT profile's keys; default false.
TEST(Lookup, LocalRealmWiredOptIn)
{
    Env e;
    const std::string ca = "CaCert=" + slurp(fixture("certs/test-ca-local.b64")) + "\n";
    e.conf("a.conf", "[Realm one]\nName=pap.test\nMethod=ttls\nInner=pap\n"
                     "ServerNames=radius.pap.test\nAllowUnprotectedWired=true\n" + ca +
                         "[Realm two]\nName=plain.test\nMethod=ttls\nInner=pap\n"
                         "ServerNames=radius.plain.test\n" + ca);
    Handle h(e);
    ASSERT_EQ(0, h.rc) << h.error;
    Result pap(h.r, "pap.test");
    ASSERT_EQ(SDVM_FAILURE_NONE, pap.f) << pap.detail;
    EXPECT_TRUE(pap.p->allow_unprotected_wired);
    Result plain(h.r, "plain.test");
    ASSERT_EQ(SDVM_FAILURE_NONE, plain.f) << plain.detail;
    EXPECT_FALSE(plain.p->allow_unprotected_wired);
}

struct BadConf {
    const char *text;
    const char *message;
};

class BadRealmsD : public ::testing::TestWithParam<BadConf> {};

TEST_P(BadRealmsD, OpenFailsNamingFileAndKey)
{
    Env e;
    e.conf("bad.conf", GetParam().text);
    Handle h(e);
    EXPECT_EQ(-EINVAL, h.rc);
    EXPECT_EQ(nullptr, h.r);
    EXPECT_NE(std::string::npos, h.error.find("bad.conf")) << h.error;
    EXPECT_NE(std::string::npos, h.error.find(GetParam().message)) << h.error;
}

const BadConf bad_confs[] = {
    {"[Realm]\nName=x.test\nMethod=ttls\nInner=pap\nColour=blue\n", "unknown key Colour"},
    {"[Realm]\nMethod=peap\n", "Name="},
    {"[Realm]\nName=nodot\nMethod=peap\n", "Name=nodot"},
    {"[Realm]\nName=x.test\nMethod=tls\n", "Method=tls"},
    {"[Realm]\nName=x.test\nMethod=ttls\n", "needs Inner="},
    {"[Realm]\nName=x.test\nMethod=peap\nInner=pap\n", "PEAP takes"},
    {"[Realm]\nName=x.test\n", "Method= is missing"},
    {"[Realm]\nName=x.test\nMethod=peap\nTlsMin=1.4\n", "TlsMin=1.4"},
    {"[Realm]\nName=x.test\nMethod=peap\nTlsMin=1.3\nTlsMax=1.2\n", "above"},
    {"[Realm]\nName=x.test\nMethod=peap\nAllowInsecure=yes\n", "true or false"},
    {"[Realm]\nName=x.test\nMethod=ttls\nAllowUnprotectedWired=pap\n", "true or false"},
    {"[Realm]\nName=x.test\nMethod=peap\nCaFile=/nonexistent/ca.pem\n", "CaFile="},
    {"[Realm]\nName=x.test\nMethod=peap\nCaCert=bm90IGEgY2VydA==\n", "CaCert"},
    {"[Server]\nName=x.test\n", "unknown section"},
    {"[Realm]\nName=x.test\nMethod=peap\n[Realm 2]\nName=X.TEST\nMethod=peap\n", "twice"},
    {"this is not an ini file\n", "bad.conf"},
};

INSTANTIATE_TEST_SUITE_P(Files, BadRealmsD, ::testing::ValuesIn(bad_confs));

TEST(Lookup, ExampleConfigurationIsValid)
{
    // packaging/realms.d/example.conf is what administrators copy: it must load.
    const char *src = std::getenv("SDVM_SOURCE_DIR");
    std::string dir = std::string(src ? src : ".") + "/packaging/realms.d";
    sdvm_realms *r = nullptr;
    char *error = nullptr;
    ASSERT_EQ(0, sdvm_realms_open(dir.c_str(), nullptr, nullptr, &r, &error))
        << (error ? error : "");
    EXPECT_GE(sdvm_realms_local_count(r), 1u);
    sdvm_realms_free(r);
}

// ----- the CA bundle file -----

std::string
sha256_hex(const std::string &data)
{
    unsigned char d[32];
    SHA256(reinterpret_cast<const unsigned char *>(data.data()), data.size(), d);
    char hex[65];
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
    return hex;
}

int
count_entries(const std::string &dir)
{
    DIR *d = opendir(dir.c_str());
    if (!d)
        return -1;
    int n = 0;
    while (struct dirent *e = readdir(d))
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

TEST(CaBundle, ContentAddressedRootOwnedWrittenOnce)
{
    Env e;
    struct stat first;
    std::string path;
    {
        Handle h(e);
        ASSERT_EQ(0, h.rc);
        Result r(h.r, "uni-b.test");
        ASSERT_EQ(SDVM_FAILURE_NONE, r.f) << r.detail;
        path = r.p->ca_bundle_path;
        std::string content = slurp(path);
        EXPECT_EQ(e.ca + "/" + sha256_hex(content) + ".pem", path);
        ASSERT_EQ(0, stat(path.c_str(), &first));
        EXPECT_EQ(0644u, first.st_mode & 07777);
        EXPECT_EQ(geteuid(), first.st_uid); // root in production
        EXPECT_TRUE(S_ISREG(first.st_mode));
        // Looked up again: the same file, not rewritten.
        Result again(h.r, "UNI-B.test");
        ASSERT_EQ(SDVM_FAILURE_NONE, again.f);
        EXPECT_EQ(path, again.p->ca_bundle_path);
    }
    {
        // A new handle (sdvmd restarted) reuses the file on disk.
        Handle h(e);
        Result r(h.r, "uni-b.test");
        ASSERT_EQ(SDVM_FAILURE_NONE, r.f);
        struct stat st;
        ASSERT_EQ(0, stat(path.c_str(), &st));
        EXPECT_EQ(first.st_ino, st.st_ino);
        EXPECT_EQ(first.st_mtim.tv_nsec, st.st_mtim.tv_nsec);
    }
    EXPECT_EQ(1, count_entries(e.ca)); // no temp files left behind
}

TEST(CaBundle, SameCaSetSameFile)
{
    Env e;
    Handle h(e);
    // uni-c (compat TTLS) and uni-d (PEAP) both trust only the shared federation root.
    Result c(h.r, "uni-c.test");
    Result d(h.r, "uni-d.test");
    ASSERT_EQ(SDVM_FAILURE_NONE, c.f);
    ASSERT_EQ(SDVM_FAILURE_NONE, d.f);
    EXPECT_STREQ(c.p->ca_bundle_path, d.p->ca_bundle_path);
    Result a(h.r, "uni-a.test");
    EXPECT_STRNE(a.p->ca_bundle_path, d.p->ca_bundle_path);
    EXPECT_EQ(2, count_entries(e.ca));
}

TEST(CaBundle, DamagedFileIsReplacedAtomically)
{
    Env e;
    std::string path;
    {
        Handle h(e);
        Result r(h.r, "uni-a.test");
        ASSERT_EQ(SDVM_FAILURE_NONE, r.f);
        path = r.p->ca_bundle_path;
    }
    std::string good = slurp(path);
    // Truncated (e.g. someone edited it) and the wrong mode: both are rewritten.
    spit(path, good.substr(0, 10));
    chmod(path.c_str(), 0600);
    struct stat before;
    ASSERT_EQ(0, stat(path.c_str(), &before));
    {
        Handle h(e);
        Result r(h.r, "uni-a.test");
        ASSERT_EQ(SDVM_FAILURE_NONE, r.f);
        EXPECT_EQ(path, r.p->ca_bundle_path);
    }
    struct stat after;
    ASSERT_EQ(0, stat(path.c_str(), &after));
    EXPECT_NE(before.st_ino, after.st_ino); // renamed into place
    EXPECT_EQ(0644u, after.st_mode & 07777);
    EXPECT_EQ(good, slurp(path));
    EXPECT_EQ(1, count_entries(e.ca));
}

TEST(CaBundle, NoCaDirNoFile)
{
    Env e;
    Handle h(e, false);
    Result r(h.r, "uni-a.test");
    ASSERT_EQ(SDVM_FAILURE_NONE, r.f);
    EXPECT_EQ(nullptr, r.p->ca_bundle_path);
    EXPECT_EQ(-1, count_entries(e.ca));
}

TEST(CaBundle, UnwritableCaDirIsAnInternalFailure)
{
    Env e;
    spit(e.ca, "a file where the directory should be");
    Handle h(e);
    Result r(h.r, "uni-a.test");
    EXPECT_EQ(SDVM_FAILURE_INTERNAL, r.f);
    EXPECT_NE(std::string::npos, r.detail.find("CA bundle")) << r.detail;
}

TEST(Explain, SaysWhatALoginWouldUse)
{
    Env e;
    Handle h(e, false);
    sdvm_realm_explain *x = nullptr;
    ASSERT_EQ(0, sdvm_realms_explain(h.r, "cs.UNI-C.test", &x));
    EXPECT_EQ(SDVM_FAILURE_NONE, x->failure);
    EXPECT_STREQ("uni-c.test", x->matched_key);
    EXPECT_TRUE(x->from_parent);
    EXPECT_TRUE(x->cat_compat);
    ASSERT_NE(nullptr, x->ca_fingerprints);
    EXPECT_EQ(95u, strlen(x->ca_fingerprints[0]));
    EXPECT_EQ(nullptr, x->ca_fingerprints[1]);
    EXPECT_NE(nullptr, strstr(x->ca_subjects[0], "Shared Federation Root"));
    sdvm_realm_explain_free(x);
    ASSERT_EQ(0, sdvm_realms_explain(h.r, "tls.uni-g.test", &x));
    EXPECT_EQ(SDVM_FAILURE_REALM_UNSUPPORTED, x->failure);
    EXPECT_EQ(nullptr, x->profile);
    sdvm_realm_explain_free(x);
}

// Review M1/M2: a public suffix is never a parent; the server-validation rule is core's (the
// one nm-glue applies at login), for realms.d as for CAT data.
TEST(Lookup, PublicSuffixIsNeverAParent)
{
    Env e;
    e.conf("a.conf", "[Realm]\nName=ac.uk\nSubRealms=true\nMethod=pwd\n");
    Handle h(e);
    ASSERT_EQ(0, h.rc) << h.error;
    Result x(h.r, "otheruni.ac.uk");
    EXPECT_EQ(SDVM_FAILURE_UNKNOWN_REALM, x.f);
    EXPECT_NE(std::string::npos, x.detail.find("ac.uk is a public suffix")) << x.detail;
}

TEST(Lookup, ServerNamesFollowTheLoginRule)
{
    Env e;
    std::string ca = "CaFile=" + fixture("certs/test-ca-local.pem") + "\n";
    e.conf("a.conf", "[Realm 1]\nName=wild.test\nMethod=peap\nServerNames=*.wild.test\n" + ca +
                         "[Realm 2]\nName=single.test\nMethod=peap\nServerNames=test\n" + ca +
                         "[Realm 3]\nName=none.test\nMethod=peap\n" + ca +
                         "[Realm 4]\nName=ok.test\nMethod=peap\nServerNames=DNS:radius.ok.test\n" +
                         ca);
    Handle h(e);
    ASSERT_EQ(0, h.rc) << h.error;
    Result wild(h.r, "wild.test");
    EXPECT_EQ(SDVM_FAILURE_INSECURE_PROFILE, wild.f);
    EXPECT_NE(std::string::npos, wild.detail.find("has a '*'")) << wild.detail;
    Result single(h.r, "single.test");
    EXPECT_EQ(SDVM_FAILURE_INSECURE_PROFILE, single.f);
    EXPECT_NE(std::string::npos, single.detail.find("single label")) << single.detail;
    Result none(h.r, "none.test");
    EXPECT_EQ(SDVM_FAILURE_INSECURE_PROFILE, none.f);
    EXPECT_NE(std::string::npos, none.detail.find("a CA but no server name")) << none.detail;
    Result ok(h.r, "ok.test");
    EXPECT_EQ(SDVM_FAILURE_NONE, ok.f) << ok.detail;
    // The same verdicts from the shared rule itself.
    EXPECT_NE(nullptr, sdvm_server_name_problem("*.x.org"));
    EXPECT_NE(nullptr, sdvm_server_name_problem("org"));
    EXPECT_NE(nullptr, sdvm_server_name_problem("a;b.org"));
    EXPECT_EQ(nullptr, sdvm_server_name_problem("DNS:radius.x.org"));
}

// Review M1: the outer identity routes the login; CAT data cannot send it elsewhere.
TEST(Lookup, OuterIdentityStaysInTheLoginsRealm)
{
    Env e;
    // uni-a.test's CAT profile says anonymous@uni-a.test: fine for uni-a.test and below.
    Handle h(e);
    Result own(h.r, "uni-a.test");
    ASSERT_EQ(SDVM_FAILURE_NONE, own.f) << own.detail;
    EXPECT_STREQ("anonymous@uni-a.test", own.p->anonymous_identity);
    EXPECT_EQ("", own.detail);
    Result sub(h.r, "cs.uni-a.test");
    ASSERT_EQ(SDVM_FAILURE_NONE, sub.f) << sub.detail;
    EXPECT_STREQ("anonymous@uni-a.test", sub.p->anonymous_identity);

    TempDir tmp;
    std::string dir = tmp / "cat";
    mkdir(dir.c_str(), 0755);
    spit(dir + "/x.eap-config",
         "<EAPIdentityProviderList><EAPIdentityProvider ID='uni.test' namespace='n'>"
         "<AuthenticationMethods><AuthenticationMethod><EAPMethod><Type>25</Type></EAPMethod>"
         "<ServerSideCredential><CA format='X.509' encoding='base64'>" +
             slurp(fixture("certs/test-ca-uni-a.b64")) +
             "</CA><ServerID>radius.uni.test</ServerID></ServerSideCredential>"
             "<ClientSideCredential><OuterIdentity>anonymous@evil.test</OuterIdentity>"
             "</ClientSideCredential></AuthenticationMethod></AuthenticationMethods>"
             "</EAPIdentityProvider></EAPIdentityProviderList>");
    std::string db = tmp / "x.db";
    ASSERT_EQ(0, sdvm_cat_db_build_dir(dir.c_str(), db.c_str(), nullptr, nullptr, nullptr));
    sdvm_realms *r = nullptr;
    ASSERT_EQ(0, sdvm_realms_open(nullptr, db.c_str(), nullptr, &r, nullptr));
    Result foreign(r, "Dept.Uni.test");
    ASSERT_EQ(SDVM_FAILURE_NONE, foreign.f) << foreign.detail;
    EXPECT_STREQ("@dept.uni.test", foreign.p->anonymous_identity);
    EXPECT_NE(std::string::npos, foreign.detail.find("anonymous@evil.test")) << foreign.detail;
    sdvm_realm_explain *x = nullptr;
    ASSERT_EQ(0, sdvm_realms_explain(r, "uni.test", &x));
    ASSERT_EQ(SDVM_FAILURE_NONE, x->failure);
    EXPECT_STREQ("@uni.test", x->profile->anonymous_identity);
    ASSERT_NE(nullptr, x->outer_note);
    EXPECT_NE(nullptr, strstr(x->outer_note, "belongs to another realm"));
    sdvm_realm_explain_free(x);
    sdvm_realms_free(r);
}

} // namespace
