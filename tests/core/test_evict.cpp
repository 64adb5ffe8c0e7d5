// The space rule and eviction on a tiny file system (a 64 MiB tmpfs in a private mount
// namespace; root only): the least recently used disks of other users go, a disk a QEMU
// holds survives, the current user's disks are never touched, the user's own disk counts,
// DISK_FULL deletes nothing; sdvm-admin evict --dry-run shows the same plan.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core-test-util.h"
#include "root-namespace.h"

extern "C" {
#include "sdvm/log.h"
#include "sdvm/nai.h"
#include "sdvm/qcow2.h"
#include "sdvm/store.h"
#include "sdvm/user-id.h"
}

using coretest::Exists;
using coretest::Sh;
using coretest::TempDir;

namespace {

constexpr uint64_t MiB = 1024 * 1024;

std::string
UserId(const std::string &nai_text)
{
    sdvm_nai *nai = nullptr;
    if (sdvm_nai_parse(nai_text.c_str(), SDVM_NAI_NUL_TERMINATED, 0, &nai, nullptr) != 0)
        return "";
    char id[SDVM_USER_ID_SIZE];
    sdvm_user_id(nai, id);
    sdvm_nai_free(nai);
    return id;
}

std::vector<std::string> g_log;

void
Record(sdvm_log_level, const char *msg, void *)
{
    g_log.push_back(msg);
}

class QemuHolder {
  public:
    explicit QemuHolder(const std::string &path)
    {
        pipe_ = popen(("exec qemu-io -f qcow2 " + path + " >/dev/null 2>&1").c_str(), "w");
        for (int i = 0; i < 500 && sdvm_store_disk_in_use(path.c_str()) != 1; i++)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ~QemuHolder()
    {
        if (pipe_) {
            fputs("quit\n", pipe_);
            pclose(pipe_);
        }
    }

  private:
    FILE *pipe_ = nullptr;
};

class Evict : public ::testing::Test {
  protected:
    void SetUp() override
    {
        if (!coretest::HaveTool("qemu-img") || !coretest::HaveTool("qemu-io"))
            GTEST_SKIP() << "qemu-img/qemu-io not installed (qemu-utils)";
        images = dir / "images";
        ASSERT_EQ(0, mkdir(images.c_str(), 0755));
        base = images + "/lab.qcow2";
        ASSERT_EQ(0, Sh("qemu-img create -q -f qcow2 " + base + " 40M").status);
        coretest::WriteFile(images + "/lab.ini", "[Image]\nName=Lab\nOsType=linux\n");
        big = dir / "big.qcow2";
        ASSERT_EQ(0, Sh("qemu-img create -q -f qcow2 " + big + " 100M").status);

        mnt = dir / "mnt";
        ASSERT_EQ(0, mkdir(mnt.c_str(), 0755));
        ASSERT_TRUE(coretest::MountTmpfs(mnt, 64 * MiB)) << strerror(errno);
        mounted = true;
        users = mnt + "/users";
        sdvm_store_options o = {users.c_str(), SDVM_STORE_BACKEND_QCOW2, 0};
        ASSERT_EQ(0, sdvm_store_new(&o, &st));
        g_log.clear();
        sdvm_log_set_handler(SDVM_LOG_INFO, Record, nullptr);
    }
    void TearDown() override
    {
        sdvm_log_set_handler(SDVM_LOG_SILENT, nullptr, nullptr);
        sdvm_store_free(st);
        if (mounted)
            umount2(mnt.c_str(), MNT_DETACH);
    }

    // A user's disk for an image (backed by base) holding data_mib MiB, last used days ago.
    std::string MakeDisk(const std::string &user, const std::string &image, int data_mib,
                         int days_ago, const std::string &backing = "")
    {
        std::string udir = users + "/" + user;
        mkdir(udir.c_str(), 0700);
        std::string path = udir + "/" + image + ".qcow2";
        int fd = open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        EXPECT_GE(fd, 0) << path;
        EXPECT_EQ(0, sdvm_qcow2_write_overlay(fd, 40 * MiB,
                                              (backing.empty() ? base : backing).c_str(), "qcow2", nullptr));
        close(fd);
        auto w = Sh("qemu-io -f qcow2 -c 'write -P 0x33 0 " + std::to_string(data_mib) + "M' " +
                    path);
        EXPECT_EQ(0, w.status) << w.output;
        time_t t = time(nullptr) - days_ago * 86400L - 3600;
        struct timespec ts[2] = {{t, 0}, {t, 0}};
        EXPECT_EQ(0, utimensat(AT_FDCWD, path.c_str(), ts, 0));
        return path;
    }

