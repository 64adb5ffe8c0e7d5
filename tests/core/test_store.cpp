// The disk store without root: creating, reusing and refusing disks, the in-use check
// against a real QEMU lock (qemu-io), crash safety at every step, listing.
#include <gtest/gtest.h>

#include <sys/file.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <string>
#include <thread>
#include <vector>

#include "core-test-util.h"

extern "C" {
#include "sdvm/nai.h"
#include "sdvm/qcow2.h"
#include "sdvm/store.h"
#include "sdvm/user-id.h"
}

using coretest::Exists;
using coretest::Sh;
using coretest::TempDir;

namespace {

std::string
UserId(const char *nai_text)
{
    sdvm_nai *nai = nullptr;
    if (sdvm_nai_parse(nai_text, SDVM_NAI_NUL_TERMINATED, 0, &nai, nullptr) != 0)
        return "";
    char id[SDVM_USER_ID_SIZE];
    sdvm_user_id(nai, id);
    sdvm_nai_free(nai);
    return id;
}

// A process holding an image the way QEMU does: qemu-io with its stdin kept open.
class QemuHolder {
  public:
    explicit QemuHolder(const std::string &path)
    {
        pipe_ = popen(("exec qemu-io -f qcow2 " + path + " >/dev/null 2>&1").c_str(), "w");
        for (int i = 0; i < 500 && sdvm_store_disk_in_use(path.c_str()) != 1; i++)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ~QemuHolder() { Release(); }
    void Release()
    {
        if (pipe_) {
            fputs("quit\n", pipe_);
            pclose(pipe_);
            pipe_ = nullptr;
        }
    }

  private:
    FILE *pipe_ = nullptr;
};

class Store : public ::testing::Test {
  protected:
    void SetUp() override
    {
        if (!coretest::HaveTool("qemu-img"))
            GTEST_SKIP() << "qemu-img not installed (qemu-utils)";
        base = dir / "base.qcow2";
        ASSERT_EQ(0, Sh("qemu-img create -q -f qcow2 " + base + " 64M").status);
        users = dir / "users";
        sdvm_store_options o = {users.c_str(), SDVM_STORE_BACKEND_QCOW2, 0};
        ASSERT_EQ(0, sdvm_store_new(&o, &st));
        alice = UserId("alice@example.org");
        bob = UserId("bob@example.org");
    }
    void TearDown() override { sdvm_store_free(st); }

    sdvm_failure Prepare(const std::string &user, const char *image, sdvm_store_result *res,
                         std::string *detail = nullptr)
    {
        char *d = nullptr;
        sdvm_failure f = sdvm_store_prepare(st, user.c_str(), image, base.c_str(), res, &d);
        if (detail)
            *detail = d ? d : "";
        free(d);
        return f;
    }

