// Url and header helpers of client.hpp: pure code, never throws past its boundary.
#include <algorithm>
#include <cctype>
#include <charconv>

#include "http/client/client.hpp"
#include "util/strings.hpp"

namespace llamachat::http {
namespace {

std::uint16_t default_port(std::string_view scheme) noexcept { return scheme == "https" ? 443 : 80; }

// Registered-name characters we accept in a host (RFC 3986 unreserved plus a few sub-delims); no
// userinfo, no percent-encoding: upstream hosts are plain DNS names or IP literals.
bool valid_reg_name(std::string_view host) noexcept {
  if (host.empty()) return false;
  return std::all_of(host.begin(), host.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.' || c == '_' || c == '~';
  });
}

bool valid_ipv6_literal(std::string_view host) noexcept {
  if (host.size() < 2) return false;
  return std::all_of(host.begin(), host.end(),
                     [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0 || c == ':' || c == '.'; });
}

std::string bracketed(const std::string& host) {
  if (host.find(':') != std::string::npos) return "[" + host + "]";
  return host;
}

}  // namespace

std::string Url::host_header() const {
  std::string out = bracketed(host);
  if (port != default_port(scheme)) {
    out += ':';
    out += std::to_string(port);
  }
  return out;
}

std::string Url::origin() const { return scheme + "://" + bracketed(host) + ":" + std::to_string(port); }

std::optional<Url> Url::parse(std::string_view text) {
  Url url;
  const auto sep = text.find("://");
  if (sep == std::string_view::npos) return std::nullopt;
  for (char c : text.substr(0, sep)) url.scheme += util::ascii_lower(c);
  if (url.scheme != "http" && url.scheme != "https") return std::nullopt;
  std::string_view rest = text.substr(sep + 3);

  const auto path_start = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, path_start);
  if (path_start != std::string_view::npos) {
    std::string_view path = rest.substr(path_start);
    path = path.substr(0, path.find('#'));  // fragments never go on the wire
    if (!path.empty() && path.front() == '?') {
      url.path = "/";
    }
    url.path += path;
    if (std::any_of(url.path.begin(), url.path.end(),
                    [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; })) {
      return std::nullopt;
    }
  }

  std::string_view host;
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = authority.substr(1, close - 1);
    if (!valid_ipv6_literal(host)) return std::nullopt;
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::nullopt;
      port_text = after.substr(1);
      if (port_text.empty()) return std::nullopt;
    }
  } else {
    const auto colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return std::nullopt;
    }
    if (!valid_reg_name(host)) return std::nullopt;
  }

  if (port_text.empty()) {
    url.port = default_port(url.scheme);
  } else {
    unsigned value = 0;
    const auto* end = port_text.data() + port_text.size();
    const auto [ptr, ec] = std::from_chars(port_text.data(), end, value);
    if (ec != std::errc{} || ptr != end || value == 0 || value > 65535) return std::nullopt;
    url.port = static_cast<std::uint16_t>(value);
  }
  for (char c : host) url.host += util::ascii_lower(c);
  return url;
}

std::string_view find_header(const HeaderList& headers, std::string_view name) noexcept {
  for (const auto& [key, value] : headers) {
    if (util::iequals(key, name)) return value;
  }
  return {};
}

}  // namespace llamachat::http
