#include "util/strings.hpp"

#include <gtest/gtest.h>

namespace llamachat::util {
namespace {

TEST(Trim, HttpWhitespaceIsSpaceAndTabOnly) {
  EXPECT_EQ(trim(" \t application/json\t ", http_whitespace), "application/json");
  // CR and LF are not optional whitespace: they stay, so a smuggled line break stays visible.
  EXPECT_EQ(trim("\r\nvalue\n", http_whitespace), "\r\nvalue\n");
  EXPECT_EQ(trim("a b", http_whitespace), "a b");
}

TEST(Trim, LineWhitespaceAddsCarriageReturnAndLineFeed) {
  EXPECT_EQ(trim("\r\n\t token \r\n", line_whitespace), "token");
  // Form feed and vertical tab are not line whitespace (SigV4 keeps them in a header value).
  EXPECT_EQ(trim("\fvalue\v", line_whitespace), "\fvalue\v");
}

TEST(Trim, AsciiWhitespaceIsTheCLocaleSpaceSet) {
  EXPECT_EQ(trim(" \t\n\v\f\rHello, world\r\f\v\n\t ", ascii_whitespace), "Hello, world");
  // Bytes of UTF-8 sequences are never whitespace (U+00A0 NO-BREAK SPACE is C2 A0).
  EXPECT_EQ(trim("\xC2\xA0x\xC2\xA0", ascii_whitespace), "\xC2\xA0x\xC2\xA0");
}

TEST(Trim, AllWhitespaceOrEmptyGivesEmpty) {
  for (const std::string_view set : {http_whitespace, line_whitespace, ascii_whitespace}) {
    EXPECT_EQ(trim("", set), "");
    EXPECT_EQ(trim(set, set), "");
  }
}

TEST(Trim, ResultIsAViewIntoTheInput) {
  constexpr std::string_view text = "  abc  ";
  constexpr std::string_view trimmed = trim(text, http_whitespace);
  static_assert(trimmed == "abc");
  EXPECT_EQ(trimmed.data(), text.data() + 2);
}

TEST(TrimEnd, KeepsLeadingWhitespace) {
  EXPECT_EQ(trim_end("  token\r\n", line_whitespace), "  token");
  EXPECT_EQ(trim_end("\r\n", line_whitespace), "");
  EXPECT_EQ(trim_end("", line_whitespace), "");
}

TEST(IsIn, ReportsMembership) {
  EXPECT_TRUE(is_in('\t', http_whitespace));
  EXPECT_FALSE(is_in('\n', http_whitespace));
  EXPECT_FALSE(is_in('\0', ascii_whitespace));  // a string_view set has no terminator to match
}

TEST(Iequals, IgnoresAsciiCaseOnly) {
  EXPECT_TRUE(iequals("Content-Type", "content-type"));
  EXPECT_TRUE(iequals("X-AMZ-DATE", "x-amz-date"));
  EXPECT_TRUE(iequals("", ""));
  EXPECT_FALSE(iequals("abc", "abd"));
  EXPECT_FALSE(iequals("abc", "abcd"));
  // '@' and '`' sit next to 'A' and 'a'; '[' is 'Z' + 1: none of them is a letter.
  EXPECT_FALSE(iequals("@", "`"));
  EXPECT_FALSE(iequals("[", "{"));
  EXPECT_FALSE(iequals("\xC3\x89", "\xC3\xA9"));  // E-acute vs e-acute: not ASCII, compared as bytes
}

TEST(HasMediaType, IgnoresParametersBlanksAndCase) {
  EXPECT_TRUE(has_media_type("application/json", "application/json"));
  EXPECT_TRUE(has_media_type(" Application/JSON ; charset=utf-8", "application/json"));
  EXPECT_TRUE(has_media_type("text/event-stream;q=0.9", "text/event-stream"));
  EXPECT_FALSE(has_media_type("application/json-seq", "application/json"));
  EXPECT_FALSE(has_media_type("text/plain; type=application/json", "application/json"));
  EXPECT_FALSE(has_media_type("", "application/json"));
}

TEST(ToLower, LowersAsciiLettersAndKeepsOtherBytes) {
  EXPECT_EQ(to_lower("Adaptive-MODE_1"), "adaptive-mode_1");
  EXPECT_EQ(to_lower("\xC3\x89"), "\xC3\x89");
  EXPECT_EQ(ascii_lower('Z'), 'z');
  EXPECT_EQ(ascii_lower('['), '[');
}

}  // namespace
}  // namespace llamachat::util
