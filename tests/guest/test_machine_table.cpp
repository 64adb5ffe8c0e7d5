// Machine tables (session-scripts/devices/table.c): the shipped tables load with the values
// the thesis gives, and every kind of mistake is refused naming the file, section and key.
#include <glib.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

extern "C" {
#include "table.h"
}

namespace
{

std::string
source(const std::string &rel)
{
    const char *src = std::getenv("SDVM_SOURCE_DIR");
    return std::string(src ? src : ".") + "/" + rel;
}

class Table : public ::testing::Test
{
  protected:
    void
    SetUp() override
    {
        char tmpl[] = "/tmp/sdvm-table-test.XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
    }
    void
    TearDown() override
    {
        unlink((dir_ + "/t.conf").c_str());
        rmdir(dir_.c_str());
    }
    // Load `text` as a table; returns the error ("" when it loaded).
    std::string
    load_error(const std::string &text)
    {
        std::string path = dir_ + "/t.conf";
        std::ofstream(path) << text;
        char *error = nullptr;
        struct machine_table *t = table_load(path.c_str(), "t", &error);
        std::string e = error ? error : "";
        g_free(error);
        table_free(t);
        EXPECT_EQ(t == nullptr, !e.empty());
        return e;
    }
    std::string dir_;
};

const char kMachine[] = "[Machine]\nProductNames=X\n";

TEST(TableAddress, Normalizes)
{
    char out[16];
    EXPECT_TRUE(table_normalize_address("00:02.0", out));
    EXPECT_STREQ(out, "0000:00:02.0");
    EXPECT_TRUE(table_normalize_address("0000:00:1F.3", out));
    EXPECT_STREQ(out, "0000:00:1f.3");
    for (const char *bad : {"", "00:02", "0:02.0", "00:20.0", "00:02.8", "00:02.0 ", "x0:02.0",
                            "0000:00:02.0.1", "../00:02.0", "0x00:02.0"})
        EXPECT_FALSE(table_normalize_address(bad, out)) << bad;
}

TEST(ShippedTables, Optiplex7010IsTheThesisMachine)
{
    char *error = nullptr;
    std::string path = source("session-scripts/machines.d/optiplex-7010.conf");
    struct machine_table *t = table_load(path.c_str(), "optiplex-7010", &error);
    ASSERT_NE(t, nullptr) << error;
    ASSERT_EQ(t->n_devices, 5u);
    const char *order[] = {"0000:00:02.0", "0000:00:1d.0", "0000:00:1a.0", "0000:00:14.0",
                           "0000:00:1b.0"};
    for (size_t i = 0; i < 5; i++) {
        EXPECT_STREQ(t->devices[i].address, order[i]);
        EXPECT_EQ(t->devices[i].vendor, 0x8086u);
    }
    EXPECT_STREQ(t->devices[0].guest_address, "0x02");
    EXPECT_TRUE(table_device_class_matches(&t->devices[0], 0x030000));
    EXPECT_FALSE(table_device_class_matches(&t->devices[0], 0x010000));
    EXPECT_TRUE(table_device_class_matches(&t->devices[3], 0x0c0330));
    EXPECT_STREQ(t->qemu_machine, "pc");
    EXPECT_STREQ(t->bus, "pci.0");
    EXPECT_STREQ(t->cpu, "host");
    EXPECT_EQ(t->hugepages, HUGEPAGES_REQUIRED);
    const struct table_ostype *w = table_find_ostype(t, "Windows");
    ASSERT_NE(w, nullptr);
    EXPECT_STREQ(w->rtc, "base=localtime,clock=vm");
    table_free(t);
}

TEST(ShippedTables, AllLoad)
{
    for (const char *name : {"generic", "optiplex-7010", "optiplex-9020", "optiplex-7040"}) {
        char *error = nullptr;
        std::string path = source(std::string("session-scripts/machines.d/") + name + ".conf");
        struct machine_table *t = table_load(path.c_str(), name, &error);
        EXPECT_NE(t, nullptr) << name << ": " << (error ? error : "");
        g_free(error);
        table_free(t);
    }
}

TEST_F(Table, MinimalTableGetsDefaults)
{
    std::string path = dir_ + "/t.conf";
    std::ofstream(path) << kMachine;
    char *error = nullptr;
    struct machine_table *t = table_load(path.c_str(), "t", &error);
    ASSERT_NE(t, nullptr) << error;
    EXPECT_EQ(t->n_devices, 0u);
    EXPECT_EQ(t->sockets, 1u);
    EXPECT_EQ(t->cores, 0u);
    EXPECT_EQ(t->threads, 1u);
    EXPECT_EQ(t->memory_mib, 0u);
    EXPECT_EQ(t->host_reserve_mib, 1024u);
    EXPECT_EQ(t->hugepages, HUGEPAGES_OFF);
    EXPECT_EQ(t->hugepage_kib, 2048u);
    EXPECT_STREQ(t->hugepages_path, "/dev/hugepages");
    table_free(t);
}

TEST_F(Table, Q35UsesThePcieBus)
{
    std::string path = dir_ + "/t.conf";
    std::ofstream(path) << "[Machine]\nQemuMachine=q35\n";
    char *error = nullptr;
    struct machine_table *t = table_load(path.c_str(), "t", &error);
    ASSERT_NE(t, nullptr) << error;
    EXPECT_STREQ(t->bus, "pcie.0");
    table_free(t);
}

TEST_F(Table, MistakesAreRefusedWithFileSectionAndKey)
{
    struct Case {
        std::string text, expect;
    } cases[] = {
        {"", "no [Machine] section"},
        {"[Machine]\nHugePages=required\n", "[Machine] HugePages: unknown key"},
        {"[Machine]\nHugepages=maybe\n", "[Machine] Hugepages: 'maybe' is not off"},
        {"[Machine]\nHugepageSizeKiB=4\n", "HugepageSizeKiB: 4 is neither 2048 nor 1048576"},
        {"[Machine]\nHugepagesPath=dev/hugepages\n", "is not an absolute path"},
        {"[Machine]\nMemoryMiB=lots\n", "[Machine] MemoryMiB: 'lots' is neither 'auto'"},
        {"[Machine]\nCores=-1\n", "[Machine] Cores: '-1' is not a number"},
        {"[Machine]\nThreads=0\n", "Sockets and Threads must be at least 1"},
        {std::string(kMachine) + "[Gpu]\n", "[Gpu] unknown section"},
        {std::string(kMachine) + "[Device igpu]\nAddress=00:02.0\nVendor=0x8086\n",
         "[Device igpu] Address, Vendor and Class are required"},
        {std::string(kMachine) + "[Device igpu]\nAddress=2.0\nVendor=0x8086\nClass=0x0300\n",
         "[Device igpu] Address: '2.0' is not a PCI address"},
        {std::string(kMachine) + "[Device igpu]\nAddress=00:02.0\nVendor=8086\nClass=0x0300\n",
         "[Device igpu] Vendor: '8086' is not a hex vendor id"},
        {std::string(kMachine) + "[Device igpu]\nAddress=00:02.0\nVendor=0x8086\nClass=0x030\n",
         "[Device igpu] Class: '0x030' must be"},
        {std::string(kMachine) + "[Device a]\nAddress=00:02.0\nVendor=0x8086\nClass=0x03\n"
                                 "[Device b]\nAddress=0000:00:02.0\nVendor=0x8086\nClass=0x03\n",
         "[Device b] Address: 0000:00:02.0 is already listed in [Device a]"},
        {std::string(kMachine) + "[Device a]\nAddress=00:02.0\nVendor=0x8086\nClass=0x03\n"
                                 "DeviceIds=0x0162;zz\n",
         "[Device a] DeviceIds: 'zz' is not a hex device id"},
        {std::string(kMachine) + "[Device a]\nAddress=00:02.0\nVendor=0x8086\nClass=0x03\n"
                                 "GuestAddress=2,x-evil=on\n",
         "GuestAddress: '2,x-evil=on' is not a slot"},
        {std::string(kMachine) + "[Device a]\nAddress=00:02.0\nVendor=0x8086\nClass=0x03\n"
                                 "Colour=blue\n",
         "[Device a] Colour: unknown key"},
        {std::string(kMachine) + "[OsType windows]\nRtc=base=localtime\\nx\n",
         "[OsType windows] Rtc: value must be a single line"},
        {std::string(kMachine) + "[OsType linux]\nMouse=yes\n",
         "[OsType linux] Mouse: unknown key"},
    };
    for (const auto &c : cases) {
        std::string e = load_error(c.text);
        EXPECT_NE(e.find(dir_ + "/t.conf: "), std::string::npos) << e;
        EXPECT_NE(e.find(c.expect), std::string::npos) << "got: " << e << "\nwant: " << c.expect;
    }
}

TEST_F(Table, ClassPrecisionFollowsTheDigitsGiven)
{
    std::string path = dir_ + "/t.conf";
    std::ofstream(path) << kMachine
                        << "[Device a]\nAddress=00:14.0\nVendor=0x8086\nClass=0x0c\n"
                           "[Device b]\nAddress=00:1a.0\nVendor=0x8086\nClass=0x0c03\n"
                           "[Device c]\nAddress=00:1d.0\nVendor=0x8086\nClass=0x0c0320\n"
                           "DeviceIds=0x1e26\n";
    char *error = nullptr;
    struct machine_table *t = table_load(path.c_str(), "t", &error);
    ASSERT_NE(t, nullptr) << error;
    EXPECT_TRUE(table_device_class_matches(&t->devices[0], 0x0c0330));
    EXPECT_FALSE(table_device_class_matches(&t->devices[0], 0x0d0330));
    EXPECT_TRUE(table_device_class_matches(&t->devices[1], 0x0c0330));
    EXPECT_FALSE(table_device_class_matches(&t->devices[1], 0x0c0500));
    EXPECT_TRUE(table_device_class_matches(&t->devices[2], 0x0c0320));
    EXPECT_FALSE(table_device_class_matches(&t->devices[2], 0x0c0330));
    EXPECT_TRUE(table_device_id_matches(&t->devices[2], 0x1e26));
    EXPECT_FALSE(table_device_id_matches(&t->devices[2], 0x1e2d));
    EXPECT_TRUE(table_device_id_matches(&t->devices[0], 0xffff)); // no list: any id
    EXPECT_STREQ(t->devices[0].guest_address, "0x14");
    table_free(t);
}

} // namespace
