// The sdvm-ipc wire format: round trips of every message, every bound on both sides, the
// decoder's rules, connections (wiping, direction, garbage, the one-frame buffer bound),
// error events, sockets and the SO_PEERCRED peer check.
#include <gtest/gtest.h>

#include <cerrno>
#include <fcntl.h>
#include <poll.h>
#include <thread>
#include <string>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipc-test-util.h"

using namespace ipctest;

namespace {

// Encode m, check the frame, decode it into *out (caller clears).
int
round_trip(const sdvm_ipc_msg &m, sdvm_ipc_msg *out, std::string *why)
{
    sdvm_ipc_buf buf = {};
    int r = sdvm_ipc_encode(&m, &buf);
    if (r < 0) {
        *why = "encode " + std::to_string(r);
        sdvm_ipc_buf_free(&buf);
        return r;
    }
    sdvm_ipc_frame f;
    sdvm_ipc_error err = {};
    r = sdvm_ipc_frame_parse(buf.data, buf.len, &f, &err);
    if (r != 1 || f.frame_len != buf.len || f.type != m.type) {
        *why = "frame " + std::to_string(r);
        sdvm_ipc_buf_free(&buf);
        return -EBADMSG;
    }
    r = sdvm_ipc_decode(f.type, f.payload, f.payload_len, out, &err);
    if (r < 0)
        *why = err.text;
    sdvm_ipc_buf_free(&buf);
    return r;
}

// Decode a hand-built payload; returns the result and the error text.
int
decode(uint16_t type, const Bytes &payload, std::string *why = nullptr)
{
    sdvm_ipc_msg m;
    sdvm_ipc_error err = {};
    int r = sdvm_ipc_decode(type, payload.data(), payload.size(), &m, &err);
    if (why)
        *why = err.text;
    sdvm_ipc_msg_clear(&m);
    return r;
}

Bytes
login_payload(const Bytes &nai, const Bytes &pw, const Bytes &image, uint64_t op = 1)
{
    Bytes p;
    field(p, SDVM_IPC_TAG_OP, u64(op));
    field(p, SDVM_IPC_TAG_NAI, nai);
    field(p, SDVM_IPC_TAG_PASSWORD, pw);
    field(p, SDVM_IPC_TAG_IMAGE_ID, image);
    return p;
}

Bytes
image_group(const Bytes &id, const Bytes &name, bool is_default, bool available,
            const char *reason = nullptr)
{
    Bytes g;
    field(g, SDVM_IPC_IMAGE_ID, id);
    field(g, SDVM_IPC_IMAGE_NAME, name);
    field(g, SDVM_IPC_IMAGE_OS_TYPE, str("linux"));
    field(g, SDVM_IPC_IMAGE_DEFAULT, {static_cast<uint8_t>(is_default)});
    field(g, SDVM_IPC_IMAGE_AVAILABLE, {static_cast<uint8_t>(available)});
    if (reason)
        field(g, SDVM_IPC_IMAGE_REASON, str(reason));
    return g;
}

Bytes
images_payload(const std::vector<Bytes> &groups)
{
    Bytes p;
    for (const auto &g : groups)
        field(p, SDVM_IPC_TAG_IMAGE, g);
    return p;
}

} // namespace

// ---- round trips ---------------------------------------------------------------------

TEST(Codec, EveryMessageRoundTrips)
{
    Samples s;
    auto all = s.all();
    EXPECT_EQ(11u, all.size());
    for (const auto &m : all) {
        sdvm_ipc_msg out;
        std::string why;
        ASSERT_EQ(0, round_trip(m, &out, &why))
            << sdvm_ipc_type_to_string(m.type) << ": " << why;
        EXPECT_EQ("", diff(m, out)) << sdvm_ipc_type_to_string(m.type);
        sdvm_ipc_msg_clear(&out);
    }
}

TEST(Codec, TypeNamesAndDirections)
{
    EXPECT_STREQ("LOGIN", sdvm_ipc_type_to_string(SDVM_IPC_LOGIN));
    EXPECT_STREQ("EV_FINISHED", sdvm_ipc_type_to_string(SDVM_IPC_EV_FINISHED));
    EXPECT_STREQ("UNKNOWN", sdvm_ipc_type_to_string(static_cast<sdvm_ipc_type>(0x4242)));
    EXPECT_TRUE(sdvm_ipc_type_is_request(SDVM_IPC_POWER));
    EXPECT_FALSE(sdvm_ipc_type_is_request(SDVM_IPC_EV_ERROR));
    EXPECT_TRUE(sdvm_ipc_type_is_event(SDVM_IPC_EV_ERROR));
    EXPECT_FALSE(sdvm_ipc_type_is_event(0x8000));
    EXPECT_FALSE(sdvm_ipc_type_is_request(0));
}

TEST(Codec, WireLayoutIsLittleEndianAsDocumented)
{
    // The exact bytes of a CANCEL op=0x0102 (sdvm-ipc(7) gives this example).
    sdvm_ipc_msg m = {};
    m.type = SDVM_IPC_CANCEL;
    m.op = 0x0102;
    sdvm_ipc_buf buf = {};
    ASSERT_EQ(0, sdvm_ipc_encode(&m, &buf));
    Bytes got(buf.data, buf.data + buf.len);
    Bytes want = {12, 0, 0, 0, 3, 0, 0, 0, 2, 0, 8, 0, 2, 1, 0, 0, 0, 0, 0, 0};
    EXPECT_EQ(want, got);
    sdvm_ipc_buf_free(&buf);
}

// ---- bounds --------------------------------------------------------------------------

