// Failure codes: stable numbers, every value named, unknown values handled.
#include <gtest/gtest.h>

#include <set>
#include <string>

extern "C" {
#include "sdvm-failure.h"
}

TEST(Failure, NumbersAreStable)
{
    // These numbers are on the wire and in the ABI: a change here breaks old greeters.
    EXPECT_EQ(0, SDVM_FAILURE_NONE);
    EXPECT_EQ(1, SDVM_FAILURE_BAD_CREDENTIALS);
    EXPECT_EQ(3, SDVM_FAILURE_UNKNOWN_REALM);
    EXPECT_EQ(20, SDVM_FAILURE_SERVER_CERT_UNTRUSTED);
    EXPECT_EQ(26, SDVM_FAILURE_UNPROTECTED_RESULT);
    EXPECT_EQ(27, SDVM_FAILURE_HOME_SERVER_TIMEOUT);
    EXPECT_EQ(7, SDVM_FAILURE_PROFILE_EXPIRED);
    EXPECT_EQ(42, SDVM_FAILURE_DISK_FULL);
    EXPECT_EQ(80, SDVM_FAILURE_CANCELLED);
    EXPECT_EQ(99, SDVM_FAILURE_INTERNAL);
}

TEST(Failure, EveryValueHasADistinctName)
{
    std::set<std::string> names;
    int named = 0;
    for (int v = 0; v < 100; v++) {
        std::string name = sdvm_failure_to_string(static_cast<sdvm_failure>(v));
        if (name == "UNKNOWN")
            continue;
        named++;
        EXPECT_TRUE(names.insert(name).second) << "duplicate name " << name;
        EXPECT_STRNE("an unknown failure",
                     sdvm_failure_describe(static_cast<sdvm_failure>(v)));
    }
    EXPECT_EQ(33, named);
    EXPECT_STREQ("BAD_CREDENTIALS", sdvm_failure_to_string(SDVM_FAILURE_BAD_CREDENTIALS));
    EXPECT_STREQ("UNKNOWN", sdvm_failure_to_string(static_cast<sdvm_failure>(1234)));
}
