// The image catalog: ids, deterministic order, the default, and every unavailability
// reason with a detail naming the file (and line for .ini problems).
#include <gtest/gtest.h>

#include <cerrno>
#include <string>
#include <vector>

#include "core-test-util.h"

extern "C" {
#include "sdvm/catalog.h"
}

using coretest::Sh;
using coretest::TempDir;

namespace {

// Copies the committed .ini fixtures and makes the qcow2 files next to them.
class Catalog : public ::testing::Test {
  protected:
    void SetUp() override
    {
        if (!coretest::HaveTool("qemu-img"))
            GTEST_SKIP() << "qemu-img not installed (qemu-utils)";
        images = dir.path() + "/images";
        ASSERT_EQ(0, Sh("cp -r " + coretest::SourceDir() + "/tests/data/core/images " + images)
                         .status);
        for (const char *id : {"win10", "ubuntu", "zz-second-default", "broken-default",
                               "no-name", "extra-key", "noini", "corrupt", "bad-ostype",
                               "extra-section"})
            ASSERT_EQ(0, Sh("qemu-img create -q -f qcow2 " + images + "/" + id + ".qcow2 1G")
                             .status);
        // Set the corrupt bit (incompatible features, bit 1) the way QEMU does.
        int fd = open((images + "/corrupt.qcow2").c_str(), O_WRONLY);
        ASSERT_GE(fd, 0);
        ASSERT_EQ(1, pwrite(fd, "\x02", 1, 79));
        close(fd);
        coretest::WriteFile(images + "/raw.qcow2", std::string(1 << 16, '\0'));
        ASSERT_EQ(0, mkdir((images + "/dir.qcow2").c_str(), 0755));
        // Not catalog entries: a bad id, a hidden temp file, another extension.
        coretest::WriteFile(images + "/bad id.qcow2", "");
        coretest::WriteFile(images + "/.tmp.qcow2", "");
        coretest::WriteFile(images + "/README", "");
        ASSERT_EQ(0, sdvm_catalog_load(images.c_str(), &cat));
    }
    void TearDown() override { sdvm_catalog_free(cat); }

    const sdvm_image_info *Get(const char *id)
    {
        const sdvm_image_info *i = sdvm_catalog_find(cat, id);
        EXPECT_NE(nullptr, i) << id;
        return i;
    }

    TempDir dir;
    std::string images;
    sdvm_catalog *cat = nullptr;
};

} // namespace

TEST_F(Catalog, OrderIsById)
{
    std::vector<std::string> ids;
    for (size_t i = 0; i < sdvm_catalog_count(cat); i++)
        ids.push_back(sdvm_catalog_get(cat, i)->id);
    std::vector<std::string> want = {"bad-ostype", "broken-default", "corrupt", "dir",
                                     "extra-key", "extra-section", "ghost", "no-name", "noini",
                                     "raw", "ubuntu", "win10", "zz-second-default"};
    EXPECT_EQ(want, ids);
    EXPECT_EQ(nullptr, sdvm_catalog_get(cat, ids.size()));
    EXPECT_EQ(nullptr, sdvm_catalog_find(cat, "bad id"));
}

TEST_F(Catalog, AvailableImages)
{
    const sdvm_image_info *w = Get("win10");
    ASSERT_NE(nullptr, w);
    EXPECT_EQ(SDVM_IMAGE_AVAILABLE, w->status);
    EXPECT_EQ(nullptr, w->detail);
    EXPECT_STREQ("Windows 10 (lab)", w->name);
    EXPECT_STREQ("windows", w->os_type);
    EXPECT_STREQ("With MATLAB", w->comment);
    EXPECT_TRUE(w->is_default);
    EXPECT_EQ(UINT64_C(1) << 30, w->virtual_size);
    EXPECT_EQ(images + "/win10.qcow2", w->qcow2_path);
    EXPECT_EQ(images + "/win10.ini", w->ini_path);

    const sdvm_image_info *u = Get("ubuntu");
    ASSERT_NE(nullptr, u);
    EXPECT_EQ(SDVM_IMAGE_AVAILABLE, u->status);
    EXPECT_STREQ("Ubuntu 24.04", u->name);
    EXPECT_STREQ("", u->comment);
    EXPECT_FALSE(u->is_default);

    // Only the first Default=true counts.
    const sdvm_image_info *z = Get("zz-second-default");
    ASSERT_NE(nullptr, z);
    EXPECT_EQ(SDVM_IMAGE_AVAILABLE, z->status);
    EXPECT_FALSE(z->is_default);
    EXPECT_EQ(w, sdvm_catalog_default(cat));
}