    TempDir dir;
    std::string base, users, alice, bob;
    sdvm_store *st = nullptr;
};

} // namespace

TEST_F(Store, CreatesAnOverlayQemuAccepts)
{
    sdvm_store_result res;
    std::string detail;
    ASSERT_EQ(SDVM_FAILURE_NONE, Prepare(alice, "lab", &res, &detail)) << detail;
    std::string want = users + "/" + alice + "/lab.qcow2";
    EXPECT_EQ(want, res.disk_path);
    EXPECT_TRUE(res.created);
    EXPECT_EQ(0u, res.evicted);

    auto check = Sh("qemu-img check -f qcow2 " + want);
    EXPECT_EQ(0, check.status) << check.output;
    auto info = Sh("qemu-img info -f qcow2 " + want);
    EXPECT_NE(std::string::npos, info.output.find("backing file: " + base)) << info.output;
    EXPECT_NE(std::string::npos, info.output.find("backing file format: qcow2"));
    EXPECT_NE(std::string::npos, info.output.find("virtual size: 64 MiB (67108864 bytes)"));
    auto cmp = Sh("qemu-img compare " + want + " " + base);
    EXPECT_EQ(0, cmp.status) << cmp.output;

    struct stat sb;
    ASSERT_EQ(0, stat(want.c_str(), &sb));
    EXPECT_EQ(0600u, sb.st_mode & 0777);
    ASSERT_EQ(0, stat((users + "/" + alice).c_str(), &sb));
    EXPECT_EQ(0700u, sb.st_mode & 0777);
    // Only the disk: no temporary file left behind.
    EXPECT_EQ(std::vector<std::string>{"lab.qcow2"}, coretest::ListDir(users + "/" + alice));
    sdvm_store_result_clear(&res);
    EXPECT_EQ(nullptr, res.disk_path);
}

TEST_F(Store, ReusesAndTouchesTheDisk)
{
    sdvm_store_result res;
    ASSERT_EQ(SDVM_FAILURE_NONE, Prepare(alice, "lab", &res));
    ASSERT_EQ(0, Sh("qemu-io -f qcow2 -c 'write -P 0x5a 0 1M' " + std::string(res.disk_path)).status);
    std::string path = res.disk_path;
    std::string before = coretest::ReadFile(path);
    struct timespec old[2] = {{1000000000, 0}, {1000000000, 0}};
    ASSERT_EQ(0, utimensat(AT_FDCWD, path.c_str(), old, 0));
    sdvm_store_result_clear(&res);

    ASSERT_EQ(SDVM_FAILURE_NONE, Prepare(alice, "lab", &res));
    EXPECT_FALSE(res.created);
    EXPECT_EQ(path, res.disk_path);
    struct stat sb;
    ASSERT_EQ(0, stat(path.c_str(), &sb));
    EXPECT_GT(sb.st_mtim.tv_sec, time(nullptr) - 60);
    EXPECT_EQ(before, coretest::ReadFile(path)); // the user's data is kept
    sdvm_store_result_clear(&res);
}

TEST_F(Store, InUseByQemu)
{
    if (!coretest::HaveTool("qemu-io"))
        GTEST_SKIP() << "qemu-io not installed";
    sdvm_store_result res;
    ASSERT_EQ(SDVM_FAILURE_NONE, Prepare(alice, "lab", &res));
    std::string path = res.disk_path;
    sdvm_store_result_clear(&res);
    EXPECT_EQ(0, sdvm_store_disk_in_use(path.c_str()));
    {
        QemuHolder qemu(path);
        EXPECT_EQ(1, sdvm_store_disk_in_use(path.c_str()));
        std::string detail;
        EXPECT_EQ(SDVM_FAILURE_DISK_IN_USE, Prepare(alice, "lab", &res, &detail));
        EXPECT_NE(std::string::npos, detail.find("held by a running guest")) << detail;
        EXPECT_EQ(nullptr, res.disk_path);

        sdvm_disk_list list;
        ASSERT_EQ(0, sdvm_store_list_disks(st, SDVM_STORE_LIST_IN_USE, &list));
        ASSERT_EQ(1u, list.count);
        EXPECT_EQ(1, list.disks[0].in_use);
        sdvm_disk_list_clear(&list);
        qemu.Release();
    }
    EXPECT_EQ(0, sdvm_store_disk_in_use(path.c_str()));
    EXPECT_EQ(-ENOENT, sdvm_store_disk_in_use((users + "/none.qcow2").c_str()));
}

// QEMU's OFD locks are what counts: a flock() is invisible to it (and to us), an OFD read
// lock on the permission bytes is seen.
TEST_F(Store, InUseMeansOfdLocks)
{
    sdvm_store_result res;
    ASSERT_EQ(SDVM_FAILURE_NONE, Prepare(alice, "lab", &res));
    std::string path = res.disk_path;
    sdvm_store_result_clear(&res);
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(0, flock(fd, LOCK_EX));
    EXPECT_EQ(0, sdvm_store_disk_in_use(path.c_str()));
    struct flock fl = {};
    fl.l_type = F_RDLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = 201; // QEMU's "shared" byte for the write permission
    fl.l_len = 1;
    ASSERT_EQ(0, fcntl(fd, F_OFD_SETLK, &fl));
    EXPECT_EQ(1, sdvm_store_disk_in_use(path.c_str()));
    close(fd);
    EXPECT_EQ(0, sdvm_store_disk_in_use(path.c_str()));
}

TEST_F(Store, Refusals)
{
    sdvm_store_result res;
    std::string detail;
    EXPECT_EQ(SDVM_FAILURE_INTERNAL, Prepare("../../etc", "lab", &res, &detail));
    EXPECT_EQ(SDVM_FAILURE_INTERNAL, Prepare(alice, "../x", &res));
    EXPECT_EQ(SDVM_FAILURE_INTERNAL, Prepare(alice, ".hidden", &res));
    EXPECT_FALSE(Exists(users + "/" + alice));

    char *d = nullptr;
    EXPECT_EQ(SDVM_FAILURE_IMAGE_UNAVAILABLE,
              sdvm_store_prepare(st, alice.c_str(), "lab", (dir / "none.qcow2").c_str(), &res, &d));
    ASSERT_NE(nullptr, d);
    EXPECT_NE(std::string::npos, std::string(d).find("none.qcow2")) << d;
    free(d);
    coretest::WriteFile(dir / "raw.img", std::string(1 << 20, '\0'));
    EXPECT_EQ(SDVM_FAILURE_IMAGE_UNAVAILABLE,
              sdvm_store_prepare(st, alice.c_str(), "lab", (dir / "raw.img").c_str(), &res, nullptr));

    // An existing disk that is not a qcow2, or backed by another base: left untouched.
    ASSERT_EQ(0, mkdir((users + "/" + bob).c_str(), 0700));
    std::string junk = users + "/" + bob + "/lab.qcow2";
    coretest::WriteFile(junk, "my thesis, not a disk");
    EXPECT_EQ(SDVM_FAILURE_DISK_ERROR, Prepare(bob, "lab", &res, &detail));
    EXPECT_NE(std::string::npos, detail.find("not a qcow2")) << detail;
    EXPECT_EQ("my thesis, not a disk", coretest::ReadFile(junk));

    std::string other = dir / "other.qcow2";
    ASSERT_EQ(0, Sh("qemu-img create -q -f qcow2 " + other + " 64M").status);
    ASSERT_EQ(0, Sh("rm " + junk + " && qemu-img create -q -f qcow2 -b " + other +
                    " -F qcow2 " + junk).status);
    // Backed by another base (an older version of the image): retired, kept whole under a
    // new name (the space rule evicts it first), and a new disk made on the image's base.
    std::string before = coretest::ReadFile(junk);
    EXPECT_EQ(SDVM_FAILURE_NONE, Prepare(bob, "lab", &res, &detail)) << detail;
    EXPECT_TRUE(res.created);
    EXPECT_EQ(SDVM_STORE_RENEWAL_NEW_VERSION, res.renewal);
    sdvm_store_result_clear(&res);
    std::string retired = Sh("ls " + users + "/" + bob + "/lab.retired-*.qcow2").output;
    ASSERT_FALSE(retired.empty());
    retired.erase(retired.find_last_not_of("\n") + 1);
    EXPECT_EQ(before, coretest::ReadFile(retired));
    EXPECT_NE(before, coretest::ReadFile(junk));
    struct sdvm_disk_list list = {};
    ASSERT_EQ(0, sdvm_store_list_disks(st, 0, &list));
    ASSERT_GE(list.count, 2u);
    EXPECT_NE(nullptr, strstr(list.disks[0].image_id, ".retired-")) << "retired disks go first";
    sdvm_disk_list_clear(&list);
}

// Kill the writer after each step: before the rename no disk is visible (a stale temporary
// file at most, which the next login removes); after it the disk is whole.
TEST_F(Store, CrashAtEveryStepLeavesNoHalfDisk)
{
    for (int s = SDVM_STORE_STEP_TEMP_CREATED; s <= SDVM_STORE_STEP_DIR_SYNCED; s++) {
        SCOPED_TRACE("killed after step " + std::to_string(s));
        std::string user = UserId(("crash" + std::to_string(s) + "@example.org").c_str());
        std::string final_path = users + "/" + user + "/lab.qcow2";
        fflush(nullptr);
        pid_t pid = fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            static int kill_at;
            kill_at = s;
            sdvm_store_set_step_hook(
                st,
                [](sdvm_store_step step, const char *, void *) {
                    if (step == kill_at)
                        raise(SIGKILL);
                },
                nullptr);
            sdvm_store_result r;
            sdvm_store_prepare(st, user.c_str(), "lab", base.c_str(), &r, nullptr);
            _exit(3); // not reached
        }
        int status = 0;
        ASSERT_EQ(pid, waitpid(pid, &status, 0));
        ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;

        if (s < SDVM_STORE_STEP_RENAMED) {
            EXPECT_FALSE(Exists(final_path));
        } else {
            ASSERT_TRUE(Exists(final_path));
            auto check = Sh("qemu-img check -f qcow2 " + final_path);
            EXPECT_EQ(0, check.status) << check.output;
        }
        // The next login gives a whole disk and sweeps the leftovers.
        sdvm_store_result res;
        std::string detail;
        ASSERT_EQ(SDVM_FAILURE_NONE, Prepare(user, "lab", &res, &detail)) << detail;
        EXPECT_EQ(s < SDVM_STORE_STEP_RENAMED, res.created);
        sdvm_store_result_clear(&res);
        EXPECT_EQ(std::vector<std::string>{"lab.qcow2"}, coretest::ListDir(users + "/" + user));
        auto check = Sh("qemu-img check -f qcow2 " + final_path);
        EXPECT_EQ(0, check.status) << check.output;
    }
}

