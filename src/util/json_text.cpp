#include "util/json_text.hpp"

#include <cstdint>
#include <cstring>

namespace llamachat::util {
namespace {

// True when one of the 8 bytes of `word` needs a closer look in a JSON string: below 0x20, '"', '\\' or
// not ASCII (exact as a yes/no answer: the classic "has a zero byte" / "has a byte less than n" bit
// tricks).
constexpr bool word_needs_escape(std::uint64_t word) noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
  const auto has_zero = [](std::uint64_t v) { return ((v - ones) & ~v & highs) != 0; };
  const bool has_control = ((word - ones * 0x20) & ~word & highs) != 0;
  return (word & highs) != 0 || has_control || has_zero(word ^ (ones * '"')) || has_zero(word ^ (ones * '\\'));
}

// The length of the well-formed UTF-8 sequence at the start of `s` (RFC 3629 §4: no overlong forms, no
// surrogates, nothing above U+10FFFF), or 0 when it is not one. `s` starts with a byte >= 0x80.
std::size_t utf8_sequence_length(std::string_view s) noexcept {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const auto lead = byte(0);
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // the range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (s.size() < length || byte(1) < low || byte(1) > high) return 0;
  for (std::size_t i = 2; i < length; ++i)
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  return length;
}

}  // namespace

void append_json_quoted(std::string& out, std::string_view text) {
  out.reserve(out.size() + text.size() + 2);
  out += '"';
  // Runs of characters that need no escape are copied whole, found 8 bytes at a time: replies and
  // prompts are mostly such runs.
  std::size_t run = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    if (i + 8 <= text.size()) {
      std::uint64_t word;
      std::memcpy(&word, text.data() + i, 8);
      if (!word_needs_escape(word)) {
        i += 8;
        continue;
      }
    }
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      const std::size_t length = utf8_sequence_length(text.substr(i));
      if (length != 0) {
        i += length;
        continue;
      }
      out.append(text, run, i - run);
      out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER, one per byte that starts no valid sequence
      run = ++i;
      continue;
    }
    if (c >= 0x20 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    out.append(text, run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: {
        static constexpr char hex[] = "0123456789abcdef";
        out += "\\u00";
        out += hex[c >> 4];
        out += hex[c & 0xf];
      }
    }
    ++i;
  }
  out.append(text, run, std::string_view::npos);
  out += '"';
}

std::string json_quote(std::string_view text) {
  std::string out;
  append_json_quoted(out, text);
  return out;
}

std::string json_error_body(std::string_view message) {
  static constexpr std::string_view kOpen = "{\"error\":";
  std::string out;
  out.reserve(kOpen.size() + message.size() + 3);
  out += kOpen;
  append_json_quoted(out, message);
  out += '}';
  return out;
}

}  // namespace llamachat::util
