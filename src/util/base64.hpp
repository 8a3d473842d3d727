#pragma once
// Standard base64 (RFC 4648 section 4, alphabet A-Z a-z 0-9 + /, '=' padding). Pure functions; never throw
// except std::bad_alloc.
#include <optional>
#include <string>
#include <string_view>

namespace llamachat::util {

// Padded encoding of arbitrary bytes.
std::string base64_encode(std::string_view bytes);

// Strict decoding: length a multiple of 4, only alphabet characters, '=' only as the last one or two
// characters, and the unused low bits of the last symbol zero (so every byte string has exactly one
// accepted encoding). No whitespace, no URL-safe alphabet. nullopt on any violation.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace llamachat::util