TEST_F(Store, ListingIgnoresForeignEntriesAndSortsByLastUse)
{
    sdvm_store_result res;
    ASSERT_EQ(SDVM_FAILURE_NONE, Prepare(alice, "lab", &res));
    std::string a = res.disk_path;
    sdvm_store_result_clear(&res);
    ASSERT_EQ(SDVM_FAILURE_NONE, Prepare(bob, "lab", &res));
    std::string b = res.disk_path;
    sdvm_store_result_clear(&res);
    ASSERT_EQ(SDVM_FAILURE_NONE, Prepare(bob, "other", &res));
    sdvm_store_result_clear(&res);
    struct timespec t_old[2] = {{2000, 0}, {2000, 0}}, t_older[2] = {{1000, 0}, {1000, 0}};
    ASSERT_EQ(0, utimensat(AT_FDCWD, a.c_str(), t_old, 0));
    ASSERT_EQ(0, utimensat(AT_FDCWD, b.c_str(), t_older, 0));
    // Foreign things.
    coretest::WriteFile(users + "/README", "");
    ASSERT_EQ(0, mkdir((users + "/not-a-user").c_str(), 0700));
    coretest::WriteFile(users + "/not-a-user/x.qcow2", "");
    coretest::WriteFile(users + "/" + alice + "/notes.txt", "");
    coretest::WriteFile(users + "/" + alice + "/bad id.qcow2", "");
    ASSERT_EQ(0, symlink(base.c_str(), (users + "/" + alice + "/link.qcow2").c_str()));
    coretest::WriteFile(users + "/" + alice + "/.lab.qcow2.tmp-abcdef", "");

    sdvm_disk_list list;
    ASSERT_EQ(0, sdvm_store_list_disks(st, SDVM_STORE_LIST_VIRTUAL_SIZE, &list));
    ASSERT_EQ(3u, list.count);
    EXPECT_EQ(b, list.disks[0].path);
    EXPECT_EQ(a, list.disks[1].path);
    EXPECT_STREQ(bob.c_str(), list.disks[0].user_id);
    EXPECT_STREQ("lab", list.disks[0].image_id);
    EXPECT_STREQ("other", list.disks[2].image_id);
    EXPECT_EQ(1000, list.disks[0].mtime.tv_sec);
    EXPECT_EQ(UINT64_C(64) << 20, list.disks[0].virtual_size);
    EXPECT_EQ(-1, list.disks[0].in_use); // not asked
    EXPECT_GT(list.disks[0].allocated_bytes, 0u);
    EXPECT_EQ(list.disks[0].allocated_bytes, list.disks[0].own_bytes);
    sdvm_disk_list_clear(&list);

    // Stale temporary files go at start-up cleanup (here: any age).
    EXPECT_EQ(1, sdvm_store_cleanup_temp(st, 0));
    EXPECT_FALSE(Exists(users + "/" + alice + "/.lab.qcow2.tmp-abcdef"));
    EXPECT_TRUE(Exists(users + "/" + alice + "/notes.txt"));
}

