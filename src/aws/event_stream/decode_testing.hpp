#pragma once
// Test-only helpers (included by *_test.cpp only): run a Decoder over a byte string split in various ways.
#include <boost/system/error_code.hpp>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "aws/event_stream/decoder.hpp"

namespace llamachat::aws::event_stream::testing {

struct DecodeOutcome {
  std::vector<Message> messages;
  boost::system::error_code error;  // from feed(), else from finish()
};

// Feeds `bytes` cut at the given ascending offsets, then finish().
inline DecodeOutcome decode_with_cuts(std::string_view bytes, const std::vector<std::size_t>& cuts,
                                      const Limits& limits = {}) {
  Decoder decoder(limits);
  DecodeOutcome outcome;
  std::size_t from = 0;
  std::vector<std::size_t> ends = cuts;
  ends.push_back(bytes.size());
  for (std::size_t to : ends) {
    boost::system::error_code ec;
    decoder.feed(bytes.substr(from, to - from), outcome.messages, ec);
    if (ec) {
      outcome.error = ec;
      return outcome;
    }
    from = to;
  }
  outcome.error = decoder.finish();
  return outcome;
}

inline DecodeOutcome decode_whole(std::string_view bytes, const Limits& limits = {}) {
  return decode_with_cuts(bytes, {}, limits);
}

inline DecodeOutcome decode_in_chunks(std::string_view bytes, std::size_t chunk, const Limits& limits = {}) {
  std::vector<std::size_t> cuts;
  for (std::size_t at = chunk; at < bytes.size(); at += chunk) cuts.push_back(at);
  return decode_with_cuts(bytes, cuts, limits);
}

// Every way of splitting `bytes` in two (including empty first/second parts), plus 1-, 7- and 13-byte feeds.
// Inputs over kEverySplitMaxBytes get every split in their first and last 64 bytes and ~256 spread between,
// to keep quadratic work bounded. Calls check(outcome, description) for each.
inline constexpr std::size_t kEverySplitMaxBytes = 4096;

template <typename Check>
void for_each_chunking(std::string_view bytes, Check&& check, const Limits& limits = {}) {
  const std::size_t n = bytes.size();
  const bool every = n <= kEverySplitMaxBytes;
  for (std::size_t at = 0; at <= n; ++at) {
    if (!every && at > 64 && at + 64 < n && at % (n / 256) != 0) continue;
    check(decode_with_cuts(bytes, {at}, limits), "split at " + std::to_string(at));
  }
  for (std::size_t chunk : {1, 7, 13}) {
    check(decode_in_chunks(bytes, chunk, limits), "chunks of " + std::to_string(chunk));
  }
}

}  // namespace llamachat::aws::event_stream::testing
