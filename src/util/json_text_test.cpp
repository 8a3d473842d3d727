#include "util/json_text.hpp"

#include <gtest/gtest.h>

#include <string>

namespace llamachat::util {
namespace {

// The obvious byte-by-byte definition, to check the word-at-a-time scan against, for text whose only
// non-ASCII bytes stand alone (so each is invalid UTF-8 and becomes U+FFFD).
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
    } else if (c >= 0x80) {
      out += "\xEF\xBF\xBD";
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
  EXPECT_EQ(json_quote(text),
            "\"Gr\xC3\xBC\xC3\x9F"
            "e \\\"quoted\\\" \\\\ back\\u0001slash\\ttab\\nline \xF0\x9F\x98\x80 end\"");
  EXPECT_EQ(json_quote(""), "\"\"");
}

TEST(JsonText, InvalidUtf8BecomesReplacementCharacters) {
  const std::string fffd = "\xEF\xBF\xBD";
  struct Case {
    std::string in, out;
  };
  const Case cases[] = {
      {"a\xFF"
       "b",
       "a" + fffd + "b"},                               // never valid
      {"\xC0\xAF", fffd + fffd},                        // overlong '/'
      {"\xED\xA0\x80", fffd + fffd + fffd},             // a surrogate
      {"\xF4\x90\x80\x80", fffd + fffd + fffd + fffd},  // above U+10FFFF
      {"\xE2\x82", fffd + fffd},                        // cut short at the end
      {"\xE2\x82"
       "abcdefgh",
       fffd + fffd + "abcdefgh"},                                        // cut short before ASCII
      {"\xE2\x82\xAC\xF0\x9F\x98\x80", "\xE2\x82\xAC\xF0\x9F\x98\x80"},  // valid: unchanged
      {"/\xFF/healthz\xC3", "/" + fffd + "/healthz" + fffd},
  };
  for (const Case& c : cases) EXPECT_EQ(json_quote(c.in), "\"" + c.out + "\"") << c.in;
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