// sdvmd keeps one store: listings remember directories, and must still see every change.
TEST_F(Store, RepeatedListingsSeeChanges)
{
    auto count = [&]() {
        sdvm_disk_list list;
        EXPECT_EQ(0, sdvm_store_list_disks(st, 0, &list));
        size_t n = list.count;
        sdvm_disk_list_clear(&list);
        return n;
    };
    sdvm_store_result res;
    ASSERT_EQ(SDVM_FAILURE_NONE, Prepare(alice, "lab", &res));
    sdvm_store_result_clear(&res);
    EXPECT_EQ(1u, count());
    // Changed right after being read (same second): read again.
    ASSERT_EQ(SDVM_FAILURE_NONE, Prepare(alice, "two", &res));
    sdvm_store_result_clear(&res);
    EXPECT_EQ(2u, count());
    // An old directory, remembered as clean; then a disk appears in it.
    std::string adir = users + "/" + alice;
    struct timespec old[2] = {{1000, 0}, {1000, 0}};
    ASSERT_EQ(0, utimensat(AT_FDCWD, adir.c_str(), old, 0));
    EXPECT_EQ(2u, count());
    EXPECT_EQ(2u, count());
    coretest::WriteFile(adir + "/three.qcow2", "");
    EXPECT_EQ(3u, count());
    ASSERT_EQ(0, unlink((adir + "/two.qcow2").c_str()));
    EXPECT_EQ(2u, count());
    ASSERT_EQ(0, Sh("rm -r " + adir).status);
    EXPECT_EQ(0u, count());
}

