#pragma once
// Proxy settings: which hosts bypass the proxy, and reading HTTPS_PROXY / NO_PROXY from the environment.
#include <string>
#include <string_view>
#include <vector>

#include "http/client/client.hpp"
#include "util/environment.hpp"

namespace llamachat::http {

// True when `host` must be reached directly. Entries (case-insensitive, surrounding blanks ignored):
// "*" matches every host; ".example.com" matches example.com and any subdomain; "example.com" matches
// example.com and any subdomain; IP literals match exactly ("[::1]" and "::1" are the same). A ":port"
// suffix on a name entry is ignored. Empty entries are skipped.
bool bypasses_proxy(const std::vector<std::string>& no_proxy, std::string_view host) noexcept;

// Splits a NO_PROXY value at commas (and blanks) into entries.
std::vector<std::string> split_no_proxy(std::string_view value);

// Returns `base` with proxy/no_proxy taken from HTTPS_PROXY (else https_proxy) and NO_PROXY (else
// no_proxy). A proxy value without a scheme is taken as http://; only http:// proxies are supported
// (the tunnel to the proxy itself is plain TCP). An empty or unusable HTTPS_PROXY leaves base.proxy
// unchanged and, when unusable, a warning is logged (without the value, which may hold credentials).
ClientOptions proxy_options_from_environment(const util::Environment& env, ClientOptions base = {});

}  // namespace llamachat::http
