// Review M6, M7: a stop waits for the guest's own stop timeout, the devices' give-back and the
// logout, and the service manager waits longer than that before it kills. The numbers live in
// guest-exit.h; the unit file, the OpenRC script and run-guest's defaults are read here
// against them. And run-guest's journal lives where a stop or a reboot leaves it.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "sdvm/guest-exit.h"

namespace {
std::string
source(const std::string &rel)
{
    std::ifstream f(std::string(SDVM_TEST_SOURCE_DIR) + "/" + rel);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

// The value of the first line matching `pattern` (one capture group), or "".
std::string
value(const std::string &text, const std::string &pattern)
{
    std::smatch m;
    std::regex re(pattern, std::regex::multiline);
    return std::regex_search(text, m, re) ? m[1].str() : std::string();
}
} // namespace

TEST(StopTimeouts, TheGraceCoversTheGuestTheUndoAndTheLogout)
{
    EXPECT_EQ(SDVMD_STOP_GRACE_S,
              SDVM_GUEST_STOP_TIMEOUT_S + SDVM_GUEST_UNDO_ALLOWANCE_S + SDVMD_LOGOUT_ALLOWANCE_S);
    EXPECT_GT(SDVMD_STOP_TIMEOUT_S, SDVMD_STOP_GRACE_S);
}

TEST(StopTimeouts, TheSystemdUnitWaitsLongerThanSdvmdsStop)
{
    std::string unit = source("packaging/systemd/sdvmd.service");
    ASSERT_FALSE(unit.empty());
    EXPECT_EQ(std::to_string(SDVMD_STOP_TIMEOUT_S), value(unit, "^TimeoutStopSec=([0-9]+)$"))
        << "TimeoutStopSec= must be SDVMD_STOP_TIMEOUT_S (guest-exit.h)";
    // SIGTERM to sdvmd alone: it orders the stop; run-guest and QEMU hear from it.
    EXPECT_EQ("mixed", value(unit, "^KillMode=([a-z-]+)$"));
    // The journal is kept in the state directory, which systemd never removes.
    EXPECT_EQ("sdvm", value(unit, "^StateDirectory=(\\S+)$"));
    EXPECT_EQ("", value(unit, "^RuntimeDirectoryPreserve=(\\S+)$"))
        << "the journal must not depend on the RuntimeDirectory being kept";
}

TEST(StopTimeouts, TheOpenRcScriptWaitsLongerThanSdvmdsStop)
{
    std::string rc = source("packaging/openrc/sdvmd");
    ASSERT_FALSE(rc.empty());
    EXPECT_EQ(std::to_string(SDVMD_STOP_TIMEOUT_S),
              value(rc, "^retry=\"TERM/([0-9]+)/KILL/[0-9]+\"$"));
}

TEST(StopTimeouts, RunGuestsDefaultsAreTheSameNumbers)
{
    std::string rg = source("session-scripts/run-guest.in");
    ASSERT_FALSE(rg.empty());
    EXPECT_EQ(std::to_string(SDVM_GUEST_STOP_TIMEOUT_S),
              value(rg, "^: \"\\$\\{SDVM_STOP_TIMEOUT:=([0-9]+)\\}\""));
    EXPECT_EQ(std::to_string(SDVM_GUEST_UNDO_ALLOWANCE_S),
              value(rg, "^: \"\\$\\{SDVM_UNDO_TIMEOUT:=([0-9]+)\\}\""));
}

TEST(StopTimeouts, TheUndoJournalIsKeptAcrossStopsAndReboots)
{
    std::string rg = source("session-scripts/run-guest.in");
    std::string dir = value(rg, "^: \"\\$\\{SDVM_RUN_DIR:=([^}]+)\\}\"");
    EXPECT_EQ("@SDVM_STATEDIR@/guest", dir)
        << "the journal (SDVM_RUN_DIR) must be in the state dir, not in /run (RuntimeDirectory)";
    std::string tmpfiles = source("packaging/systemd/sdvm.tmpfiles");
    EXPECT_NE(std::string::npos, tmpfiles.find("d /var/lib/sdvm/guest "));
}