// Enough users for the scan to use several threads (on a machine with several CPUs). On
// /dev/shm when there is one: creating thousands of inodes is slow on a busy ext4.
TEST(StoreScan, ManyUsers)
{
    TempDir dir(access("/dev/shm", W_OK) == 0 ? "/dev/shm" : coretest::ScratchRoot());
    const std::string users = dir / "users";
    sdvm_store_options o = {users.c_str(), SDVM_STORE_BACKEND_QCOW2, 0};
    sdvm_store *st = nullptr;
    ASSERT_EQ(0, sdvm_store_new(&o, &st));
    const int n = 2100; // above 2048: two threads where there are two CPUs
    for (int i = 0; i < n; i++) {
        std::string u = UserId(("u" + std::to_string(i) + "@example.org").c_str());
        ASSERT_EQ(0, mkdir((users + "/" + u).c_str(), 0700));
        std::string p = users + "/" + u + "/lab.qcow2";
        coretest::WriteFile(p, "", 0600);
        struct timespec t[2] = {{1000 + (i * 7919L) % 5000, 0}, {1000 + (i * 7919L) % 5000, 0}};
        ASSERT_EQ(0, utimensat(AT_FDCWD, p.c_str(), t, 0));
    }
    for (int round = 0; round < 2; round++) {
        sdvm_disk_list list;
        ASSERT_EQ(0, sdvm_store_list_disks(st, 0, &list));
        ASSERT_EQ(size_t(n), list.count);
        for (size_t i = 1; i < list.count; i++)
            ASSERT_LE(list.disks[i - 1].mtime.tv_sec, list.disks[i].mtime.tv_sec);
        sdvm_disk_list_clear(&list);
    }
    sdvm_store_free(st);
}

TEST_F(Store, PlanWhenTheRuleHolds)
{
    sdvm_evict_plan plan;
    ASSERT_EQ(0, sdvm_store_plan_eviction(st, alice.c_str(), "lab", UINT64_C(64) << 20, &plan));
    EXPECT_TRUE(plan.rule_holds);
    EXPECT_TRUE(plan.feasible);
    EXPECT_EQ(0u, plan.victims.count);
    EXPECT_EQ(UINT64_C(64) << 20, plan.needed_bytes);
    EXPECT_GT(plan.free_bytes, plan.needed_bytes);
    sdvm_evict_plan_clear(&plan);
    EXPECT_EQ(-EINVAL, sdvm_store_plan_eviction(st, "nope", "lab", 1, &plan));
}

