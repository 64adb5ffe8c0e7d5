// The reflink backend on real XFS and btrfs file systems (sparse image files loop-mounted in
// a private mount namespace; root only): the clone is identical to the base and costs almost
// no space, its own bytes grow only with the user's writes, and eviction frees what statvfs
// measures, not the shared size st_blocks reports.
#include <gtest/gtest.h>

#include <sys/statvfs.h>

#include <string>

#include "core-test-util.h"
#include "root-namespace.h"

extern "C" {
#include "sdvm/log.h"
#include "sdvm/qcow2.h"
#include "sdvm/store.h"
#include "sdvm/user-id.h"
}

using coretest::Exists;
using coretest::Sh;
using coretest::TempDir;

namespace {

constexpr uint64_t MiB = 1024 * 1024;
const std::string kAlice = "xAxnjQtFYigt1naoByWwAO7dWeb9GovCTXN2GOWdHyM";
const std::string kBob = "r2cRE8-qNtCJ_cCCCBN1SNMs3UcUAEfs-SYUYyhkaH4";

std::string g_log;

void
Record(sdvm_log_level, const char *msg, void *)
{
    g_log += std::string(msg) + "\n";
}

uint64_t
FreeBytes(const std::string &path)
{
    struct statvfs v;
    if (statvfs(path.c_str(), &v) != 0)
        return 0;
    return static_cast<uint64_t>(v.f_bavail) * v.f_frsize;
}

class Reflink : public ::testing::TestWithParam<std::string> {
  protected:
    void SetUp() override
    {
        const std::string fs = GetParam();
        const std::string mkfs = "mkfs." + fs;
        if (!coretest::HaveTool(mkfs) || !coretest::HaveTool("qemu-img") ||
            !coretest::HaveTool("qemu-io"))
            GTEST_SKIP() << mkfs << " or qemu-utils not installed";
        std::string img = dir / (fs + ".img");
        mnt = dir / "mnt";
        ASSERT_EQ(0, mkdir(mnt.c_str(), 0755));
        // XFS needs at least 300 MiB; the file is sparse.
        ASSERT_EQ(0, Sh("truncate -s 320M " + img).status);
        std::string opts = fs == "xfs" ? "-q -m reflink=1" : "-q";
        auto mk = Sh(mkfs + " " + opts + " " + img);
        ASSERT_EQ(0, mk.status) << mk.output;
        auto m = Sh("mount -o loop " + img + " " + mnt);
        if (m.status != 0)
            GTEST_SKIP() << "cannot loop-mount " << fs << ": " << m.output;
        mounted = true;

        images = mnt + "/images";
        users = mnt + "/users";
        ASSERT_EQ(0, mkdir(images.c_str(), 0755));
        base = images + "/lab.qcow2";
        ASSERT_EQ(0, Sh("qemu-img create -q -f qcow2 " + base + " 64M").status);
        auto w = Sh("qemu-io -f qcow2 -c 'write -P 0x61 0 32M' " + base);
        ASSERT_EQ(0, w.status) << w.output;
        Sh("sync");
        sdvm_store_options o = {users.c_str(), SDVM_STORE_BACKEND_REFLINK, 0};
        ASSERT_EQ(0, sdvm_store_new(&o, &st));
        g_log.clear();
        sdvm_log_set_handler(SDVM_LOG_DEBUG, Record, nullptr);
    }
    void TearDown() override
    {
        sdvm_log_set_handler(SDVM_LOG_SILENT, nullptr, nullptr);
        sdvm_store_free(st);
        if (mounted)
            Sh("umount " + mnt);
    }

    TempDir dir;
    std::string mnt, images, users, base;
    bool mounted = false;
    sdvm_store *st = nullptr;
};

} // namespace

