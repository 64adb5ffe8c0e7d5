// Realm database: build report, round trip through the file, de-duplication, atomic replace,
// and corrupt files refused without a crash.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include <dirent.h>
#include <sys/stat.h>

extern "C" {
#include "sdvm/cat.h"
#include "sdvm/realms.h"
}

#include "cat-test-util.h"

namespace {

struct Report {
    std::multimap<std::string, std::pair<bool, std::string>> lines;
    static void fn(const char *source, bool kept, const char *what, void *userdata)
    {
        static_cast<Report *>(userdata)->lines.emplace(source, std::make_pair(kept, what));
    }
    bool has(const std::string &source, bool kept, const std::string &piece) const
    {
        auto range = lines.equal_range(source);
        for (auto it = range.first; it != range.second; ++it)
            if (it->second.first == kept && it->second.second.find(piece) != std::string::npos)
                return true;
        return false;
    }
};

std::string
build_fixtures(const TempDir &tmp, Report *report = nullptr)
{
    std::string out = tmp / "realms.db";
    char *error = nullptr;
    int rc = sdvm_cat_db_build_dir(fixture("").c_str(), out.c_str(),
                                   report ? Report::fn : nullptr, report, &error);
    EXPECT_EQ(0, rc) << (error ? error : "");
    free(error);
    return out;
}

TEST(Database, BuildReportsEveryFile)
{
    TempDir tmp;
    Report r;
    build_fixtures(tmp, &r);
    EXPECT_TRUE(r.has("ttls-pap.eap-config", true, "realm uni-a.test: ttls/pap"));
    EXPECT_TRUE(r.has("ttls-eap-mschapv2.eap-config", true, "uni-c.test"));
    EXPECT_TRUE(r.has("two-providers.eap-config", true, "realm uni-e.test"));
    EXPECT_TRUE(r.has("two-providers.eap-config", true, "realm partner-e.test"));
    EXPECT_TRUE(r.has("eap-tls-only.eap-config", true, "REALM_UNSUPPORTED"));
    EXPECT_TRUE(r.has("no-ca.eap-config", true, "INSECURE_PROFILE"));
    EXPECT_TRUE(r.has("undefined-id.eap-config", false, "undefined"));
    EXPECT_TRUE(r.has("uni-a-second-profile.eap-config", false, "CONFLICT"));
    EXPECT_TRUE(r.has("malformed-truncated.eap-config", false, "Premature end"));
    EXPECT_TRUE(r.has("malformed-billion-laughs.eap-config", false, "DOCTYPE"));
    EXPECT_TRUE(r.has("malformed-wrong-root.xml", false, "<plist>"));
    // Every file in the folder is accounted for.
    DIR *d = opendir(fixture("").c_str());
    ASSERT_NE(nullptr, d);
    while (struct dirent *e = readdir(d)) {
        std::string n = e->d_name;
        bool eap = n.size() > 11 && n.compare(n.size() - 11, 11, ".eap-config") == 0;
        if (eap) {
            EXPECT_EQ(1u, std::min<size_t>(1, r.lines.count(n))) << n << " not reported";
        }
    }
    closedir(d);
}

TEST(Database, CertificatesAreDeduplicatedAcrossProfiles)
{
    sdvm_cat_db_builder *b = sdvm_cat_db_builder_new();
    ASSERT_NE(nullptr, b);
    for (const char *f : {"ttls-pap.eap-config", "ttls-mschapv2.eap-config",
                          "ttls-eap-mschapv2.eap-config", "peap.eap-config",
                          "two-providers.eap-config", "bad-ca.eap-config"})
        ASSERT_EQ(0, sdvm_cat_db_builder_add_file(b, fixture(f).c_str(), f, nullptr, nullptr));
    // uni-a root, uni-b root, uni-b intermediate, shared root: 4 distinct CAs for 7 realms.
    EXPECT_EQ(4u, sdvm_cat_db_builder_cert_count(b));
    EXPECT_EQ(7u, sdvm_cat_db_builder_realm_count(b));
    sdvm_cat_db_builder_free(b);
}

struct Realms {
    sdvm_realms *r = nullptr;
    std::string error;
    int rc;
    Realms(const char *dir, const char *db, const char *ca)
    {
        char *e = nullptr;
        rc = sdvm_realms_open(dir, db, ca, &r, &e);
        if (e)
            error = e;
        free(e);
    }
    ~Realms() { sdvm_realms_free(r); }
};

TEST(Database, RoundTripMatchesTheParser)
{
    TempDir tmp;
    std::string db = build_fixtures(tmp);
    std::string ca = tmp / "ca";
    Realms r(nullptr, db.c_str(), ca.c_str());
    ASSERT_EQ(0, r.rc) << r.error;
    EXPECT_EQ(11u, sdvm_realms_db_count(r.r));

    for (const char *f : {"ttls-pap.eap-config", "ttls-mschapv2.eap-config",
                          "ttls-eap-mschapv2.eap-config", "peap.eap-config",
                          "two-providers.eap-config", "bad-ca.eap-config", "pwd.eap-config"}) {
        sdvm_cat_document *doc = nullptr;
        ASSERT_EQ(0, sdvm_cat_parse_file(fixture(f).c_str(), &doc, nullptr)) << f;
        for (size_t i = 0; i < doc->n_providers; i++) {
            const sdvm_cat_provider &p = doc->providers[i];
            const sdvm_cat_method &m = p.methods[p.chosen];
            sdvm_auth_profile *prof = nullptr;
            char *detail = nullptr;
            ASSERT_EQ(SDVM_FAILURE_NONE, sdvm_realms_lookup(r.r, p.id, &prof, &detail))
                << f << ": " << (detail ? detail : "");
            free(detail);
            EXPECT_EQ(m.eap, prof->eap) << f;
            EXPECT_EQ(m.inner, prof->inner) << f;
            EXPECT_EQ(std::string("cat-db:") + f, prof->source);
            EXPECT_STREQ(p.display_name, prof->institution);
            if (m.outer_identity) {
                EXPECT_STREQ(m.outer_identity, prof->anonymous_identity);
            } else {
                EXPECT_EQ(nullptr, prof->anonymous_identity);
            }
            EXPECT_EQ(p.helpdesk_email ? std::string(p.helpdesk_email) : "",
                      prof->helpdesk_email ? std::string(prof->helpdesk_email) : "");
            for (size_t k = 0; k < m.n_server_ids; k++) {
                ASSERT_NE(nullptr, prof->server_names);
                EXPECT_STREQ(m.server_ids[k], prof->server_names[k]);
            }
            if (m.n_server_ids) {
                EXPECT_EQ(nullptr, prof->server_names[m.n_server_ids]);
            }
            std::string pem;
            for (size_t k = 0; k < m.n_certs; k++) {
                const sdvm_cat_cert &c = p.certs[m.certs[k]];
                char *one = sdvm_cat_cert_to_pem(c.der, c.der_len);
                pem += one;
                free(one);
            }
            if (m.n_certs) {
                ASSERT_NE(nullptr, prof->ca_bundle_path) << f;
                EXPECT_EQ(pem, slurp(prof->ca_bundle_path));
            } else {
                EXPECT_EQ(nullptr, prof->ca_bundle_path);
            }
            sdvm_auth_profile_free(prof);
        }
        sdvm_cat_document_free(doc);
    }
}

TEST(Database, AtomicReplace)
{
    TempDir tmp;
    std::string out = tmp / "realms.db";
    spit(out, "old database");
    struct stat before;
    ASSERT_EQ(0, stat(out.c_str(), &before));
    Report r;
    build_fixtures(tmp, &r);
    struct stat after;
    ASSERT_EQ(0, stat(out.c_str(), &after));
    EXPECT_NE(before.st_ino, after.st_ino); // renamed over, not rewritten in place
    EXPECT_EQ(0644u, after.st_mode & 07777);
    // Nothing else left in the directory (no temp files).
    DIR *d = opendir(tmp.path.c_str());
    int entries = 0;
    while (struct dirent *e = readdir(d))
        entries += e->d_name[0] != '.';
    closedir(d);
    EXPECT_EQ(1, entries);

    // A build that cannot write leaves the old file alone.
    std::string keep = slurp(out);
    char *error = nullptr;
    std::string bad = tmp / "no-such-dir/realms.db";
    EXPECT_LT(sdvm_cat_db_build_dir(fixture("").c_str(), bad.c_str(), nullptr, nullptr, &error),
              0);
    ASSERT_NE(nullptr, error);
    EXPECT_NE(nullptr, strstr(error, "no-such-dir"));
    free(error);
    EXPECT_EQ(keep, slurp(out));
}

TEST(Database, EmptyDatabase)
{
    TempDir tmp;
    sdvm_cat_db_builder *b = sdvm_cat_db_builder_new();
    std::string out = tmp / "empty.db";
    ASSERT_EQ(0, sdvm_cat_db_builder_write(b, out.c_str(), nullptr));
    sdvm_cat_db_builder_free(b);
    Realms r(nullptr, out.c_str(), nullptr);
    ASSERT_EQ(0, r.rc) << r.error;
    EXPECT_EQ(0u, sdvm_realms_db_count(r.r));
    sdvm_auth_profile *p = nullptr;
    char *detail = nullptr;
    EXPECT_EQ(SDVM_FAILURE_UNKNOWN_REALM, sdvm_realms_lookup(r.r, "uni-a.test", &p, &detail));
    free(detail);
}

TEST(Database, CorruptFilesAreRefused)
{
    TempDir tmp;
    std::string db = build_fixtures(tmp);
    std::string good = slurp(db);
    std::string path = tmp / "bad.db";

    auto open_rc = [&](const std::string &data, std::string *msg) {
        spit(path, data);
        Realms r(nullptr, path.c_str(), nullptr);
        if (msg)
            *msg = r.error;
        return r.rc;
    };
    std::string msg;
    EXPECT_EQ(-EBADMSG, open_rc("", &msg));
    EXPECT_EQ(-EBADMSG, open_rc("SDVMCATD but not really", &msg));
    EXPECT_NE(std::string::npos, msg.find(path)) << msg;
    EXPECT_EQ(-EBADMSG, open_rc(good.substr(0, good.size() - 1), &msg)); // truncated
    EXPECT_NE(std::string::npos, msg.find("truncated")) << msg;
    EXPECT_EQ(-EBADMSG, open_rc(good + "x", &msg));                        // trailing junk
    std::string v2 = good;
    v2[8] = 2;
    EXPECT_EQ(-EBADMSG, open_rc(v2, &msg)); // header checksum catches it first
    // A byte flipped anywhere: refused at open, or (cert section) at lookup; never a crash.
    for (size_t i = 0; i < good.size(); i += 3) {
        std::string bad = good;
        bad[i] = static_cast<char>(bad[i] ^ 0x5a);
        spit(path, bad);
        Realms r(nullptr, path.c_str(), (tmp / "ca").c_str());
        if (r.rc == 0) {
            for (const char *realm : {"uni-a.test", "uni-b.test", "uni-c.test", "x.uni-d.test",
                                      "tls.uni-g.test", "partner-e.test"}) {
                sdvm_auth_profile *p = nullptr;
                char *detail = nullptr;
                sdvm_realms_lookup(r.r, realm, &p, &detail);
                sdvm_auth_profile_free(p);
                free(detail);
            }
        } else {
            EXPECT_EQ(-EBADMSG, r.rc) << "offset " << i;
        }
    }
}

TEST(Database, MissingDatabaseMeansRealmsDOnly)
{
    TempDir tmp;
    Realms r(nullptr, (tmp / "absent.db").c_str(), nullptr);
    ASSERT_EQ(0, r.rc) << r.error;
    EXPECT_EQ(0u, sdvm_realms_db_count(r.r));
}

} // namespace

