#include "util/percent_encoding.hpp"

#include <gtest/gtest.h>

#include <string>

namespace llamachat::util {
namespace {

TEST(PercentEncode, KeepsOnlyUnreservedBytes) {
  EXPECT_EQ(percent_encode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(percent_encode("arn:aws:iam::1:role/r a+b=c&d"), "arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fr%20a%2Bb%3Dc%26d");
  EXPECT_EQ(percent_encode("a b+c%d?e#f"), "a%20b%2Bc%25d%3Fe%23f");
  EXPECT_EQ(percent_encode(""), "");
}

TEST(PercentEncode, EncodesEachByteWithUpperCaseHex) {
  EXPECT_EQ(percent_encode("\xC3\xA9"), "%C3%A9");
  EXPECT_EQ(percent_encode(std::string_view("\0\x7f\xff", 3)), "%00%7F%FF");
}

TEST(PercentEncode, KeepSetPassesExtraBytes) {
  EXPECT_EQ(percent_encode("a/b c", "/"), "a/b%20c");
  EXPECT_EQ(percent_encode("/a%2F", "/%"), "/a%2F");   // an already encoded path, encoded once
  EXPECT_EQ(percent_encode("/a%2F", "/"), "/a%252F");  // ...and twice (SigV4 for services other than S3)
}

TEST(PercentDecode, DecodesEitherHexCase) {
  EXPECT_EQ(percent_decode("%7e%7E%2f%41"), "~~/A");
  EXPECT_EQ(percent_decode("a+b"), "a+b");  // '+' is a literal plus, never a space
}

TEST(PercentDecode, KeepsMalformedEscapes) {
  EXPECT_EQ(percent_decode("100%"), "100%");
  EXPECT_EQ(percent_decode("%4"), "%4");
  EXPECT_EQ(percent_decode("%zz%4g"), "%zz%4g");
  EXPECT_EQ(percent_decode("%%41"), "%A");
}

TEST(PercentCoding, RoundTripsEveryByte) {
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  const std::string encoded = percent_encode(all);
  EXPECT_EQ(percent_decode(encoded), all);
  EXPECT_EQ(encoded.find_first_not_of("%0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-._~"),
            std::string::npos);
}

}  // namespace
}  // namespace llamachat::util
