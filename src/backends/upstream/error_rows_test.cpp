#include "backends/upstream/error_rows.hpp"

#include <gtest/gtest.h>

#include <array>

namespace llamachat::backends::upstream {
namespace {
using aws::retry::FailureKind;
using chat::ErrorKind;

enum class Advice { none, check_key };
using Row = ErrorRow<Advice>;

constexpr std::array kRows{
    Row{"invalid_api_key", 0, 0, ErrorKind::credentials, FailureKind::non_retryable, 0, Advice::check_key},
    Row{"RateLimited", 0, 0, ErrorKind::throttled, FailureKind::throttling, 2, Advice::none},
    Row{"", 503, 503, ErrorKind::upstream_unavailable, FailureKind::transient, 0, Advice::none},
    Row{"", 500, 599, ErrorKind::upstream_failure, FailureKind::transient, 0, Advice::none},
};

const Row* find(std::string_view code, unsigned status) { return find_error_row<Advice>(kRows, code, status); }

TEST(ErrorRows, CodeWinsOverStatus) {
  const Row* row = find("RateLimited", 503);
  ASSERT_NE(row, nullptr);
  EXPECT_EQ(row->kind, ErrorKind::throttled);
  EXPECT_EQ(row->retry, FailureKind::throttling);
  EXPECT_EQ(row->retry_after_seconds, 2);
}

TEST(ErrorRows, FirstLetterCaseIsIgnored) {
  ASSERT_NE(find("rateLimited", 0), nullptr);
  EXPECT_EQ(find("rateLimited", 0)->kind, ErrorKind::throttled);
  EXPECT_EQ(find("Invalid_api_key", 0)->advice, Advice::check_key);
  EXPECT_EQ(find("RATELIMITED", 0), nullptr) << "only the first letter's case may differ";
}

TEST(ErrorRows, UnknownCodeFallsBackOnStatusInOrder) {
  EXPECT_EQ(find("SomethingNew", 503)->kind, ErrorKind::upstream_unavailable);
  EXPECT_EQ(find("", 502)->kind, ErrorKind::upstream_failure);
  EXPECT_EQ(find("", 599)->retry, FailureKind::transient);
}

TEST(ErrorRows, NoRowCoversTheRest) {
  EXPECT_EQ(find("", 404), nullptr);
  EXPECT_EQ(find("SomethingNew", 0), nullptr);
}

TEST(SameErrorCode, EmptyNeverMatches) {
  EXPECT_FALSE(same_error_code("", ""));
  EXPECT_TRUE(same_error_code("ThrottlingException", "throttlingException"));
  EXPECT_FALSE(same_error_code("ThrottlingException", "ThrottlingExceptio"));
}

}  // namespace
}  // namespace llamachat::backends::upstream
