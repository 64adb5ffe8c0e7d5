// NAI parsing (RFC 7542 subset, see core/include/sdvm/nai.h): accepted forms, normalisation,
// and every numbered rejection, including hostile input.
#include <gtest/gtest.h>

#include <cerrno>
#include <set>
#include <string>

extern "C" {
#include "sdvm/nai.h"
}

namespace {

struct RejectCase {
    std::string input;
    sdvm_nai_reject reject;
};

void
ExpectReject(const std::string &input, sdvm_nai_reject want, unsigned flags = 0)
{
    SCOPED_TRACE("input: \"" + input + "\"");
    EXPECT_EQ(want, sdvm_nai_check(input.data(), input.size(), flags))
        << sdvm_nai_reject_to_string(sdvm_nai_check(input.data(), input.size(), flags));
    sdvm_nai *nai = reinterpret_cast<sdvm_nai *>(0x1);
    sdvm_nai_reject r = SDVM_NAI_VALID;
    EXPECT_EQ(-EINVAL, sdvm_nai_parse(input.data(), input.size(), flags, &nai, &r));
    EXPECT_EQ(want, r);
    EXPECT_EQ(nullptr, nai);
}

} // namespace

TEST(Nai, AcceptsAndNormalisesTheRealmOnly)
{
    struct {
        const char *input, *user, *realm, *normalized;
    } cases[] = {
        {"alice@example.org", "alice", "example.org", "alice@example.org"},
        {"Alice@Example.ORG", "Alice", "example.org", "Alice@example.org"},
        {"BOB.Smith@Uni-A.Test", "BOB.Smith", "uni-a.test", "BOB.Smith@uni-a.test"},
        {"x@a.b", "x", "a.b", "x@a.b"},
        {"o'brien+lab@dept.uni-b.edu.br", "o'brien+lab", "dept.uni-b.edu.br",
         "o'brien+lab@dept.uni-b.edu.br"},
        {"../../etc/passwd@example.org", "../../etc/passwd", "example.org",
         "../../etc/passwd@example.org"},
        {"JOSÉ@Universidade.BR", "JOSÉ", "universidade.br", "JOSÉ@universidade.br"},
        {"学生@大学.cn", "学生", "大学.cn", "学生@大学.cn"},
        {"user!home.org@visited.org", "user!home.org", "visited.org",
         "user!home.org@visited.org"},
        {"100%@example.org", "100%", "example.org", "100%@example.org"},
        {"a@xn--bcher-kva.example", "a", "xn--bcher-kva.example", "a@xn--bcher-kva.example"},
        {"a@1.2", "a", "1.2", "a@1.2"},
    };
    for (const auto &c : cases) {
        SCOPED_TRACE(c.input);
        sdvm_nai *nai = nullptr;
        sdvm_nai_reject r = SDVM_NAI_EMPTY;
        ASSERT_EQ(0, sdvm_nai_parse(c.input, SDVM_NAI_NUL_TERMINATED, 0, &nai, &r));
        EXPECT_EQ(SDVM_NAI_VALID, r);
        EXPECT_STREQ(c.user, sdvm_nai_user(nai));
        EXPECT_STREQ(c.realm, sdvm_nai_realm(nai));
        EXPECT_STREQ(c.normalized, sdvm_nai_normalized(nai));
        EXPECT_STREQ(c.input, sdvm_nai_input(nai));
        sdvm_nai_free(nai);
    }
}

TEST(Nai, RejectsWithNumberedReasons)
{
    const RejectCase cases[] = {
        {"", SDVM_NAI_EMPTY},
        {"alice", SDVM_NAI_NO_AT},
        {"alice@@example.org", SDVM_NAI_SEVERAL_AT},
        {"@@", SDVM_NAI_SEVERAL_AT},
        {"a@b@example.org", SDVM_NAI_SEVERAL_AT},
        {"@example.org", SDVM_NAI_EMPTY_USER},
        {"alice@", SDVM_NAI_EMPTY_REALM},
        {"alice@localhost", SDVM_NAI_REALM_SINGLE_LABEL},
        {"alice@.example.org", SDVM_NAI_REALM_LEADING_DOT},
        {"alice@example.org.", SDVM_NAI_REALM_TRAILING_DOT},
        {"alice@example..org", SDVM_NAI_REALM_EMPTY_LABEL},
        {"alice@..", SDVM_NAI_REALM_LEADING_DOT},
        {"alice@../../etc", SDVM_NAI_REALM_LEADING_DOT},
        {"alice@example.org/../x", SDVM_NAI_REALM_BAD_CHAR},
        {"alice@exa_mple.org", SDVM_NAI_REALM_BAD_CHAR},
        {"alice@example.org:1812", SDVM_NAI_REALM_BAD_CHAR},
        {"alice@-example.org", SDVM_NAI_REALM_BAD_HYPHEN},
        {"alice@example-.org", SDVM_NAI_REALM_BAD_HYPHEN},
        {"alice@" + std::string(64, 'a') + ".org", SDVM_NAI_REALM_LABEL_TOO_LONG},
        {"alice @example.org", SDVM_NAI_WHITESPACE},
        {"alice@example.org ", SDVM_NAI_WHITESPACE},
        {"al\tice@example.org", SDVM_NAI_CONTROL_CHAR},
        {"alice@example.org\n", SDVM_NAI_CONTROL_CHAR},
        {"alice\x7f@example.org", SDVM_NAI_CONTROL_CHAR},
        {"alice\xc2\x85@example.org", SDVM_NAI_CONTROL_CHAR},       // U+0085 NEL (C1)
        {"alice\xc2\xa0@example.org", SDVM_NAI_WHITESPACE},         // U+00A0 no-break space
        {"alice\xe3\x80\x80@example.org", SDVM_NAI_WHITESPACE},     // U+3000
        {"alice\xe2\x80\x8b@example.org", SDVM_NAI_WHITESPACE},     // U+200B zero width
        {"alice\xff@example.org", SDVM_NAI_INVALID_UTF8},
        {"alice\xc0\xaf@example.org", SDVM_NAI_INVALID_UTF8},       // overlong '/'
        {"alice\xed\xa0\x80@example.org", SDVM_NAI_INVALID_UTF8},   // surrogate
        {"alice@example.or\xc3", SDVM_NAI_INVALID_UTF8},            // truncated
        {"alice\xf4\x90\x80\x80@example.org", SDVM_NAI_INVALID_UTF8}, // > U+10FFFF
        {"alice @@ example", SDVM_NAI_WHITESPACE}, // character rules come first
    };
    for (const auto &c : cases)
        ExpectReject(c.input, c.reject);
}

