// Helpers for the ipc tests: hand-built frames and fields, sample messages of every type,
// and a deep comparison of two messages.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

extern "C" {
#include "sdvm-types.h"
#include "sdvm/ipc.h"
}

namespace ipctest {

using Bytes = std::vector<uint8_t>;

inline void
put16(Bytes &b, uint16_t v)
{
    b.push_back(static_cast<uint8_t>(v));
    b.push_back(static_cast<uint8_t>(v >> 8));
}

inline void
put32(Bytes &b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

inline Bytes
u32(uint32_t v)
{
    Bytes b;
    put32(b, v);
    return b;
}

inline Bytes
u64(uint64_t v)
{
    Bytes b;
    for (int i = 0; i < 8; i++)
        b.push_back(static_cast<uint8_t>(v >> (8 * i)));
    return b;
}

inline Bytes
str(const std::string &s)
{
    return Bytes(s.begin(), s.end());
}

inline void
field(Bytes &payload, uint16_t tag, const Bytes &value)
{
    put16(payload, tag);
    put16(payload, static_cast<uint16_t>(value.size()));
    payload.insert(payload.end(), value.begin(), value.end());
}

inline Bytes
frame(uint16_t type, const Bytes &payload, uint16_t flags = 0)
{
    Bytes f;
    put32(f, static_cast<uint32_t>(payload.size()));
    put16(f, type);
    put16(f, flags);
    f.insert(f.end(), payload.begin(), payload.end());
    return f;
}

// A sample of every message type with every field it may carry set.
struct Samples {
    sdvm_ipc_image images[3] = {
        {"debian-12", "Debian GNU/Linux 12", "linux", "GCC\tPython\nR", true, true, nullptr, 0},
        {"win.11_edu", "Windows 11 \xc3\x89" "ducation", "windows", nullptr, false, true,
         nullptr, 0},
        {"broken", "Broken", "", "", false, false, "base image missing",
         SDVM_IMAGE_QCOW2_MISSING},
    };
    std::vector<sdvm_ipc_msg> all() const
    {
        std::vector<sdvm_ipc_msg> v;
        sdvm_ipc_msg m;
        m = {};
        m.type = SDVM_IPC_HELLO;
        m.version = 1;
        m.software = "libsdvm 0.1.0";
        v.push_back(m);
        m = {};
        m.type = SDVM_IPC_LOGIN;
        m.op = 0x0102030405060708ull;
        m.nai = "Al\xc3\xad" "ce@Example.ORG";
        m.password = "p\x01\tw \xf0\x9f\x94\x91 d";
        m.image_id = "debian-12";
        v.push_back(m);
        m = {};
        m.type = SDVM_IPC_CANCEL;
        m.op = 7;
        v.push_back(m);
        m = {};
        m.type = SDVM_IPC_POWER;
        m.power_action = SDVM_POWER_HYBRID_SLEEP;
        v.push_back(m);
        m = {};
        m.type = SDVM_IPC_EV_HELLO;
        m.version = 1;
        m.software = "sdvmd 0.1.0";
        m.hostname = "lab-a-12";
        m.has_power_mask = true;
        m.power_mask = SDVM_POWER_OFF | SDVM_POWER_REBOOT;
        m.images = const_cast<sdvm_ipc_image *>(images);
        m.n_images = 3;
        v.push_back(m);
        m = {};
        m.type = SDVM_IPC_EV_PROGRESS;
        m.op = 3;
        m.stage = SDVM_STAGE_PREPARING_DISK;
        v.push_back(m);
        m = {};
        m.type = SDVM_IPC_EV_MESSAGE;
        m.op = 0;
        m.is_error = true;
        m.text = "Line one\nline two";
        v.push_back(m);
        m = {};
        m.type = SDVM_IPC_EV_FINISHED;
        m.op = 3;
        m.failure = SDVM_FAILURE_THROTTLED;
        m.detail = "5 failures";
        m.retry_after_s = 120;
        m.institution = "Universidade Federal de S\xc3\xa3o Carlos";
        m.helpdesk_email = "help@ufscar.br";
        m.helpdesk_phone = "+55 16 3351-8111";
        m.helpdesk_url = "https://www.ufscar.br/";
        v.push_back(m);
        m = {};
        m.type = SDVM_IPC_EV_LAUNCHING;
        m.op = 3;
        v.push_back(m);
        m = {};
        m.type = SDVM_IPC_EV_IMAGES;
        m.images = const_cast<sdvm_ipc_image *>(images);
        m.n_images = 2;
        v.push_back(m);
        m = {};
        m.type = SDVM_IPC_EV_ERROR;
        m.op = 9;
        m.failure = SDVM_FAILURE_PROTOCOL;
        m.text = "LOGIN: field password (2000 bytes, at most 1024): too long";
        v.push_back(m);
        return v;
    }
};

inline bool
same_str(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

// Empty-string optional fields come back as "" (present) — compare as sent.
inline std::string
diff(const sdvm_ipc_msg &a, const sdvm_ipc_msg &b)
{
#define CMP(f)                                                                                 \
    if (a.f != b.f)                                                                            \
        return #f;
#define CMPS(f)                                                                                \
    if (!same_str(a.f, b.f))                                                                   \
        return #f;
    CMP(type);
    CMP(version);
    CMPS(software);
    CMP(op);
    CMPS(nai);
    CMPS(password);
    CMPS(image_id);
    CMP(power_action);
    CMPS(hostname);
    CMP(has_power_mask);
    CMP(power_mask);
    CMP(n_images);
    CMP(stage);
    CMP(is_error);
    CMPS(text);
    CMP(failure);
    CMPS(detail);
    CMP(retry_after_s);
    CMPS(institution);
    CMPS(helpdesk_email);
    CMPS(helpdesk_phone);
    CMPS(helpdesk_url);
    for (size_t i = 0; i < a.n_images; i++) {
        CMPS(images[i].id);
        CMPS(images[i].name);
        CMPS(images[i].os_type);
        CMPS(images[i].comment);
        CMP(images[i].is_default);
        CMP(images[i].available);
        CMPS(images[i].unavailable_reason);
        CMP(images[i].status);
    }
    return "";
#undef CMP
#undef CMPS
}

} // namespace ipctest