TEST(Bounds, EachStringAtItsBoundPassesAndOneMoreByteFails)
{
    struct Case {
        sdvm_ipc_type type;
        const char *sdvm_ipc_msg::*field;
        size_t max;
        char fill;
    };
    const Case cases[] = {
        {SDVM_IPC_LOGIN, &sdvm_ipc_msg::nai, SDVM_IPC_MAX_NAI, 'n'},
        {SDVM_IPC_LOGIN, &sdvm_ipc_msg::password, SDVM_IPC_MAX_PASSWORD, 'p'},
        {SDVM_IPC_LOGIN, &sdvm_ipc_msg::image_id, SDVM_IPC_MAX_IMAGE_ID, 'i'},
        {SDVM_IPC_HELLO, &sdvm_ipc_msg::software, SDVM_IPC_MAX_SOFTWARE, 's'},
        {SDVM_IPC_EV_HELLO, &sdvm_ipc_msg::hostname, SDVM_IPC_MAX_HOSTNAME, 'h'},
        {SDVM_IPC_EV_MESSAGE, &sdvm_ipc_msg::text, SDVM_IPC_MAX_TEXT, 't'},
        {SDVM_IPC_EV_FINISHED, &sdvm_ipc_msg::detail, SDVM_IPC_MAX_TEXT, 'd'},
        {SDVM_IPC_EV_FINISHED, &sdvm_ipc_msg::institution, SDVM_IPC_MAX_CONTACT, 'u'},
        {SDVM_IPC_EV_FINISHED, &sdvm_ipc_msg::helpdesk_url, SDVM_IPC_MAX_CONTACT, 'l'},
        {SDVM_IPC_EV_ERROR, &sdvm_ipc_msg::text, SDVM_IPC_MAX_TEXT, 'e'},
    };
    Samples s;
    for (const auto &c : cases) {
        sdvm_ipc_msg m = {};
        for (const auto &sample : s.all())
            if (sample.type == c.type)
                m = sample;
        std::string at_bound(c.max, c.fill), over(c.max + 1, c.fill);
        m.*c.field = at_bound.c_str();
        sdvm_ipc_msg out;
        std::string why;
        EXPECT_EQ(0, round_trip(m, &out, &why)) << c.max << " " << why;
        EXPECT_EQ(at_bound, out.*c.field ? out.*c.field : "");
        sdvm_ipc_msg_clear(&out);

        m.*c.field = over.c_str();
        sdvm_ipc_buf buf = {};
        EXPECT_EQ(-EMSGSIZE, sdvm_ipc_encode(&m, &buf)) << sdvm_ipc_type_to_string(c.type);
        EXPECT_EQ(0u, buf.len);
        sdvm_ipc_buf_free(&buf);
    }

    // And the decoder refuses one byte more, whoever built the message.
    std::string why;
    EXPECT_EQ(-EBADMSG, decode(SDVM_IPC_LOGIN,
                               login_payload(Bytes(SDVM_IPC_MAX_NAI + 1, 'a'), str("p"),
                                             str("img")),
                               &why));
    EXPECT_NE(std::string::npos, why.find("nai")) << why;
    EXPECT_EQ(-EBADMSG, decode(SDVM_IPC_LOGIN,
                               login_payload(str("a@b"), Bytes(SDVM_IPC_MAX_PASSWORD + 1, 'p'),
                                             str("img")),
                               &why));
    EXPECT_NE(std::string::npos, why.find("password")) << why;
    EXPECT_EQ(std::string::npos, why.find("ppp")) << "no value in an error text: " << why;
}

TEST(Bounds, FramesOverTheLimitAndTheImageCount)
{
    // A frame header announcing more than the limit is refused before any payload arrives.
    Bytes head;
    put32(head, SDVM_IPC_MAX_PAYLOAD + 1);
    put16(head, SDVM_IPC_EV_MESSAGE);
    put16(head, 0);
    sdvm_ipc_frame f;
    sdvm_ipc_error err = {};
    EXPECT_EQ(-EMSGSIZE, sdvm_ipc_frame_parse(head.data(), head.size(), &f, &err));
    head[0] = 0;
    head[1] = 0;
    head[2] = 1; // exactly the limit: fine, just incomplete
    head[3] = 0;
    EXPECT_EQ(0, sdvm_ipc_frame_parse(head.data(), head.size(), &f, &err));

    // 64 images pass, 65 do not.
    std::vector<sdvm_ipc_image> many;
    std::vector<std::string> ids;
    for (int i = 0; i <= SDVM_IPC_MAX_IMAGES; i++)
        ids.push_back("image-" + std::to_string(i));
    for (int i = 0; i <= SDVM_IPC_MAX_IMAGES; i++)
        many.push_back({ids[static_cast<size_t>(i)].c_str(), "An image", "linux", nullptr,
                        i == 0, true, nullptr, 0});
    sdvm_ipc_msg m = {};
    m.type = SDVM_IPC_EV_IMAGES;
    m.images = many.data();
    m.n_images = SDVM_IPC_MAX_IMAGES;
    sdvm_ipc_msg out;
    std::string why;
    EXPECT_EQ(0, round_trip(m, &out, &why)) << why;
    EXPECT_EQ(static_cast<size_t>(SDVM_IPC_MAX_IMAGES), out.n_images);
    sdvm_ipc_msg_clear(&out);
    m.n_images = SDVM_IPC_MAX_IMAGES + 1;
    sdvm_ipc_buf buf = {};
    EXPECT_EQ(-EMSGSIZE, sdvm_ipc_encode(&m, &buf));
    sdvm_ipc_buf_free(&buf);

    std::vector<Bytes> groups;
    for (int i = 0; i <= SDVM_IPC_MAX_IMAGES; i++)
        groups.push_back(image_group(str(ids[static_cast<size_t>(i)]), str("x"), false, true));
    EXPECT_EQ(-EBADMSG, decode(SDVM_IPC_EV_IMAGES, images_payload(groups), &why));
    EXPECT_NE(std::string::npos, why.find("more than 64 images")) << why;

    // The biggest catalog the bounds allow still fits a frame.
    std::vector<std::string> long_ids, names, comments, reasons;
    for (int i = 0; i < SDVM_IPC_MAX_IMAGES; i++) {
        std::string n = std::to_string(i);
        long_ids.push_back(n + std::string(SDVM_IPC_MAX_IMAGE_ID - n.size(), 'i'));
    }
    std::string name(SDVM_IPC_MAX_IMAGE_NAME, 'N'), os(SDVM_IPC_MAX_OS_TYPE, 'o'),
        comment(SDVM_IPC_MAX_COMMENT, 'c'), reason(SDVM_IPC_MAX_REASON, 'r');
    std::string host(SDVM_IPC_MAX_HOSTNAME, 'h'), sw(SDVM_IPC_MAX_SOFTWARE, 's');
    many.clear();
    for (int i = 0; i < SDVM_IPC_MAX_IMAGES; i++)
        many.push_back({long_ids[static_cast<size_t>(i)].c_str(), name.c_str(), os.c_str(),
                        comment.c_str(), false, false, reason.c_str(), 0xffffffffu});
    m = {};
    m.type = SDVM_IPC_EV_HELLO;
    m.version = 1;
    m.software = sw.c_str();
    m.hostname = host.c_str();
    m.has_power_mask = true;
    m.images = many.data();
    m.n_images = many.size();
    EXPECT_EQ(0, round_trip(m, &out, &why)) << why;
    sdvm_ipc_msg_clear(&out);
}