TEST(Nai, EmbeddedNulIsRejectedWhenTheLengthIsExplicit)
{
    const std::string s("alice\0@evil.org@example.org", 27);
    ExpectReject(s, SDVM_NAI_EMBEDDED_NUL);
    const std::string t("alice@example.org\0", 18);
    ExpectReject(t, SDVM_NAI_EMBEDDED_NUL);
    // NUL-terminated input simply ends at the NUL.
    EXPECT_EQ(SDVM_NAI_NO_AT, sdvm_nai_check("alice\0@example.org", SDVM_NAI_NUL_TERMINATED, 0));
}

TEST(Nai, LengthLimitIs253Octets)
{
    const std::string realm = "@" + std::string(60, 'r') + "." + std::string(60, 'r') + ".org";
    std::string ok = std::string(253 - realm.size(), 'u') + realm;
    ASSERT_EQ(253u, ok.size());
    EXPECT_EQ(SDVM_NAI_VALID, sdvm_nai_check(ok.data(), ok.size(), 0));
    std::string too_long = "u" + ok;
    ExpectReject(too_long, SDVM_NAI_TOO_LONG);
    ExpectReject(std::string(1 << 20, 'a') + "@example.org", SDVM_NAI_TOO_LONG);
    // Multi-byte characters count in octets, not characters: 127 x "é" = 254 octets.
    std::string wide;
    for (int i = 0; i < 122; i++)
        wide += "\xc3\xa9";
    wide += "@a.bc"; // 244 + 5 = 249
    EXPECT_EQ(SDVM_NAI_VALID, sdvm_nai_check(wide.data(), wide.size(), 0));
    wide = "\xc3\xa9\xc3\xa9\xc3\xa9" + wide; // 255
    ExpectReject(wide, SDVM_NAI_TOO_LONG);
}

TEST(Nai, DecorationIsAPolicy)
{
    EXPECT_EQ(SDVM_NAI_VALID, sdvm_nai_check("home.org!user@visited.org", SDVM_NAI_NUL_TERMINATED, 0));
    ExpectReject("home.org!user@visited.org", SDVM_NAI_DECORATED, SDVM_NAI_REJECT_DECORATION);
    ExpectReject("user%home.org@visited.org", SDVM_NAI_DECORATED, SDVM_NAI_REJECT_DECORATION);
    EXPECT_EQ(SDVM_NAI_VALID,
              sdvm_nai_check("plain@visited.org", SDVM_NAI_NUL_TERMINATED, SDVM_NAI_REJECT_DECORATION));
}

TEST(Nai, MisuseAndNull)
{
    EXPECT_EQ(SDVM_NAI_EMPTY, sdvm_nai_check(nullptr, SDVM_NAI_NUL_TERMINATED, 0));
    EXPECT_EQ(-EINVAL, sdvm_nai_parse("a@b.c", SDVM_NAI_NUL_TERMINATED, 0, nullptr, nullptr));
    sdvm_nai *nai = nullptr;
    EXPECT_EQ(-EINVAL, sdvm_nai_parse(nullptr, 0, 0, &nai, nullptr));
    EXPECT_EQ(nullptr, nai);
    sdvm_nai_free(nullptr);
    EXPECT_EQ(nullptr, sdvm_nai_user(nullptr));
    EXPECT_EQ(nullptr, sdvm_nai_normalized(nullptr));
}

TEST(Nai, EveryReasonHasADistinctName)
{
    std::set<std::string> names;
    int named = 0;
    for (int v = 0; v < 64; v++) {
        std::string name = sdvm_nai_reject_to_string(static_cast<sdvm_nai_reject>(v));
        if (name == "UNKNOWN")
            continue;
        named++;
        EXPECT_TRUE(names.insert(name).second) << name;
        EXPECT_STRNE("an unknown NAI rejection",
                     sdvm_nai_reject_describe(static_cast<sdvm_nai_reject>(v)));
    }
    EXPECT_EQ(19, named);
    EXPECT_STREQ("SEVERAL_AT", sdvm_nai_reject_to_string(SDVM_NAI_SEVERAL_AT));
    EXPECT_EQ(8, SDVM_NAI_SEVERAL_AT); // numbers are stable
    EXPECT_EQ(18, SDVM_NAI_DECORATED);
}
