#include "guard/rate_limiter.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <string_view>

#include "util/strings.hpp"

namespace llamachat::guard {
namespace {

using std::chrono::nanoseconds;

std::optional<nanoseconds> period_named(std::string_view unit) noexcept {
  using namespace std::chrono_literals;
  if (unit == "s" || unit == "sec" || unit == "second") return nanoseconds(1s);
  if (unit == "min" || unit == "minute") return nanoseconds(1min);
  if (unit == "h" || unit == "hour") return nanoseconds(1h);
  return std::nullopt;
}

}  // namespace

std::optional<RateLimit> parse_rate_limit(std::string_view text) {
  text = util::trim(text, util::http_whitespace);
  const std::size_t slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const std::string_view count = util::trim(text.substr(0, slash), util::http_whitespace);
  std::uint32_t tokens = 0;
  const auto [ptr, ec] = std::from_chars(count.data(), count.data() + count.size(), tokens);
  if (count.empty() || ec != std::errc() || ptr != count.data() + count.size() || tokens == 0) return std::nullopt;
  const auto period = period_named(util::to_lower(util::trim(text.substr(slash + 1), util::http_whitespace)));
  if (!period) return std::nullopt;
  return RateLimit{tokens, *period};
}

// With one token = `period` units of credit, `elapsed` nanoseconds refill `elapsed * tokens` units, and a
// full bucket holds `tokens * period` units. 2^32 tokens times one hour in nanoseconds fits in 63 bits.
TokenBucket::TokenBucket(const RateLimit& limit, std::chrono::system_clock::time_point now) noexcept
    : credit_(static_cast<std::int64_t>(limit.tokens) * limit.period.count()), updated_(now) {}

std::optional<nanoseconds> TokenBucket::take(const RateLimit& limit,
                                             std::chrono::system_clock::time_point now) noexcept {
  const std::int64_t full = static_cast<std::int64_t>(limit.tokens) * limit.period.count();
  const std::int64_t one = limit.period.count();
  if (now > updated_) {
    // A wall clock that stepped back refills nothing until it passes `updated_` again.
    const std::int64_t elapsed = std::chrono::duration_cast<nanoseconds>(now - updated_).count();
    // elapsed * tokens could overflow after years: a full period refills everything anyway.
    credit_ = elapsed >= one ? full : std::min(full, credit_ + elapsed * static_cast<std::int64_t>(limit.tokens));
    updated_ = now;
  }
  if (credit_ >= one) {
    credit_ -= one;
    return std::nullopt;
  }
  // Credit grows by `tokens` per nanosecond: the missing units, rounded up.
  const std::int64_t missing = one - credit_;
  return nanoseconds((missing + limit.tokens - 1) / limit.tokens);
}

ClientKey client_key_for_digest(const std::array<unsigned char, 32>& digest) noexcept {
  ClientKey key{};
  key[0] = 'k';
  std::copy(digest.begin(), digest.end(), key.begin() + 1);
  return key;
}

ClientKey client_key_for_address(const Address& address) noexcept {
  ClientKey key{};
  const Address plain = unmapped(address);
  if (plain.is_v4()) {
    key[0] = '4';
    const auto bytes = plain.to_v4().to_bytes();
    std::copy(bytes.begin(), bytes.end(), key.begin() + 1);
  } else {
    key[0] = '6';
    const auto bytes = plain.to_v6().to_bytes();
    std::copy(bytes.begin(), bytes.end(), key.begin() + 1);
  }
  return key;
}

std::size_t RateLimiter::KeyHash::operator()(const ClientKey& key) const noexcept {
  return std::hash<std::string_view>{}(std::string_view(reinterpret_cast<const char*>(key.data()), key.size()));
}

RateLimiter::RateLimiter(RateLimit limit, std::size_t max_clients, util::Clock clock)
    : limit_(limit), per_shard_(std::max<std::size_t>(1, max_clients / kShards)), clock_(std::move(clock)) {}

RateDecision RateLimiter::take(const ClientKey& client) {
  const std::size_t hash = KeyHash{}(client);
  // The shard comes from the hash's high bits, the map's bucket from its low bits.
  Shard& shard = shards_[(hash >> 48) % kShards];
  const auto now = clock_();
  std::lock_guard lock(shard.mutex);
  auto found = shard.index.find(client);
  if (found == shard.index.end()) {
    if (shard.index.size() >= per_shard_) {
      shard.index.erase(shard.recent.back().first);
      shard.recent.pop_back();
    }
    shard.recent.emplace_front(client, TokenBucket(limit_, now));
    found = shard.index.emplace(client, shard.recent.begin()).first;
  } else if (found->second != shard.recent.begin()) {
    shard.recent.splice(shard.recent.begin(), shard.recent, found->second);
  }
  const auto wait = found->second->second.take(limit_, now);
  if (!wait) return {};
  const auto seconds = std::chrono::ceil<std::chrono::seconds>(*wait);
  return {false, std::max(seconds, std::chrono::seconds(1))};
}

std::size_t RateLimiter::clients() const {
  std::size_t total = 0;
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    total += shard.index.size();
  }
  return total;
}

}  // namespace llamachat::guard