// ---- the decoder's rules ---------------------------------------------------------------

TEST(Decoder, FrameHeaderRules)
{
    sdvm_ipc_frame f;
    sdvm_ipc_error err = {};
    Bytes cancel;
    field(cancel, SDVM_IPC_TAG_OP, u64(1));
    Bytes fr = frame(SDVM_IPC_CANCEL, cancel);
    for (size_t n = 0; n < fr.size(); n++)
        EXPECT_EQ(0, sdvm_ipc_frame_parse(fr.data(), n, &f, &err)) << "prefix of " << n;
    EXPECT_EQ(1, sdvm_ipc_frame_parse(fr.data(), fr.size(), &f, &err));
    Bytes two = fr;
    two.insert(two.end(), fr.begin(), fr.end());
    EXPECT_EQ(1, sdvm_ipc_frame_parse(two.data(), two.size(), &f, &err));
    EXPECT_EQ(fr.size(), f.frame_len);

    Bytes flagged = frame(SDVM_IPC_CANCEL, cancel, 1);
    EXPECT_EQ(-EBADMSG, sdvm_ipc_frame_parse(flagged.data(), flagged.size(), &f, &err));
    Bytes unknown = frame(0x0042, cancel);
    EXPECT_EQ(-EPROTO, sdvm_ipc_frame_parse(unknown.data(), 8, &f, &err));
    EXPECT_NE(std::string::npos, std::string(err.text).find("0x0042"));
}

TEST(Decoder, RequiredRepeatedForeignAndUnknownFields)
{
    std::string why;
    Bytes p;
    field(p, SDVM_IPC_TAG_OP, u64(1));
    field(p, SDVM_IPC_TAG_NAI, str("a@b"));
    field(p, SDVM_IPC_TAG_IMAGE_ID, str("img"));
    EXPECT_EQ(-EBADMSG, decode(SDVM_IPC_LOGIN, p, &why));
    EXPECT_NE(std::string::npos, why.find("required field password missing")) << why;

    p = login_payload(str("a@b"), str("pw"), str("img"));
    field(p, SDVM_IPC_TAG_NAI, str("c@d"));
    EXPECT_EQ(-EBADMSG, decode(SDVM_IPC_LOGIN, p, &why));
    EXPECT_NE(std::string::npos, why.find("repeated")) << why;

    Bytes c;
    field(c, SDVM_IPC_TAG_OP, u64(1));
    field(c, SDVM_IPC_TAG_PASSWORD, str("pw"));
    EXPECT_EQ(-EBADMSG, decode(SDVM_IPC_CANCEL, c, &why));
    EXPECT_NE(std::string::npos, why.find("does not belong")) << why;

    // Unknown tags are skipped (fields can be added within a version), wherever they are.
    Bytes u;
    field(u, 0, str("zero"));
    field(u, 200, Bytes(1000, 0xff));
    field(u, SDVM_IPC_TAG_OP, u64(5));
    field(u, 0xffff, {});
    EXPECT_EQ(0, decode(SDVM_IPC_CANCEL, u, &why)) << why;

    // A field that runs past the payload, and a cut field header.
    Bytes cut;
    field(cut, SDVM_IPC_TAG_OP, u64(5));
    cut.pop_back();
    EXPECT_EQ(-EBADMSG, decode(SDVM_IPC_CANCEL, cut, &why));
    Bytes half = {SDVM_IPC_TAG_OP, 0, 8};
    EXPECT_EQ(-EBADMSG, decode(SDVM_IPC_CANCEL, half, &why));
    EXPECT_EQ(-EBADMSG, decode(SDVM_IPC_CANCEL, {}, &why));
    EXPECT_EQ(0, decode(SDVM_IPC_EV_IMAGES, {}, &why)) << "no field is required";
}

