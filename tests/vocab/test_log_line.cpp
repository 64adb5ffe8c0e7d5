// The one log line formatter (vocab/src/log-line.c) behind core's log_*f() and libsdvm's
// per-context handler: "[dir/file.c:42] text", the threshold, silence, the length bound.
#include <gtest/gtest.h>

#include <cstdarg>
#include <string>
#include <vector>

extern "C" {
#include "sdvm/log-line.h"
}

namespace {

struct Seen {
    std::vector<std::string> lines;
    std::vector<sdvm_log_level> levels;
};

void
record(enum sdvm_log_level level, const char *msg, void *ud)
{
    auto *s = static_cast<Seen *>(ud);
    s->lines.emplace_back(msg);
    s->levels.push_back(level);
}

void
emit(sdvm_log_fn fn, Seen *s, sdvm_log_level threshold, sdvm_log_level level, const char *file,
     int line, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

void
emit(sdvm_log_fn fn, Seen *s, sdvm_log_level threshold, sdvm_log_level level, const char *file,
     int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sdvm_log_line(fn, s, threshold, level, file, line, fmt, ap);
    va_end(ap);
}

} // namespace

TEST(LogLine, KeepsTheLastDirectoryAndTheFileName)
{
    Seen s;
    emit(record, &s, SDVM_LOG_DEBUG, SDVM_LOG_INFO, "/build/src/sdvm/core/src/store.c", 42,
         "%s: %d disks", "scan", 3);
    emit(record, &s, SDVM_LOG_DEBUG, SDVM_LOG_ERROR, "main.c", 7, "no slash");
    emit(record, &s, SDVM_LOG_DEBUG, SDVM_LOG_ERROR, "/top.c", 1, "at the root");
    ASSERT_EQ(3u, s.lines.size());
    EXPECT_EQ("[src/store.c:42] scan: 3 disks", s.lines[0]);
    EXPECT_EQ(SDVM_LOG_INFO, s.levels[0]);
    EXPECT_EQ("[main.c:7] no slash", s.lines[1]);
    EXPECT_EQ("[/top.c:1] at the root", s.lines[2]);
}

TEST(LogLine, ThresholdSilenceAndNoHandler)
{
    Seen s;
    emit(record, &s, SDVM_LOG_WARNING, SDVM_LOG_INFO, "a/b.c", 1, "too detailed");
    emit(record, &s, SDVM_LOG_WARNING, SDVM_LOG_SILENT, "a/b.c", 2, "silent is never a level");
    emit(record, &s, SDVM_LOG_SILENT, SDVM_LOG_ERROR, "a/b.c", 3, "silenced");
    emit(nullptr, &s, SDVM_LOG_DEBUG, SDVM_LOG_ERROR, "a/b.c", 4, "no handler");
    EXPECT_TRUE(s.lines.empty());
    emit(record, &s, SDVM_LOG_WARNING, SDVM_LOG_WARNING, "a/b.c", 5, "just enough");
    ASSERT_EQ(1u, s.lines.size());
    EXPECT_EQ("[a/b.c:5] just enough", s.lines[0]);
}

TEST(LogLine, LongTextIsCutToTheBound)
{
    Seen s;
    std::string text(5000, 'x');
    emit(record, &s, SDVM_LOG_DEBUG, SDVM_LOG_DEBUG, "a/b.c", 9, "%s", text.c_str());
    ASSERT_EQ(1u, s.lines.size());
    EXPECT_EQ(size_t{SDVM_LOG_LINE_MAX - 1}, s.lines[0].size());
    EXPECT_EQ(0u, s.lines[0].rfind("[a/b.c:9] xxx", 0));
}
