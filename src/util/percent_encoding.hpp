#pragma once
// Percent-encoding (RFC 3986 section 2.1) with the unreserved set A-Za-z0-9-._~ (section 2.3) and upper-case hex
// digits: the one form that SigV4 canonical requests, AWS query-protocol bodies and URI labels all expect
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html, "UriEncode").
#include <string>
#include <string_view>

namespace llamachat::util {

constexpr bool is_unreserved(unsigned char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

// Every byte outside the unreserved set and outside `keep` (e.g. "/" for a path) becomes %XX. A "+" is encoded
// too (%2B), never read as a space: application/x-www-form-urlencoded bodies built with it are unambiguous.
std::string percent_encode(std::string_view bytes, std::string_view keep = {});

// Decodes %XX escapes (either hex case); a malformed escape ("%4", "%zz", a trailing "%") is kept literally.
std::string percent_decode(std::string_view text);

}  // namespace llamachat::util
