// Helpers for the eduroam-cat tests: fixture paths, temporary directories, file reading.
#pragma once

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <ftw.h>
#include <unistd.h>

inline std::string
fixture(const std::string &name)
{
    const char *src = std::getenv("SDVM_SOURCE_DIR");
    return std::string(src ? src : ".") + "/tests/data/eap-config/" + name;
}

inline std::string
slurp(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

inline void
spit(const std::string &path, const std::string &data)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << data;
}

// A private directory under $TMPDIR (or /tmp), removed at the end of the test.
struct TempDir {
    std::string path;
    TempDir()
    {
        const char *tmp = std::getenv("TMPDIR");
        std::string templ = std::string(tmp ? tmp : "/tmp") + "/sdvm-cat-test.XXXXXX";
        char *p = mkdtemp(&templ[0]);
        if (p)
            path = p;
    }
    ~TempDir()
    {
        if (!path.empty())
            nftw(path.c_str(),
                 [](const char *f, const struct stat *, int, struct FTW *) { return remove(f); },
                 16, FTW_DEPTH | FTW_PHYS);
    }
    std::string operator/(const std::string &name) const { return path + "/" + name; }
};
