#include "guard/api_keys.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace llamachat::guard {
namespace {

using Keys = std::vector<std::string>;

TEST(ParseKeyList, TrimsAndSkipsEmptyItems) {
  EXPECT_EQ(parse_key_list(" alpha, beta ,,gamma,"), (Keys{"alpha", "beta", "gamma"}));
  EXPECT_TRUE(parse_key_list("").empty());
  EXPECT_TRUE(parse_key_list(" , ").empty());
}

TEST(ParseKeyFile, OneKeyPerLineIgnoringBlankLinesAndComments) {
  const std::string text = "# production keys\nalpha\n\n  beta  \r\n   # indented comment\ngamma";
  EXPECT_EQ(parse_key_file(text), (Keys{"alpha", "beta", "gamma"}));
  EXPECT_TRUE(parse_key_file("# only a comment\n\n").empty());
}

TEST(BearerToken, AcceptsTheBearerSchemeInAnyCase) {
  EXPECT_EQ(bearer_token("Bearer sk-123"), "sk-123");
  EXPECT_EQ(bearer_token("bearer  sk-123 "), "sk-123");
  EXPECT_EQ(bearer_token("BEARER\tsk-123"), "sk-123");
}

TEST(BearerToken, RefusesOtherSchemesAndEmptyTokens) {
  EXPECT_EQ(bearer_token("Basic dXNlcjpwYXNz"), std::nullopt);
  EXPECT_EQ(bearer_token("Bearer"), std::nullopt);
  EXPECT_EQ(bearer_token("Bearer   "), std::nullopt);
  EXPECT_EQ(bearer_token("Bearersk-123"), std::nullopt);
  EXPECT_EQ(bearer_token(""), std::nullopt);
}

TEST(ApiKeys, MatchesConfiguredKeysOnly) {
  const ApiKeys keys(Keys{"alpha", "beta"});
  EXPECT_EQ(keys.size(), 2u);
  ASSERT_TRUE(keys.match("beta"));
  EXPECT_EQ(*keys.match("beta"), util::sha256("beta"));
  EXPECT_FALSE(keys.match("bet"));
  EXPECT_FALSE(keys.match("betaa"));
  EXPECT_FALSE(keys.match(""));
  EXPECT_TRUE(ApiKeys().empty());
  EXPECT_FALSE(ApiKeys().match("alpha"));
}

// Timing safety by construction: whatever is presented, the digest is compared with every stored digest,
// in order, and never the raw key bytes.
TEST(ApiKeys, ComparesEveryStoredDigestWithoutStoppingAtAMatch) {
  std::vector<util::Sha256Digest> compared;
  const auto counting = [&](const util::Sha256Digest& presented, const util::Sha256Digest& stored) {
    EXPECT_EQ(presented.size(), 32u);
    compared.push_back(stored);
    return digests_equal(presented, stored);
  };
  const ApiKeys keys(Keys{"first", "second", "third"}, counting);
  const std::vector<util::Sha256Digest> all{util::sha256("first"), util::sha256("second"), util::sha256("third")};

  for (const std::string presented : {"first", "second", "third", "wrong", "a much longer wrong key"}) {
    compared.clear();
    (void)keys.match(presented);
    EXPECT_EQ(compared, all) << presented;
  }
}

TEST(DigestsEqual, DetectsADifferenceInAnyByte) {
  const util::Sha256Digest a = util::sha256("alpha");
  EXPECT_TRUE(digests_equal(a, a));
  for (std::size_t i = 0; i < a.size(); ++i) {
    util::Sha256Digest b = a;
    b[i] ^= 0x01;
    EXPECT_FALSE(digests_equal(a, b)) << i;
  }
}

}  // namespace
}  // namespace llamachat::guard
