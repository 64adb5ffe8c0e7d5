// Power actions through logind, against python-dbusmock's logind template on a private bus:
// the lab's allow-list and logind's answers combine; requests reach logind; refused ones don't.
#include <gtest/gtest.h>

#include <algorithm>

#include "private_bus.h"

extern "C" {
#include "power.h"
#include "sdvm/config.h"
}

namespace {
void
spin_until(bool *flag, int timeout_ms)
{
    for (int waited = 0; !*flag && waited < timeout_ms; waited += 10) {
        while (g_main_context_iteration(nullptr, FALSE)) {
        }
        if (!*flag)
            g_usleep(10000);
    }
}

struct Changed {
    bool fired = false;
    unsigned mask = 0;
};

void
on_changed(unsigned mask, void *userdata)
{
    auto *c = static_cast<Changed *>(userdata);
    c->fired = true;
    c->mask = mask;
}

constexpr unsigned kAll = SDVM_POWER_OFF | SDVM_POWER_REBOOT | SDVM_POWER_SUSPEND |
                          SDVM_POWER_HIBERNATE | SDVM_POWER_HYBRID_SLEEP;
} // namespace

TEST(Power, ConfigBitsAreTheAbiBits)
{
    // core parses PowerActions into these bits and they are handed over unchanged.
    EXPECT_EQ(unsigned(SDVM_CONFIG_POWER_OFF), unsigned(SDVM_POWER_OFF));
    EXPECT_EQ(unsigned(SDVM_CONFIG_POWER_REBOOT), unsigned(SDVM_POWER_REBOOT));
    EXPECT_EQ(unsigned(SDVM_CONFIG_POWER_SUSPEND), unsigned(SDVM_POWER_SUSPEND));
    EXPECT_EQ(unsigned(SDVM_CONFIG_POWER_HIBERNATE), unsigned(SDVM_POWER_HIBERNATE));
    EXPECT_EQ(unsigned(SDVM_CONFIG_POWER_HYBRID_SLEEP), unsigned(SDVM_POWER_HYBRID_SLEEP));
}

TEST(Power, LogindAnswersAndLabPolicyCombine)
{
    PrivateBus bus;
    ASSERT_TRUE(bus.ok());
    ASSERT_TRUE(bus.start_template("logind", "org.freedesktop.login1",
                                   R"({"CanHibernate": "no", "CanHybridSleep": "na"})"));
    Changed changed;
    // The lab allows everything but suspend.
    sdvmd_power *power = sdvmd_power_new(bus.connection(), kAll & ~SDVM_POWER_SUSPEND, on_changed,
                                       &changed);
    EXPECT_EQ(0u, sdvmd_power_available(power));
    sdvmd_power_refresh(power);
    spin_until(&changed.fired, 5000);
    ASSERT_TRUE(changed.fired);
    EXPECT_EQ(unsigned(SDVM_POWER_OFF | SDVM_POWER_REBOOT), changed.mask);
    EXPECT_EQ(changed.mask, sdvmd_power_available(power));

    EXPECT_EQ(-EPERM, sdvmd_power_request(power, SDVM_POWER_SUSPEND));   // lab policy
    EXPECT_EQ(-EPERM, sdvmd_power_request(power, SDVM_POWER_HIBERNATE)); // logind says no
    EXPECT_EQ(0, sdvmd_power_request(power, SDVM_POWER_REBOOT));
    std::vector<std::string> calls;
    for (int i = 0; i < 200; i++) {
        while (g_main_context_iteration(nullptr, FALSE)) {
        }
        calls = bus.calls("org.freedesktop.login1", "/org/freedesktop/login1");
        if (std::find(calls.begin(), calls.end(), "Reboot") != calls.end())
            break;
        g_usleep(10000);
    }
    EXPECT_NE(calls.end(), std::find(calls.begin(), calls.end(), "Reboot"));
    EXPECT_EQ(calls.end(), std::find(calls.begin(), calls.end(), "Suspend"));
    EXPECT_EQ(calls.end(), std::find(calls.begin(), calls.end(), "Hibernate"));
    sdvmd_power_free(power);
}

TEST(Power, NoLogindMeansNoActions)
{
    PrivateBus bus; // nothing owns org.freedesktop.login1 here
    ASSERT_TRUE(bus.ok());
    Changed changed;
    sdvmd_power *power = sdvmd_power_new(bus.connection(), kAll, on_changed, &changed);
    sdvmd_power_refresh(power);
    bool never = false;
    spin_until(&never, 300);
    EXPECT_EQ(0u, sdvmd_power_available(power));
    EXPECT_EQ(-EPERM, sdvmd_power_request(power, SDVM_POWER_OFF));
    sdvmd_power_free(power);
}

TEST(Power, RecoveryRebootIgnoresTheLabPolicy)
{
    PrivateBus bus;
    ASSERT_TRUE(bus.ok());
    ASSERT_TRUE(bus.start_template("logind", "org.freedesktop.login1"));
    // The lab hides every power button, but a terminal whose GPU is lost must still reboot.
    sdvmd_power *power = sdvmd_power_new(bus.connection(), 0, nullptr, nullptr);
    EXPECT_EQ(-EPERM, sdvmd_power_request(power, SDVM_POWER_REBOOT));
    EXPECT_EQ(0, sdvmd_power_reboot_for_recovery(power));
    std::vector<std::string> calls;
    for (int i = 0; i < 200; i++) {
        while (g_main_context_iteration(nullptr, FALSE)) {
        }
        calls = bus.calls("org.freedesktop.login1", "/org/freedesktop/login1");
        if (std::find(calls.begin(), calls.end(), "Reboot") != calls.end())
            break;
        g_usleep(10000);
    }
    EXPECT_NE(calls.end(), std::find(calls.begin(), calls.end(), "Reboot"));
    sdvmd_power_free(power);

    sdvmd_power *nobus = sdvmd_power_new(nullptr, 0, nullptr, nullptr);
    EXPECT_EQ(-ENOTCONN, sdvmd_power_reboot_for_recovery(nobus));
    sdvmd_power_free(nobus);
}
