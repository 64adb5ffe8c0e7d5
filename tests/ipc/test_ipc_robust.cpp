// Robustness of the sdvm-ipc decoder under ASan/UBSan: random payloads, mutations of valid
// messages and random byte streams through a connection. Deterministic (a fixed seed, or
// SDVM_FUZZ_SEED), bounded (SDVM_FUZZ_ITERATIONS, default 200000 per kind).
//
// What must hold for every input: no crash, no out-of-bounds access, no leak; the decoder
// either rejects it or returns a message that the encoder accepts and that decodes back to
// the same message (so nothing the decoder lets through is something the protocol forbids).
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <random>
#include <sys/socket.h>
#include <unistd.h>

#include "ipc-test-util.h"

using namespace ipctest;

namespace {

uint64_t
seed()
{
    const char *s = getenv("SDVM_FUZZ_SEED");
    return s ? std::strtoull(s, nullptr, 10) : 20261123u;
}

int
iterations()
{
    const char *s = getenv("SDVM_FUZZ_ITERATIONS");
    int n = s ? std::atoi(s) : 200000;
    return n > 0 ? n : 200000;
}

const uint16_t kTypes[] = {SDVM_IPC_HELLO,       SDVM_IPC_LOGIN,       SDVM_IPC_CANCEL,
                           SDVM_IPC_POWER,       SDVM_IPC_EV_HELLO,    SDVM_IPC_EV_PROGRESS,
                           SDVM_IPC_EV_MESSAGE,  SDVM_IPC_EV_FINISHED, SDVM_IPC_EV_LAUNCHING,
                           SDVM_IPC_EV_IMAGES,   SDVM_IPC_EV_ERROR};

struct Stats {
    long accepted = 0, rejected = 0;
};

// Decode; if accepted, re-encode and decode again: must be the same message.
void
check(uint16_t type, const uint8_t *p, size_t n, Stats *st)
{
    sdvm_ipc_msg m;
    sdvm_ipc_error err;
    int r = sdvm_ipc_decode(type, p, n, &m, &err);
    if (r < 0) {
        ASSERT_TRUE(r == -EBADMSG || r == -ENOMEM) << r;
        ASSERT_NE('\0', err.text[0]) << "a rejection always says why";
        st->rejected++;
        sdvm_ipc_msg_clear(&m);
        return;
    }
    st->accepted++;
    sdvm_ipc_buf buf = {};
    int e = sdvm_ipc_encode(&m, &buf);
    ASSERT_EQ(0, e) << "decoder accepted what the encoder refuses: "
                    << sdvm_ipc_type_to_string(m.type);
    sdvm_ipc_frame f;
    ASSERT_EQ(1, sdvm_ipc_frame_parse(buf.data, buf.len, &f, &err));
    sdvm_ipc_msg again;
    ASSERT_EQ(0, sdvm_ipc_decode(f.type, f.payload, f.payload_len, &again, &err)) << err.text;
    ASSERT_EQ("", diff(m, again));
    sdvm_ipc_msg_clear(&again);
    sdvm_ipc_msg_clear(&m);
    sdvm_ipc_buf_free(&buf);
}

std::vector<std::pair<uint16_t, Bytes>>
seeds()
{
    std::vector<std::pair<uint16_t, Bytes>> out;
    Samples s;
    for (const auto &m : s.all()) {
        sdvm_ipc_buf buf = {};
        if (sdvm_ipc_encode(&m, &buf) == 0)
            out.emplace_back(static_cast<uint16_t>(m.type),
                             Bytes(buf.data + SDVM_IPC_HEADER_SIZE, buf.data + buf.len));
        sdvm_ipc_buf_free(&buf);
    }
    return out;
}

} // namespace

TEST(Robust, RandomPayloads)
{
    std::mt19937_64 rng(seed());
    Stats st;
    for (int i = 0; i < iterations(); i++) {
        uint16_t type = kTypes[rng() % (sizeof(kTypes) / sizeof(kTypes[0]))];
        size_t n = rng() % 96;
        Bytes p(n);
        for (auto &b : p)
            b = static_cast<uint8_t>(rng());
        // Often make the first field header plausible, so the decoder goes deeper.
        if (n >= 4 && rng() % 2) {
            p[0] = static_cast<uint8_t>(rng() % 22);
            p[1] = 0;
            p[2] = static_cast<uint8_t>(rng() % (n - 3));
            p[3] = 0;
        }
        check(type, p.data(), p.size(), &st);
        if (HasFatalFailure())
            FAIL() << "seed " << seed() << " iteration " << i;
    }
    EXPECT_GT(st.rejected, 0);
    RecordProperty("accepted", static_cast<int>(st.accepted));
}

