#pragma once
// The AWS SDKs' "standard" retry mode (botocore retries/standard.py + retries/quota.py, the SDK reference guide's
// "Retry behavior"), as pure decision logic: no sleeping, no I/O. The caller performs the attempts and waits.
//
//   * at most `max_attempts` attempts in total (first try included), default 3 (AWS_MAX_ATTEMPTS);
//   * delay before retry n (n = attempts already made) = rand[0,1) x min(2^(n-1) s, max_backoff), max_backoff 20 s:
//     truncated binary exponential backoff with full jitter;
//   * a retry quota (token bucket) shared by every request of a client: starts at 500, a retry takes 5
//     (10 after a timeout), no retry is made when the bucket cannot pay; a request that succeeds without retrying
//     puts 1 back, a request that succeeds after retrying puts back what its latest retry took (botocore
//     keeps only the latest amount: earlier retries of the request stay spent). Failed requests put nothing back.
//
// Settings (https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html): max_attempts
// (AWS_MAX_ATTEMPTS) is an integer >= 1; retry_mode (AWS_RETRY_MODE) is standard, adaptive or legacy. Only standard
// is implemented: the caller runs adaptive and legacy as standard and says so. Other values are errors, as in the SDKs.
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace llamachat::aws::retry {

enum class FailureKind {
  throttling,     // ThrottlingException & co.
  transient,      // HTTP 500/502/503/504, RequestTimeout codes, modeled-retryable errors (ModelNotReadyException)
  timeout,        // the client timed out connecting or waiting for the response (retry costs 10)
  connection,     // connection refused/reset/closed before a response (retry costs 5)
  non_retryable,  // everything else: 4xx client errors, ServiceQuotaExceededException, ModelTimeoutException, ...
};

std::string_view to_string(FailureKind kind) noexcept;

// Classifies an AWS error response. `error_code` may be raw: "Code:http://..." (x-amzn-ErrorType) and
// "ns#Code" (__type) are reduced to "Code" as botocore does. Known Bedrock codes are classified by code even when
// `http_status` is not their usual one (in-stream exceptions arrive inside a 200 response). A 429 without any
// code is treated as throttling (a proxy's answer; botocore would not retry it).
FailureKind classify(unsigned http_status, std::string_view error_code) noexcept;
// "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/" -> "ValidationException",
// "com.amazon.coral#ThrottlingException" -> "ThrottlingException".
std::string_view normalize_error_code(std::string_view raw) noexcept;
bool is_throttling_code(std::string_view code) noexcept;

struct RetryOptions {
  int max_attempts = 3;                          // attempts in total, >= 1
  std::chrono::milliseconds max_backoff{20000};  // cap of the exponential part, before jitter
  int initial_quota = 500;                       // also the bucket's maximum
};

enum class RetryMode { standard, adaptive, legacy };

// A max_attempts setting: decimal digits (surrounding blanks ignored) of an integer >= 1; nullopt otherwise.
std::optional<int> parse_max_attempts(std::string_view text) noexcept;
// A retry_mode setting: "standard", "adaptive" or "legacy" (any case, surrounding blanks ignored); nullopt otherwise.
std::optional<RetryMode> parse_retry_mode(std::string_view text) noexcept;
std::string_view to_string(RetryMode mode) noexcept;

// Retry quota shared across threads (lock-free).
class RetryQuota {
 public:
  static constexpr int kRetryCost = 5;
  static constexpr int kTimeoutRetryCost = 10;
  static constexpr int kNoRetryIncrement = 1;

  explicit RetryQuota(int initial = 500) noexcept;

  // Takes the cost of one retry after a failure of `kind` (10 for timeout, else 5) and reports it in `cost_out`.
  // Returns false, taking nothing, when the bucket holds less than that.
  bool acquire(FailureKind kind, int& cost_out) noexcept;
  // After a successful response: `last_retry_cost` = 0 (no retry) puts back kNoRetryIncrement, otherwise that
  // amount. Never exceeds the initial capacity.
  void release_on_success(int last_retry_cost) noexcept;
  int available() const noexcept { return available_.load(std::memory_order_relaxed); }
  int capacity() const noexcept { return capacity_; }

 private:
  const int capacity_;
  std::atomic<int> available_;
};

// Per-request state; one per logical request (all of its attempts).
struct RetryToken {
  int retries = 0;               // retries granted so far
  int last_retry_cost = 0;       // quota taken by the latest granted retry
  bool quota_exhausted = false;  // set when a retry was refused for lack of quota (for logs/metrics)
};

class RetryStrategy {
 public:
  using Random = std::function<double()>;  // uniform in [0, 1); values outside are clamped

  // A null quota gets a private bucket of options.initial_quota; a null random uses default_random().
  RetryStrategy(RetryOptions options, std::shared_ptr<RetryQuota> quota, Random random);

  // `attempts_made` = attempts already made for this request (1 after the first failure). Returns the delay to
  // wait before the next attempt, or nullopt to stop: non-retryable failure, max attempts reached, or no quota.
  std::optional<std::chrono::milliseconds> next_delay(int attempts_made, FailureKind kind, RetryToken& token);
  // Call once when the request finally succeeds (2xx); refunds the quota.
  void on_success(RetryToken& token) noexcept;

  // The jittered delay before the retry that follows `attempts_made` attempts (no quota involved).
  std::chrono::milliseconds backoff(int attempts_made) const;

  const RetryOptions& options() const noexcept { return options_; }
  const std::shared_ptr<RetryQuota>& quota() const noexcept { return quota_; }

  // Thread-safe uniform [0, 1) source seeded from std::random_device.
  static Random default_random();

 private:
  RetryOptions options_;
  std::shared_ptr<RetryQuota> quota_;
  Random random_;
};

}  // namespace llamachat::aws::retry