TEST_P(Reflink, CloneSharesEvictionMeasures)
{
    Sh("sync");
    uint64_t free_before = FreeBytes(mnt);
    sdvm_store_result res;
    char *detail = nullptr;
    ASSERT_EQ(SDVM_FAILURE_NONE,
              sdvm_store_prepare(st, kAlice.c_str(), "lab", base.c_str(), &res, &detail))
        << (detail ? detail : "");
    ASSERT_TRUE(res.created);
    std::string disk = res.disk_path;
    sdvm_store_result_clear(&res);
    Sh("sync");
    EXPECT_LT(free_before - FreeBytes(mnt), 4 * MiB) << "a reflink copy must share the data";

    auto cmp = Sh("qemu-img compare -f qcow2 -F qcow2 " + disk + " " + base);
    EXPECT_EQ(0, cmp.status) << cmp.output;
    auto check = Sh("qemu-img check -f qcow2 " + disk);
    EXPECT_EQ(0, check.status) << check.output;
    sdvm_qcow2_info info;
    ASSERT_EQ(0, sdvm_qcow2_read_info_path(disk.c_str(), &info));
    EXPECT_STREQ("", info.backing_file); // a standalone copy

    sdvm_disk_list list;
    ASSERT_EQ(0, sdvm_store_list_disks(st, 0, &list));
    ASSERT_EQ(1u, list.count);
    EXPECT_GE(list.disks[0].allocated_bytes, 32 * MiB); // st_blocks counts shared extents
    EXPECT_LT(list.disks[0].own_bytes, 4 * MiB);        // FIEMAP: almost nothing of its own
    sdvm_disk_list_clear(&list);

    // The user writes 8 MiB of new data: now it holds that much of its own.
    auto w = Sh("qemu-io -f qcow2 -c 'write -P 0x62 40M 8M' " + disk);
    ASSERT_EQ(0, w.status) << w.output;
    Sh("sync");
    ASSERT_EQ(0, sdvm_store_list_disks(st, 0, &list));
    ASSERT_EQ(1u, list.count);
    uint64_t own = list.disks[0].own_bytes, allocated = list.disks[0].allocated_bytes;
    EXPECT_GE(own, 8 * MiB);
    EXPECT_LT(own, 20 * MiB);
    sdvm_disk_list_clear(&list);

    // Reuse: the same disk, data kept.
    ASSERT_EQ(SDVM_FAILURE_NONE,
              sdvm_store_prepare(st, kAlice.c_str(), "lab", base.c_str(), &res, nullptr));
    EXPECT_FALSE(res.created);
    sdvm_store_result_clear(&res);
    EXPECT_EQ(0, Sh("qemu-io -f qcow2 -c 'read -P 0x62 40M 8M' -c 'read -P 0x61 0 1M' " + disk)
                     .status);

    // Bob needs room that only evicting alice's disk can give: what is freed is measured.
    Sh("sync");
    uint64_t free_now = FreeBytes(mnt);
    uint64_t virtual_size = free_now + own / 2;
    size_t n = 0;
    uint64_t freed = 0;
    sdvm_failure f = sdvm_store_make_room(st, kBob.c_str(), "lab", virtual_size, &n, &freed,
                                          &detail);
    std::string why = detail ? detail : "";
    free(detail);
    ASSERT_EQ(SDVM_FAILURE_NONE, f) << why << "\nown " << own << " free " << free_now
                                    << "\nlog:\n" << g_log;
    EXPECT_EQ(1u, n);
    EXPECT_FALSE(Exists(disk));
    EXPECT_GE(freed, own / 2);
    EXPECT_LT(freed, allocated - 16 * MiB) << "freed space is measured, not st_blocks";
    // The base is intact.
    EXPECT_EQ(0, Sh("qemu-io -f qcow2 -c 'read -P 0x61 0 32M' " + base).status);
    EXPECT_EQ(0, Sh("qemu-img check -f qcow2 " + base).status);
}

INSTANTIATE_TEST_SUITE_P(Fs, Reflink, ::testing::Values("xfs", "btrfs"));

TEST(ReflinkElsewhere, TmpfsCannotClone)
{
    if (!coretest::HaveTool("qemu-img"))
        GTEST_SKIP() << "qemu-img not installed";
    TempDir dir;
    std::string mnt = dir / "mnt";
    ASSERT_EQ(0, mkdir(mnt.c_str(), 0755));
    ASSERT_TRUE(coretest::MountTmpfs(mnt, 64 * MiB));
    std::string base = mnt + "/base.qcow2";
    ASSERT_EQ(0, Sh("qemu-img create -q -f qcow2 " + base + " 1M").status);
    sdvm_store *st = nullptr;
    std::string users = mnt + "/users";
    sdvm_store_options o = {users.c_str(), SDVM_STORE_BACKEND_REFLINK, 0};
    ASSERT_EQ(0, sdvm_store_new(&o, &st));
    sdvm_store_result res;
    char *detail = nullptr;
    EXPECT_EQ(SDVM_FAILURE_DISK_ERROR,
              sdvm_store_prepare(st, kAlice.c_str(), "lab", base.c_str(), &res, &detail));
    ASSERT_NE(nullptr, detail);
    EXPECT_NE(std::string::npos, std::string(detail).find("cannot clone")) << detail;
    free(detail);
    // Nothing half-made is left.
    EXPECT_EQ(0u, coretest::ListDir(users + "/" + kAlice).size());
    sdvm_store_free(st);
    umount2(mnt.c_str(), MNT_DETACH);
}

int
main(int argc, char **argv)
{
    return coretest::RootTestMain(argc, argv, "test-core-reflink");
}