TEST(Robust, MutatedMessages)
{
    std::mt19937_64 rng(seed() + 1);
    auto base = seeds();
    ASSERT_EQ(11u, base.size());
    Stats st;
    static const uint8_t interesting[] = {0, 1, 2, 7, 8, 0x7f, 0x80, 0xbf, 0xc0, 0xff};
    for (int i = 0; i < iterations(); i++) {
        const auto &seed_msg = base[rng() % base.size()];
        Bytes p = seed_msg.second;
        uint16_t type = seed_msg.first;
        int mutations = 1 + static_cast<int>(rng() % 4);
        for (int k = 0; k < mutations && !p.empty(); k++) {
            size_t at = rng() % p.size();
            switch (rng() % 7) {
            case 0:
                p[at] ^= static_cast<uint8_t>(1u << (rng() % 8));
                break;
            case 1:
                p[at] = interesting[rng() % sizeof(interesting)];
                break;
            case 2:
                p.resize(at);
                break;
            case 3:
                p.insert(p.begin() + static_cast<long>(at), static_cast<uint8_t>(rng()));
                break;
            case 4: {
                // Duplicate a slice (repeats fields, grows groups).
                size_t len = rng() % (p.size() - at) + 1;
                Bytes slice(p.begin() + static_cast<long>(at),
                            p.begin() + static_cast<long>(at + len));
                p.insert(p.begin() + static_cast<long>(rng() % p.size()), slice.begin(),
                         slice.end());
                break;
            }
            case 5:
                type = kTypes[rng() % (sizeof(kTypes) / sizeof(kTypes[0]))];
                break;
            default:
                p.erase(p.begin() + static_cast<long>(at));
                break;
            }
        }
        check(type, p.data(), p.size(), &st);
        if (HasFatalFailure())
            FAIL() << "seed " << seed() << " iteration " << i;
    }
    EXPECT_GT(st.accepted, 0) << "mutations never produced a valid message: too destructive";
    EXPECT_GT(st.rejected, 0);
}

TEST(Robust, RandomStreamsThroughAConnection)
{
    std::mt19937_64 rng(seed() + 2);
    auto base = seeds();
    int rounds = iterations() / 100;
    for (int i = 0; i < rounds; i++) {
        int sv[2];
        ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv));
        sdvm_ipc_conn c;
        sdvm_ipc_conn_init(&c, sv[1], rng() % 2 ? SDVM_IPC_SIDE_SERVER : SDVM_IPC_SIDE_CLIENT);
        // A stream of valid frames with random damage, in random chunk sizes.
        Bytes stream;
        for (int k = 0; k < 8; k++) {
            const auto &s = base[rng() % base.size()];
            Bytes f = frame(s.first, s.second);
            if (rng() % 3 == 0 && !f.empty())
                f[rng() % f.size()] = static_cast<uint8_t>(rng());
            stream.insert(stream.end(), f.begin(), f.end());
        }
        size_t off = 0;
        bool dead = false;
        while (off < stream.size() && !dead) {
            size_t chunk = std::min<size_t>(stream.size() - off, 1 + rng() % 64);
            ASSERT_EQ(static_cast<ssize_t>(chunk), write(sv[0], stream.data() + off, chunk));
            off += chunk;
            ASSERT_EQ(0, sdvm_ipc_conn_fill(&c));
            for (;;) {
                sdvm_ipc_msg m;
                sdvm_ipc_error err;
                int r = sdvm_ipc_conn_next(&c, &m, &err);
                sdvm_ipc_msg_clear(&m);
                if (r < 0) {
                    ASSERT_EQ(0u, c.in.len) << "garbage must be dropped";
                    dead = true; // a real peer closes the connection here
                }
                if (r != 1)
                    break;
            }
            ASSERT_LE(c.in.len, static_cast<size_t>(SDVM_IPC_MAX_FRAME));
        }
        close(sv[0]);
        sdvm_ipc_conn_close(&c);
    }
}
