#include "util/json_text.hpp"

#include <gtest/gtest.h>

#include <string>

namespace llamachat::util {
namespace {

// The obvious byte-by-byte definition, to check the word-at-a-time scan against.
std::string reference_quote(std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = "\"";
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"') {
      out += "\\\"";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20) {
      out += "\\u00";
      out += hex[c >> 4];
      out += hex[c & 0xf];
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

TEST(JsonText, EveryByteValueAtEveryPositionOfAWord) {
  // Each byte value, alone in a run of plain text, at each offset of the 8-byte words the scan reads,
  // and near the end where the scan falls back to single bytes.
  for (int value = 0; value < 256; ++value) {
    for (std::size_t length : {1u, 7u, 8u, 9u, 16u, 23u}) {
      for (std::size_t at = 0; at < length; ++at) {
        std::string text(length, 'a');
        text[at] = static_cast<char>(value);
        ASSERT_EQ(json_quote(text), reference_quote(text)) << "byte " << value << " at " << at << " of " << length;
      }
    }
  }
}

TEST(JsonText, MixedTextAndUtf8) {
  const std::string text =
      "Gr\xC3\xBC\xC3\x9F"
      "e \"quoted\" \\ back\x01slash\ttab\nline \xF0\x9F\x98\x80 end";
  EXPECT_EQ(json_quote(text), reference_quote(text));
  EXPECT_EQ(json_quote(""), "\"\"");
}

TEST(JsonText, AppendKeepsWhatWasThere) {
  std::string out = "{\"reply\":";
  append_json_quoted(out, "hi \"you\"");
  out += '}';
  EXPECT_EQ(out, "{\"reply\":\"hi \\\"you\\\"\"}");
}

TEST(JsonText, ErrorBodyIsOneQuotedMember) {
  EXPECT_EQ(json_error_body("no \"route\"\n"), "{\"error\":\"no \\\"route\\\"\\n\"}");
  EXPECT_EQ(json_error_body(""), "{\"error\":\"\"}");
}

}  // namespace
}  // namespace llamachat::util

namespace llamachat::util {
namespace {

std::string quoted_utf8(std::string_view text) {
  std::string out;
  append_json_quoted_utf8(out, text);
  return out;
}

TEST(JsonTextUtf8, ValidTextIsQuotedLikeAppendJsonQuoted) {
  const std::string_view text = "line\n\"caf\xc3\xa9\" \xe2\x82\xac \xf0\x9f\xa6\x99 \x01";
  EXPECT_EQ(quoted_utf8(text), json_quote(text));
}

TEST(JsonTextUtf8, EachInvalidByteBecomesOneReplacementCharacter) {
  EXPECT_EQ(quoted_utf8("a\xff"
                        "b"),
            "\"a\\ufffdb\"");
  EXPECT_EQ(quoted_utf8("\xc3"), "\"\\ufffd\"");                                   // truncated sequence at the end
  EXPECT_EQ(quoted_utf8("\xc0\xaf"), "\"\\ufffd\\ufffd\"");                        // overlong '/'
  EXPECT_EQ(quoted_utf8("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");             // a UTF-16 surrogate
  EXPECT_EQ(quoted_utf8("\xf4\x90\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");  // above U+10FFFF
  EXPECT_EQ(quoted_utf8("\"\xff\""), "\"\\\"\\ufffd\\\"\"");
}

}  // namespace
}  // namespace llamachat::util
