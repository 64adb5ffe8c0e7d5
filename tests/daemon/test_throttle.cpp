// The slow-down after repeated failed logins: when it starts, how it grows, its cap, what
// counts (wrong passwords, attempts cancelled or abandoned before the verdict), what resets
// it (only the same login's success), per login and per terminal, and that a reload keeps it.
#include <gtest/gtest.h>

extern "C" {
#include "throttle.h"
}

namespace {
struct Throttle {
    sdvmd_throttle *t;
    Throttle(unsigned after, unsigned base, unsigned max) : t(sdvmd_throttle_new(after, base, max)) {}
    ~Throttle() { sdvmd_throttle_free(t); }
    void fail(const char *who, uint64_t now, sdvm_failure f = SDVM_FAILURE_BAD_CREDENTIALS)
    {
        sdvmd_throttle_begin(t, who, now);
        sdvmd_throttle_end(t, who, f, now);
    }
    uint32_t wait(const char *who, uint64_t now) { return sdvmd_throttle_wait_s(t, who, now); }
};
const char *const kAlice = "alice-user-id";
const char *const kBob = "bob-user-id";
} // namespace

TEST(Throttle, NoWaitBeforeTheThreshold)
{
    Throttle th(3, 5, 300);
    EXPECT_EQ(0u, th.wait(kAlice, 0));
    th.fail(kAlice, 1000);
    th.fail(kAlice, 2000);
    EXPECT_EQ(0u, th.wait(kAlice, 2001));
}

TEST(Throttle, GrowsThenCaps)
{
    Throttle th(3, 5, 30);
    uint64_t now = 10000;
    for (int i = 0; i < 3; i++)
        th.fail(kAlice, now);
    EXPECT_EQ(5u, th.wait(kAlice, now));
    EXPECT_EQ(1u, th.wait(kAlice, now + 4001)); // rounded up
    EXPECT_EQ(0u, th.wait(kAlice, now + 5000));

    now += 6000;
    th.fail(kAlice, now);
    EXPECT_EQ(10u, th.wait(kAlice, now));
    now += 11000;
    th.fail(kAlice, now);
    EXPECT_EQ(20u, th.wait(kAlice, now));
    now += 21000;
    th.fail(kAlice, now);
    EXPECT_EQ(30u, th.wait(kAlice, now)); // capped
    for (int i = 0; i < 100; i++)
        th.fail(kAlice, now);
    EXPECT_EQ(30u, th.wait(kAlice, now));
}

TEST(Throttle, OnlyGuessesCountAndOnlyTheSameLoginsSuccessResets)
{
    Throttle th(2, 5, 60);
    th.fail(kAlice, 0, SDVM_FAILURE_NO_NETWORK);
    th.fail(kAlice, 0, SDVM_FAILURE_SERVER_CERT_UNTRUSTED);
    EXPECT_EQ(0u, sdvmd_throttle_failures(th.t, kAlice));
    EXPECT_EQ(0u, sdvmd_throttle_terminal_failures(th.t));
    th.fail(kAlice, 0);
    th.fail(kAlice, 0);
    EXPECT_EQ(5u, th.wait(kAlice, 0));
    // Bob logging in successfully in between changes nothing for Alice.
    sdvmd_throttle_begin(th.t, kBob, 1);
    sdvmd_throttle_end(th.t, kBob, SDVM_FAILURE_NONE, 1);
    EXPECT_EQ(2u, sdvmd_throttle_failures(th.t, kAlice));
    EXPECT_EQ(2u, sdvmd_throttle_terminal_failures(th.t));
    EXPECT_EQ(5u, th.wait(kAlice, 1));
    EXPECT_EQ(0u, th.wait(kBob, 1)) << "Bob is below the terminal's threshold";
    // Alice's own success resets her counter, not the terminal's.
    sdvmd_throttle_begin(th.t, kAlice, 5000);
    sdvmd_throttle_end(th.t, kAlice, SDVM_FAILURE_NONE, 5000);
    EXPECT_EQ(0u, sdvmd_throttle_failures(th.t, kAlice));
    EXPECT_EQ(2u, sdvmd_throttle_terminal_failures(th.t));
}

TEST(Throttle, CancelledAndAbandonedAttemptsCount)
{
    Throttle th(2, 5, 60);
    th.fail(kAlice, 0, SDVM_FAILURE_CANCELLED);
    sdvmd_throttle_begin(th.t, kAlice, 10); // never ended: the client went away
    EXPECT_EQ(2u, sdvmd_throttle_failures(th.t, kAlice));
    EXPECT_EQ(5u, th.wait(kAlice, 10));
}

TEST(Throttle, ManyLoginsHitTheTerminalsThreshold)
{
    Throttle th(2, 5, 60);
    const unsigned terminal_after = 2 * SDVMD_THROTTLE_TERMINAL_FACTOR;
    char who[32];
    for (unsigned i = 0; i < terminal_after; i++) {
        snprintf(who, sizeof(who), "user-%u", i);
        th.fail(who, 100);
    }
    EXPECT_EQ(5u, th.wait("someone-new", 100)) << "one failure each, but many logins";
}

TEST(Throttle, ReconfigureKeepsTheCountsAndQuietForgets)
{
    Throttle th(2, 5, 60);
    th.fail(kAlice, 0);
    th.fail(kAlice, 0);
    sdvmd_throttle_configure(th.t, 2, 10, 60); // sdvm.conf reloaded (SIGHUP)
    EXPECT_EQ(2u, sdvmd_throttle_failures(th.t, kAlice));
    EXPECT_EQ(10u, th.wait(kAlice, 0));
    // Twice the longest wait without a failure: forgotten.
    EXPECT_EQ(0u, th.wait(kAlice, 120000));
    th.fail(kAlice, 120000);
    EXPECT_EQ(1u, sdvmd_throttle_failures(th.t, kAlice));
}

TEST(Throttle, ZeroDisables)
{
    Throttle th(0, 5, 60);
    for (int i = 0; i < 50; i++)
        th.fail(kAlice, 0);
    EXPECT_EQ(0u, th.wait(kAlice, 0));
}