TEST(Decoder, ValueRules)
{
    auto one = [](uint16_t type, uint16_t tag, const Bytes &v, const Bytes &extra = {}) {
        Bytes p = extra;
        field(p, tag, v);
        return decode(type, p);
    };
    Bytes op1;
    field(op1, SDVM_IPC_TAG_OP, u64(1));
    // op 0 where a login is meant
    EXPECT_EQ(-EBADMSG, one(SDVM_IPC_CANCEL, SDVM_IPC_TAG_OP, u64(0)));
    EXPECT_EQ(-EBADMSG, one(SDVM_IPC_EV_LAUNCHING, SDVM_IPC_TAG_OP, u64(0)));
    EXPECT_EQ(-EBADMSG, one(SDVM_IPC_CANCEL, SDVM_IPC_TAG_OP, u32(1)));
    // power actions: exactly one known bit
    EXPECT_EQ(0, one(SDVM_IPC_POWER, SDVM_IPC_TAG_POWER_ACTION, u32(SDVM_POWER_REBOOT)));
    EXPECT_EQ(-EBADMSG, one(SDVM_IPC_POWER, SDVM_IPC_TAG_POWER_ACTION, u32(0)));
    EXPECT_EQ(-EBADMSG, one(SDVM_IPC_POWER, SDVM_IPC_TAG_POWER_ACTION, u32(3)));
    EXPECT_EQ(-EBADMSG, one(SDVM_IPC_POWER, SDVM_IPC_TAG_POWER_ACTION, u32(1u << 5)));
    // stages
    EXPECT_EQ(-EBADMSG, one(SDVM_IPC_EV_PROGRESS, SDVM_IPC_TAG_STAGE, u32(0), op1));
    EXPECT_EQ(-EBADMSG, one(SDVM_IPC_EV_PROGRESS, SDVM_IPC_TAG_STAGE, u32(SDVM_STAGE_DISK_RENEWED + 1),
                            op1));
    EXPECT_EQ(0, one(SDVM_IPC_EV_PROGRESS, SDVM_IPC_TAG_STAGE, u32(SDVM_STAGE_DISK_RENEWED), op1));
    EXPECT_EQ(0, one(SDVM_IPC_EV_PROGRESS, SDVM_IPC_TAG_STAGE, u32(6), op1));
    EXPECT_EQ(0, one(SDVM_IPC_EV_PROGRESS, SDVM_IPC_TAG_STAGE, u32(SDVM_STAGE_HOME_SERVER_SLOW),
                     op1));
    // failures: never 0, 16 bits
    EXPECT_EQ(-EBADMSG, one(SDVM_IPC_EV_FINISHED, SDVM_IPC_TAG_FAILURE, u32(0), op1));
    EXPECT_EQ(-EBADMSG, one(SDVM_IPC_EV_FINISHED, SDVM_IPC_TAG_FAILURE, u32(0x10000), op1));
    EXPECT_EQ(0, one(SDVM_IPC_EV_FINISHED, SDVM_IPC_TAG_FAILURE, u32(999), op1));
    // booleans are one byte, 0 or 1
    Bytes msg = op1;
    field(msg, SDVM_IPC_TAG_TEXT, str("t"));
    EXPECT_EQ(-EBADMSG, one(SDVM_IPC_EV_MESSAGE, SDVM_IPC_TAG_IS_ERROR, {2}, msg));
    EXPECT_EQ(-EBADMSG, one(SDVM_IPC_EV_MESSAGE, SDVM_IPC_TAG_IS_ERROR, {1, 0}, msg));
    EXPECT_EQ(0, one(SDVM_IPC_EV_MESSAGE, SDVM_IPC_TAG_IS_ERROR, {1}, msg));
    // power mask: known bits only; version never 0
    Bytes hello;
    field(hello, SDVM_IPC_TAG_VERSION, u32(1));
    field(hello, SDVM_IPC_TAG_HOSTNAME, str(""));
    EXPECT_EQ(-EBADMSG, one(SDVM_IPC_EV_HELLO, SDVM_IPC_TAG_POWER_MASK, u32(0x20), hello));
    EXPECT_EQ(0, one(SDVM_IPC_EV_HELLO, SDVM_IPC_TAG_POWER_MASK, u32(0x1f), hello));
    EXPECT_EQ(-EBADMSG, one(SDVM_IPC_HELLO, SDVM_IPC_TAG_VERSION, u32(0)));
}

TEST(Decoder, StringRules)
{
    auto login = [](const Bytes &nai, const Bytes &pw, const Bytes &img) {
        return decode(SDVM_IPC_LOGIN, login_payload(nai, pw, img));
    };
    EXPECT_EQ(0, login(str("a@b"), str("pw"), str("A-z_0.9")));
    EXPECT_EQ(-EBADMSG, login(str(""), str("pw"), str("img"))) << "empty NAI";
    EXPECT_EQ(-EBADMSG, login(str("a@b"), str(""), str("img"))) << "empty password";
    EXPECT_EQ(-EBADMSG, login(str("a@b"), str("pw"), str(""))) << "empty image";
    EXPECT_EQ(-EBADMSG, login(str("a@b"), str("pw"), str("../etc"))) << "image id charset";
    EXPECT_EQ(-EBADMSG, login(str("a@b"), str("pw"), str("a b")));
    EXPECT_EQ(-EBADMSG, login(Bytes{'a', 0, '@', 'b'}, str("pw"), str("i"))) << "NUL";
    EXPECT_EQ(-EBADMSG, login(str("a@b\n"), str("pw"), str("i"))) << "control in NAI";
    EXPECT_EQ(-EBADMSG, login(str("a@b\x7f"), str("pw"), str("i"))) << "DEL in NAI";
    EXPECT_EQ(0, login(str("a@b"), str("p\tw\x01"), str("i"))) << "a password may hold controls";
    EXPECT_EQ(-EBADMSG, login(str("a@b"), Bytes{'p', 0, 'w'}, str("i"))) << "but no NUL";
    // Strict UTF-8
    EXPECT_EQ(0, login(str("\xc3\xa9@b"), str("\xf4\x8f\xbf\xbf"), str("i")));
    EXPECT_EQ(-EBADMSG, login(str("\xc0\xaf@b"), str("pw"), str("i"))) << "overlong";
    EXPECT_EQ(-EBADMSG, login(str("\xe0\x80\xaf@b"), str("pw"), str("i"))) << "overlong 3";
    EXPECT_EQ(-EBADMSG, login(str("a@b"), str("\xed\xa0\x80"), str("i"))) << "surrogate";
    EXPECT_EQ(-EBADMSG, login(str("a@b"), str("\xf4\x90\x80\x80"), str("i"))) << "> U+10FFFF";
    EXPECT_EQ(-EBADMSG, login(str("a@b\xc3"), str("pw"), str("i"))) << "truncated";
    EXPECT_EQ(-EBADMSG, login(str("a@b\x80"), str("pw"), str("i"))) << "stray continuation";
    EXPECT_EQ(-EBADMSG, login(str("a@b\xff"), str("pw"), str("i")));
    // Texts may hold newlines and tabs, lines may not.
    Bytes m;
    field(m, SDVM_IPC_TAG_OP, u64(0));
    field(m, SDVM_IPC_TAG_IS_ERROR, {0});
    field(m, SDVM_IPC_TAG_TEXT, str("a\nb\tc"));
    EXPECT_EQ(0, decode(SDVM_IPC_EV_MESSAGE, m));
    Bytes m2;
    field(m2, SDVM_IPC_TAG_OP, u64(0));
    field(m2, SDVM_IPC_TAG_IS_ERROR, {0});
    field(m2, SDVM_IPC_TAG_TEXT, str("a\rb"));
    EXPECT_EQ(-EBADMSG, decode(SDVM_IPC_EV_MESSAGE, m2));

    EXPECT_EQ(0, sdvm_ipc_check_string(SDVM_IPC_TAG_NAI, "a@b"));
    EXPECT_EQ(-EINVAL, sdvm_ipc_check_string(SDVM_IPC_TAG_NAI, ""));
    EXPECT_EQ(-EMSGSIZE,
              sdvm_ipc_check_string(SDVM_IPC_TAG_NAI, std::string(254, 'a').c_str()));
    EXPECT_EQ(-EINVAL, sdvm_ipc_check_string(SDVM_IPC_TAG_IMAGE_ID, "a/b"));
    EXPECT_EQ(-EINVAL, sdvm_ipc_check_string(SDVM_IPC_TAG_OP, "1"));
    EXPECT_EQ(-EINVAL, sdvm_ipc_check_string(SDVM_IPC_TAG_NAI, nullptr));
}

