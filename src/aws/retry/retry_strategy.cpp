#include "aws/retry/retry_strategy.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <random>

#include "util/strings.hpp"

namespace llamachat::aws::retry {
namespace {

// botocore standard mode's throttling codes.
constexpr std::array<std::string_view, 13> kThrottlingCodes = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "EC2ThrottledException",
};

// botocore's transient codes, Bedrock's modeled-retryable ModelNotReadyException, and the Bedrock server faults
// whose status (500/503) is transient anyway - listed so that they classify the same inside an event stream.
constexpr std::array<std::string_view, 6> kTransientCodes = {
    "RequestTimeout",         "RequestTimeoutException", "PriorRequestNotComplete",
    "ModelNotReadyException", "InternalServerException", "ServiceUnavailableException",
};

constexpr std::array<unsigned, 4> kTransientStatuses = {500, 502, 503, 504};

template <std::size_t N>
bool contains(const std::array<std::string_view, N>& list, std::string_view code) noexcept {
  return std::find(list.begin(), list.end(), code) != list.end();
}

}  // namespace

std::string_view to_string(FailureKind kind) noexcept {
  switch (kind) {
    case FailureKind::throttling: return "throttling";
    case FailureKind::transient: return "transient";
    case FailureKind::timeout: return "timeout";
    case FailureKind::connection: return "connection";
    case FailureKind::non_retryable: return "non_retryable";
  }
  return "unknown";
}

std::string_view normalize_error_code(std::string_view raw) noexcept {
  raw = util::trim(raw, util::http_whitespace);
  if (const std::size_t colon = raw.find(':'); colon != std::string_view::npos) raw = raw.substr(0, colon);
  if (const std::size_t hash = raw.rfind('#'); hash != std::string_view::npos) raw = raw.substr(hash + 1);
  return raw;
}

bool is_throttling_code(std::string_view code) noexcept { return contains(kThrottlingCodes, code); }

FailureKind classify(unsigned http_status, std::string_view error_code) noexcept {
  const std::string_view code = normalize_error_code(error_code);
  if (is_throttling_code(code)) return FailureKind::throttling;
  if (contains(kTransientCodes, code)) return FailureKind::transient;
  if (std::find(kTransientStatuses.begin(), kTransientStatuses.end(), http_status) != kTransientStatuses.end())
    return FailureKind::transient;
  if (http_status == 429 && code.empty()) return FailureKind::throttling;
  return FailureKind::non_retryable;
}

std::optional<int> parse_max_attempts(std::string_view text) noexcept {
  text = util::trim(text, util::http_whitespace);
  if (text.empty() || text.front() < '0' || text.front() > '9') return std::nullopt;  // no sign
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 1) return std::nullopt;
  return value;
}

std::optional<RetryMode> parse_retry_mode(std::string_view text) noexcept {
  text = util::trim(text, util::http_whitespace);
  for (const RetryMode mode : {RetryMode::standard, RetryMode::adaptive, RetryMode::legacy}) {
    if (util::iequals(text, to_string(mode))) return mode;
  }
  return std::nullopt;
}

std::string_view to_string(RetryMode mode) noexcept {
  switch (mode) {
    case RetryMode::standard: return "standard";
    case RetryMode::adaptive: return "adaptive";
    case RetryMode::legacy: return "legacy";
  }
  return "unknown";
}

RetryQuota::RetryQuota(int initial) noexcept : capacity_(std::max(initial, 0)), available_(std::max(initial, 0)) {}

bool RetryQuota::acquire(FailureKind kind, int& cost_out) noexcept {
  const int cost = kind == FailureKind::timeout ? kTimeoutRetryCost : kRetryCost;
  int current = available_.load(std::memory_order_relaxed);
  do {
    if (current < cost) return false;
  } while (!available_.compare_exchange_weak(current, current - cost, std::memory_order_relaxed));
  cost_out = cost;
  return true;
}

void RetryQuota::release_on_success(int last_retry_cost) noexcept {
  const int amount = last_retry_cost > 0 ? last_retry_cost : kNoRetryIncrement;
  int current = available_.load(std::memory_order_relaxed);
  while (current < capacity_ &&
         !available_.compare_exchange_weak(current, std::min(capacity_, current + amount), std::memory_order_relaxed)) {
  }
}

RetryStrategy::RetryStrategy(RetryOptions options, std::shared_ptr<RetryQuota> quota, Random random)
    : options_(options), quota_(std::move(quota)), random_(std::move(random)) {
  options_.max_attempts = std::max(options_.max_attempts, 1);
  options_.max_backoff = std::max(options_.max_backoff, std::chrono::milliseconds::zero());
  if (!quota_) quota_ = std::make_shared<RetryQuota>(options_.initial_quota);
  if (!random_) random_ = default_random();
}

std::chrono::milliseconds RetryStrategy::backoff(int attempts_made) const {
  const int exponent = std::clamp(attempts_made - 1, 0, 62);
  const double cap_ms = std::min(std::ldexp(1000.0, exponent), static_cast<double>(options_.max_backoff.count()));
  double r = random_();
  if (!(r >= 0.0)) r = 0.0;  // also catches NaN
  if (r > 1.0) r = 1.0;
  return std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(std::floor(r * cap_ms)));
}

std::optional<std::chrono::milliseconds> RetryStrategy::next_delay(int attempts_made, FailureKind kind,
                                                                   RetryToken& token) {
  if (kind == FailureKind::non_retryable) return std::nullopt;
  if (attempts_made >= options_.max_attempts) return std::nullopt;
  int cost = 0;
  if (!quota_->acquire(kind, cost)) {
    token.quota_exhausted = true;
    return std::nullopt;
  }
  token.last_retry_cost = cost;
  ++token.retries;
  return backoff(attempts_made);
}

void RetryStrategy::on_success(RetryToken& token) noexcept {
  quota_->release_on_success(token.last_retry_cost);
  token = RetryToken{};
}

RetryStrategy::Random RetryStrategy::default_random() {
  return [] {
    thread_local std::mt19937_64 engine{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
  };
}

}  // namespace llamachat::aws::retry
