/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for the sdvm-ipc decoder (built with clang by tests/ipc/CMakeLists.txt).
 * Input: u16 type (little-endian) + payload. Every accepted message must re-encode, and its
 * encoding must be a fixed point (decode(encode(m)) encodes to the same bytes). The whole
 * input is also offered to the frame parser as a stream.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sdvm/ipc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
reencode(const struct sdvm_ipc_msg *m, struct sdvm_ipc_buf *out)
{
    if (sdvm_ipc_encode(m, out) != 0)
        abort(); /* the decoder accepted what the encoder refuses */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sdvm_ipc_frame f;
    struct sdvm_ipc_error err;
    const uint8_t *p = data;
    size_t left = size;
    while (sdvm_ipc_frame_parse(p, left, &f, &err) == 1) {
        struct sdvm_ipc_msg m;
        sdvm_ipc_decode(f.type, f.payload, f.payload_len, &m, &err);
        sdvm_ipc_msg_clear(&m);
        p += f.frame_len;
        left -= f.frame_len;
    }

    if (size < 2)
        return 0;
    uint16_t type = (uint16_t)(data[0] | (data[1] << 8));
    struct sdvm_ipc_msg m;
    if (sdvm_ipc_decode(type, data + 2, size - 2, &m, &err) != 0) {
        if (!err.text[0])
            abort(); /* a rejection always says why */
        sdvm_ipc_msg_clear(&m);
        return 0;
    }
    struct sdvm_ipc_buf a = {0}, b = {0};
    reencode(&m, &a);
    sdvm_ipc_msg_clear(&m);
    if (sdvm_ipc_frame_parse(a.data, a.len, &f, &err) != 1)
        abort();
    if (sdvm_ipc_decode(f.type, f.payload, f.payload_len, &m, &err) != 0)
        abort();
    reencode(&m, &b);
    sdvm_ipc_msg_clear(&m);
    if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
        abort();
    sdvm_ipc_buf_free(&a);
    sdvm_ipc_buf_free(&b);
    return 0;
}
