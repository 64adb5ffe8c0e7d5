// The slow-down after repeated wrong passwords: when it starts, how it grows, its cap,
// what counts and what resets it.
#include <gtest/gtest.h>

extern "C" {
#include "throttle.h"
}

namespace {
struct Throttle {
    sdvmd_throttle *t;
    Throttle(unsigned after, unsigned base, unsigned max) : t(sdvmd_throttle_new(after, base, max)) {}
    ~Throttle() { sdvmd_throttle_free(t); }
};
} // namespace

TEST(Throttle, NoWaitBeforeTheThreshold)
{
    Throttle th(3, 5, 300);
    EXPECT_EQ(0u, sdvmd_throttle_wait_s(th.t, 0));
    sdvmd_throttle_record(th.t, SDVM_FAILURE_BAD_CREDENTIALS, 1000);
    sdvmd_throttle_record(th.t, SDVM_FAILURE_BAD_CREDENTIALS, 2000);
    EXPECT_EQ(0u, sdvmd_throttle_wait_s(th.t, 2001));
}

TEST(Throttle, GrowsThenCaps)
{
    Throttle th(3, 5, 30);
    uint64_t now = 10000;
    for (int i = 0; i < 3; i++)
        sdvmd_throttle_record(th.t, SDVM_FAILURE_BAD_CREDENTIALS, now);
    EXPECT_EQ(5u, sdvmd_throttle_wait_s(th.t, now));
    EXPECT_EQ(1u, sdvmd_throttle_wait_s(th.t, now + 4001)); // rounded up
    EXPECT_EQ(0u, sdvmd_throttle_wait_s(th.t, now + 5000));

    now += 6000;
    sdvmd_throttle_record(th.t, SDVM_FAILURE_BAD_CREDENTIALS, now);
    EXPECT_EQ(10u, sdvmd_throttle_wait_s(th.t, now));
    now += 11000;
    sdvmd_throttle_record(th.t, SDVM_FAILURE_BAD_CREDENTIALS, now);
    EXPECT_EQ(20u, sdvmd_throttle_wait_s(th.t, now));
    now += 21000;
    sdvmd_throttle_record(th.t, SDVM_FAILURE_BAD_CREDENTIALS, now);
    EXPECT_EQ(30u, sdvmd_throttle_wait_s(th.t, now)); // capped
    for (int i = 0; i < 100; i++)
        sdvmd_throttle_record(th.t, SDVM_FAILURE_BAD_CREDENTIALS, now);
    EXPECT_EQ(30u, sdvmd_throttle_wait_s(th.t, now));
}

TEST(Throttle, OnlyCredentialFailuresCountAndSuccessResets)
{
    Throttle th(2, 5, 60);
    sdvmd_throttle_record(th.t, SDVM_FAILURE_NO_NETWORK, 0);
    sdvmd_throttle_record(th.t, SDVM_FAILURE_UNKNOWN_REALM, 0);
    sdvmd_throttle_record(th.t, SDVM_FAILURE_SERVER_CERT_UNTRUSTED, 0);
    EXPECT_EQ(0u, sdvmd_throttle_failures(th.t));
    sdvmd_throttle_record(th.t, SDVM_FAILURE_BAD_CREDENTIALS, 0);
    sdvmd_throttle_record(th.t, SDVM_FAILURE_BAD_CREDENTIALS, 0);
    EXPECT_EQ(5u, sdvmd_throttle_wait_s(th.t, 0));
    sdvmd_throttle_record(th.t, SDVM_FAILURE_NONE, 1);
    EXPECT_EQ(0u, sdvmd_throttle_failures(th.t));
    EXPECT_EQ(0u, sdvmd_throttle_wait_s(th.t, 1));
}

TEST(Throttle, ZeroDisables)
{
    Throttle th(0, 5, 60);
    for (int i = 0; i < 50; i++)
        sdvmd_throttle_record(th.t, SDVM_FAILURE_BAD_CREDENTIALS, 0);
    EXPECT_EQ(0u, sdvmd_throttle_wait_s(th.t, 0));
}
