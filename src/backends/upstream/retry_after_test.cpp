#include "backends/upstream/retry_after.hpp"

#include <gtest/gtest.h>

namespace llamachat::backends::upstream {
namespace {
using namespace std::chrono_literals;

TEST(ParseRetryAfter, DeltaSeconds) {
  EXPECT_EQ(parse_retry_after("0"), 0ms);
  EXPECT_EQ(parse_retry_after("120"), 120s);
  EXPECT_EQ(parse_retry_after(" 7\t"), 7s);
}

TEST(ParseRetryAfter, HugeValuesAreClampedToADay) {
  EXPECT_EQ(parse_retry_after("999999999"), std::chrono::hours(24));
  EXPECT_EQ(parse_retry_after("99999999999999999999999999"), std::chrono::hours(24));
}

TEST(ParseRetryAfter, AnythingElseIsIgnored) {
  EXPECT_EQ(parse_retry_after(""), std::nullopt);
  EXPECT_EQ(parse_retry_after("   "), std::nullopt);
  EXPECT_EQ(parse_retry_after("-1"), std::nullopt);
  EXPECT_EQ(parse_retry_after("1.5"), std::nullopt);
  EXPECT_EQ(parse_retry_after("10s"), std::nullopt);
  EXPECT_EQ(parse_retry_after("Fri, 31 Dec 1999 23:59:59 GMT"), std::nullopt);
}

TEST(WaitBeforeRetry, TheLongerOfBackoffAndRetryAfter) {
  EXPECT_EQ(wait_before_retry(300ms, std::nullopt), 300ms);
  EXPECT_EQ(wait_before_retry(300ms, 2s), 2s);
  EXPECT_EQ(wait_before_retry(300ms, 0ms), 300ms);
}

}  // namespace
}  // namespace llamachat::backends::upstream
