#pragma once
// ASCII string helpers: trimming with a named whitespace set, case-insensitive comparison, lower-casing.
// Locale-independent on purpose: protocols (HTTP, SigV4, INI-style profile files) define their bytes, not the
// user's locale.
#include <string>
#include <string_view>

namespace llamachat::util {

// The whitespace sets differ by the format that defines them; pick the one of the text being read.
//
// HTTP optional whitespace (OWS: SP / HTAB, RFC 9110 section 5.6.3): header values, list items, media types,
// and the environment values that follow HTTP conventions (HTTPS_PROXY, AWS error codes).
inline constexpr std::string_view http_whitespace = " \t";
// SP, HTAB, CR, LF: header values as SigV4 canonicalises them
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html, "trim leading and trailing
// spaces"), and line-oriented bodies such as an IMDS token or a web identity token file.
inline constexpr std::string_view line_whitespace = " \t\r\n";
// Every byte std::isspace accepts in the "C" locale: SP, HTAB, LF, VT, FF, CR. Free text (a chat message, a
// model's reply) and the lines of the AWS shared config and credentials files.
inline constexpr std::string_view ascii_whitespace = " \t\n\v\f\r";

// A plain loop, not std::string_view::find: the sets are a few bytes and known at compile time, so this inlines
// to a handful of comparisons (the SigV4 signer calls it for every byte of every signed header value).
constexpr bool is_in(char c, std::string_view set) noexcept {
  for (const char member : set) {
    if (member == c) return true;
  }
  return false;
}

// `s` without the trailing bytes that are in `set`.
constexpr std::string_view trim_end(std::string_view s, std::string_view set) noexcept {
  while (!s.empty() && is_in(s.back(), set)) s.remove_suffix(1);
  return s;
}

// `s` without the leading and trailing bytes that are in `set`.
constexpr std::string_view trim(std::string_view s, std::string_view set) noexcept {
  while (!s.empty() && is_in(s.front(), set)) s.remove_prefix(1);
  return trim_end(s, set);
}

constexpr char ascii_lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Equal but for the case of ASCII letters (header names, media types, enumerated settings).
constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

// True when the media type of a Content-Type value, or of one Accept item, is `media_type`: parameters after ';'
// and optional whitespace are ignored, case is not significant (RFC 9110 section 8.3.1).
constexpr bool has_media_type(std::string_view value, std::string_view media_type) noexcept {
  return iequals(trim(value.substr(0, value.find(';')), http_whitespace), media_type);
}

// `s` with its ASCII letters lower-cased; other bytes, UTF-8 included, unchanged.
inline std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

// Shortens text quoted in an error message: at most `max` bytes, cut on a UTF-8 character boundary, then
// "...". Text that fits comes back whole.
inline std::string truncate_for_message(std::string_view text, std::size_t max = 200) {
  if (text.size() <= max) return std::string(text);
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // UTF-8 continuation byte
  return std::string(text.substr(0, cut)) + "...";
}

}  // namespace llamachat::util
