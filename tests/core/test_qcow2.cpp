// The native qcow2 overlay writer, checked by qemu-img (the oracle): check, info, compare,
// and byte-for-byte layout against `qemu-img create`; the header reader on broken files.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>
#include <string>

#include "core-test-util.h"

extern "C" {
#include "sdvm/qcow2.h"
}

using coretest::Sh;
using coretest::TempDir;

namespace {

bool
HaveQemuImg()
{
    return coretest::HaveTool("qemu-img");
}

int
WriteOverlay(const std::string &path, uint64_t size, const std::string &backing)
{
    int fd = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    int r = sdvm_qcow2_write_overlay(fd, size, backing.c_str(), "qcow2", nullptr);
    close(fd);
    return r;
}

// The end of the JSON value that starts at v (one past it).
size_t
JsonValueEnd(const std::string &json, size_t v)
{
    int depth = 0;
    for (size_t i = v; i < json.size(); i++) {
        const char c = json[i];
        if (c == '"') {
            i++;
            while (i < json.size() && json[i] != '"')
                i += json[i] == '\\' ? 2 : 1;
            if (depth == 0)
                return i + 1;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            if (depth == 0)
                return i; // a number or literal ended by its container
            if (--depth == 0)
                return i + 1;
        } else if (depth == 0 && (c == ',' || c == ' ' || c == '\n')) {
            return i;
        }
    }
    return json.size();
}

// One field of `qemu-img info --output=json` by its path ("format-specific/data/corrupt"),
// each name looked up among its object's own fields only: QEMU 10 (Debian 13) puts a
// "children" block first, whose file node has a "virtual-size" of its own (the file's length),
// so the first "virtual-size" in the text is not the image's. Strings come back unquoted.
std::string
JsonField(const std::string &json, const std::string &path)
{
    std::string obj = json;
    size_t from = 0;
    while (from <= path.size()) {
        size_t slash = path.find('/', from);
        if (slash == std::string::npos)
            slash = path.size();
        const std::string quoted = "\"" + path.substr(from, slash - from) + "\"";
        const size_t open = obj.find('{');
        if (open == std::string::npos)
            return "";
        std::string value;
        // Walk the object's members: "name": value, ...
        size_t i = obj.find_first_not_of(" \t\n", open + 1);
        while (i != std::string::npos && obj[i] == '"') {
            const size_t nameEnd = JsonValueEnd(obj, i);
            const size_t v = obj.find_first_not_of(" \t\n:", nameEnd);
            if (v == std::string::npos)
                return "";
            const size_t vEnd = JsonValueEnd(obj, v);
            if (obj.compare(i, nameEnd - i, quoted) == 0) {
                value = obj.substr(v, vEnd - v);
                break;
            }
            i = obj.find_first_not_of(" \t\n,", vEnd);
        }
        if (value.empty())
            return "";
        obj = value;
        from = slash + 1;
    }
    if (obj.size() >= 2 && obj.front() == '"')
        return obj.substr(1, obj.size() - 2);
    return obj;
}

} // namespace

// QEMU 10's layout (children first, each with its own "virtual-size") and QEMU 7's (none).
TEST(Qcow2Json, ReadsFieldsByPathNotFirstMatch)
{
    const std::string qemu10 = R"({
    "children": [
        {
            "name": "file",
            "info": {
                "children": [
                ],
                "virtual-size": 197120,
                "filename": "user.qcow2",
                "format": "file"
            }
        }
    ],
    "virtual-size": 5497558138880,
    "filename": "user.qcow2",
    "format": "qcow2",
    "backing-filename": "/tmp/x/base \"q\".qcow2",
    "format-specific": {"type": "qcow2", "data": {"compat": "1.1", "corrupt": false}},
    "dirty-flag": false
})";
    EXPECT_EQ("5497558138880", JsonField(qemu10, "virtual-size"));
    EXPECT_EQ("qcow2", JsonField(qemu10, "format"));
    EXPECT_EQ("false", JsonField(qemu10, "format-specific/data/corrupt"));
    EXPECT_EQ("", JsonField(qemu10, "corrupt"));
    EXPECT_EQ("", JsonField(qemu10, "name"));
    EXPECT_EQ("false", JsonField(qemu10, "dirty-flag"));
    const std::string qemu7 = "{\n    \"virtual-size\": 1073741824,\n    \"format\": \"qcow2\"\n}";
    EXPECT_EQ("1073741824", JsonField(qemu7, "virtual-size"));
    EXPECT_EQ("qcow2", JsonField(qemu7, "format"));
}