TEST(Decoder, ImageRules)
{
    std::string why;
    auto images = [&](const std::vector<Bytes> &g) {
        return decode(SDVM_IPC_EV_IMAGES, images_payload(g), &why);
    };
    EXPECT_EQ(0, images({image_group(str("a"), str("A"), true, true),
                         image_group(str("b"), str("B"), false, false, "missing")}));
    EXPECT_EQ(-EBADMSG, images({image_group(str("a"), str("A"), false, true),
                                image_group(str("a"), str("B"), false, true)}));
    EXPECT_NE(std::string::npos, why.find("repeats the id")) << why;
    EXPECT_EQ(-EBADMSG, images({image_group(str("a"), str("A"), true, true),
                                image_group(str("b"), str("B"), true, true)}));
    EXPECT_NE(std::string::npos, why.find("both the default")) << why;
    EXPECT_EQ(-EBADMSG, images({image_group(str("a"), str("A"), false, true, "why?")}));
    EXPECT_EQ(-EBADMSG, images({image_group(str("a/b"), str("A"), false, true)}));
    EXPECT_EQ(-EBADMSG, images({image_group(str("a"), str(""), false, true)}));
    Bytes no_name;
    field(no_name, SDVM_IPC_IMAGE_ID, str("a"));
    field(no_name, SDVM_IPC_IMAGE_OS_TYPE, str("linux"));
    field(no_name, SDVM_IPC_IMAGE_AVAILABLE, {1});
    EXPECT_EQ(-EBADMSG, images({no_name}));
    EXPECT_NE(std::string::npos, why.find("required")) << why;
    Bytes cut = image_group(str("a"), str("A"), false, true);
    cut.resize(cut.size() - 1);
    EXPECT_EQ(-EBADMSG, images({cut}));
    Bytes twice = image_group(str("a"), str("A"), false, true);
    field(twice, SDVM_IPC_IMAGE_NAME, str("again"));
    EXPECT_EQ(-EBADMSG, images({twice}));
    Bytes bad_bool = image_group(str("a"), str("A"), false, true);
    field(bad_bool, 77, str("unknown fields are skipped"));
    EXPECT_EQ(0, images({bad_bool})) << why;
}

// Issue 16: why an image is unavailable travels as a number (the greeter translates it).
TEST(Decoder, ImageStatusRules)
{
    std::string why;
    auto le32 = [](uint32_t v) {
        return Bytes{static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8),
                     static_cast<uint8_t>(v >> 16), static_cast<uint8_t>(v >> 24)};
    };
    Bytes missing = image_group(str("a"), str("A"), false, false, "a.qcow2 is missing");
    field(missing, SDVM_IPC_IMAGE_STATUS, le32(SDVM_IMAGE_QCOW2_MISSING));
    EXPECT_EQ(0, decode(SDVM_IPC_EV_IMAGES, images_payload({missing}), &why)) << why;
    // A number this side does not know is kept.
    Bytes future = image_group(str("a"), str("A"), false, false, "why");
    field(future, SDVM_IPC_IMAGE_STATUS, le32(1000));
    EXPECT_EQ(0, decode(SDVM_IPC_EV_IMAGES, images_payload({future}), &why)) << why;
    // Not a u32, repeated, or on an available image: refused.
    Bytes short_status = image_group(str("a"), str("A"), false, false);
    field(short_status, SDVM_IPC_IMAGE_STATUS, {1});
    EXPECT_EQ(-EBADMSG, decode(SDVM_IPC_EV_IMAGES, images_payload({short_status}), &why));
    EXPECT_NE(std::string::npos, why.find("u32")) << why;
    Bytes twice = missing;
    field(twice, SDVM_IPC_IMAGE_STATUS, le32(2));
    EXPECT_EQ(-EBADMSG, decode(SDVM_IPC_EV_IMAGES, images_payload({twice}), &why));
    Bytes available = image_group(str("a"), str("A"), false, true);
    field(available, SDVM_IPC_IMAGE_STATUS, le32(1));
    EXPECT_EQ(-EBADMSG, decode(SDVM_IPC_EV_IMAGES, images_payload({available}), &why));
    // The encoder: sent only for an unavailable image, refused on an available one.
    sdvm_ipc_image im[] = {{"a", "A", "linux", nullptr, false, false, "gone", 4}};
    sdvm_ipc_msg m = {};
    m.type = SDVM_IPC_EV_IMAGES;
    m.images = im;
    m.n_images = 1;
    sdvm_ipc_msg out;
    EXPECT_EQ(0, round_trip(m, &out, &why)) << why;
    EXPECT_EQ(4u, out.images[0].status);
    sdvm_ipc_msg_clear(&out);
    im[0].available = true;
    im[0].unavailable_reason = nullptr;
    sdvm_ipc_buf buf = {};
    EXPECT_EQ(-EINVAL, sdvm_ipc_encode(&m, &buf));
    sdvm_ipc_buf_free(&buf);
}

