// The parsers of what a terminal downloads before anything is verified: the manifest (its
// Version= names the file the catalog will serve) and the .torrent (bencode).
#include <gtest/gtest.h>

#include <cerrno>
#include <string>

extern "C" {
#include "bencode.h"
#include "manifest.h"
}

namespace {

const std::string kSha(64, 'a');
const std::string kInfoHash(40, 'b');

std::string
Manifest(const std::string &version, const std::string &extra_manifest = "",
         const std::string &extra_image = "")
{
    return "[Manifest]\nFormat=1\nImage=lab\nVersion=" + version +
           "\nSize=4096\nSha256=" + kSha + "\nInfoHash=" + kInfoHash +
           "\nFile=lab-1.qcow2\nTorrent=lab-1.torrent\nPublished=1764651000\n" +
           extra_manifest + "\n[Image]\nName=Lab\nOsType=linux\n" + extra_image;
}

// 0 or -EINVAL; the error text in *why.
int
Parse(const std::string &text, struct manifest *m, std::string *why)
{
    char *error = nullptr;
    int r = manifest_parse(text.data(), text.size(), m, &error);
    *why = error ? error : "";
    g_free(error);
    return r;
}

std::string
Bstr(const std::string &s)
{
    return std::to_string(s.size()) + ":" + s;
}

std::string
Info(const std::string &name = "lab-1.qcow2", const std::string &length = "i4096e")
{
    return "d6:length" + length + "4:name" + Bstr(name) + "12:piece lengthi16384e6:pieces" +
           Bstr(std::string(20, 'x')) + "e";
}

} // namespace

TEST(Manifest, VersionIsParsed)
{
    struct manifest m;
    std::string why;
    ASSERT_EQ(0, Parse(Manifest("2026.12.1"), &m, &why)) << why;
    EXPECT_STREQ("lab", m.image_id);
    EXPECT_STREQ("2026.12.1", m.version);
    EXPECT_EQ(4096u, m.size);
    EXPECT_EQ(1764651000, m.published);

    // The catalog's .ini carries the version; the manifest round-trips.
    size_t len = 0;
    char *ini = manifest_ini_text(&m, &len);
    EXPECT_NE(std::string::npos, std::string(ini, len).find("\nVersion=2026.12.1\n"));
    g_free(ini);
    char *text = manifest_to_text(&m, &len);
    struct manifest again;
    ASSERT_EQ(0, Parse(std::string(text, len), &again, &why)) << why;
    EXPECT_STREQ(m.version, again.version);
    EXPECT_STREQ(m.image_keys[0], again.image_keys[0]);
    g_free(text);
    manifest_clear(&again);
    manifest_clear(&m);
}

TEST(Manifest, BadVersionsAreRefused)
{
    // A version names a file under versions/<id>/: never a path, never hidden, never empty.
    for (const char *v : {"", "../etc", "a/b", ".hidden", "-x", "1 2", "\xc3\xa9t\xc3\xa9",
                          "0123456789012345678901234567890123456789012345678901234567890123x"}) {
        struct manifest m;
        std::string why;
        EXPECT_EQ(-EINVAL, Parse(Manifest(v), &m, &why)) << v;
        EXPECT_NE(std::string::npos, why.find("Version")) << v << ": " << why;
        EXPECT_EQ(nullptr, m.version) << "cleared on failure";
    }
}

