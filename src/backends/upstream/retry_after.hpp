#pragma once
// The upstream's Retry-After (RFC 9110 section 10.2.3), read as a value.
#include <chrono>
#include <optional>
#include <string_view>

namespace llamachat::backends::upstream {

// Delta-seconds ("120", surrounding whitespace allowed) -> that wait. An HTTP-date or anything
// malformed -> nullopt: the retry strategy's own backoff then applies.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value) noexcept;

// The wait before the next attempt: the strategy's jittered backoff, or the upstream's Retry-After when
// that is longer (retrying sooner than asked would only be refused again).
std::chrono::milliseconds wait_before_retry(std::chrono::milliseconds backoff,
                                            std::optional<std::chrono::milliseconds> retry_after) noexcept;

}  // namespace llamachat::backends::upstream
