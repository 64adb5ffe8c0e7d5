// Issue 16: which greeter runs a theme (sdvm_greeter_choose) and the bounded reader of a theme's
// metadata.desktop QtVersion, on ordinary and odd (untrusted) files.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "core-test-util.h"
#include "sdvm/greeter-choice.h"

using coretest::TempDir;
using coretest::WriteFile;

namespace {

int
VersionOf(const TempDir &t, const std::string &metadata)
{
    WriteFile(t / "metadata.desktop", metadata);
    return sdvm_theme_qt_version(t.path().c_str());
}

} // namespace

TEST(ThemeQtVersion, AsSddmReadsIt)
{
    TempDir t;
    EXPECT_EQ(5, sdvm_theme_qt_version(t.path().c_str())) << "no metadata.desktop";
    EXPECT_EQ(6, VersionOf(t, "[SddmGreeterTheme]\nName=X\nQtVersion=6\n"));
    EXPECT_EQ(5, VersionOf(t, "[SddmGreeterTheme]\nName=X\n")) << "absent = 5";
    EXPECT_EQ(5, VersionOf(t, "[SddmGreeterTheme]\nQtVersion=5\n"));
    EXPECT_EQ(6, VersionOf(t, "\xef\xbb\xbf[Desktop Entry]\nQtVersion=5\n[SddmGreeterTheme]\r\n"
                              "  QtVersion = \"6\" \r\n"))
        << "CRLF, blanks, quotes; another group's key does not count";
    EXPECT_EQ(5, VersionOf(t, "[Other]\nQtVersion=6\n")) << "only [SddmGreeterTheme]";
    EXPECT_EQ(6, VersionOf(t, "[SddmGreeterTheme]\nQtVersion=5\nQtVersion=6\n")) << "last wins";
    EXPECT_EQ(5, VersionOf(t, "[SddmGreeterTheme]\n# QtVersion=6\n;QtVersion=6\n"));
    EXPECT_EQ(5, VersionOf(t, "[SddmGreeterTheme]\nqtversion=6\nQtVersionX=6\n"));
}

TEST(ThemeQtVersion, OddFilesReadAsAbsent)
{
    TempDir t;
    for (const char *bad : {"six", "6.0", "-6", "0", "999", "", "6 6", "\"6", "0x6"})
        EXPECT_EQ(5, VersionOf(t, std::string("[SddmGreeterTheme]\nQtVersion=") + bad + "\n"))
            << bad;
    // A NUL in the line, an over-long line, a binary file.
    EXPECT_EQ(5, VersionOf(t, std::string("[SddmGreeterTheme]\nQtVersion=6\0junk\n", 35)));
    EXPECT_EQ(5, VersionOf(t, "[SddmGreeterTheme]\nQtVersion=6" + std::string(2000, ' ') + "\n"));
    std::string binary(100000, '\xff');
    EXPECT_EQ(5, VersionOf(t, binary));
    // Past the 64 KiB bound: not read (a theme's metadata is a few hundred bytes).
    EXPECT_EQ(5, VersionOf(t, "[SddmGreeterTheme]\n" + std::string(70000, '\n') + "QtVersion=6\n"));
    EXPECT_EQ(6, VersionOf(t, "[SddmGreeterTheme]\nQtVersion=6\n" + std::string(70000, '#')))
        << "a cut-off last line does not hide what came before";

    // Not a regular file: a folder, a FIFO (must not block), a dangling link.
    TempDir d;
    ASSERT_EQ(0, mkdir((d / "metadata.desktop").c_str(), 0755));
    EXPECT_EQ(5, sdvm_theme_qt_version(d.path().c_str()));
    TempDir f;
    ASSERT_EQ(0, mkfifo((f / "metadata.desktop").c_str(), 0644));
    EXPECT_EQ(5, sdvm_theme_qt_version(f.path().c_str()));
    TempDir l;
    ASSERT_EQ(0, symlink("/nonexistent/metadata", (l / "metadata.desktop").c_str()));
    EXPECT_EQ(5, sdvm_theme_qt_version(l.path().c_str()));
    EXPECT_EQ(5, sdvm_theme_qt_version(nullptr));
    EXPECT_EQ(5, sdvm_theme_qt_version(""));
}

TEST(GreeterChoose, QtFiveEraThemesGoToTheQtFiveGreeterWhenInstalled)
{
    TempDir bin, themes;
    const std::string greeter = bin / "sdvm-greeter";
    WriteFile(greeter, "#!/bin/sh\n", 0755);
    for (const char *t : {"old", "new"})
        ASSERT_EQ(0, mkdir((themes / t).c_str(), 0755));
    WriteFile(themes / "old/metadata.desktop", "[SddmGreeterTheme]\nName=Old\n");
    WriteFile(themes / "new/metadata.desktop", "[SddmGreeterTheme]\nQtVersion=6\n");
    const std::string missing = themes / "nothing-here";
    const char *dirs[] = {missing.c_str(), themes.path().c_str(), nullptr};
    char out[4096];

    // No Qt 5 build: everything in the Qt 6 greeter, as before issue 16.
    EXPECT_EQ(6, sdvm_greeter_choose(greeter.c_str(), "old", dirs, out, sizeof(out)));
    EXPECT_EQ(greeter, out);

    WriteFile(greeter + "-qt5", "#!/bin/sh\n", 0644);
    EXPECT_EQ(6, sdvm_greeter_choose(greeter.c_str(), "old", dirs, out, sizeof(out)))
        << "not executable";
    ASSERT_EQ(0, chmod((greeter + "-qt5").c_str(), 0755));
    EXPECT_EQ(5, sdvm_greeter_choose(greeter.c_str(), "old", dirs, out, sizeof(out)));
    EXPECT_EQ(greeter + "-qt5", out);
    const std::string old_path = themes / "old";
    EXPECT_EQ(5, sdvm_greeter_choose(greeter.c_str(), old_path.c_str(), nullptr, out, sizeof(out)))
        << "a folder";
    EXPECT_EQ(6, sdvm_greeter_choose(greeter.c_str(), "new", dirs, out, sizeof(out)));
    EXPECT_EQ(greeter, out);
    EXPECT_EQ(6, sdvm_greeter_choose(greeter.c_str(), "gone", dirs, out, sizeof(out)));
    EXPECT_EQ(6, sdvm_greeter_choose(greeter.c_str(), nullptr, dirs, out, sizeof(out)));
    // The Qt 5 greeter's own path names the same pair (sdvm-greeter-qt5 --test-mode).
    const std::string qt5 = greeter + "-qt5";
    EXPECT_EQ(6, sdvm_greeter_choose(qt5.c_str(), "new", dirs, out, sizeof(out)));
    EXPECT_EQ(greeter, out);
    EXPECT_EQ(5, sdvm_greeter_choose(qt5.c_str(), "old", dirs, out, sizeof(out)));
    EXPECT_EQ(qt5, out);
    EXPECT_EQ(-ENAMETOOLONG, sdvm_greeter_choose(greeter.c_str(), "old", dirs, out, 8));
}
