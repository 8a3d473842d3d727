#pragma once
// Who the client is when requests may come through proxies: CIDR ranges of trusted proxies and the
// selection of the client's address from X-Forwarded-For. Pure; never throws.
#include <boost/asio/ip/address.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace llamachat::guard {

using Address = boost::asio::ip::address;

// An IPv4 or IPv6 network: "10.0.0.0/8", "2001:db8::/32", or one address ("192.0.2.7" = /32, "::1" = /128).
struct Cidr {
  Address network;      // with the host bits cleared
  unsigned prefix = 0;  // 0-32 (IPv4) or 0-128 (IPv6)
};

std::optional<Cidr> parse_cidr(std::string_view text);
// IPv4-mapped IPv6 addresses (::ffff:192.0.2.7, what a dual-stack socket reports) count as their IPv4 address.
bool contains(const Cidr& range, const Address& address) noexcept;
// `address` with an IPv4-mapped IPv6 address turned into its IPv4 address.
Address unmapped(const Address& address) noexcept;

class TrustedProxies {
 public:
  // LLAMACHAT_TRUSTED_PROXIES: comma-separated addresses or CIDRs; an error message names a bad item.
  static std::variant<TrustedProxies, std::string> parse(std::string_view list);

  bool empty() const noexcept { return ranges_.empty(); }
  bool trusts(const Address& address) const noexcept;

 private:
  std::vector<Cidr> ranges_;
};

// The client's address: the TCP peer, unless the peer is a trusted proxy; then X-Forwarded-For (all of its
// fields joined by ',') is read from the right and the first address that is not a trusted proxy is the
// client (the entries to its left were written by the client or untrusted hops and can be forged). When
// every entry is trusted, the left-most one; when the first untrusted entry is not an address, the
// trusted hop that reported it.
Address client_address(const Address& peer, std::string_view forwarded_for, const TrustedProxies& proxies);

}  // namespace llamachat::guard
