#include "http/client/proxy_config.hpp"

#include <gtest/gtest.h>

#include <map>

#include "support/environment.hpp"

namespace llamachat::http {
namespace {

TEST(NoProxy, ExactSuffixAndWildcard) {
  const std::vector<std::string> list{"localhost", ".internal.example", "amazonaws.com", " 10.0.0.1 ", "[::1]"};
  EXPECT_TRUE(bypasses_proxy(list, "localhost"));
  EXPECT_TRUE(bypasses_proxy(list, "LOCALHOST"));
  EXPECT_FALSE(bypasses_proxy(list, "notlocalhost"));
  EXPECT_TRUE(bypasses_proxy(list, "a.internal.example"));
  EXPECT_TRUE(bypasses_proxy(list, "internal.example"));
  EXPECT_FALSE(bypasses_proxy(list, "xinternal.example"));
  EXPECT_TRUE(bypasses_proxy(list, "bedrock-runtime.us-east-1.amazonaws.com"));
  EXPECT_TRUE(bypasses_proxy(list, "amazonaws.com"));
  EXPECT_FALSE(bypasses_proxy(list, "notamazonaws.com"));
  EXPECT_TRUE(bypasses_proxy(list, "10.0.0.1"));
  EXPECT_FALSE(bypasses_proxy(list, "10.0.0.10"));
  EXPECT_TRUE(bypasses_proxy(list, "::1"));
  EXPECT_FALSE(bypasses_proxy({}, "localhost"));
  EXPECT_TRUE(bypasses_proxy({"*"}, "anything.example"));
  EXPECT_TRUE(bypasses_proxy({"example.com:443"}, "example.com"));
}

TEST(NoProxy, SplitsAtCommasAndBlanks) {
  EXPECT_EQ(split_no_proxy("a.com, .b.com,,c.com d.com"),
            (std::vector<std::string>{"a.com", ".b.com", "c.com", "d.com"}));
  EXPECT_TRUE(split_no_proxy("").empty());
}

TEST(ProxyFromEnvironment, ReadsUpperCaseFirst) {
  auto options = proxy_options_from_environment(test::map_environment(
      {{"HTTPS_PROXY", "http://proxy.corp:3128"}, {"https_proxy", "http://other:1"}, {"NO_PROXY", "localhost,.corp"}}));
  ASSERT_TRUE(options.proxy);
  EXPECT_EQ(options.proxy->host, "proxy.corp");
  EXPECT_EQ(options.proxy->port, 3128);
  EXPECT_EQ(options.no_proxy, (std::vector<std::string>{"localhost", ".corp"}));
}

TEST(ProxyFromEnvironment, LowerCaseAndSchemeLessValues) {
  auto options =
      proxy_options_from_environment(test::map_environment({{"https_proxy", " proxy:8080 "}, {"no_proxy", "*"}}));
  ASSERT_TRUE(options.proxy);
  EXPECT_EQ(options.proxy->scheme, "http");
  EXPECT_EQ(options.proxy->host, "proxy");
  EXPECT_EQ(options.proxy->port, 8080);
  EXPECT_EQ(options.no_proxy, (std::vector<std::string>{"*"}));
}

TEST(ProxyFromEnvironment, UnsetOrUnusableLeavesBase) {
  ClientOptions base;
  base.max_idle_per_origin = 7;
  auto none = proxy_options_from_environment(test::map_environment({}), base);
  EXPECT_FALSE(none.proxy);
  EXPECT_TRUE(none.no_proxy.empty());
  EXPECT_EQ(none.max_idle_per_origin, 7u);

  EXPECT_FALSE(proxy_options_from_environment(test::map_environment({{"HTTPS_PROXY", "https://proxy:443"}})).proxy);
  EXPECT_FALSE(
      proxy_options_from_environment(test::map_environment({{"HTTPS_PROXY", "http://user:pw@proxy:1"}})).proxy);
  EXPECT_FALSE(proxy_options_from_environment(test::map_environment({{"HTTPS_PROXY", "   "}})).proxy);
  // An empty upper-case variable does not hide the lower-case one.
  EXPECT_TRUE(
      proxy_options_from_environment(test::map_environment({{"HTTPS_PROXY", ""}, {"https_proxy", "p:1"}})).proxy);
}

}  // namespace
}  // namespace llamachat::http
