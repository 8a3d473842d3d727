#include "guard/client_address.hpp"

#include <gtest/gtest.h>

namespace llamachat::guard {
namespace {

Address ip(const char* text) { return boost::asio::ip::make_address(text); }

TrustedProxies proxies(std::string_view list) {
  auto parsed = TrustedProxies::parse(list);
  EXPECT_TRUE(std::holds_alternative<TrustedProxies>(parsed)) << list;
  return std::get<TrustedProxies>(parsed);
}

TEST(ParseCidr, ReadsIpv4AndIpv6RangesAndSingleAddresses) {
  const auto v4 = parse_cidr("10.1.2.3/8");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->network, ip("10.0.0.0"));
  EXPECT_EQ(v4->prefix, 8u);
  const auto one = parse_cidr(" 192.0.2.7 ");
  ASSERT_TRUE(one);
  EXPECT_EQ(one->prefix, 32u);
  const auto v6 = parse_cidr("2001:db8:abcd::1/33");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->network, ip("2001:db8:8000::"));
  EXPECT_EQ(v6->prefix, 33u);
  EXPECT_EQ(parse_cidr("::1")->prefix, 128u);
}

TEST(ParseCidr, RefusesMalformedRanges) {
  for (const char* bad : {"", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/x", "10.0.0/8", "example.com",
                          "10.0.0.0/8/8", "10.0.0.0/-1"})
    EXPECT_FALSE(parse_cidr(bad)) << bad;
}

TEST(Contains, MatchesOnThePrefixBitsOnly) {
  const Cidr range = *parse_cidr("192.168.4.0/22");
  EXPECT_TRUE(contains(range, ip("192.168.4.0")));
  EXPECT_TRUE(contains(range, ip("192.168.7.255")));
  EXPECT_FALSE(contains(range, ip("192.168.8.0")));
  EXPECT_FALSE(contains(range, ip("192.168.3.255")));
  EXPECT_TRUE(contains(*parse_cidr("0.0.0.0/0"), ip("203.0.113.9")));
  EXPECT_FALSE(contains(*parse_cidr("0.0.0.0/0"), ip("2001:db8::1")));
  EXPECT_TRUE(contains(*parse_cidr("fd00::/8"), ip("fd12:3456::1")));
  EXPECT_FALSE(contains(*parse_cidr("fd00::/8"), ip("fe80::1")));
}

TEST(Contains, TreatsIpv4MappedIpv6AsIpv4) { EXPECT_TRUE(contains(*parse_cidr("10.0.0.0/8"), ip("::ffff:10.9.8.7"))); }

TEST(TrustedProxies, ParsesListsAndNamesTheBadItem) {
  EXPECT_TRUE(proxies("").empty());
  const auto list = proxies("10.0.0.0/8, 2001:db8::1");
  EXPECT_TRUE(list.trusts(ip("10.2.3.4")));
  EXPECT_TRUE(list.trusts(ip("2001:db8::1")));
  EXPECT_FALSE(list.trusts(ip("2001:db8::2")));
  const auto bad = TrustedProxies::parse("10.0.0.0/8, proxy.internal");
  ASSERT_TRUE(std::holds_alternative<std::string>(bad));
  EXPECT_NE(std::get<std::string>(bad).find("proxy.internal"), std::string::npos);
}

TEST(ClientAddress, IgnoresForwardedForFromAnUntrustedPeer) {
  EXPECT_EQ(client_address(ip("203.0.113.5"), "198.51.100.1", proxies("")), ip("203.0.113.5"));
  EXPECT_EQ(client_address(ip("203.0.113.5"), "198.51.100.1", proxies("10.0.0.0/8")), ip("203.0.113.5"));
}

TEST(ClientAddress, TakesTheRightMostUntrustedEntry) {
  const auto trusted = proxies("10.0.0.0/8");
  // The client forged 1.1.1.1; the trusted proxies appended what they saw.
  EXPECT_EQ(client_address(ip("10.0.0.2"), "1.1.1.1, 198.51.100.7, 10.0.0.1", trusted), ip("198.51.100.7"));
  EXPECT_EQ(client_address(ip("10.0.0.2"), "198.51.100.7", trusted), ip("198.51.100.7"));
  EXPECT_EQ(client_address(ip("::ffff:10.0.0.2"), "2001:db8::9", trusted), ip("2001:db8::9"));
}

TEST(ClientAddress, FallsBackToTheLastTrustedHop) {
  const auto trusted = proxies("10.0.0.0/8");
  EXPECT_EQ(client_address(ip("10.0.0.2"), "", trusted), ip("10.0.0.2"));
  EXPECT_EQ(client_address(ip("10.0.0.2"), "10.0.0.9, 10.0.0.1", trusted), ip("10.0.0.9"));
  EXPECT_EQ(client_address(ip("10.0.0.2"), "198.51.100.7, garbage, 10.0.0.1", trusted), ip("10.0.0.1"));
}

}  // namespace
}  // namespace llamachat::guard
