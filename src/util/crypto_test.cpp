#include "util/crypto.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "util/hex.hpp"

namespace llamachat::util {
namespace {

// FIPS 180-2 appendix B and the well-known empty-string digest.
TEST(Sha256, EmptyString) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256, Fips180OneBlockMessage) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, Fips180MultiBlockMessage) {
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, Fips180MillionA) {
  EXPECT_EQ(sha256_hex(std::string(1'000'000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, RawDigestMatchesHex) {
  const Sha256Digest d = sha256("abc");
  EXPECT_EQ(d[0], 0xba);
  EXPECT_EQ(d[31], 0xad);
  EXPECT_EQ(to_hex(d), sha256_hex("abc"));
}

TEST(Sha256, HandlesEmbeddedNulBytes) { EXPECT_NE(sha256_hex(std::string("a\0b", 3)), sha256_hex("ab")); }

// RFC 4231 section 4.2: key = 20 bytes of 0x0b, data = "Hi There".
TEST(HmacSha256, Rfc4231TestCase1) {
  const std::string key(20, '\x0b');
  EXPECT_EQ(to_hex(hmac_sha256(key, "Hi There")), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

// RFC 4231 section 4.3: a key shorter than the output.
TEST(HmacSha256, Rfc4231TestCase2) {
  EXPECT_EQ(to_hex(hmac_sha256(std::string_view("Jefe"), "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

// RFC 4231 section 4.4: 20 bytes of 0xaa as key, 50 bytes of 0xdd as data.
TEST(HmacSha256, Rfc4231TestCase3) {
  EXPECT_EQ(to_hex(hmac_sha256(std::string(20, '\xaa'), std::string(50, '\xdd'))),
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
}

// RFC 4231 section 4.7: a key larger than the block size is hashed first.
TEST(HmacSha256, Rfc4231TestCase6LongKey) {
  EXPECT_EQ(to_hex(hmac_sha256(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(HmacSha256, SpanOverloadMatchesStringOverload) {
  const std::vector<unsigned char> key(20, 0x0b);
  EXPECT_EQ(hmac_sha256(std::span<const unsigned char>(key), "Hi There"),
            hmac_sha256(std::string(20, '\x0b'), "Hi There"));
}

TEST(HmacSha256, EmptyKeyAndData) {
  // Well-known HMAC-SHA256("", "").
  EXPECT_EQ(to_hex(hmac_sha256(std::string_view(), "")),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(Crc32, CheckValue) { EXPECT_EQ(crc32("123456789"), 0xCBF43926u); }

TEST(Crc32, EmptyInputIsSeed) {
  EXPECT_EQ(crc32(""), 0u);
  EXPECT_EQ(crc32("", 0x12345678u), 0x12345678u);
}

TEST(Crc32, SeedContinuesAnEarlierChecksum) { EXPECT_EQ(crc32("6789", crc32("12345")), 0xCBF43926u); }

TEST(Crc32, SpanOverloadMatchesStringOverload) {
  const std::vector<unsigned char> bytes{'1', '2', '3', '4', '5', '6', '7', '8', '9'};
  EXPECT_EQ(crc32(std::span<const unsigned char>(bytes)), 0xCBF43926u);
}

TEST(ConstantTimeEqual, ComparesContentAndLength) {
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_TRUE(constant_time_equal("signature", "signature"));
  EXPECT_FALSE(constant_time_equal("signature", "signaturE"));
  EXPECT_FALSE(constant_time_equal("Signature", "signature"));
  EXPECT_FALSE(constant_time_equal("sig", "signature"));
  EXPECT_FALSE(constant_time_equal("signature", ""));
  EXPECT_TRUE(constant_time_equal(std::string("a\0b", 3), std::string("a\0b", 3)));
  EXPECT_FALSE(constant_time_equal(std::string("a\0b", 3), std::string("a\0c", 3)));
}

}  // namespace
}  // namespace llamachat::util
