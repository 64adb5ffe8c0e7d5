// run-guest's exit-code contract: the mapping sdvmd uses, and that run-guest (the shell
// script) uses the same numbers as the header.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <string>

extern "C" {
#include "sdvm/guest-exit.h"
}

namespace
{

int
exited(int code)
{
    return (code & 0xff) << 8; // the wait status of a normal exit, as W_EXITCODE builds it
}

int
signaled(int sig)
{
    return sig & 0x7f; // the wait status of a death by signal (no core dump)
}

TEST(GuestExit, ContractCodesMapToTheirFailure)
{
    EXPECT_EQ(sdvm_guest_exit_to_failure(exited(0)), SDVM_FAILURE_NONE);
    EXPECT_EQ(sdvm_guest_exit_to_failure(exited(43)), SDVM_FAILURE_DISK_ERROR);
    EXPECT_EQ(sdvm_guest_exit_to_failure(exited(60)), SDVM_FAILURE_GUEST_START);
    EXPECT_EQ(sdvm_guest_exit_to_failure(exited(61)), SDVM_FAILURE_GUEST_CRASHED);
    EXPECT_EQ(sdvm_guest_exit_to_failure(exited(62)), SDVM_FAILURE_DEVICE_MISMATCH);
    EXPECT_EQ(sdvm_guest_exit_to_failure(exited(63)), SDVM_FAILURE_HUGEPAGES);
    EXPECT_EQ(sdvm_guest_exit_to_failure(exited(64)), SDVM_FAILURE_REBOOT_NEEDED);
    EXPECT_EQ(sdvm_guest_exit_to_failure(exited(65)), SDVM_FAILURE_MACHINE_UNKNOWN);
    EXPECT_EQ(sdvm_guest_exit_to_failure(exited(84)), SDVM_FAILURE_CONFIG);
    EXPECT_EQ(sdvm_guest_exit_to_failure(exited(99)), SDVM_FAILURE_INTERNAL);
}

TEST(GuestExit, CodesEqualTheFailureNumbers)
{
    for (int code : {43, 60, 61, 62, 63, 64, 65, 84, 99})
        EXPECT_EQ(static_cast<int>(sdvm_guest_exit_code_to_failure(code)), code) << code;
}

TEST(GuestExit, ShellErrorsAndUnknownCodesAreInternal)
{
    for (int code : {1, 2, 42, 44, 66, 100, 126, 127, 128, 255})
        EXPECT_EQ(sdvm_guest_exit_code_to_failure(code), SDVM_FAILURE_INTERNAL) << code;
}

TEST(GuestExit, RunGuestKilledBySignalIsACrash)
{
    EXPECT_EQ(sdvm_guest_exit_to_failure(signaled(SIGKILL)), SDVM_FAILURE_GUEST_CRASHED);
    EXPECT_EQ(sdvm_guest_exit_to_failure(signaled(SIGSEGV)), SDVM_FAILURE_GUEST_CRASHED);
    // A real wait status, not a hand-built one.
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        raise(SIGKILL);
        _exit(0);
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_EQ(sdvm_guest_exit_to_failure(status), SDVM_FAILURE_GUEST_CRASHED);
    pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0)
        _exit(63);
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_EQ(sdvm_guest_exit_to_failure(status), SDVM_FAILURE_HUGEPAGES);
}

// run-guest.in spells the codes as EX_NAME=N; each must equal the header's value.
TEST(GuestExit, RunGuestScriptAgreesWithTheHeader)
{
    const char *src = std::getenv("SDVM_SOURCE_DIR");
    ASSERT_NE(src, nullptr);
    std::ifstream f(std::string(src) + "/session-scripts/run-guest.in");
    ASSERT_TRUE(f.good());
    const std::map<std::string, int> expected = {
        {"EX_OK", SDVM_GUEST_EXIT_OK},
        {"EX_DISK", SDVM_GUEST_EXIT_DISK},
        {"EX_START", SDVM_GUEST_EXIT_START},
        {"EX_CRASHED", SDVM_GUEST_EXIT_CRASHED},
        {"EX_DEVICE_MISMATCH", SDVM_GUEST_EXIT_DEVICE_MISMATCH},
        {"EX_HUGEPAGES", SDVM_GUEST_EXIT_HUGEPAGES},
        {"EX_REBOOT_NEEDED", SDVM_GUEST_EXIT_REBOOT_NEEDED},
        {"EX_MACHINE_UNKNOWN", SDVM_GUEST_EXIT_MACHINE_UNKNOWN},
        {"EX_CONFIG", SDVM_GUEST_EXIT_CONFIG},
        {"EX_INTERNAL", SDVM_GUEST_EXIT_INTERNAL},
    };
    std::regex def("^(EX_[A-Z_]+)=([0-9]+)$");
    std::map<std::string, int> found;
    std::string line;
    while (std::getline(f, line)) {
        std::smatch m;
        if (std::regex_match(line, m, def))
            found[m[1]] = std::stoi(m[2]);
    }
    EXPECT_EQ(found, expected);
}

} // namespace