TEST(Encoder, RefusesWhatTheDecoderWouldRefuseAndLeavesNoTrace)
{
    sdvm_ipc_buf buf = {};
    sdvm_ipc_msg m = {};
    m.type = SDVM_IPC_CANCEL;
    EXPECT_EQ(-EINVAL, sdvm_ipc_encode(&m, &buf)) << "op 0";
    m.type = static_cast<sdvm_ipc_type>(0x4242);
    EXPECT_EQ(-EINVAL, sdvm_ipc_encode(&m, &buf));
    m = {};
    m.type = SDVM_IPC_POWER;
    m.power_action = 3;
    EXPECT_EQ(-EINVAL, sdvm_ipc_encode(&m, &buf));
    m = {};
    m.type = SDVM_IPC_EV_FINISHED;
    m.op = 1;
    EXPECT_EQ(-EINVAL, sdvm_ipc_encode(&m, &buf)) << "failure 0";
    m = {};
    m.type = SDVM_IPC_EV_PROGRESS;
    m.op = 1;
    m.stage = 9;
    EXPECT_EQ(-EINVAL, sdvm_ipc_encode(&m, &buf));
    EXPECT_EQ(0u, buf.len);

    // A LOGIN that fails after the password was written: the partial frame is wiped.
    sdvm_ipc_msg ok = {};
    ok.type = SDVM_IPC_CANCEL;
    ok.op = 1;
    ASSERT_EQ(0, sdvm_ipc_encode(&ok, &buf));
    size_t before = buf.len;
    m = {};
    m.type = SDVM_IPC_LOGIN;
    m.op = 2;
    m.nai = "a@b";
    m.password = "wipe-me-please";
    m.image_id = "no/slashes";
    EXPECT_EQ(-EINVAL, sdvm_ipc_encode(&m, &buf));
    EXPECT_EQ(before, buf.len);
    std::string mem(reinterpret_cast<char *>(buf.data), buf.cap);
    EXPECT_EQ(std::string::npos, mem.find("wipe-me")) << "partial frame not wiped";
    sdvm_ipc_buf_free(&buf);
}

// ---- connections -----------------------------------------------------------------------

namespace {

struct Pair {
    int fds[2] = {-1, -1};
    sdvm_ipc_conn client, server;
    Pair()
    {
        socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds);
        sdvm_ipc_conn_init(&client, fds[0], SDVM_IPC_SIDE_CLIENT);
        sdvm_ipc_conn_init(&server, fds[1], SDVM_IPC_SIDE_SERVER);
    }
    ~Pair()
    {
        sdvm_ipc_conn_close(&client);
        sdvm_ipc_conn_close(&server);
    }
};

bool
contains(const sdvm_ipc_buf &b, const std::string &needle)
{
    if (!b.data)
        return false;
    std::string mem(reinterpret_cast<char *>(b.data), b.cap);
    return mem.find(needle) != std::string::npos;
}

} // namespace

TEST(Conn, LoginCrossesAndThePasswordIsWipedOnBothSides)
{
    Pair p;
    sdvm_ipc_msg login = {};
    login.type = SDVM_IPC_LOGIN;
    login.op = 1;
    login.nai = "alice@example.org";
    login.password = "s3cret-s3cret";
    login.image_id = "debian-12";
    ASSERT_EQ(0, sdvm_ipc_conn_queue(&p.client, &login));
    EXPECT_TRUE(contains(p.client.out, "s3cret-s3cret"));
    ASSERT_EQ(0, sdvm_ipc_conn_flush(&p.client));
    EXPECT_FALSE(contains(p.client.out, "s3cret")) << "sent bytes must be wiped";

    ASSERT_EQ(0, sdvm_ipc_conn_fill(&p.server));
    EXPECT_TRUE(contains(p.server.in, "s3cret-s3cret"));
    sdvm_ipc_msg m;
    sdvm_ipc_error err;
    ASSERT_EQ(1, sdvm_ipc_conn_next(&p.server, &m, &err)) << err.text;
    EXPECT_FALSE(contains(p.server.in, "s3cret")) << "consumed bytes must be wiped";
    EXPECT_STREQ("s3cret-s3cret", m.password);
    EXPECT_STREQ("alice@example.org", m.nai);
    // The daemon wipes the decoded password in place once the secret agent has it.
    const char *pw = m.password;
    size_t n = strlen(pw);
    sdvm_ipc_msg_wipe_password(&m);
    EXPECT_EQ(pw, m.password) << "still valid, now empty";
    for (size_t i = 0; i < n; i++)
        EXPECT_EQ(0, pw[i]) << "byte " << i;
    sdvm_ipc_msg_clear(&m);
    EXPECT_EQ(nullptr, m.password);
    EXPECT_EQ(0, sdvm_ipc_conn_next(&p.server, &m, &err));
}