TEST(Manifest, VersionOnlyInManifestSection)
{
    struct manifest m;
    std::string why;
    // [Image] may not set Version: the signed [Manifest] Version is the only one.
    EXPECT_EQ(-EINVAL, Parse(Manifest("2", "", "Version=1\n"), &m, &why));
    EXPECT_NE(std::string::npos, why.find("Version")) << why;
    // Missing, unknown keys, sections, format.
    std::string no_version = Manifest("2");
    no_version.erase(no_version.find("Version=2\n"), 10);
    EXPECT_EQ(-EINVAL, Parse(no_version, &m, &why));
    EXPECT_NE(std::string::npos, why.find("Version: missing")) << why;
    EXPECT_EQ(-EINVAL, Parse(Manifest("2", "Extra=1\n"), &m, &why));
    EXPECT_NE(std::string::npos, why.find("unknown key")) << why;
    EXPECT_EQ(-EINVAL, Parse(Manifest("2") + "[Other]\nA=1\n", &m, &why));
    EXPECT_EQ(-EINVAL, Parse(std::string("[Manifest]\nFormat=1\0x", 21), &m, &why));
    EXPECT_EQ(-EINVAL, Parse(std::string(MANIFEST_MAX_SIZE + 1, '#'), &m, &why));
}

TEST(Bencode, SingleFileTorrent)
{
    std::string info = Info();
    std::string t = "d8:announce" + Bstr("http://t.example/announce") + "4:info" + info +
                    "8:url-listl" + Bstr("http://s/a.qcow2") + Bstr("http://s/b.qcow2") + "ee";
    struct torrent_info ti;
    ASSERT_EQ(0, bencode_torrent_info(t.data(), t.size(), &ti));
    EXPECT_STREQ("lab-1.qcow2", ti.name);
    EXPECT_EQ(4096u, ti.length);
    EXPECT_EQ(16384u, ti.piece_length);
    // The info hash is taken over exactly these bytes.
    EXPECT_EQ(info, t.substr(ti.info_offset, ti.info_len));
    torrent_info_clear(&ti);

    char *out = nullptr;
    size_t out_len = 0;
    char **urls = nullptr;
    ASSERT_EQ(0, bencode_strip_web_seeds(t.data(), t.size(), &out, &out_len, &urls));
    ASSERT_NE(nullptr, urls);
    ASSERT_EQ(2u, g_strv_length(urls));
    EXPECT_STREQ("http://s/b.qcow2", urls[1]);
    std::string stripped(out, out_len);
    EXPECT_EQ(std::string::npos, stripped.find("url-list"));
    ASSERT_EQ(0, bencode_torrent_info(out, out_len, &ti)) << "still a torrent";
    EXPECT_EQ(info, stripped.substr(ti.info_offset, ti.info_len)) << "same info hash";
    torrent_info_clear(&ti);
    g_free(out);
    g_strfreev(urls);
}

TEST(Bencode, MalformedIsRefused)
{
    std::string deep(40, 'l');
    deep += "i1e" + std::string(40, 'e');
    const std::string bad[] = {
        "",
        "le",
        "d4:info" + Info(),                                            // unterminated
        "d4:info" + Info("lab-1.qcow2", "i-1e") + "e",                 // negative length
        "d4:info" + Info("lab-1.qcow2", "ie") + "e",                   // no digits
        "d4:info" + Info("lab-1.qcow2", "i99999999999999999999999e") + "e", // overflow
        "d4:info" + Info("", "i0e") + "e",                             // no length
        "d4:infod5:filesle4:name1:x6:lengthi1eee",                     // multi-file
        "d4:info999:abce",                                             // string past the end
        "d5:extra" + deep + "4:info" + Info() + "e",                   // too deep
        "d8:announcei1e",                                              // no info
    };
    for (const std::string &t : bad) {
        struct torrent_info ti;
        EXPECT_EQ(-EINVAL, bencode_torrent_info(t.data(), t.size(), &ti)) << t;
        EXPECT_EQ(nullptr, ti.name);
    }
    // A web seed list cut short after its first URL: refused, nothing kept (LSan checks).
    std::string cut = "d4:info" + Info() + "8:url-listl" + Bstr("http://s/a.qcow2");
    char *out = nullptr;
    size_t out_len = 0;
    char **urls = nullptr;
    EXPECT_EQ(-EINVAL, bencode_strip_web_seeds(cut.data(), cut.size(), &out, &out_len, &urls));
    EXPECT_EQ(nullptr, out);
    EXPECT_EQ(nullptr, urls);
}
