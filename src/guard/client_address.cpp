#include "guard/client_address.hpp"

#include <array>
#include <charconv>

#include "util/strings.hpp"

namespace llamachat::guard {
namespace {

// The address's bytes in network order (4 or 16) after unmapping.
struct Bytes {
  std::array<unsigned char, 16> data{};
  unsigned bits = 0;  // 32 or 128
};

Bytes bytes_of(const Address& address) noexcept {
  Bytes out;
  const Address plain = unmapped(address);
  if (plain.is_v4()) {
    const auto v4 = plain.to_v4().to_bytes();
    std::copy(v4.begin(), v4.end(), out.data.begin());
    out.bits = 32;
  } else {
    const auto v6 = plain.to_v6().to_bytes();
    std::copy(v6.begin(), v6.end(), out.data.begin());
    out.bits = 128;
  }
  return out;
}

// True when the first `prefix` bits of a and b are equal.
bool same_prefix(const Bytes& a, const Bytes& b, unsigned prefix) noexcept {
  const unsigned whole = prefix / 8;
  for (unsigned i = 0; i < whole; ++i)
    if (a.data[i] != b.data[i]) return false;
  const unsigned rest = prefix % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<unsigned char>(0xFF << (8 - rest));
  return (a.data[whole] & mask) == (b.data[whole] & mask);
}

std::optional<Address> parse_address(std::string_view text) noexcept {
  boost::system::error_code ec;
  const Address address = boost::asio::ip::make_address(std::string(text), ec);
  if (ec) return std::nullopt;
  return address;
}

}  // namespace

Address unmapped(const Address& address) noexcept {
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6());
  return address;
}

std::optional<Cidr> parse_cidr(std::string_view text) {
  text = util::trim(text, util::http_whitespace);
  const std::size_t slash = text.find('/');
  const auto address = parse_address(text.substr(0, slash));
  if (!address) return std::nullopt;
  const Address plain = unmapped(*address);
  const unsigned max_prefix = plain.is_v4() ? 32 : 128;
  unsigned prefix = max_prefix;
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (digits.empty() || ec != std::errc() || ptr != digits.data() + digits.size() || prefix > max_prefix)
      return std::nullopt;
  }
  // Clear the host bits, so that "10.1.2.3/8" means 10.0.0.0/8.
  Bytes bytes = bytes_of(plain);
  for (unsigned bit = prefix; bit < bytes.bits; ++bit)
    bytes.data[bit / 8] &= static_cast<unsigned char>(~(0x80u >> (bit % 8)));
  Address network;
  if (plain.is_v4()) {
    boost::asio::ip::address_v4::bytes_type v4{};
    std::copy_n(bytes.data.begin(), 4, v4.begin());
    network = boost::asio::ip::address_v4(v4);
  } else {
    network = boost::asio::ip::address_v6(bytes.data);
  }
  return Cidr{network, prefix};
}

bool contains(const Cidr& range, const Address& address) noexcept {
  const Bytes a = bytes_of(range.network);
  const Bytes b = bytes_of(address);
  return a.bits == b.bits && same_prefix(a, b, range.prefix);
}

std::variant<TrustedProxies, std::string> TrustedProxies::parse(std::string_view list) {
  TrustedProxies proxies;
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    const std::string_view item = util::trim(list.substr(0, comma), util::http_whitespace);
    if (!item.empty()) {
      const auto range = parse_cidr(item);
      if (!range) return "'" + std::string(item) + "' is not an IP address or CIDR range";
      proxies.ranges_.push_back(*range);
    }
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return proxies;
}

bool TrustedProxies::trusts(const Address& address) const noexcept {
  for (const Cidr& range : ranges_)
    if (contains(range, address)) return true;
  return false;
}

Address client_address(const Address& peer, std::string_view forwarded_for, const TrustedProxies& proxies) {
  Address client = unmapped(peer);
  if (!proxies.trusts(client)) return client;
  // Right to left: each trusted hop vouches for the entry to its left.
  while (!forwarded_for.empty()) {
    const std::size_t comma = forwarded_for.rfind(',');
    const std::string_view item = util::trim(
        comma == std::string_view::npos ? forwarded_for : forwarded_for.substr(comma + 1), util::http_whitespace);
    forwarded_for = comma == std::string_view::npos ? std::string_view() : forwarded_for.substr(0, comma);
    if (item.empty()) continue;
    const auto address = parse_address(item);
    if (!address) return client;  // the trusted hop reported garbage: the hop itself is all we know
    client = unmapped(*address);
    if (!proxies.trusts(client)) return client;
  }
  return client;
}

}  // namespace llamachat::guard