class Qcow2 : public ::testing::Test {
  protected:
    void SetUp() override
    {
        if (!HaveQemuImg())
            GTEST_SKIP() << "qemu-img not installed (qemu-utils)";
    }
    TempDir dir;
};

TEST_F(Qcow2, OverlayPassesQemuImg)
{
    for (uint64_t size : {UINT64_C(20) << 30, UINT64_C(1) << 20, UINT64_C(512),
                          (UINT64_C(5) << 40) + 512, UINT64_C(3) * 1000 * 1000 * 1000}) {
        SCOPED_TRACE(size);
        std::string base = dir / "base.qcow2", ov = dir / "user.qcow2";
        ASSERT_EQ(0, Sh("qemu-img create -q -f qcow2 " + base + " " + std::to_string(size)).status);
        struct sdvm_qcow2_info info;
        ASSERT_EQ(0, sdvm_qcow2_read_info_path(base.c_str(), &info));
        EXPECT_EQ(size, info.virtual_size);
        ASSERT_EQ(0, WriteOverlay(ov, info.virtual_size, base));

        auto check = Sh("qemu-img check -f qcow2 " + ov);
        EXPECT_EQ(0, check.status) << check.output;
        EXPECT_NE(std::string::npos, check.output.find("No errors")) << check.output;

        auto js = Sh("qemu-img info --output=json -f qcow2 " + ov);
        ASSERT_EQ(0, js.status) << js.output;
        EXPECT_EQ(base, JsonField(js.output, "backing-filename"));
        EXPECT_EQ(base, JsonField(js.output, "full-backing-filename"));
        EXPECT_EQ("qcow2", JsonField(js.output, "backing-filename-format"));
        EXPECT_EQ(std::to_string(size), JsonField(js.output, "virtual-size"));
        EXPECT_EQ("false", JsonField(js.output, "format-specific/data/corrupt"));

        auto cmp = Sh("qemu-img compare -f qcow2 -F qcow2 " + ov + " " + base);
        EXPECT_EQ(0, cmp.status) << cmp.output;
        EXPECT_NE(std::string::npos, cmp.output.find("Images are identical")) << cmp.output;

        struct stat sb;
        ASSERT_EQ(0, stat(ov.c_str(), &sb));
        EXPECT_EQ(sdvm_qcow2_overlay_length(size), static_cast<uint64_t>(sb.st_size));
        ASSERT_EQ(0, sdvm_qcow2_read_info_path(ov.c_str(), &info));
        EXPECT_EQ(3u, info.version);
        EXPECT_EQ(size, info.virtual_size);
        EXPECT_EQ(base, info.backing_file);
        EXPECT_STREQ("qcow2", info.backing_format);
        EXPECT_FALSE(info.corrupt);
    }
}

// Same size and same clusters as qemu-img's own overlay; only the optional feature-name
// table and the backing name's place in cluster 0 differ.
TEST_F(Qcow2, SameLayoutAsQemuImgCreate)
{
    std::string base = dir / "base.qcow2", ours = dir / "ours.qcow2", theirs = dir / "theirs.qcow2";
    ASSERT_EQ(0, Sh("qemu-img create -q -f qcow2 " + base + " 20G").status);
    ASSERT_EQ(0, Sh("qemu-img create -q -f qcow2 -b " + base + " -F qcow2 " + theirs).status);
    ASSERT_EQ(0, WriteOverlay(ours, UINT64_C(20) << 30, base));
    EXPECT_EQ(196928u, sdvm_qcow2_overlay_length(UINT64_C(20) << 30));
    std::string a = coretest::ReadFile(ours), b = coretest::ReadFile(theirs);
    ASSERT_EQ(b.size(), a.size());
    // Fixed header fields 4..7 and 16..103 equal (the backing offset at 8..15 differs).
    EXPECT_EQ(b.substr(0, 8), a.substr(0, 8));
    EXPECT_EQ(b.substr(20, 84), a.substr(20, 84));
    // Clusters 1.. (refcount table, refcount block, L1) identical.
    EXPECT_EQ(b.substr(65536), a.substr(65536));
    // Sparse: much less allocated than qemu-img's file.
    struct stat sa;
    ASSERT_EQ(0, stat(ours.c_str(), &sa));
    EXPECT_LT(sa.st_blocks * 512, 65536);
    auto cmp = Sh("qemu-img compare " + ours + " " + theirs);
    EXPECT_EQ(0, cmp.status) << cmp.output;
}

