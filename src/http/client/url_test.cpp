#include <gtest/gtest.h>

#include "http/client/client.hpp"

namespace llamachat::http {
namespace {

TEST(Url, ParsesSchemeHostPortAndPath) {
  auto url = Url::parse("https://bedrock-runtime.us-east-1.amazonaws.com/model/x/invoke?a=b");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->scheme, "https");
  EXPECT_EQ(url->host, "bedrock-runtime.us-east-1.amazonaws.com");
  EXPECT_EQ(url->port, 443);
  EXPECT_EQ(url->path, "/model/x/invoke?a=b");
  EXPECT_TRUE(url->tls());

  auto plain = Url::parse("http://169.254.169.254");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->port, 80);
  EXPECT_EQ(plain->path, "");
  EXPECT_FALSE(plain->tls());
}

TEST(Url, ExplicitPortAndCaseFolding) {
  auto url = Url::parse("HTTP://LocalHost:8080/Path");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->scheme, "http");
  EXPECT_EQ(url->host, "localhost");
  EXPECT_EQ(url->port, 8080);
  EXPECT_EQ(url->path, "/Path");  // the path is case-sensitive and kept as written
}

TEST(Url, Ipv6Literals) {
  auto url = Url::parse("https://[::1]:8443/x");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, 8443);
  EXPECT_EQ(url->host_header(), "[::1]:8443");
  EXPECT_EQ(url->origin(), "https://[::1]:8443");

  auto default_port = Url::parse("http://[fe80::1]");
  ASSERT_TRUE(default_port);
  EXPECT_EQ(default_port->host_header(), "[fe80::1]");
}

TEST(Url, HostHeaderOmitsDefaultPortOriginAlwaysHasIt) {
  EXPECT_EQ(Url::parse("https://example.com/")->host_header(), "example.com");
  EXPECT_EQ(Url::parse("https://example.com:444/")->host_header(), "example.com:444");
  EXPECT_EQ(Url::parse("http://example.com:443/")->host_header(), "example.com:443");
  EXPECT_EQ(Url::parse("https://example.com/")->origin(), "https://example.com:443");
  EXPECT_EQ(Url::parse("http://example.com/")->origin(), "http://example.com:80");
}

TEST(Url, QueryWithoutPathGetsSlashAndFragmentIsDropped) {
  EXPECT_EQ(Url::parse("http://h?x=1")->path, "/?x=1");
  EXPECT_EQ(Url::parse("http://h/p#frag")->path, "/p");
}

TEST(Url, RejectsEverythingElse) {
  for (const char* bad :
       {"", "example.com", "ftp://example.com", "https://", "https://:443", "https://h:", "https://h:0",
        "https://h:65536", "https://h:12x", "https://user@h/", "https://[::1/", "https://[::1]x", "https://[]/",
        "https://h/a b", "https://h/\r\n", "https://ex ample.com", "https//h"}) {
    EXPECT_FALSE(Url::parse(bad)) << bad;
  }
}

TEST(FindHeader, IsCaseInsensitiveAndReturnsFirstMatch) {
  const HeaderList headers{{"Content-Type", "application/json"}, {"x-amzn-requestid", "1"}, {"X-Amzn-RequestId", "2"}};
  EXPECT_EQ(find_header(headers, "content-type"), "application/json");
  EXPECT_EQ(find_header(headers, "X-AMZN-REQUESTID"), "1");
  EXPECT_EQ(find_header(headers, "missing"), "");
  EXPECT_EQ(find_header(headers, "content-typ"), "");
}

}  // namespace
}  // namespace llamachat::http