    bool Logged(const std::string &part)
    {
        return std::any_of(g_log.begin(), g_log.end(),
                           [&](const std::string &l) { return l.find(part) != std::string::npos; });
    }

    std::string Config()
    {
        std::string path = dir / "sdvm.conf";
        coretest::WriteFile(path, "[Paths]\nImagesDir=" + images + "\nUsersDir=" + users +
                                      "\n[Store]\nReserveMiB=0\n");
        return path;
    }

    TempDir dir;
    std::string images, base, big, mnt, users;
    bool mounted = false;
    sdvm_store *st = nullptr;
};

const char *
Admin()
{
    const char *a = std::getenv("SDVM_ADMIN");
    return a ? a : "sdvm-admin";
}

} // namespace

TEST_F(Evict, OldestGoFirstLockedSurvivesImpossibleDeletesNothing)
{
    std::string a = UserId("a@example.org"), b = UserId("b@example.org"),
                c = UserId("c@example.org"), d = UserId("d@example.org"),
                e = UserId("e@example.org"), f = UserId("f@example.org");
    std::string pa = MakeDisk(a, "lab", 10, 10);
    std::string pb = MakeDisk(b, "lab", 10, 9);
    std::string pc = MakeDisk(c, "lab", 10, 5);
    std::string pd = MakeDisk(d, "lab", 10, 1);
    QemuHolder qemu(pb); // b's guest is running
    ASSERT_EQ(1, sdvm_store_disk_in_use(pb.c_str()));

    // The plan: a (oldest), skip b (in use), c; d is not needed.
    sdvm_evict_plan plan;
    ASSERT_EQ(0, sdvm_store_plan_eviction(st, e.c_str(), "lab", 40 * MiB, &plan));
    EXPECT_FALSE(plan.rule_holds);
    EXPECT_TRUE(plan.feasible);
    EXPECT_EQ(40 * MiB, plan.needed_bytes);
    EXPECT_LT(plan.free_bytes, 40 * MiB);
    ASSERT_EQ(2u, plan.victims.count);
    EXPECT_EQ(pa, plan.victims.disks[0].path);
    EXPECT_EQ(pc, plan.victims.disks[1].path);
    EXPECT_EQ(1u, plan.skipped_in_use);
    EXPECT_GE(plan.victims.disks[0].own_bytes, 10 * MiB);
    sdvm_evict_plan_clear(&plan);

    // sdvm-admin shows the same plan and deletes nothing.
    auto dry = Sh(std::string(Admin()) + " --config " + Config() +
                  " evict --dry-run --user e@example.org");
    EXPECT_EQ(0, dry.status) << dry.output;
    EXPECT_NE(std::string::npos, dry.output.find("would evict " + a + " lab")) << dry.output;
    EXPECT_NE(std::string::npos, dry.output.find("would evict " + c + " lab")) << dry.output;
    EXPECT_EQ(std::string::npos, dry.output.find(b)) << dry.output;
    EXPECT_EQ(std::string::npos, dry.output.find(d)) << dry.output;
    EXPECT_NE(std::string::npos, dry.output.find("1 disk(s) in use")) << dry.output;
    EXPECT_TRUE(Exists(pa) && Exists(pc));
    auto listing = Sh(std::string(Admin()) + " --config " + Config() + " disks --parsable");
    EXPECT_EQ(0, listing.status) << listing.output;
    EXPECT_NE(std::string::npos, listing.output.find("\tyes\t" + pb)) << listing.output;
    EXPECT_NE(std::string::npos, listing.output.find("\tno\t" + pa)) << listing.output;

    // The login of e: a and c go, b (in use) and d stay, e gets its disk.
    sdvm_store_result res;
    char *detail = nullptr;
    ASSERT_EQ(SDVM_FAILURE_NONE,
              sdvm_store_prepare(st, e.c_str(), "lab", base.c_str(), &res, &detail))
        << (detail ? detail : "");
    EXPECT_TRUE(res.created);
    EXPECT_EQ(2u, res.evicted);
    EXPECT_GE(res.evicted_bytes, 20 * MiB);
    sdvm_store_result_clear(&res);
    EXPECT_FALSE(Exists(pa));
    EXPECT_FALSE(Exists(users + "/" + a)); // the emptied user directory went too
    EXPECT_TRUE(Exists(pb));
    EXPECT_FALSE(Exists(pc));
    EXPECT_TRUE(Exists(pd));
    EXPECT_TRUE(Logged("evicted user " + a + " image lab: ")) << ::testing::PrintToString(g_log);
    EXPECT_TRUE(Logged("unused for 10d")) << ::testing::PrintToString(g_log);
    EXPECT_TRUE(Logged("evicted user " + c + " image lab: "));

    // Impossible: 100 MiB of virtual disk on a 64 MiB file system. Nothing is deleted.
    g_log.clear();
    std::string why;
    ASSERT_EQ(SDVM_FAILURE_DISK_FULL,
              sdvm_store_prepare(st, f.c_str(), "big", big.c_str(), &res, &detail));
    ASSERT_NE(nullptr, detail);
    why = detail;
    free(detail);
    EXPECT_NE(std::string::npos, why.find("needs more than 104857600 free bytes")) << why;
    EXPECT_TRUE(Exists(pb));
    EXPECT_TRUE(Exists(pd));
    EXPECT_TRUE(Exists(users + "/" + e + "/lab.qcow2"));
    EXPECT_FALSE(Exists(users + "/" + f));
    EXPECT_FALSE(Logged("evicted user"));
    auto full = Sh(std::string(Admin()) + " --config " + Config() + " evict --dry-run");
    EXPECT_EQ(0, full.status) << full.output; // 40 MiB image: holds after the login above
    EXPECT_NE(std::string::npos, full.output.find("the rule holds")) << full.output;
}

TEST_F(Evict, CurrentUsersDisksAreNeverEvictedAndTheirSizeCounts)
{
    std::string g = UserId("g@example.org"), h = UserId("h@example.org"),
                i = UserId("i@example.org");
    std::string other = images + "/other.qcow2";
    ASSERT_EQ(0, Sh("qemu-img create -q -f qcow2 " + other + " 40M").status);
    std::string g_lab = MakeDisk(g, "lab", 10, 1);
    std::string g_other = MakeDisk(g, "other", 10, 30, other); // the oldest disk of all
    std::string ph = MakeDisk(h, "lab", 10, 20);
    std::string pi = MakeDisk(i, "lab", 10, 10);

    // g needs 40 - ~10 MiB: evicting h alone is enough. Without the C term it would need
    // i's disk too; without the current-user rule it would take g_other first.
    sdvm_store_result res;
    char *detail = nullptr;
    ASSERT_EQ(SDVM_FAILURE_NONE,
              sdvm_store_prepare(st, g.c_str(), "lab", base.c_str(), &res, &detail))
        << (detail ? detail : "");
    EXPECT_FALSE(res.created);
    EXPECT_EQ(1u, res.evicted);
    sdvm_store_result_clear(&res);
    EXPECT_TRUE(Exists(g_lab));
    EXPECT_TRUE(Exists(g_other));
    EXPECT_FALSE(Exists(ph));
    EXPECT_TRUE(Exists(pi));
    EXPECT_TRUE(Logged("evicted user " + h + " image lab"));
}

TEST_F(Evict, ReserveAndAdminEvict)
{
    std::string j = UserId("j@example.org"), k = UserId("k@example.org");
    std::string pj = MakeDisk(j, "lab", 12, 3);
    std::string pk = MakeDisk(k, "lab", 12, 2);
    // With no reserve a new 40 MiB login fits only after evicting j: sdvm-admin evict
    // (no --image: the largest image, 40 MiB; no --user: a new user) does it.
    auto run = Sh(std::string(Admin()) + " --config " + Config() + " evict");
    EXPECT_EQ(0, run.status) << run.output;
    EXPECT_NE(std::string::npos, run.output.find("evicted user " + j)) << run.output;
    EXPECT_FALSE(Exists(pj));
    EXPECT_TRUE(Exists(pk));

    // A reserve larger than the file system makes any login impossible: DISK_FULL.
    sdvm_store_free(st);
    sdvm_store_options o = {users.c_str(), SDVM_STORE_BACKEND_QCOW2, 64 * MiB};
    ASSERT_EQ(0, sdvm_store_new(&o, &st));
    size_t n = 99;
    uint64_t freed = 99;
    char *detail = nullptr;
    EXPECT_EQ(SDVM_FAILURE_DISK_FULL,
              sdvm_store_make_room(st, nullptr, nullptr, 1 * MiB, &n, &freed, &detail));
    EXPECT_EQ(0u, n);
    EXPECT_EQ(0u, freed);
    EXPECT_NE(nullptr, detail);
    free(detail);
    EXPECT_TRUE(Exists(pk));
}

int
main(int argc, char **argv)
{
    return coretest::RootTestMain(argc, argv, "test-core-evict");
}