TEST(StoreNew, OptionsAndBackends)
{
    TempDir dir;
    sdvm_store *st = nullptr;
    const std::string u = dir / "u", missing = dir / "missing/parent";
    sdvm_store_options o = {u.c_str(), SDVM_STORE_BACKEND_ZVOL, 0};
    EXPECT_EQ(-EOPNOTSUPP, sdvm_store_new(&o, &st));
    EXPECT_EQ(nullptr, st);
    o.backend = SDVM_STORE_BACKEND_QCOW2;
    o.users_dir = missing.c_str();
    EXPECT_EQ(-ENOENT, sdvm_store_new(&o, &st));
    o.users_dir = "";
    EXPECT_EQ(-EINVAL, sdvm_store_new(&o, &st));

    sdvm_config *cfg = sdvm_config_new_defaults();
    free(cfg->paths.users_dir);
    cfg->paths.users_dir = strdup((dir / "users").c_str());
    cfg->store.reserve_mib = 5;
    ASSERT_EQ(0, sdvm_store_new_from_config(cfg, &st));
    EXPECT_EQ(dir / "users", sdvm_store_users_dir(st));
    EXPECT_EQ(SDVM_STORE_BACKEND_QCOW2, sdvm_store_backend(st));
    sdvm_evict_plan plan;
    ASSERT_EQ(0, sdvm_store_plan_eviction(st, nullptr, nullptr, 0, &plan));
    EXPECT_EQ(UINT64_C(5) << 20, plan.reserve);
    sdvm_evict_plan_clear(&plan);
    char *p = sdvm_store_disk_path(st, "xAxnjQtFYigt1naoByWwAO7dWeb9GovCTXN2GOWdHyM", "win10");
    EXPECT_EQ(dir / "users/xAxnjQtFYigt1naoByWwAO7dWeb9GovCTXN2GOWdHyM/win10.qcow2", p);
    free(p);
    EXPECT_EQ(nullptr, sdvm_store_disk_path(st, "../..", "win10"));
    sdvm_store_free(st);
    sdvm_config_free(cfg);
    sdvm_store_free(nullptr);
}