TEST_F(Catalog, UnavailableWithReasons)
{
    struct {
        const char *id;
        sdvm_image_status status;
        std::string detail_part;
    } cases[] = {
        {"ghost", SDVM_IMAGE_QCOW2_MISSING, "ghost.qcow2 does not exist"},
        {"raw", SDVM_IMAGE_NOT_QCOW2, "raw.qcow2 is not a qcow2 image"},
        {"corrupt", SDVM_IMAGE_CORRUPT, "corrupt bit"},
        {"dir", SDVM_IMAGE_QCOW2_UNREADABLE, "dir.qcow2 is not a regular file"},
        {"noini", SDVM_IMAGE_INI_MISSING, "noini.ini does not exist"},
        {"broken-default", SDVM_IMAGE_INI_BROKEN,
         "broken-default.ini:4: [Image] Default: \"maybe\" is not a boolean"},
        {"no-name", SDVM_IMAGE_INI_BROKEN, "no-name.ini:1: [Image] Name: missing"},
        {"extra-key", SDVM_IMAGE_INI_BROKEN, "extra-key.ini:4: [Image] CPUs: unknown key"},
        {"extra-section", SDVM_IMAGE_INI_BROKEN, "extra-section.ini:4: [Extra]: unknown"},
        {"bad-ostype", SDVM_IMAGE_INI_BROKEN, "bad-ostype.ini:3: [Image] OsType"},
    };
    for (const auto &c : cases) {
        SCOPED_TRACE(c.id);
        const sdvm_image_info *i = Get(c.id);
        ASSERT_NE(nullptr, i);
        EXPECT_EQ(c.status, i->status) << sdvm_image_status_to_string(i->status);
        ASSERT_NE(nullptr, i->detail);
        EXPECT_NE(std::string::npos, std::string(i->detail).find(c.detail_part)) << i->detail;
        EXPECT_STRNE("", i->name); // falls back to the id
        EXPECT_FALSE(i->is_default);
    }
    EXPECT_STREQ("noini", Get("noini")->name);
    EXPECT_STREQ("QCOW2_MISSING", sdvm_image_status_to_string(SDVM_IMAGE_QCOW2_MISSING));
    EXPECT_STREQ("UNKNOWN", sdvm_image_status_to_string(static_cast<sdvm_image_status>(99)));
}

TEST(CatalogDir, Errors)
{
    TempDir dir;
    sdvm_catalog *cat = nullptr;
    EXPECT_EQ(-ENOENT, sdvm_catalog_load((dir / "none").c_str(), &cat));
    coretest::WriteFile(dir / "file", "");
    EXPECT_EQ(-ENOTDIR, sdvm_catalog_load((dir / "file").c_str(), &cat));
    EXPECT_EQ(nullptr, cat);
    ASSERT_EQ(0, sdvm_catalog_load(dir.path().c_str(), &cat));
    EXPECT_EQ(0u, sdvm_catalog_count(cat));
    EXPECT_EQ(nullptr, sdvm_catalog_default(cat));
    sdvm_catalog_free(cat);
}

TEST(CatalogIds, Validity)
{
    for (const char *ok : {"win10", "Ubuntu_24.04", "a", "a-b.c_d", "x.qcow2"})
        EXPECT_TRUE(sdvm_image_id_is_valid(ok)) << ok;
    for (const char *bad : {"", ".hidden", "-opt", "a b", "a/b", "..", "ü", "a\n"})
        EXPECT_FALSE(sdvm_image_id_is_valid(bad)) << bad;
    EXPECT_TRUE(sdvm_image_id_is_valid(std::string(64, 'a').c_str()));
    EXPECT_FALSE(sdvm_image_id_is_valid(std::string(65, 'a').c_str()));
    EXPECT_FALSE(sdvm_image_id_is_valid(nullptr));
}