// Guest writes go to the overlay, reads of the rest come from the base, the base stays.
TEST_F(Qcow2, WritesLandInTheOverlay)
{
    if (!coretest::HaveTool("qemu-io"))
        GTEST_SKIP() << "qemu-io not installed";
    std::string base = dir / "base.qcow2", ov = dir / "user.qcow2";
    ASSERT_EQ(0, Sh("qemu-img create -q -f qcow2 " + base + " 64M").status);
    ASSERT_EQ(0, Sh("qemu-io -f qcow2 -c 'write -P 0x42 0 64k' " + base).status);
    std::string base_before = coretest::ReadFile(base);
    ASSERT_EQ(0, WriteOverlay(ov, UINT64_C(64) << 20, base));
    auto w = Sh("qemu-io -f qcow2 -c 'write -P 0x17 1M 64k' " + ov);
    ASSERT_EQ(0, w.status) << w.output;
    EXPECT_EQ(0, Sh("qemu-io -f qcow2 -c 'read -P 0x42 0 64k' -c 'read -P 0x17 1M 64k' " + ov)
                     .status);
    EXPECT_EQ(base_before, coretest::ReadFile(base));
    auto check = Sh("qemu-img check -f qcow2 " + ov);
    EXPECT_EQ(0, check.status) << check.output;
    auto cmp = Sh("qemu-img compare " + ov + " " + base);
    EXPECT_EQ(1, cmp.status) << cmp.output; // 1 = images differ
}

TEST(Qcow2Reader, RejectsWhatIsNotQcow2)
{
    TempDir dir;
    struct sdvm_qcow2_info info;
    std::string p = dir / "x";
    coretest::WriteFile(p, "");
    EXPECT_EQ(-EINVAL, sdvm_qcow2_read_info_path(p.c_str(), &info));
    coretest::WriteFile(p, std::string(4096, 'x'));
    EXPECT_EQ(-EINVAL, sdvm_qcow2_read_info_path(p.c_str(), &info));
    coretest::WriteFile(p, std::string("QFI\xfb\0\0\0\x07", 8) + std::string(200, '\0'));
    EXPECT_EQ(-EINVAL, sdvm_qcow2_read_info_path(p.c_str(), &info)); // version 7
    EXPECT_EQ(-ENOENT, sdvm_qcow2_read_info_path((dir / "none").c_str(), &info));
    EXPECT_EQ(-EINVAL, sdvm_qcow2_read_info(-1, &info));

    // A good overlay truncated inside its header extensions.
    std::string ov = dir / "ov";
    ASSERT_EQ(0, WriteOverlay(ov, UINT64_C(1) << 30, "/base.qcow2"));
    std::string whole = coretest::ReadFile(ov);
    coretest::WriteFile(p, whole.substr(0, 120));
    EXPECT_EQ(-EINVAL, sdvm_qcow2_read_info_path(p.c_str(), &info));
    coretest::WriteFile(p, whole.substr(0, 60));
    EXPECT_EQ(-EINVAL, sdvm_qcow2_read_info_path(p.c_str(), &info));
    // The corrupt bit (incompatible feature bit 1, byte 79).
    std::string corrupt = whole;
    corrupt[79] = 0x02;
    coretest::WriteFile(p, corrupt);
    ASSERT_EQ(0, sdvm_qcow2_read_info_path(p.c_str(), &info));
    EXPECT_TRUE(info.corrupt);
    EXPECT_FALSE(info.unknown_features);
    corrupt[72] = 0x01; // bit 56: unknown
    coretest::WriteFile(p, corrupt);
    ASSERT_EQ(0, sdvm_qcow2_read_info_path(p.c_str(), &info));
    EXPECT_TRUE(info.unknown_features);
}

