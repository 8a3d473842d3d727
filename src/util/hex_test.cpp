#include "util/hex.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>

namespace llamachat::util {
namespace {

TEST(Hex, EmptyInputGivesEmptyString) { EXPECT_EQ(to_hex(std::string_view{}), ""); }

TEST(Hex, EncodesEveryNibbleLowerCase) {
  const std::array<unsigned char, 8> bytes{0x00, 0x01, 0x0f, 0x10, 0x7f, 0x80, 0xab, 0xff};
  EXPECT_EQ(to_hex(bytes), "00010f107f80abff");
}

TEST(Hex, StringViewOverloadTreatsCharsAsUnsignedBytes) {
  EXPECT_EQ(to_hex(std::string_view("abc")), "616263");
  // A negative char must not sign-extend into more than two digits.
  EXPECT_EQ(to_hex(std::string_view("\xff\x80", 2)), "ff80");
  EXPECT_EQ(to_hex(std::string("\0\n", 2)), "000a");
}

TEST(Hex, OutputIsTwiceTheInputLength) {
  const std::string input(1000, '\x5a');
  const std::string out = to_hex(input);
  ASSERT_EQ(out.size(), 2000u);
  EXPECT_EQ(out.find_first_not_of("5a"), std::string::npos);
}

}  // namespace
}  // namespace llamachat::util
