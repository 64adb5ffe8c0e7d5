// For tests that mount file systems: run as root in a private mount namespace, so every
// mount is invisible to the machine and gone when the test exits. Not root: exit 77 (skip).
#pragma once

#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include <gtest/gtest.h>

namespace coretest {

inline int
RootTestMain(int argc, char **argv, const char *what)
{
    if (geteuid() != 0) {
        std::fprintf(stderr, "SKIP: %s needs root (mounts a file system)\n", what);
        return 77;
    }
    if (unshare(CLONE_NEWNS) != 0 || mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr)) {
        std::perror("SKIP: cannot make a private mount namespace");
        return 77;
    }
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}

// Mounts a tmpfs of size bytes at dir.
inline bool
MountTmpfs(const std::string &dir, unsigned long long size)
{
    std::string opts = "size=" + std::to_string(size) + ",mode=0755";
    return mount("tmpfs", dir.c_str(), "tmpfs", 0, opts.c_str()) == 0;
}

} // namespace coretest
