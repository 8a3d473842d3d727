#include "aws/retry/retry_strategy.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <thread>
#include <vector>

namespace llamachat::aws::retry {
namespace {

using std::chrono::milliseconds;

constexpr double kAlmostOne = 0.9999999;

RetryStrategy::Random fixed(double value) {
  return [value] { return value; };
}

// ---- classification ------------------------------------------------------------------------------------------

struct ClassifyCase {
  unsigned status;
  const char* code;
  FailureKind expected;
};

class BedrockErrorClassification : public ::testing::TestWithParam<ClassifyCase> {};

TEST_P(BedrockErrorClassification, MatchesBotocoreStandardMode) {
  const ClassifyCase& c = GetParam();
  EXPECT_EQ(classify(c.status, c.code), c.expected)
      << c.status << " " << c.code << " -> " << to_string(classify(c.status, c.code));
}

// Every Bedrock Runtime error of docs/bedrock.md#errors with its HTTP status, as botocore's standard mode treats it.
INSTANTIATE_TEST_SUITE_P(Section61, BedrockErrorClassification,
                         ::testing::Values(ClassifyCase{403, "AccessDeniedException", FailureKind::non_retryable},
                                           ClassifyCase{400, "ValidationException", FailureKind::non_retryable},
                                           ClassifyCase{404, "ResourceNotFoundException", FailureKind::non_retryable},
                                           ClassifyCase{400, "ServiceQuotaExceededException",
                                                        FailureKind::non_retryable},
                                           ClassifyCase{429, "ThrottlingException", FailureKind::throttling},
                                           ClassifyCase{429, "ModelNotReadyException", FailureKind::transient},
                                           ClassifyCase{408, "ModelTimeoutException", FailureKind::non_retryable},
                                           ClassifyCase{424, "ModelErrorException", FailureKind::non_retryable},
                                           ClassifyCase{424, "ModelStreamErrorException", FailureKind::non_retryable},
                                           ClassifyCase{500, "InternalServerException", FailureKind::transient},
                                           ClassifyCase{503, "ServiceUnavailableException", FailureKind::transient}));

// Exceptions delivered inside a 200 event stream keep their meaning.
INSTANTIATE_TEST_SUITE_P(InStream, BedrockErrorClassification,
                         ::testing::Values(ClassifyCase{200, "ThrottlingException", FailureKind::throttling},
                                           ClassifyCase{200, "InternalServerException", FailureKind::transient},
                                           ClassifyCase{200, "ServiceUnavailableException", FailureKind::transient},
                                           ClassifyCase{200, "ModelStreamErrorException", FailureKind::non_retryable},
                                           ClassifyCase{200, "ValidationException", FailureKind::non_retryable},
                                           ClassifyCase{200, "ModelTimeoutException", FailureKind::non_retryable}));

INSTANTIATE_TEST_SUITE_P(
    Generic, BedrockErrorClassification,
    ::testing::Values(
        // Transient statuses regardless of code; other 5xx are not.
        ClassifyCase{500, "", FailureKind::transient}, ClassifyCase{502, "", FailureKind::transient},
        ClassifyCase{503, "", FailureKind::transient}, ClassifyCase{504, "SomethingElse", FailureKind::transient},
        ClassifyCase{501, "", FailureKind::non_retryable}, ClassifyCase{509, "", FailureKind::non_retryable},
        ClassifyCase{400, "RequestTimeout", FailureKind::transient},
        ClassifyCase{400, "RequestTimeoutException", FailureKind::transient},
        ClassifyCase{400, "PriorRequestNotComplete", FailureKind::transient},
        ClassifyCase{400, "Throttling", FailureKind::throttling},
        ClassifyCase{400, "TooManyRequestsException", FailureKind::throttling},
        ClassifyCase{400, "ProvisionedThroughputExceededException", FailureKind::throttling},
        ClassifyCase{503, "SlowDown", FailureKind::throttling},
        ClassifyCase{400, "LimitExceededException", FailureKind::throttling},
        ClassifyCase{429, "", FailureKind::throttling},  // a bare 429 from a proxy
        ClassifyCase{429, "SomeModeledClientError", FailureKind::non_retryable},
        ClassifyCase{400, "", FailureKind::non_retryable}, ClassifyCase{408, "", FailureKind::non_retryable},
        ClassifyCase{401, "UnrecognizedClientException", FailureKind::non_retryable},
        ClassifyCase{403, "InvalidSignatureException", FailureKind::non_retryable},
        ClassifyCase{400, "throttlingexception", FailureKind::non_retryable},  // codes are case-sensitive
        // Raw forms from x-amzn-ErrorType and __type.
        ClassifyCase{400, "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/",
                     FailureKind::non_retryable},
        ClassifyCase{429, "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/",
                     FailureKind::throttling},
        ClassifyCase{400, "com.amazon.coral.availability#ThrottlingException", FailureKind::throttling},
        ClassifyCase{429, "com.amazonaws.bedrock#ModelNotReadyException", FailureKind::transient}));

TEST(NormalizeErrorCode, StripsNamespaceAndUri) {
  EXPECT_EQ(normalize_error_code("ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/"),
            "ValidationException");
  EXPECT_EQ(normalize_error_code("aws.protocoltests#FooError"), "FooError");
  EXPECT_EQ(normalize_error_code("ns#FooError:http://x"), "FooError");
  EXPECT_EQ(normalize_error_code(" FooError "), "FooError");
  EXPECT_EQ(normalize_error_code(""), "");
}

// ---- backoff -------------------------------------------------------------------------------------------------

TEST(Backoff, FullJitterOverTruncatedExponential) {
  RetryStrategy zero({}, nullptr, fixed(0.0));
  RetryStrategy top({}, nullptr, fixed(kAlmostOne));
  RetryStrategy half({}, nullptr, fixed(0.5));
  for (int attempts = 1; attempts <= 12; ++attempts) {
    EXPECT_EQ(zero.backoff(attempts), milliseconds(0)) << attempts;
  }
  EXPECT_EQ(top.backoff(1), milliseconds(999));   // first retry: [0, 1 s)
  EXPECT_EQ(top.backoff(2), milliseconds(1999));  // [0, 2 s)
  EXPECT_EQ(top.backoff(3), milliseconds(3999));
  EXPECT_EQ(top.backoff(5), milliseconds(15999));
  EXPECT_EQ(top.backoff(6), milliseconds(19999));  // 32 s capped at 20 s before jitter
  EXPECT_EQ(top.backoff(100), milliseconds(19999));
  EXPECT_EQ(half.backoff(1), milliseconds(500));
  EXPECT_EQ(half.backoff(4), milliseconds(4000));
  EXPECT_EQ(half.backoff(30), milliseconds(10000));  // jitter applies to the cap: uniform over [0, 20 s)
}

TEST(Backoff, MaxBackoffIsConfigurable) {
  RetryStrategy s({.max_attempts = 10, .max_backoff = milliseconds(1500)}, nullptr, fixed(kAlmostOne));
  EXPECT_EQ(s.backoff(1), milliseconds(999));
  EXPECT_EQ(s.backoff(2), milliseconds(1499));
  EXPECT_EQ(s.backoff(9), milliseconds(1499));
}

TEST(Backoff, OutOfRangeRandomIsClamped) {
  EXPECT_EQ(RetryStrategy({}, nullptr, fixed(-3.0)).backoff(2), milliseconds(0));
  EXPECT_EQ(RetryStrategy({}, nullptr, fixed(7.0)).backoff(2), milliseconds(2000));
  EXPECT_EQ(RetryStrategy({}, nullptr, fixed(std::nan(""))).backoff(2), milliseconds(0));
}

TEST(Backoff, DefaultRandomStaysInBounds) {
  RetryStrategy s({}, nullptr, nullptr);
  for (int i = 0; i < 1000; ++i) {
    const milliseconds d = s.backoff(3);
    ASSERT_GE(d, milliseconds(0));
    ASSERT_LT(d, milliseconds(4000));
  }
}

// ---- attempts ------------------------------------------------------------------------------------------------

// Runs a request whose attempts fail with `kinds` (in order, then success if any attempt is left) and returns
// how many attempts were made.
int run(RetryStrategy& s, const std::vector<FailureKind>& failures, bool& succeeded, RetryToken& token) {
  int attempts = 0;
  while (true) {
    ++attempts;
    if (attempts > static_cast<int>(failures.size())) {
      s.on_success(token);
      succeeded = true;
      return attempts;
    }
    if (!s.next_delay(attempts, failures[attempts - 1], token)) {
      succeeded = false;
      return attempts;
    }
  }
}

TEST(RetryStrategy, ThreeAttemptsByDefault) {
  RetryStrategy s({}, nullptr, fixed(0.5));
  RetryToken token;
  bool ok = true;
  EXPECT_EQ(run(s, {FailureKind::throttling, FailureKind::throttling, FailureKind::throttling}, ok, token), 3);
  EXPECT_FALSE(ok);
  EXPECT_EQ(token.retries, 2);
  EXPECT_EQ(s.quota()->available(), 500 - 2 * 5);
}

TEST(RetryStrategy, SucceedsOnTheThirdAttempt) {
  RetryStrategy s({}, nullptr, fixed(0.5));
  RetryToken token;
  bool ok = false;
  EXPECT_EQ(run(s, {FailureKind::transient, FailureKind::connection}, ok, token), 3);
  EXPECT_TRUE(ok);
  // Two retries took 5 each; success after retries refunds the latest retry's cost (botocore).
  EXPECT_EQ(s.quota()->available(), 500 - 10 + 5);
}

TEST(RetryStrategy, NonRetryableStopsAtOnceAndCostsNothing) {
  RetryStrategy s({}, nullptr, fixed(0.5));
  RetryToken token;
  EXPECT_FALSE(s.next_delay(1, FailureKind::non_retryable, token).has_value());
  EXPECT_EQ(token.retries, 0);
  EXPECT_EQ(s.quota()->available(), 500);
  EXPECT_FALSE(s.next_delay(1, classify(400, "ServiceQuotaExceededException"), token).has_value());
  EXPECT_FALSE(s.next_delay(1, classify(400, "ValidationException"), token).has_value());
  EXPECT_TRUE(s.next_delay(1, classify(429, "ModelNotReadyException"), token).has_value());
  EXPECT_TRUE(s.next_delay(1, classify(500, "InternalServerException"), token).has_value());
}

TEST(RetryStrategy, MaxAttemptsIsConfigurable) {
  for (int max = 1; max <= 6; ++max) {
    RetryStrategy s({.max_attempts = max}, nullptr, fixed(0.0));
    RetryToken token;
    bool ok = true;
    const std::vector<FailureKind> always(20, FailureKind::transient);
    EXPECT_EQ(run(s, always, ok, token), max);
    EXPECT_FALSE(ok);
    EXPECT_EQ(token.retries, max - 1);
  }
  RetryStrategy clamped({.max_attempts = 0}, nullptr, fixed(0.0));
  EXPECT_EQ(clamped.options().max_attempts, 1);
}

TEST(RetryStrategy, DelaysFollowTheAttemptNumber) {
  RetryStrategy s({.max_attempts = 8}, nullptr, fixed(kAlmostOne));
  RetryToken token;
  std::vector<milliseconds> delays;
  for (int attempts = 1; attempts < 8; ++attempts)
    delays.push_back(*s.next_delay(attempts, FailureKind::throttling, token));
  EXPECT_EQ(delays,
            (std::vector<milliseconds>{milliseconds(999), milliseconds(1999), milliseconds(3999), milliseconds(7999),
                                       milliseconds(15999), milliseconds(19999), milliseconds(19999)}));
}

// ---- quota ---------------------------------------------------------------------------------------------------

TEST(RetryQuota, CostsFiveOrTenForTimeouts) {
  RetryQuota q(500);
  int cost = 0;
  EXPECT_TRUE(q.acquire(FailureKind::throttling, cost));
  EXPECT_EQ(cost, 5);
  EXPECT_TRUE(q.acquire(FailureKind::transient, cost));
  EXPECT_EQ(cost, 5);
  EXPECT_TRUE(q.acquire(FailureKind::connection, cost));
  EXPECT_EQ(cost, 5);
  EXPECT_TRUE(q.acquire(FailureKind::timeout, cost));
  EXPECT_EQ(cost, 10);
  EXPECT_EQ(q.available(), 475);
}

TEST(RetryQuota, RefusesWhenItCannotPayAndTakesNothing) {
  RetryQuota q(12);
  int cost = 0;
  EXPECT_TRUE(q.acquire(FailureKind::timeout, cost));  // 2 left
  EXPECT_FALSE(q.acquire(FailureKind::throttling, cost));
  EXPECT_EQ(q.available(), 2);
  RetryQuota seven(7);
  EXPECT_FALSE(seven.acquire(FailureKind::timeout, cost));
  EXPECT_TRUE(seven.acquire(FailureKind::transient, cost));
  EXPECT_EQ(seven.available(), 2);
}

TEST(RetryQuota, RefundsAreCappedAtTheInitialCapacity) {
  RetryQuota q(500);
  q.release_on_success(0);
  EXPECT_EQ(q.available(), 500);
  int cost = 0;
  ASSERT_TRUE(q.acquire(FailureKind::timeout, cost));
  q.release_on_success(0);  // a success without retry: +1
  EXPECT_EQ(q.available(), 491);
  q.release_on_success(10);  // success after a timeout retry: +10, capped
  EXPECT_EQ(q.available(), 500);
}

TEST(RetryQuota, DrainedQuotaStopsRetriesUntilSuccessesRefillIt) {
  auto quota = std::make_shared<RetryQuota>(500);
  RetryStrategy s({}, quota, fixed(0.0));
  // 100 requests each get one retry (5) and then fail for good without a refund.
  int granted = 0;
  for (int i = 0; i < 150; ++i) {
    RetryToken token;
    if (s.next_delay(1, FailureKind::transient, token)) ++granted;
  }
  EXPECT_EQ(granted, 100);
  EXPECT_EQ(quota->available(), 0);
  RetryToken token;
  EXPECT_FALSE(s.next_delay(1, FailureKind::throttling, token).has_value());
  EXPECT_TRUE(token.quota_exhausted);
  EXPECT_EQ(token.retries, 0);
  // Five first-try successes put 5 back: enough for exactly one more retry.
  for (int i = 0; i < 5; ++i) {
    RetryToken ok;
    s.on_success(ok);
  }
  EXPECT_EQ(quota->available(), 5);
  RetryToken again;
  EXPECT_TRUE(s.next_delay(1, FailureKind::throttling, again).has_value());
  EXPECT_FALSE(s.next_delay(2, FailureKind::throttling, again).has_value());
  EXPECT_EQ(again.retries, 1);
  s.on_success(again);  // refunds the 5
  EXPECT_EQ(quota->available(), 5);
}

TEST(RetryQuota, SharedAcrossThreadsWithoutLosingUnits) {
  auto quota = std::make_shared<RetryQuota>(500);
  constexpr int kThreads = 8, kRounds = 2000;
  std::vector<std::thread> threads;
  std::vector<int> taken(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRounds; ++i) {
        int cost = 0;
        if (quota->acquire(i % 3 == 0 ? FailureKind::timeout : FailureKind::throttling, cost)) {
          quota->release_on_success(cost);  // every granted retry succeeds: exact refund
          taken[t] += 1;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(quota->available(), 500);  // every acquire was refunded exactly, never beyond capacity
  int total = 0;
  for (int n : taken) total += n;
  EXPECT_GT(total, 0);
}

// ---- settings ------------------------------------------------------------------------------------------------

TEST(RetrySettings, DefaultOptions) {
  const RetryOptions options;
  EXPECT_EQ(options.max_attempts, 3);
  EXPECT_EQ(options.max_backoff, milliseconds(20000));
  EXPECT_EQ(options.initial_quota, 500);
}

TEST(RetrySettings, MaxAttemptsIsAnIntegerOfAtLeastOne) {
  EXPECT_EQ(parse_max_attempts("5"), 5);
  EXPECT_EQ(parse_max_attempts(" 1\t"), 1);
  EXPECT_EQ(parse_max_attempts("21"), 21);  // the SDKs set no upper bound; the retry quota and deadline do
  for (const char* bad : {"", " ", "0", "-2", "+2", "three", "3.5", "4x", "0x10", "99999999999999"}) {
    EXPECT_EQ(parse_max_attempts(bad), std::nullopt) << bad;
  }
}

TEST(RetrySettings, RetryModeIsOneOfThreeNames) {
  EXPECT_EQ(parse_retry_mode("standard"), RetryMode::standard);
  EXPECT_EQ(parse_retry_mode(" Adaptive "), RetryMode::adaptive);
  EXPECT_EQ(parse_retry_mode("LEGACY"), RetryMode::legacy);
  for (const char* bad : {"", "turbo", "standard2", "std"}) EXPECT_EQ(parse_retry_mode(bad), std::nullopt) << bad;
  for (const RetryMode mode : {RetryMode::standard, RetryMode::adaptive, RetryMode::legacy})
    EXPECT_EQ(parse_retry_mode(to_string(mode)), mode);
}

}  // namespace
}  // namespace llamachat::aws::retry
