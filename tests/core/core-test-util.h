// Helpers shared by the core tests: temporary directories, files, running commands.
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace coretest {

// Where generated data goes: under the build dir when run by ctest.
inline std::string
ScratchRoot()
{
    const char *b = std::getenv("SDVM_BUILD_DIR");
    std::string root = std::string(b ? b : "/tmp") + "/test-scratch";
    mkdir(root.c_str(), 0755);
    return root;
}

inline std::string
SourceDir()
{
    const char *s = std::getenv("SDVM_SOURCE_DIR");
    return s ? s : ".";
}

inline void
RemoveTree(const std::string &path)
{
    std::string cmd = "rm -rf '" + path + "'";
    if (std::system(cmd.c_str()) != 0)
        std::fprintf(stderr, "cannot remove %s\n", path.c_str());
}

class TempDir {
  public:
    explicit TempDir(const std::string &base = ScratchRoot())
    {
        std::string tmpl = base + "/core-XXXXXX";
        std::vector<char> buf(tmpl.begin(), tmpl.end());
        buf.push_back('\0');
        if (!mkdtemp(buf.data()))
            std::abort();
        path_ = buf.data();
    }
    ~TempDir() { RemoveTree(path_); }
    TempDir(const TempDir &) = delete;
    TempDir &operator=(const TempDir &) = delete;
    const std::string &path() const { return path_; }
    std::string operator/(const std::string &name) const { return path_ + "/" + name; }

  private:
    std::string path_;
};

inline void
WriteFile(const std::string &path, const std::string &data, mode_t mode = 0644)
{
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0 || write(fd, data.data(), data.size()) != static_cast<ssize_t>(data.size()))
        std::abort();
    close(fd);
}

inline std::string
ReadFile(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

inline bool
Exists(const std::string &path)
{
    struct stat sb;
    return lstat(path.c_str(), &sb) == 0;
}

struct CommandResult {
    int status = -1; // exit status, or -1 when it did not exit normally
    std::string output; // stdout and stderr
};

// Runs a shell command line; output captured.
inline CommandResult
Sh(const std::string &cmd)
{
    CommandResult r;
    FILE *p = popen((cmd + " 2>&1").c_str(), "r");
    if (!p)
        return r;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
        r.output.append(buf, n);
    int st = pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return r;
}

inline bool
HaveTool(const std::string &name)
{
    return Sh("command -v " + name).status == 0;
}

inline std::vector<std::string>
ListDir(const std::string &path)
{
    std::vector<std::string> names;
    DIR *d = opendir(path.c_str());
    if (!d)
        return names;
    while (struct dirent *de = readdir(d))
        if (std::strcmp(de->d_name, ".") && std::strcmp(de->d_name, ".."))
            names.push_back(de->d_name);
    closedir(d);
    return names;
}

} // namespace coretest
