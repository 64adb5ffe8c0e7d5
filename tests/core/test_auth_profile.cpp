// The wired policy (core/auth-profile.h, sdvm_auth_profile_wired_check): which EAP/inner
// methods a wired login accepts, and the two opt-ins.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

extern "C" {
#include "sdvm/auth-profile.h"
}

namespace
{

struct Decision {
    sdvm_failure f;
    std::string opt_in, detail;
};

Decision
decide(sdvm_eap_method eap, sdvm_inner_method inner, bool realm_opt_in, bool terminal_opt_in)
{
    sdvm_auth_profile p{};
    p.realm = const_cast<char *>("uni-a.test");
    p.eap = eap;
    p.inner = inner;
    p.allow_unprotected_wired = realm_opt_in;
    const char *opt_in = reinterpret_cast<const char *>(1); // must be reset
    char *detail = reinterpret_cast<char *>(1);
    Decision d;
    d.f = sdvm_auth_profile_wired_check(&p, terminal_opt_in, &opt_in, &detail);
    d.opt_in = opt_in ? opt_in : "";
    d.detail = detail ? detail : "";
    free(detail);
    return d;
}

} // namespace

// The server proves these results inside the tunnel (MSCHAPv2's authenticator response,
// EAP-pwd's Confirm): accepted on wired, no opt-in needed or mentioned.
TEST(WiredPolicy, ProvenResultsAreAccepted)
{
    const std::pair<sdvm_eap_method, sdvm_inner_method> proven[] = {
        {SDVM_EAP_TTLS, SDVM_INNER_MSCHAPV2},
        {SDVM_EAP_TTLS, SDVM_INNER_EAP_MSCHAPV2},
        {SDVM_EAP_PEAP, SDVM_INNER_EAP_MSCHAPV2},
        {SDVM_EAP_PEAP, SDVM_INNER_MSCHAPV2},
        {SDVM_EAP_PWD, SDVM_INNER_NONE},
    };
    for (auto [eap, inner] : proven) {
        SCOPED_TRACE(std::string(sdvm_eap_method_to_string(eap)) + "-" +
                     sdvm_inner_method_to_string(inner));
        EXPECT_TRUE(sdvm_auth_profile_result_proven(eap, inner));
        for (bool realm : {false, true})
            for (bool terminal : {false, true}) {
                Decision d = decide(eap, inner, realm, terminal);
                EXPECT_EQ(SDVM_FAILURE_NONE, d.f);
                EXPECT_EQ("", d.opt_in) << "a proven method needs no opt-in";
                EXPECT_EQ("", d.detail);
            }
    }
}

// Conditional success without a server proof: refused on wired unless an opt-in, which is
// named (realm first: it is the narrower one).
TEST(WiredPolicy, UnprovenResultsNeedAnOptIn)
{
    const std::pair<sdvm_eap_method, sdvm_inner_method> unproven[] = {
        {SDVM_EAP_TTLS, SDVM_INNER_PAP},
        {SDVM_EAP_TTLS, SDVM_INNER_MSCHAP},
        {SDVM_EAP_TTLS, SDVM_INNER_EAP_GTC},
        {SDVM_EAP_PEAP, SDVM_INNER_EAP_GTC},
        {SDVM_EAP_TTLS, SDVM_INNER_NONE},
        {SDVM_EAP_NONE, SDVM_INNER_NONE},
    };
    for (auto [eap, inner] : unproven) {
        SCOPED_TRACE(std::string(sdvm_eap_method_to_string(eap)) + "-" +
                     sdvm_inner_method_to_string(inner));
        EXPECT_FALSE(sdvm_auth_profile_result_proven(eap, inner));
        Decision no = decide(eap, inner, false, false);
        EXPECT_EQ(SDVM_FAILURE_UNPROTECTED_RESULT, no.f);
        EXPECT_EQ("", no.opt_in);
        EXPECT_NE(std::string::npos, no.detail.find("uni-a.test")) << no.detail;
        EXPECT_NE(std::string::npos, no.detail.find("AllowUnprotectedWired")) << no.detail;
        EXPECT_NE(std::string::npos, no.detail.find("nothing was sent")) << no.detail;

        Decision realm = decide(eap, inner, true, false);
        EXPECT_EQ(SDVM_FAILURE_NONE, realm.f);
        EXPECT_EQ("realms.d AllowUnprotectedWired=true", realm.opt_in);
        Decision terminal = decide(eap, inner, false, true);
        EXPECT_EQ(SDVM_FAILURE_NONE, terminal.f);
        EXPECT_EQ("sdvm.conf [Network] AllowUnprotectedWired=true", terminal.opt_in);
        Decision both = decide(eap, inner, true, true);
        EXPECT_EQ("realms.d AllowUnprotectedWired=true", both.opt_in);
    }
}

TEST(WiredPolicy, CopyKeepsTheRealmOptIn)
{
    sdvm_auth_profile p{};
    p.eap = SDVM_EAP_TTLS;
    p.inner = SDVM_INNER_PAP;
    p.allow_unprotected_wired = true;
    sdvm_auth_profile *c = sdvm_auth_profile_copy(&p);
    ASSERT_NE(nullptr, c);
    EXPECT_TRUE(c->allow_unprotected_wired);
    sdvm_auth_profile_free(c);
}