namespace {

sdvm_cat_document *
parse_text(const std::string &xml)
{
    sdvm_cat_document *doc = nullptr;
    char *error = nullptr;
    int rc = sdvm_cat_parse(xml.data(), xml.size(), &doc, &error);
    EXPECT_EQ(0, rc) << (error ? error : "");
    free(error);
    return doc;
}

std::string
provider_xml(const std::string &id, int eap, bool with_ca, const std::string &suffix)
{
    std::string ca = slurp(fixture("certs/test-ca-uni-a.b64"));
    std::string x = "<EAPIdentityProviderList><EAPIdentityProvider ID='" + id +
                    "' namespace='n'><AuthenticationMethods><AuthenticationMethod><EAPMethod>"
                    "<Type>" + std::to_string(eap) + "</Type></EAPMethod><ServerSideCredential>";
    if (with_ca)
        x += "<CA format='X.509' encoding='base64'>" + ca + "</CA>";
    x += "<ServerID>radius.x.test</ServerID></ServerSideCredential>";
    if (!suffix.empty())
        x += "<ClientSideCredential><InnerIdentitySuffix>" + suffix +
             "</InnerIdentitySuffix></ClientSideCredential>";
    x += "<InnerAuthenticationMethod><EAPMethod><Type>26</Type></EAPMethod>"
         "</InnerAuthenticationMethod></AuthenticationMethod></AuthenticationMethods>"
         "</EAPIdentityProvider></EAPIdentityProviderList>";
    return x;
}

// Who owns a realm (review M1): an InnerIdentitySuffix is indexed only as the ID or a
// sub-realm of it; a usable profile from another file never replaces an unusable one; a
// realm's own ID beats another provider's suffix claim.
TEST(Database, RealmOwnershipRules)
{
    TempDir tmp;
    sdvm_cat_db_builder *b = sdvm_cat_db_builder_new();
    Report r;
    const std::pair<const char *, std::string> docs[] = {
        // No realm in ID: its InnerIdentitySuffix cannot be checked against it.
        {"one", provider_xml("undefined", 25, true, "Suffix-Only.test")},
        // First an insecure profile for dup.test, then a usable one from another file.
        {"two", provider_xml("dup.test", 25, false, "")},
        {"three", provider_xml("DUP.test", 25, true, "")},
        // A suffix that is another institution's realm, and one that is a sub-realm.
        {"four", provider_xml("evil.test", 25, true, "victim.test")},
        {"five", provider_xml("big.test", 25, true, "med.big.test")},
        {"six", provider_xml("med.big.test", 25, true, "")},
        // Public suffixes: as ID (ac.uk), as a sub-realm suffix (a private-section entry).
        {"seven", provider_xml("ac.uk", 25, true, "")},
        {"eight", provider_xml("amazonaws.com", 25, true, "s3.amazonaws.com")},
    };
    std::vector<sdvm_cat_document *> parsed;
    for (auto &d : docs) {
        parsed.push_back(parse_text(d.second));
        ASSERT_NE(nullptr, parsed.back());
        ASSERT_EQ(0, sdvm_cat_db_builder_add(b, d.first, parsed.back(), Report::fn, &r));
    }
    EXPECT_TRUE(r.has("one", false, "no realm ID to check it against"));
    EXPECT_TRUE(r.has("three", false, "CONFLICT: two already defines it"));
    EXPECT_TRUE(r.has("four", false, "InnerIdentitySuffix victim.test is not indexed"));
    EXPECT_TRUE(r.has("six", true, "CONFLICT: it is this provider's own ID"));
    EXPECT_TRUE(r.has("five", false, "CONFLICT: claimed through InnerIdentitySuffix"));
    EXPECT_TRUE(r.has("seven", false, "ID ac.uk is a public suffix"));
    EXPECT_TRUE(r.has("eight", false, "s3.amazonaws.com is not indexed: it is a public suffix"));
    std::string out = tmp / "x.db";
    ASSERT_EQ(0, sdvm_cat_db_builder_write(b, out.c_str(), nullptr));
    sdvm_cat_db_builder_free(b);
    for (auto *d : parsed)
        sdvm_cat_document_free(d);

    Realms realms(nullptr, out.c_str(), nullptr);
    ASSERT_EQ(0, realms.rc) << realms.error;
    auto lookup = [&](const char *realm, std::string *source) {
        sdvm_auth_profile *p = nullptr;
        char *detail = nullptr;
        sdvm_failure f = sdvm_realms_lookup(realms.r, realm, &p, &detail);
        if (source)
            *source = p ? p->source : (detail ? detail : "");
        sdvm_auth_profile_free(p);
        free(detail);
        return f;
    };
    std::string source;
    EXPECT_EQ(SDVM_FAILURE_UNKNOWN_REALM, lookup("suffix-only.test", nullptr));
    EXPECT_EQ(SDVM_FAILURE_INSECURE_PROFILE, lookup("dup.test", &source)) << source;
    EXPECT_NE(std::string::npos, source.find("two")) << source;
    EXPECT_EQ(SDVM_FAILURE_UNKNOWN_REALM, lookup("victim.test", nullptr));
    EXPECT_EQ(SDVM_FAILURE_NONE, lookup("med.big.test", &source));
    EXPECT_EQ("cat-db:six", source);
    EXPECT_EQ(SDVM_FAILURE_UNKNOWN_REALM, lookup("otheruni.ac.uk", &source));
    EXPECT_NE(std::string::npos, source.find("ac.uk is a public suffix")) << source;
    EXPECT_EQ(SDVM_FAILURE_UNKNOWN_REALM, lookup("bucket.s3.amazonaws.com", nullptr));
    EXPECT_EQ(SDVM_FAILURE_NONE, lookup("amazonaws.com", nullptr));
}

} // namespace
