#include "backends/upstream/retry_after.hpp"

#include <algorithm>
#include <charconv>

namespace llamachat::backends::upstream {

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value) noexcept {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty() || value.front() < '0' || value.front() > '9') return std::nullopt;
  // A day is far beyond any request deadline; larger values are clamped rather than overflowing.
  constexpr long long kMaxSeconds = 24 * 60 * 60;
  long long seconds = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec == std::errc::result_out_of_range) return std::chrono::seconds(kMaxSeconds);
  if (ec != std::errc() || end != value.data() + value.size()) return std::nullopt;
  return std::chrono::seconds(std::min(seconds, kMaxSeconds));
}

std::chrono::milliseconds wait_before_retry(std::chrono::milliseconds backoff,
                                            std::optional<std::chrono::milliseconds> retry_after) noexcept {
  return retry_after ? std::max(backoff, *retry_after) : backoff;
}

}  // namespace llamachat::backends::upstream
