// nm-glue's secret agent, called the way libnm calls it when NetworkManager asks (no daemon):
// the password for our connections only, never for REQUEST_NEW, nothing after forget().
#include <gtest/gtest.h>

#include <string>

#include "agent.h"

namespace
{

struct Reply {
    bool called = false;
    std::string password;
    std::string error;
};

void
on_reply(NMSecretAgentOld *, NMConnection *, GVariant *secrets, GError *error, gpointer data)
{
    auto *r = static_cast<Reply *>(data);
    r->called = true;
    if (error)
        r->error = error->message;
    if (secrets) {
        GVariant *setting = g_variant_lookup_value(secrets, "802-1x", nullptr);
        const char *pw = nullptr;
        if (setting && g_variant_lookup(setting, "password", "&s", &pw))
            r->password = pw;
        if (setting)
            g_variant_unref(setting);
    }
}

struct AskedLog {
    int answered = 0, refused = 0;
};

void
on_asked(const char *, gboolean answered, gpointer data)
{
    auto *log = static_cast<AskedLog *>(data);
    (answered ? log->answered : log->refused)++;
}

class Agent : public ::testing::Test
{
  protected:
    void
    SetUp() override
    {
        // Not initialized (no bus): only the secret handling is exercised.
        agent = (NMSecretAgentOld *)g_object_new(SDVM_TYPE_NM_AGENT, NM_SECRET_AGENT_OLD_IDENTIFIER,
                                                 "org.sdvm.test", NM_SECRET_AGENT_OLD_AUTO_REGISTER,
                                                 FALSE, NULL);
        ours = connection("11111111-2222-3333-4444-555555555555");
        foreign = connection("99999999-2222-3333-4444-555555555555");
        const char *uuids[] = {"11111111-2222-3333-4444-555555555555", nullptr};
        sdvm_nm_agent_lend(SDVM_NM_AGENT(agent), uuids, password, on_asked, &asked);
    }
    void
    TearDown() override
    {
        g_object_unref(ours);
        g_object_unref(foreign);
        g_object_unref(agent);
    }
    static NMConnection *
    connection(const char *uuid)
    {
        NMConnection *c = nm_simple_connection_new();
        NMSetting *s = nm_setting_connection_new();
        g_object_set(s, NM_SETTING_CONNECTION_UUID, uuid, NM_SETTING_CONNECTION_ID, "x", NULL);
        nm_connection_add_setting(c, s);
        return c;
    }
    Reply
    ask(NMConnection *c, const char *setting, NMSecretAgentGetSecretsFlags flags)
    {
        Reply r;
        NM_SECRET_AGENT_OLD_GET_CLASS(agent)->get_secrets(
            agent, c, "/org/freedesktop/NetworkManager/Settings/1", setting, nullptr, flags,
            on_reply, &r);
        return r;
    }

    NMSecretAgentOld *agent = nullptr;
    NMConnection *ours = nullptr, *foreign = nullptr;
    char password[32] = "pässwörd \"x\";#";
    AskedLog asked;
};

TEST_F(Agent, AnswersForItsConnection)
{
    Reply r = ask(ours, "802-1x", NM_SECRET_AGENT_GET_SECRETS_FLAG_ALLOW_INTERACTION);
    ASSERT_TRUE(r.called) << "answered at once";
    EXPECT_EQ("", r.error);
    EXPECT_EQ(password, r.password);
    EXPECT_EQ(1u, sdvm_nm_agent_answered(SDVM_NM_AGENT(agent)));
    EXPECT_EQ(1, asked.answered);
}

TEST_F(Agent, RefusesOtherConnections)
{
    Reply r = ask(foreign, "802-1x", NM_SECRET_AGENT_GET_SECRETS_FLAG_ALLOW_INTERACTION);
    ASSERT_TRUE(r.called);
    EXPECT_NE("", r.error);
    EXPECT_EQ("", r.password);
    EXPECT_EQ(0u, sdvm_nm_agent_answered(SDVM_NM_AGENT(agent)));
}

TEST_F(Agent, RefusesRequestNew)
{
    Reply r =
        ask(ours, "802-1x",
            (NMSecretAgentGetSecretsFlags)(NM_SECRET_AGENT_GET_SECRETS_FLAG_ALLOW_INTERACTION |
                                           NM_SECRET_AGENT_GET_SECRETS_FLAG_REQUEST_NEW));
    ASSERT_TRUE(r.called);
    EXPECT_NE("", r.error);
    EXPECT_EQ("", r.password);
    EXPECT_EQ(1, asked.refused);
}

TEST_F(Agent, RefusesOtherSettings)
{
    Reply r = ask(ours, "802-11-wireless-security", NM_SECRET_AGENT_GET_SECRETS_FLAG_NONE);
    ASSERT_TRUE(r.called);
    EXPECT_NE("", r.error);
    EXPECT_EQ("", r.password);
}

TEST_F(Agent, NothingAfterForget)
{
    sdvm_nm_agent_forget(SDVM_NM_AGENT(agent));
    Reply r = ask(ours, "802-1x", NM_SECRET_AGENT_GET_SECRETS_FLAG_NONE);
    ASSERT_TRUE(r.called);
    EXPECT_NE("", r.error);
    EXPECT_EQ("", r.password);
}

TEST_F(Agent, SavesNothing)
{
    bool saved = false;
    NM_SECRET_AGENT_OLD_GET_CLASS(agent)->save_secrets(
        agent, ours, "/org/freedesktop/NetworkManager/Settings/1",
        [](NMSecretAgentOld *, NMConnection *, GError *error, gpointer data) {
            *static_cast<bool *>(data) = error == nullptr;
        },
        &saved);
    EXPECT_TRUE(saved) << "acknowledged, and nothing is stored anywhere";
}

} // namespace
