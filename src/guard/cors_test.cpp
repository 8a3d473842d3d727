#include "guard/cors.hpp"

#include <gtest/gtest.h>

namespace llamachat::guard {
namespace {

TEST(CorsPolicy, OffWhenNoOriginIsListed) {
  auto parsed = CorsPolicy::parse(" , ");
  ASSERT_TRUE(std::holds_alternative<CorsPolicy>(parsed));
  EXPECT_FALSE(std::get<CorsPolicy>(parsed).enabled());
  EXPECT_FALSE(CorsPolicy().allows("https://app.example.com"));
}

TEST(CorsPolicy, AllowsOnlyListedOrigins) {
  auto parsed = CorsPolicy::parse("https://app.example.com, http://localhost:3000");
  ASSERT_TRUE(std::holds_alternative<CorsPolicy>(parsed));
  const auto& policy = std::get<CorsPolicy>(parsed);
  EXPECT_TRUE(policy.enabled());
  EXPECT_TRUE(policy.allows("https://app.example.com"));
  EXPECT_TRUE(policy.allows("HTTPS://App.Example.com"));
  EXPECT_TRUE(policy.allows("http://localhost:3000"));
  EXPECT_FALSE(policy.allows("http://app.example.com"));
  EXPECT_FALSE(policy.allows("https://app.example.com.evil.test"));
  EXPECT_FALSE(policy.allows("null"));
  EXPECT_FALSE(policy.allows(""));
}

TEST(CorsPolicy, RefusesWildcardsAndNonOrigins) {
  for (const char* bad : {"*", "app.example.com", "https://app.example.com/path", "https://", "ftp://example.com"}) {
    auto parsed = CorsPolicy::parse(bad);
    ASSERT_TRUE(std::holds_alternative<std::string>(parsed)) << bad;
    EXPECT_NE(std::get<std::string>(parsed).find(bad), std::string::npos);
  }
}

}  // namespace
}  // namespace llamachat::guard