TEST(Qcow2Writer, RejectsBadArguments)
{
    TempDir dir;
    std::string p = dir / "ov";
    EXPECT_EQ(-EINVAL, WriteOverlay(p, UINT64_C(1) << 30, "relative.qcow2"));
    EXPECT_EQ(-EINVAL, WriteOverlay(p, 0, "/b.qcow2"));
    EXPECT_EQ(-EINVAL, WriteOverlay(p, 1000, "/b.qcow2")); // not a multiple of 512
    EXPECT_EQ(-EINVAL, WriteOverlay(p, UINT64_C(1) << 50, "/b.qcow2"));
    EXPECT_EQ(-EINVAL, WriteOverlay(p, 1 << 20, "/" + std::string(1023, 'b')));
    EXPECT_EQ(0, WriteOverlay(p, 1 << 20, "/" + std::string(1022, 'b')));
    EXPECT_EQ(-EINVAL, sdvm_qcow2_write_overlay(-1, 1 << 20, "/b", "qcow2", nullptr));
}

// The base stamp: recorded in a header extension of SDVM's own, which QEMU accepts, ignores,
// and keeps when it rewrites the header (qemu-img rebase -u rewrites it whole), and which a
// write by the guest (qemu-io) leaves alone.
TEST_F(Qcow2, BaseStampSurvivesQemu)
{
    if (!HaveQemuImg())
        GTEST_SKIP() << "qemu-img not installed";
    std::string base = dir / "base.qcow2", ov = dir / "user.qcow2";
    ASSERT_EQ(0, Sh("qemu-img create -q -f qcow2 " + base + " 64M").status);
    int bfd = open(base.c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(bfd, 0);
    struct sdvm_qcow2_base_stamp stamp;
    ASSERT_EQ(0, sdvm_qcow2_base_stamp_of(bfd, &stamp));
    close(bfd);
    EXPECT_NE(0u, stamp.inode);
    EXPECT_NE(0u, stamp.size);

    int fd = open(ov.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(0, sdvm_qcow2_write_overlay(fd, UINT64_C(64) << 20, base.c_str(), "qcow2", &stamp));
    close(fd);

    auto check = Sh("qemu-img check -f qcow2 " + ov);
    EXPECT_EQ(0, check.status) << check.output;
    struct sdvm_qcow2_info info;
    ASSERT_EQ(0, sdvm_qcow2_read_info_path(ov.c_str(), &info));
    EXPECT_EQ(base, info.backing_file);
    EXPECT_STREQ("qcow2", info.backing_format);
    ASSERT_TRUE(info.has_base_stamp);
    EXPECT_TRUE(sdvm_qcow2_base_stamp_equal(&stamp, &info.base_stamp));

    ASSERT_EQ(0, Sh("qemu-io -f qcow2 -c 'write -P 0x5a 0 1M' " + ov + " >/dev/null").status);
    ASSERT_EQ(0, Sh("qemu-img rebase -q -u -f qcow2 -b " + base + " -F qcow2 " + ov).status);
    check = Sh("qemu-img check -f qcow2 " + ov);
    EXPECT_EQ(0, check.status) << check.output;
    ASSERT_EQ(0, sdvm_qcow2_read_info_path(ov.c_str(), &info));
    EXPECT_EQ(base, info.backing_file);
    ASSERT_TRUE(info.has_base_stamp) << "QEMU dropped the stamp when it rewrote the header";
    EXPECT_TRUE(sdvm_qcow2_base_stamp_equal(&stamp, &info.base_stamp));

    // qemu-img's own overlay has none.
    std::string theirs = dir / "theirs.qcow2";
    ASSERT_EQ(0, Sh("qemu-img create -q -f qcow2 -b " + base + " -F qcow2 " + theirs).status);
    ASSERT_EQ(0, sdvm_qcow2_read_info_path(theirs.c_str(), &info));
    EXPECT_FALSE(info.has_base_stamp);
}
