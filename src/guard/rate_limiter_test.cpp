#include "guard/rate_limiter.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace llamachat::guard {
namespace {

using namespace std::chrono_literals;
using TimePoint = std::chrono::system_clock::time_point;

struct ManualClock {
  TimePoint now{std::chrono::hours(24 * 365 * 50)};
  util::Clock clock() {
    return [this] { return now; };
  }
};

ClientKey address_key(const char* text) { return client_key_for_address(boost::asio::ip::make_address(text)); }

TEST(ParseRateLimit, ReadsCountPerUnit) {
  const auto per_min = parse_rate_limit("60/min");
  ASSERT_TRUE(per_min);
  EXPECT_EQ(per_min->tokens, 60u);
  EXPECT_EQ(per_min->period, 1min);
  EXPECT_EQ(parse_rate_limit("5/s")->period, 1s);
  EXPECT_EQ(parse_rate_limit(" 1000 / hour ")->period, 1h);
  EXPECT_EQ(parse_rate_limit("10/SEC")->tokens, 10u);
}

TEST(ParseRateLimit, RefusesAnythingElse) {
  for (const char* bad : {"", "60", "60/", "/min", "0/min", "-1/min", "60/day", "sixty/min", "60/min/s", "1.5/s"})
    EXPECT_FALSE(parse_rate_limit(bad)) << bad;
}

TEST(TokenBucket, StartsFullAndRefillsAtTheConfiguredRate) {
  const RateLimit limit{3, 1min};  // one token every 20 s
  const TimePoint start{};
  TokenBucket bucket(limit, start);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(bucket.take(limit, start), std::nullopt) << i;
  EXPECT_EQ(bucket.take(limit, start), std::chrono::nanoseconds(20s));
  EXPECT_EQ(bucket.take(limit, start + 19s), std::chrono::nanoseconds(1s));
  EXPECT_EQ(bucket.take(limit, start + 20s), std::nullopt);
  EXPECT_EQ(bucket.take(limit, start + 20s), std::chrono::nanoseconds(20s));
  // A long idle time fills the bucket to its size and no further.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(bucket.take(limit, start + 1h), std::nullopt) << i;
  EXPECT_NE(bucket.take(limit, start + 1h), std::nullopt);
}

TEST(TokenBucket, AClockSteppingBackRefillsNothing) {
  const RateLimit limit{1, 1s};
  const TimePoint start{std::chrono::hours(1)};
  TokenBucket bucket(limit, start);
  EXPECT_EQ(bucket.take(limit, start), std::nullopt);
  EXPECT_EQ(bucket.take(limit, start - 10s), std::chrono::nanoseconds(1s));
  EXPECT_EQ(bucket.take(limit, start + 1s), std::nullopt);
}

TEST(RateLimiter, GivesEachClientItsOwnBucketAndRoundsRetryAfterUp) {
  ManualClock time;
  RateLimiter limiter(*parse_rate_limit("5/min"), 1000, time.clock());
  const ClientKey a = address_key("192.0.2.1");
  const ClientKey b = address_key("192.0.2.2");
  int allowed = 0;
  for (int i = 0; i < 8; ++i) allowed += limiter.take(a).allowed ? 1 : 0;
  EXPECT_EQ(allowed, 5);
  const RateDecision refused = limiter.take(a);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, 12s);  // one token every 12 s
  EXPECT_TRUE(limiter.take(b).allowed);
  time.now += 11500ms;
  EXPECT_EQ(limiter.take(a).retry_after, 1s);  // 0.5 s rounds up
  time.now += 500ms;
  EXPECT_TRUE(limiter.take(a).allowed);
  EXPECT_FALSE(limiter.take(a).allowed);
}

TEST(RateLimiter, KeysByApiKeyDigestApartFromAddresses) {
  ManualClock time;
  RateLimiter limiter(RateLimit{1, 1h}, 1000, time.clock());
  std::array<unsigned char, 32> digest{};
  EXPECT_TRUE(limiter.take(client_key_for_digest(digest)).allowed);
  EXPECT_TRUE(limiter.take(address_key("::")).allowed);  // all-zero bytes, but another kind of key
  EXPECT_FALSE(limiter.take(client_key_for_digest(digest)).allowed);
  EXPECT_EQ(client_key_for_address(boost::asio::ip::make_address("::ffff:192.0.2.1")), address_key("192.0.2.1"));
}

TEST(RateLimiter, AFloodOfDistinctClientsKeepsMemoryBounded) {
  ManualClock time;
  const std::size_t cap = 16 * 8;
  RateLimiter limiter(RateLimit{1, 1h}, cap, time.clock());
  for (unsigned i = 0; i < 20'000; ++i) {
    const boost::asio::ip::address_v4 address(0x0A000000u + i);
    ASSERT_TRUE(limiter.take(client_key_for_address(address)).allowed);
    ASSERT_LE(limiter.clients(), cap);
  }
  EXPECT_GT(limiter.clients(), cap / 2);
}

TEST(RateLimiter, KeepsARecentlyUsedBucketWhileEvictingIdleOnes) {
  ManualClock time;
  RateLimiter limiter(RateLimit{1, 1h}, 32, time.clock());  // two buckets per shard
  const ClientKey busy = address_key("198.51.100.1");
  EXPECT_TRUE(limiter.take(busy).allowed);
  // Every other client lands in some shard; the busy one, used before each of them, is never the least recent.
  for (unsigned i = 0; i < 1000; ++i) {
    EXPECT_FALSE(limiter.take(busy).allowed) << i;
    (void)limiter.take(client_key_for_address(boost::asio::ip::address_v4(0x0A000000u + i)));
  }
}

}  // namespace
}  // namespace llamachat::guard
