// Writes the fuzzer's seed corpus: one file per sample message (u16 type + payload).
#include <cstdio>
#include <string>

#include "ipc-test-util.h"

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    ipctest::Samples s;
    int n = 0;
    for (const auto &m : s.all()) {
        sdvm_ipc_buf buf = {};
        if (sdvm_ipc_encode(&m, &buf) != 0)
            return 1;
        std::string path = std::string(argv[1]) + "/seed-" + std::to_string(n++);
        FILE *f = fopen(path.c_str(), "wb");
        if (!f)
            return 1;
        uint8_t t[2] = {static_cast<uint8_t>(m.type), static_cast<uint8_t>(m.type >> 8)};
        fwrite(t, 1, 2, f);
        fwrite(buf.data + SDVM_IPC_HEADER_SIZE, 1, buf.len - SDVM_IPC_HEADER_SIZE, f);
        fclose(f);
        sdvm_ipc_buf_free(&buf);
    }
    return 0;
}
