#include "util/json_text.hpp"

#include <cstdint>
#include <cstring>

namespace llamachat::util {
namespace {

// True when one of the 8 bytes of `word` needs escaping in a JSON string: below 0x20, '"' or '\\'
// (exact as a yes/no answer: the classic "has a zero byte" / "has a byte less than n" bit tricks).
constexpr bool word_needs_escape(std::uint64_t word) noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
  const auto has_zero = [](std::uint64_t v) { return ((v - ones) & ~v & highs) != 0; };
  const bool has_control = ((word - ones * 0x20) & ~word & highs) != 0;
  return has_control || has_zero(word ^ (ones * '"')) || has_zero(word ^ (ones * '\\'));
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

namespace {

// Length of the well-formed UTF-8 sequence at text[i] (RFC 3629 §4: no overlongs, no surrogates, at
// most U+10FFFF), or 0 when the bytes there are not one.
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) noexcept {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[i + k]); };
  const unsigned char b0 = byte(0);
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // the allowed range of the second byte
  if (b0 < 0x80) return 1;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    length = 3;
    if (b0 == 0xE0) low = 0xA0;
    if (b0 == 0xED) high = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    length = 4;
    if (b0 == 0xF0) low = 0x90;
    if (b0 == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  if (byte(1) < low || byte(1) > high) return 0;
  for (std::size_t k = 2; k < length; ++k)
    if ((byte(k) & 0xC0) != 0x80) return 0;
  return length;
}

}  // namespace

void append_json_quoted_utf8(std::string& out, std::string_view text) {
  std::size_t begin = 0;  // start of the valid run not yet written
  std::size_t i = 0;
  std::string quoted;
  const auto flush_run = [&](std::size_t end) {
    if (end == begin) return;
    quoted.clear();
    append_json_quoted(quoted, text.substr(begin, end - begin));
    out.append(quoted, 1, quoted.size() - 2);  // without its quotes
  };
  out += '"';
  while (i < text.size()) {
    const std::size_t length = utf8_sequence_length(text, i);
    if (length != 0) {
      i += length;
      continue;
    }
    flush_run(i);
    out += "\\ufffd";
    begin = ++i;
  }
  flush_run(i);
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
