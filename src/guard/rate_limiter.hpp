#pragma once
// Per-client rate limiting: a token bucket per client, holding `tokens` and refilled at `tokens` per
// `period`. Memory is bounded: at most `max_clients` buckets, the least recently used evicted first (an
// evicted bucket comes back full, so eviction only ever errs towards allowing). Thread-safe: the clients
// are spread over independently locked shards, and no lock is held for more than a map lookup.
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "guard/client_address.hpp"
#include "util/clock.hpp"

namespace llamachat::guard {

struct RateLimit {
  std::uint32_t tokens = 0;            // burst size, and refill per period
  std::chrono::nanoseconds period{0};  // one of 1 s, 1 min, 1 h
};

// "60/min", "5/s", "1000/h" (also /sec, /second, /minute, /hour); nullopt on anything else or 0 tokens.
std::optional<RateLimit> parse_rate_limit(std::string_view text);

// One client's bucket; `now` comes from the caller, so the arithmetic is exact under a test clock.
class TokenBucket {
 public:
  TokenBucket(const RateLimit& limit, std::chrono::system_clock::time_point now) noexcept;
  // Takes one token when there is one. Otherwise returns how long until there is one.
  std::optional<std::chrono::nanoseconds> take(const RateLimit& limit,
                                               std::chrono::system_clock::time_point now) noexcept;

 private:
  // Tokens are counted in "token-nanoseconds": one token = `period` units, so refill is integer arithmetic.
  std::int64_t credit_;
  std::chrono::system_clock::time_point updated_;
};

// Whom a bucket belongs to: a tag byte then 32 bytes (an API key's SHA-256, or an address's 16 bytes).
using ClientKey = std::array<unsigned char, 33>;
ClientKey client_key_for_digest(const std::array<unsigned char, 32>& digest) noexcept;
ClientKey client_key_for_address(const Address& address) noexcept;

struct RateDecision {
  bool allowed = true;
  std::chrono::seconds retry_after{0};  // when refused: whole seconds until a token, at least 1
};

class RateLimiter {
 public:
  RateLimiter(RateLimit limit, std::size_t max_clients, util::Clock clock);
  RateDecision take(const ClientKey& client);
  std::size_t clients() const;  // buckets held now (for tests of the memory bound)

 private:
  struct KeyHash {
    std::size_t operator()(const ClientKey& key) const noexcept;
  };
  struct Shard {
    mutable std::mutex mutex;
    std::list<std::pair<ClientKey, TokenBucket>> recent;  // most recently used first
    std::unordered_map<ClientKey, std::list<std::pair<ClientKey, TokenBucket>>::iterator, KeyHash> index;
  };
  static constexpr std::size_t kShards = 16;

  RateLimit limit_;
  std::size_t per_shard_;
  util::Clock clock_;
  std::array<Shard, kShards> shards_;
};

}  // namespace llamachat::guard
