// User id = Base64Url(SHA3-256(normalised NAI)) without padding: committed vectors made with
// openssl + basenc, and the same oracle run live when the tools are installed.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

extern "C" {
#include "sdvm/nai.h"
#include "sdvm/user-id.h"
}

namespace {

std::string
DataPath(const std::string &name)
{
    const char *src = std::getenv("SDVM_SOURCE_DIR");
    return std::string(src ? src : ".") + "/tests/data/core/" + name;
}

struct Vector {
    std::string typed, normalized, id;
};

std::vector<Vector>
LoadVectors()
{
    std::vector<Vector> out;
    std::ifstream in(DataPath("user-id-vectors.tsv"));
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#')
            continue;
        std::istringstream fields(line);
        Vector v;
        std::getline(fields, v.typed, '\t');
        std::getline(fields, v.normalized, '\t');
        std::getline(fields, v.id, '\t');
        out.push_back(v);
    }
    return out;
}

std::string
Id(const std::string &typed)
{
    sdvm_nai *nai = nullptr;
    if (sdvm_nai_parse(typed.data(), typed.size(), 0, &nai, nullptr) != 0)
        return "<invalid>";
    char id[SDVM_USER_ID_SIZE];
    int r = sdvm_user_id(nai, id);
    sdvm_nai_free(nai);
    return r == 0 ? id : "<error>";
}

bool
HaveTool(const char *name)
{
    std::string cmd = std::string("command -v ") + name + " >/dev/null 2>&1";
    return std::system(cmd.c_str()) == 0;
}

} // namespace

TEST(UserId, CommittedVectors)
{
    auto vectors = LoadVectors();
    ASSERT_GE(vectors.size(), 10u) << "vectors file missing: " << DataPath("user-id-vectors.tsv");
    for (const auto &v : vectors) {
        SCOPED_TRACE(v.typed);
        sdvm_nai *nai = nullptr;
        ASSERT_EQ(0, sdvm_nai_parse(v.typed.data(), v.typed.size(), 0, &nai, nullptr));
        EXPECT_EQ(v.normalized, sdvm_nai_normalized(nai));
        sdvm_nai_free(nai);
        std::string id = Id(v.typed);
        EXPECT_EQ(v.id, id);
        EXPECT_EQ(43u, id.size());
        EXPECT_TRUE(sdvm_user_id_is_valid(id.c_str()));
    }
}

TEST(UserId, RealmCaseDoesNotMatterUserCaseDoes)
{
    EXPECT_EQ(Id("alice@example.org"), Id("alice@EXAMPLE.org"));
    EXPECT_NE(Id("alice@example.org"), Id("Alice@example.org"));
}

TEST(UserId, RawBytesAndEdgeCases)
{
    char id[SDVM_USER_ID_SIZE];
    // From guest.md: "alice" -> p9zvmu8mIC_OgqfH1mcq-zoUnbIH2QoH5DfVq8f8me0= (with padding).
    ASSERT_EQ(0, sdvm_user_id_from_bytes("alice", 5, id));
    EXPECT_STREQ("p9zvmu8mIC_OgqfH1mcq-zoUnbIH2QoH5DfVq8f8me0", id);
    // SHA3-256 of the empty string (FIPS 202 example, a7ffc6f8bf1ed766...).
    ASSERT_EQ(0, sdvm_user_id_from_bytes(nullptr, 0, id));
    EXPECT_STREQ("p__G-L8e12ZRwUdWoGHWYvWA_03kO0n6gtgKS4D4Q0o", id);
    EXPECT_EQ(-EINVAL, sdvm_user_id_from_bytes(nullptr, 3, id));
    EXPECT_EQ(-EINVAL, sdvm_user_id(nullptr, id));
}

TEST(UserId, Validity)
{
    EXPECT_TRUE(sdvm_user_id_is_valid("xAxnjQtFYigt1naoByWwAO7dWeb9GovCTXN2GOWdHyM"));
    EXPECT_FALSE(sdvm_user_id_is_valid("xAxnjQtFYigt1naoByWwAO7dWeb9GovCTXN2GOWdHyM="));
    EXPECT_FALSE(sdvm_user_id_is_valid("xAxnjQtFYigt1naoByWwAO7dWeb9GovCTXN2GOWdHy"));
    EXPECT_FALSE(sdvm_user_id_is_valid("xAxnjQtFYigt1naoByWwAO7dWeb9GovCTXN2GOWdHyN")); // low bits set
    EXPECT_FALSE(sdvm_user_id_is_valid("xAxnjQtFYigt1naoByWwAO7dWeb9GovCTXN2GO/dHyM"));
    EXPECT_FALSE(sdvm_user_id_is_valid(".."));
    EXPECT_FALSE(sdvm_user_id_is_valid(""));
    EXPECT_FALSE(sdvm_user_id_is_valid(nullptr));
}

// The oracle itself, run now: catches a vectors file edited by hand.
TEST(UserId, LiveOracle)
{
    if (!HaveTool("openssl") || !HaveTool("basenc"))
        GTEST_SKIP() << "openssl or basenc not installed";
    for (const auto &v : LoadVectors()) {
        SCOPED_TRACE(v.typed);
        // The normalised NAIs in the file have no single quotes except one; pass via a file.
        char path[] = "/tmp/sdvm-userid-XXXXXX";
        int fd = mkstemp(path);
        ASSERT_GE(fd, 0);
        ASSERT_EQ(static_cast<ssize_t>(v.normalized.size()),
                  write(fd, v.normalized.data(), v.normalized.size()));
        close(fd);
        std::string cmd = std::string("openssl dgst -sha3-256 -binary < ") + path +
                          " | basenc --base64url | tr -d '=\\n'";
        FILE *p = popen(cmd.c_str(), "r");
        ASSERT_NE(nullptr, p);
        char buf[128] = {0};
        size_t n = fread(buf, 1, sizeof(buf) - 1, p);
        pclose(p);
        unlink(path);
        EXPECT_EQ(std::string(buf, n), Id(v.typed));
    }
}