TEST(Conn, WrongDirectionAndGarbageCloseTheStream)
{
    {
        Pair p;
        sdvm_ipc_msg ev = {};
        ev.type = SDVM_IPC_EV_LAUNCHING;
        ev.op = 1;
        EXPECT_EQ(-EINVAL, sdvm_ipc_conn_queue(&p.client, &ev)) << "a client sends requests";
        sdvm_ipc_msg req = {};
        req.type = SDVM_IPC_CANCEL;
        req.op = 1;
        EXPECT_EQ(-EINVAL, sdvm_ipc_conn_queue(&p.server, &req)) << "a server sends events";

        // An event sent to the server (written raw) is refused.
        sdvm_ipc_buf raw = {};
        ASSERT_EQ(0, sdvm_ipc_encode(&ev, &raw));
        ASSERT_EQ(static_cast<ssize_t>(raw.len), write(p.fds[0], raw.data, raw.len));
        sdvm_ipc_buf_free(&raw);
        ASSERT_EQ(0, sdvm_ipc_conn_fill(&p.server));
        sdvm_ipc_msg m;
        sdvm_ipc_error err;
        EXPECT_EQ(-EPROTO, sdvm_ipc_conn_next(&p.server, &m, &err));
        EXPECT_NE(std::string::npos, std::string(err.text).find("EV_LAUNCHING sent to the server"))
            << err.text;
        EXPECT_EQ(0u, p.server.in.len) << "garbage is dropped (and wiped)";
    }
    {
        Pair p;
        const char junk[] = "GET / HTTP/1.1\r\nHost: sdvmd\r\n\r\n";
        ASSERT_EQ(static_cast<ssize_t>(sizeof(junk)), write(p.fds[0], junk, sizeof(junk)));
        ASSERT_EQ(0, sdvm_ipc_conn_fill(&p.server));
        sdvm_ipc_msg m;
        sdvm_ipc_error err;
        EXPECT_LT(sdvm_ipc_conn_next(&p.server, &m, &err), 0);
        EXPECT_EQ(0u, p.server.in.len);

        // sdvmd's answer to garbage: EV_ERROR, readable by the client.
        ASSERT_EQ(0, sdvm_ipc_conn_queue_error(&p.server, SDVM_FAILURE_PROTOCOL, 0, err.text));
        ASSERT_EQ(0, sdvm_ipc_conn_flush_wait(&p.server, 1000));
        ASSERT_EQ(0, sdvm_ipc_conn_fill(&p.client));
        ASSERT_EQ(1, sdvm_ipc_conn_next(&p.client, &m, &err)) << err.text;
        EXPECT_EQ(SDVM_IPC_EV_ERROR, m.type);
        EXPECT_EQ(static_cast<uint32_t>(SDVM_FAILURE_PROTOCOL), m.failure);
        sdvm_ipc_msg_clear(&m);
        sdvm_ipc_conn_close(&p.server);
        EXPECT_EQ(-EPIPE, sdvm_ipc_conn_fill(&p.client));
    }
}

TEST(Conn, BuffersAtMostOneFrameAndReassemblesByteByByte)
{
    Pair p;
    // The peer writes far more than a frame without any valid header completing: the
    // connection never holds more than one frame's worth.
    std::thread writer([fd = p.fds[0]] {
        Bytes big(4 * SDVM_IPC_MAX_FRAME, 0);
        // A valid header announcing the largest payload, then everything else.
        big[0] = 0;
        big[1] = 0;
        big[2] = 1; // 65536
        big[4] = SDVM_IPC_CANCEL & 0xff;
        int flags = fcntl(fd, F_GETFL);
        fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
        ssize_t r = send(fd, big.data(), big.size(), MSG_NOSIGNAL);
        (void)r;
    });
    for (int i = 0; i < 200; i++) {
        ASSERT_EQ(0, sdvm_ipc_conn_fill(&p.server));
        ASSERT_LE(p.server.in.len, static_cast<size_t>(SDVM_IPC_MAX_FRAME));
        usleep(1000);
    }
    EXPECT_EQ(static_cast<size_t>(SDVM_IPC_MAX_FRAME), p.server.in.len);
    sdvm_ipc_msg m;
    sdvm_ipc_error err;
    EXPECT_EQ(-EBADMSG, sdvm_ipc_conn_next(&p.server, &m, &err)) << "all-zero payload";
    sdvm_ipc_conn_close(&p.server); // unblocks the writer
    writer.join();

    Pair q;
    sdvm_ipc_msg login = {};
    login.type = SDVM_IPC_LOGIN;
    login.op = 1;
    login.nai = "a@b";
    login.password = "pw";
    login.image_id = "i";
    sdvm_ipc_buf buf = {};
    ASSERT_EQ(0, sdvm_ipc_encode(&login, &buf));
    for (size_t i = 0; i < buf.len; i++) {
        EXPECT_EQ(0, sdvm_ipc_conn_next(&q.server, &m, &err)) << "at byte " << i;
        ASSERT_EQ(1, write(q.fds[0], buf.data + i, 1));
        ASSERT_EQ(0, sdvm_ipc_conn_fill(&q.server));
    }
    EXPECT_EQ(1, sdvm_ipc_conn_next(&q.server, &m, &err));
    EXPECT_STREQ("pw", m.password);
    sdvm_ipc_msg_clear(&m);
    sdvm_ipc_buf_free(&buf);
}

