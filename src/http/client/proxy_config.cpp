#include "http/client/proxy_config.hpp"

#include "util/log.hpp"
#include "util/strings.hpp"

namespace llamachat::http {
namespace {

bool ends_with(std::string_view s, std::string_view suffix) noexcept {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Normalises an entry: strips IPv6 brackets, drops a ":port" suffix from names and IPv4 literals.
std::string normalise_entry(std::string entry) {
  if (!entry.empty() && entry.front() == '[') {
    const auto close = entry.find(']');
    return close == std::string::npos ? entry.substr(1) : entry.substr(1, close - 1);
  }
  const auto colon = entry.find(':');
  if (colon != std::string::npos && entry.find(':', colon + 1) == std::string::npos) entry.resize(colon);
  return entry;
}

std::optional<std::string> first_set(const util::Environment& env, const char* upper, const char* lower) {
  for (const char* name : {upper, lower}) {
    auto value = env(name);
    if (value && !util::trim(*value, util::http_whitespace).empty()) return value;
  }
  return std::nullopt;
}

}  // namespace

bool bypasses_proxy(const std::vector<std::string>& no_proxy, std::string_view host_in) noexcept {
  try {
    std::string host = normalise_entry(util::to_lower(util::trim(host_in, util::http_whitespace)));
    while (!host.empty() && host.back() == '.') host.pop_back();  // "example.com." is example.com
    for (const auto& raw : no_proxy) {
      std::string entry = normalise_entry(util::to_lower(util::trim(raw, util::http_whitespace)));
      if (entry.empty()) continue;
      if (entry == "*") return true;
      if (entry.front() == '.') {
        if (host == std::string_view(entry).substr(1) || ends_with(host, entry)) return true;
      } else if (host == entry || ends_with(host, "." + entry)) {
        return true;
      }
    }
  } catch (...) {
    // Allocation failure only; going through the proxy is the safe default.
  }
  return false;
}

std::vector<std::string> split_no_proxy(std::string_view value) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= value.size()) {
    auto end = value.find_first_of(", \t", start);
    if (end == std::string_view::npos) end = value.size();
    if (end > start) out.emplace_back(value.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

ClientOptions proxy_options_from_environment(const util::Environment& env, ClientOptions base) {
  if (auto proxy = first_set(env, "HTTPS_PROXY", "https_proxy")) {
    // first_set() only returns values with a non-blank character.
    std::string text(util::trim(*proxy, util::http_whitespace));
    if (text.find("://") == std::string::npos) text = "http://" + text;
    auto url = Url::parse(text);
    if (url && url->scheme == "http") {
      url->path.clear();
      base.proxy = std::move(*url);
    } else {
      util::log_warn(
          "HTTPS_PROXY is not an http://host[:port] URL (user info and https:// proxies are not "
          "supported); connecting directly");
    }
  }
  if (auto no_proxy = first_set(env, "NO_PROXY", "no_proxy")) base.no_proxy = split_no_proxy(*no_proxy);
  return base;
}

}  // namespace llamachat::http
