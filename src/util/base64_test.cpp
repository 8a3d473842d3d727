#include "util/base64.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace llamachat::util {
namespace {

// RFC 4648 section 10 test vectors.
const std::vector<std::pair<std::string, std::string>> kRfc4648 = {
    {"", ""},
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
};

TEST(Base64, EncodesRfc4648Vectors) {
  for (const auto& [plain, encoded] : kRfc4648) EXPECT_EQ(base64_encode(plain), encoded) << plain;
}

TEST(Base64, DecodesRfc4648Vectors) {
  for (const auto& [plain, encoded] : kRfc4648) EXPECT_EQ(base64_decode(encoded), plain) << encoded;
}

TEST(Base64, RoundTripsEveryByteValueAtEveryLength) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(255 - i));
  for (std::size_t n = 0; n <= bytes.size(); ++n) {
    const std::string plain = bytes.substr(0, n);
    const std::string encoded = base64_encode(plain);
    EXPECT_EQ(encoded.size(), (n + 2) / 3 * 4);
    EXPECT_EQ(base64_decode(encoded), plain) << n;
  }
}

TEST(Base64, UsesStandardAlphabetForHighBits) {
  EXPECT_EQ(base64_encode("\xfb\xff"), "+/8=");
  EXPECT_EQ(base64_decode("+/8="), std::string("\xfb\xff"));
}

TEST(Base64, RejectsLengthNotMultipleOfFour) {
  EXPECT_EQ(base64_decode("Zg"), std::nullopt);
  EXPECT_EQ(base64_decode("Zm9vY"), std::nullopt);
  EXPECT_EQ(base64_decode("Zm8"), std::nullopt);
}

TEST(Base64, RejectsCharactersOutsideTheAlphabet) {
  EXPECT_EQ(base64_decode("Zm9v\n"), std::nullopt);
  EXPECT_EQ(base64_decode("Zm 9"), std::nullopt);
  EXPECT_EQ(base64_decode("-_8="), std::nullopt);  // URL-safe alphabet
  EXPECT_EQ(base64_decode(std::string("Zm\0v", 4)), std::nullopt);
}

TEST(Base64, RejectsMisplacedPadding) {
  EXPECT_EQ(base64_decode("===="), std::nullopt);
  EXPECT_EQ(base64_decode("Z==="), std::nullopt);
  EXPECT_EQ(base64_decode("Zg==Zm9v"), std::nullopt);
  EXPECT_EQ(base64_decode("Z=g="), std::nullopt);
}

TEST(Base64, RejectsNonZeroUnusedBits) {
  EXPECT_EQ(base64_decode("Zh=="), std::nullopt);  // "Zg==" is the canonical form of "f"
  EXPECT_EQ(base64_decode("Zm9="), std::nullopt);  // "Zm8=" is the canonical form of "fo"
}

}  // namespace
}  // namespace llamachat::util
