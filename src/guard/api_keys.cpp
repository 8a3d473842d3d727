#include "guard/api_keys.hpp"

#include "util/strings.hpp"

namespace llamachat::guard {
namespace {

// Calls `each` with every trimmed, non-empty piece of `text` between separators.
template <typename Each>
void for_each_piece(std::string_view text, char separator, Each each) {
  while (!text.empty()) {
    const std::size_t end = text.find(separator);
    const std::string_view piece = util::trim(text.substr(0, end), util::line_whitespace);
    if (!piece.empty()) each(piece);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
}

}  // namespace

std::vector<std::string> parse_key_list(std::string_view comma_separated) {
  std::vector<std::string> keys;
  for_each_piece(comma_separated, ',', [&](std::string_view key) { keys.emplace_back(key); });
  return keys;
}

std::vector<std::string> parse_key_file(std::string_view text) {
  std::vector<std::string> keys;
  for_each_piece(text, '\n', [&](std::string_view line) {
    if (!line.starts_with('#')) keys.emplace_back(line);
  });
  return keys;
}

std::optional<std::string_view> bearer_token(std::string_view authorization) noexcept {
  authorization = util::trim(authorization, util::http_whitespace);
  constexpr std::string_view kScheme = "bearer";
  if (authorization.size() <= kScheme.size() || !util::iequals(authorization.substr(0, kScheme.size()), kScheme))
    return std::nullopt;
  const char gap = authorization[kScheme.size()];
  if (gap != ' ' && gap != '\t') return std::nullopt;
  const std::string_view token = util::trim(authorization.substr(kScheme.size()), util::http_whitespace);
  if (token.empty()) return std::nullopt;
  return token;
}

bool digests_equal(const util::Sha256Digest& a, const util::Sha256Digest& b) noexcept {
  const auto view = [](const util::Sha256Digest& d) {
    return std::string_view(reinterpret_cast<const char*>(d.data()), d.size());
  };
  return util::constant_time_equal(view(a), view(b));
}

ApiKeys::ApiKeys(const std::vector<std::string>& keys, DigestEqual equal) : equal_(std::move(equal)) {
  digests_.reserve(keys.size());
  for (const auto& key : keys) digests_.push_back(util::sha256(key));
}

std::optional<util::Sha256Digest> ApiKeys::match(std::string_view presented) const {
  const util::Sha256Digest digest = util::sha256(presented);
  // No early exit: every stored digest is compared, and the results are combined without branching on them.
  unsigned found = 0;
  for (const auto& stored : digests_) found |= static_cast<unsigned>(equal_(digest, stored));
  if (found == 0) return std::nullopt;
  return digest;
}

}  // namespace llamachat::guard