TEST(Conn, ErrorTextIsSanitizedAndBounded)
{
    Pair p;
    std::string text = "line\none\x01" + std::string(2000, 'x');
    ASSERT_EQ(0, sdvm_ipc_conn_queue_error(&p.server, SDVM_FAILURE_PROTOCOL, 4, text.c_str()));
    // A multi-byte character cut at the bound is dropped whole.
    std::string utf = std::string(SDVM_IPC_MAX_TEXT - 1, 'y') + "\xc3\xa9";
    ASSERT_EQ(0, sdvm_ipc_conn_queue_error(&p.server, SDVM_FAILURE_INTERNAL, 0, utf.c_str()));
    // Not UTF-8 at all: a fixed text instead.
    ASSERT_EQ(0, sdvm_ipc_conn_queue_error(&p.server, static_cast<sdvm_failure>(0), 0, "\xff"));
    ASSERT_EQ(0, sdvm_ipc_conn_flush(&p.server));
    ASSERT_EQ(0, sdvm_ipc_conn_fill(&p.client));
    sdvm_ipc_msg m;
    sdvm_ipc_error err;
    ASSERT_EQ(1, sdvm_ipc_conn_next(&p.client, &m, &err)) << err.text;
    EXPECT_EQ(4u, m.op);
    EXPECT_EQ(static_cast<size_t>(SDVM_IPC_MAX_TEXT), strlen(m.text));
    EXPECT_EQ(0, strncmp(m.text, "line one ", 9)) << m.text;
    sdvm_ipc_msg_clear(&m);
    ASSERT_EQ(1, sdvm_ipc_conn_next(&p.client, &m, &err)) << err.text;
    EXPECT_EQ(static_cast<size_t>(SDVM_IPC_MAX_TEXT - 1), strlen(m.text));
    sdvm_ipc_msg_clear(&m);
    ASSERT_EQ(1, sdvm_ipc_conn_next(&p.client, &m, &err)) << err.text;
    EXPECT_STREQ("malformed message", m.text);
    EXPECT_EQ(static_cast<uint32_t>(SDVM_FAILURE_PROTOCOL), m.failure) << "0 becomes PROTOCOL";
    sdvm_ipc_msg_clear(&m);
}

// ---- sockets ---------------------------------------------------------------------------

TEST(Sockets, ListenReplacesOnlyAStaleSocket)
{
    char dir[] = "/tmp/sdvm-ipc-test-XXXXXX";
    ASSERT_TRUE(mkdtemp(dir));
    std::string path = std::string(dir) + "/s.sock";
    int fd = sdvm_ipc_listen(path.c_str(), 0660, 4);
    ASSERT_GE(fd, 0) << strerror(-fd);
    struct stat st;
    ASSERT_EQ(0, stat(path.c_str(), &st));
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(0660u, st.st_mode & 0777);
    int c = sdvm_ipc_connect(path.c_str());
    ASSERT_GE(c, 0);
    int a = sdvm_ipc_accept(fd);
    ASSERT_GE(a, 0);
    EXPECT_EQ(-EAGAIN, sdvm_ipc_accept(fd));
    close(a);
    close(c);
    close(fd);
    // The socket file is left behind (stale): a new listen replaces it.
    fd = sdvm_ipc_listen(path.c_str(), 0600, 4);
    ASSERT_GE(fd, 0) << strerror(-fd);
    close(fd);
    unlink(path.c_str());

    // Anything that is not a socket is never removed.
    std::string file = std::string(dir) + "/file";
    int f = open(file.c_str(), O_CREAT | O_WRONLY, 0600);
    ASSERT_GE(f, 0);
    close(f);
    EXPECT_EQ(-EEXIST, sdvm_ipc_listen(file.c_str(), 0600, 4));
    EXPECT_EQ(0, access(file.c_str(), F_OK));
    unlink(file.c_str());

    EXPECT_EQ(-ENOENT, sdvm_ipc_connect(path.c_str()));
    std::string too_long = std::string(dir) + "/" + std::string(120, 'l');
    EXPECT_EQ(-ENAMETOOLONG, sdvm_ipc_connect(too_long.c_str()));
    EXPECT_EQ(-ENAMETOOLONG, sdvm_ipc_listen(too_long.c_str(), 0600, 4));
    EXPECT_EQ(-EINVAL, sdvm_ipc_connect(""));
    rmdir(dir);
}

TEST(Sockets, PeerCheck)
{
    int sv[2];
    ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    struct ucred cred = {};
    uid_t other = 4242;
    int r = sdvm_ipc_peer_check(sv[0], &other, 1, &cred);
    EXPECT_EQ(getpid(), cred.pid);
    EXPECT_EQ(getuid(), cred.uid);
    if (getuid() == 0) {
        EXPECT_EQ(0, r) << "root may always connect";
    } else {
        EXPECT_EQ(-EACCES, r);
        uid_t me = getuid();
        EXPECT_EQ(0, sdvm_ipc_peer_check(sv[0], &me, 1, nullptr));
    }
    close(sv[0]);
    close(sv[1]);
    EXPECT_EQ(-EBADF, sdvm_ipc_peer_check(-1, nullptr, 0, nullptr));

    if (getuid() != 0)
        GTEST_SKIP() << "a peer with another uid needs root to create";
    // A peer running as another user: refused unless that uid is allowed.
    char dir[] = "/tmp/sdvm-ipc-peer-XXXXXX";
    ASSERT_TRUE(mkdtemp(dir));
    chmod(dir, 0755);
    std::string path = std::string(dir) + "/s.sock";
    int fd = sdvm_ipc_listen(path.c_str(), 0666, 4);
    ASSERT_GE(fd, 0);
    const uid_t nobody = 65534;
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        if (setgid(65534) != 0 || setuid(nobody) != 0)
            _exit(2);
        int c = sdvm_ipc_connect(path.c_str());
        if (c < 0)
            _exit(3);
        char b;
        struct pollfd pf = {c, POLLIN, 0};
        poll(&pf, 1, 5000); // wait until the parent closes
        ssize_t n = read(c, &b, 1);
        (void)n;
        _exit(0);
    }
    struct pollfd pf = {fd, POLLIN, 0};
    ASSERT_EQ(1, poll(&pf, 1, 5000));
    int a = sdvm_ipc_accept(fd);
    ASSERT_GE(a, 0);
    uid_t greeter = 1000;
    EXPECT_EQ(-EACCES, sdvm_ipc_peer_check(a, &greeter, 1, &cred));
    EXPECT_EQ(nobody, cred.uid);
    EXPECT_EQ(pid, cred.pid);
    uid_t allowed[] = {1000, nobody};
    EXPECT_EQ(0, sdvm_ipc_peer_check(a, allowed, 2, nullptr));
    close(a);
    int status;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    close(fd);
    unlink(path.c_str());
    rmdir(dir);
}
