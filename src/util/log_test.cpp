#include "util/log.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <string>

namespace llamachat::util {
namespace {

// Restores the process-wide level after each test.
class LogTest : public ::testing::Test {
 protected:
  void TearDown() override {
    set_log_level(LogLevel::info);
    set_log_format(LogFormat::text);
  }
};

TEST_F(LogTest, LevelThreshold) {
  set_log_level(LogLevel::warn);
  EXPECT_FALSE(log_enabled(LogLevel::debug));
  EXPECT_FALSE(log_enabled(LogLevel::info));
  EXPECT_TRUE(log_enabled(LogLevel::warn));
  EXPECT_TRUE(log_enabled(LogLevel::error));
  set_log_level(LogLevel::debug);
  EXPECT_TRUE(log_enabled(LogLevel::debug));
  set_log_level(LogLevel::error);
  EXPECT_FALSE(log_enabled(LogLevel::warn));
  EXPECT_TRUE(log_enabled(LogLevel::error));
}

TEST_F(LogTest, DefaultLevelIsInfo) {
  // TearDown of any earlier test restored info, which is also the process default.
  EXPECT_FALSE(log_enabled(LogLevel::debug));
  EXPECT_TRUE(log_enabled(LogLevel::info));
}

TEST_F(LogTest, WritesOneLinePerEventWithTimeAndLevel) {
  set_log_level(LogLevel::debug);
  ::testing::internal::CaptureStderr();
  log_debug("d message");
  log_info("i message");
  log_warn("w message");
  log_error("e message");
  const std::string out = ::testing::internal::GetCapturedStderr();
  const std::regex line_re(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z DEBUG d message\n)"
                           R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z INFO i message\n)"
                           R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z WARN w message\n)"
                           R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z ERROR e message\n)");
  EXPECT_TRUE(std::regex_match(out, line_re)) << out;
}

TEST_F(LogTest, SuppressedLevelsWriteNothing) {
  set_log_level(LogLevel::error);
  ::testing::internal::CaptureStderr();
  log_debug("hidden");
  log_info("hidden");
  log_warn("hidden");
  const std::string out = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(out, "");
}

TEST_F(LogTest, JsonLineHasTimeLevelAndEscapedMessage) {
  std::chrono::system_clock::time_point t{std::chrono::seconds(1'440'938'160)};
  EXPECT_EQ(format_log_line(LogFormat::json, t, LogLevel::warn, "say \"hi\"\n\tnow"),
            "{\"ts\":\"2015-08-30T12:36:00Z\",\"level\":\"warn\",\"msg\":\"say \\\"hi\\\"\\n\\tnow\"}\n");
}

TEST_F(LogTest, JsonLineReplacesInvalidUtf8) {
  std::chrono::system_clock::time_point t{std::chrono::seconds(0)};
  const std::string line = format_log_line(LogFormat::json, t, LogLevel::info, "caf\xc3\xa9 \xff\xc3 end");
  EXPECT_EQ(
      line,
      "{\"ts\":\"1970-01-01T00:00:00Z\",\"level\":\"info\",\"msg\":\"caf\xc3\xa9 \xEF\xBF\xBD\xEF\xBF\xBD end\"}\n");
}

TEST_F(LogTest, TextLineKeepsTheOriginalShape) {
  std::chrono::system_clock::time_point t{std::chrono::seconds(0)};
  EXPECT_EQ(format_log_line(LogFormat::text, t, LogLevel::error, "boom"), "1970-01-01T00:00:00Z ERROR boom\n");
}

TEST_F(LogTest, JsonByDefaultUnlessStderrIsATerminal) {
  EXPECT_EQ(default_log_format(false), LogFormat::json);
  EXPECT_EQ(default_log_format(true), LogFormat::text);
}

TEST_F(LogTest, AppendedLinesWaitForAFlushAndGoOutWholeInOrder) {
  set_log_level(LogLevel::info);
  ::testing::internal::CaptureStderr();
  append_log_line(LogLevel::info, "first\n");
  append_log_line(LogLevel::info, "second\n");
  append_log_line(LogLevel::debug, "below the level\n");
  std::fflush(stderr);
  const std::string before = ::testing::internal::GetCapturedStderr();
  ::testing::internal::CaptureStderr();
  flush_thread_log();
  flush_thread_log();  // nothing left: writes nothing
  const std::string after = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(before, "");
  EXPECT_EQ(after, "first\nsecond\n");
}

TEST_F(LogTest, AppendedLinesAreWrittenOnceTheyPass64KiB) {
  const std::string line(1000, 'x');
  ::testing::internal::CaptureStderr();
  for (int i = 0; i < 65; ++i) append_log_line(LogLevel::info, line + "\n");  // 65065 bytes: still pending
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  ::testing::internal::CaptureStderr();
  append_log_line(LogLevel::info, line + "\n");  // 66066 bytes
  const std::string out = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(out.size(), 66u * 1001u);
  ::testing::internal::CaptureStderr();
  flush_thread_log();
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

TEST_F(LogTest, JsonFormatAppliesToEveryLogCall) {
  set_log_format(LogFormat::json);
  ::testing::internal::CaptureStderr();
  log_info("hello");
  const std::string out = ::testing::internal::GetCapturedStderr();
  const std::regex line_re(R"(\{"ts":"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z","level":"info","msg":"hello"\}\n)");
  EXPECT_TRUE(std::regex_match(out, line_re)) << out;
}

}  // namespace
}  // namespace llamachat::util