// Review finding M4: a base replaced in place (a new file renamed over it, or its bytes
// rewritten) must never be booted under a disk made on the old one. The person's old disk is
// kept aside whole, a new disk is made, and the result says why; sdvm-admin disks sees it.
TEST_F(Store, BaseReplacedInPlaceIsNeverBootedUnderAnOldDisk)
{
    const std::string disk = users + "/" + alice + "/lab.qcow2";
    struct Replace {
        const char *how;
        std::string command;
    };
    const std::string fresh = dir / "fresh.qcow2";
    const std::vector<Replace> ways = {
        // What an administrator does with the new version of an image.
        {"renamed over", "qemu-img create -q -f qcow2 " + fresh + " 64M && mv " + fresh + " " +
                             base},
        {"rewritten in place", "qemu-img create -q -f qcow2 " + fresh + " 128M && cat " + fresh +
                                   " > " + base},
        {"copied over, same size", "qemu-img create -q -f qcow2 " + fresh + " 128M && " +
                                       "qemu-io -f qcow2 -c 'write -P 7 0 64k' " + fresh +
                                       " >/dev/null && cp " + fresh + " " + base},
    };
    for (const Replace &way : ways) {
        SCOPED_TRACE(way.how);
        sdvm_store_result res;
        std::string detail;
        ASSERT_EQ(SDVM_FAILURE_NONE, Prepare(alice, "lab", &res, &detail)) << detail;
        EXPECT_EQ(SDVM_STORE_RENEWAL_NONE, res.renewal);
        sdvm_store_result_clear(&res);
        // Her files, written by her guest.
        ASSERT_EQ(0, Sh("qemu-io -f qcow2 -c 'write -P 0x61 1M 64k' " + disk + " >/dev/null")
                         .status);
        const std::string hers = coretest::ReadFile(disk);
        // Reused while the base stays as it was.
        ASSERT_EQ(SDVM_FAILURE_NONE, Prepare(alice, "lab", &res, &detail)) << detail;
        EXPECT_FALSE(res.created);
        EXPECT_EQ(SDVM_STORE_RENEWAL_NONE, res.renewal);
        sdvm_store_result_clear(&res);

        std::this_thread::sleep_for(std::chrono::milliseconds(20)); // a visible mtime step
        ASSERT_EQ(0, Sh(way.command).status);

        struct sdvm_disk_list list = {};
        ASSERT_EQ(0, sdvm_store_list_disks(st, SDVM_STORE_LIST_BASE, &list));
        bool seen = false;
        for (size_t i = 0; i < list.count; i++)
            if (list.disks[i].path == disk) {
                seen = true;
                EXPECT_EQ(SDVM_DISK_BASE_CHANGED, list.disks[i].base);
            }
        EXPECT_TRUE(seen);
        sdvm_disk_list_clear(&list);

        ASSERT_EQ(SDVM_FAILURE_NONE, Prepare(alice, "lab", &res, &detail)) << detail;
        EXPECT_TRUE(res.created) << "the old overlay was reused over a changed base";
        EXPECT_EQ(SDVM_STORE_RENEWAL_BASE_CHANGED, res.renewal);
        ASSERT_NE(nullptr, res.retired_path);
        EXPECT_NE(nullptr, strstr(res.retired_path, "/lab" SDVM_STORE_RETIRED_MARK));
        EXPECT_EQ(hers, coretest::ReadFile(res.retired_path)) << "her old disk was not kept whole";
        const std::string retired = res.retired_path;
        sdvm_store_result_clear(&res);
        struct sdvm_qcow2_info info;
        ASSERT_EQ(0, sdvm_qcow2_read_info_path(disk.c_str(), &info));
        ASSERT_TRUE(info.has_base_stamp);
        int bfd = open(base.c_str(), O_RDONLY | O_CLOEXEC);
        ASSERT_GE(bfd, 0);
        struct sdvm_qcow2_base_stamp now;
        ASSERT_EQ(0, sdvm_qcow2_base_stamp_of(bfd, &now));
        close(bfd);
        EXPECT_TRUE(sdvm_qcow2_base_stamp_equal(&now, &info.base_stamp));
        EXPECT_EQ(0, Sh("qemu-img check -q -f qcow2 " + disk).status);

        ASSERT_EQ(0, sdvm_store_list_disks(st, SDVM_STORE_LIST_BASE, &list));
        for (size_t i = 0; i < list.count; i++) {
            if (list.disks[i].path == disk) {
                EXPECT_EQ(SDVM_DISK_BASE_SAME, list.disks[i].base);
            }
        }
        EXPECT_NE(nullptr, strstr(list.disks[0].image_id, SDVM_STORE_RETIRED_MARK))
            << "retired disks are evicted first";
        sdvm_disk_list_clear(&list);
        ASSERT_EQ(0, unlink(retired.c_str()));
    }
}

// A disk made before SDVM recorded base stamps (qemu-img's own overlay here) has nothing to
// compare: it is reused as before, and listed as unrecorded.
TEST_F(Store, DiskWithoutABaseStampIsReusedAndListedAsUnrecorded)
{
    ASSERT_EQ(0, mkdir((users + "/" + bob).c_str(), 0700));
    const std::string disk = users + "/" + bob + "/lab.qcow2";
    ASSERT_EQ(0, Sh("qemu-img create -q -f qcow2 -b " + base + " -F qcow2 " + disk).status);
    sdvm_store_result res;
    std::string detail;
    ASSERT_EQ(SDVM_FAILURE_NONE, Prepare(bob, "lab", &res, &detail)) << detail;
    EXPECT_FALSE(res.created);
    EXPECT_EQ(SDVM_STORE_RENEWAL_NONE, res.renewal);
    sdvm_store_result_clear(&res);
    struct sdvm_disk_list list = {};
    ASSERT_EQ(0, sdvm_store_list_disks(st, SDVM_STORE_LIST_BASE, &list));
    ASSERT_EQ(1u, list.count);
    EXPECT_EQ(SDVM_DISK_BASE_UNRECORDED, list.disks[0].base);
    sdvm_disk_list_clear(&list);
}
