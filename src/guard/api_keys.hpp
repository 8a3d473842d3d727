#pragma once
// API keys: parsing the configured lists and matching a presented key in constant time. Pure; never throws.
//
// Matching compares fixed-length SHA-256 digests, never the keys themselves, and always compares the
// presented digest with EVERY stored digest without stopping at a match: the time taken does not depend
// on which key matched, how many bytes of a key were right, or the length of any key.
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/crypto.hpp"

namespace llamachat::guard {

// LLAMACHAT_API_KEYS: comma-separated; surrounding whitespace trimmed, empty items skipped.
std::vector<std::string> parse_key_list(std::string_view comma_separated);
// LLAMACHAT_API_KEYS_FILE's contents: one key a line; surrounding whitespace trimmed, blank lines and lines
// starting with '#' skipped (a key never contains whitespace, so "# ..." is always a comment).
std::vector<std::string> parse_key_file(std::string_view text);

// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive, RFC 6750 section 2.1);
// nullopt for any other header or an empty token.
std::optional<std::string_view> bearer_token(std::string_view authorization) noexcept;

// Compares two digests; the default is util::constant_time_equal (CRYPTO_memcmp). Injectable for tests.
using DigestEqual = std::function<bool(const util::Sha256Digest&, const util::Sha256Digest&)>;
bool digests_equal(const util::Sha256Digest& a, const util::Sha256Digest& b) noexcept;

class ApiKeys {
 public:
  ApiKeys() = default;
  // Stores only the digests of `keys`; duplicates are kept (harmless, and the count stays what was given).
  explicit ApiKeys(const std::vector<std::string>& keys, DigestEqual equal = digests_equal);

  bool empty() const noexcept { return digests_.empty(); }
  std::size_t size() const noexcept { return digests_.size(); }
  // The digest of `presented` when it is one of the keys (it identifies the caller without holding the
  // key), else nullopt. Compares against every stored digest, whatever matched.
  std::optional<util::Sha256Digest> match(std::string_view presented) const;

 private:
  std::vector<util::Sha256Digest> digests_;
  DigestEqual equal_;
};

}  // namespace llamachat::guard
