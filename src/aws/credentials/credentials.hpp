#pragma once
// AWS credentials as a plain value. Never log or print the secret parts.
#include <chrono>
#include <optional>
#include <string>

namespace llamachat::aws {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty for long-term keys
  std::optional<std::chrono::system_clock::time_point> expiration;
  // Which provider supplied them ("environment", "profile:dev", "web-identity", "container", "imds"). Set by
  // that provider and kept by the chain and the cache in front of it, so that a service refusing these
  // credentials can be reported with their real source.
  std::string provider;
};

}  // namespace llamachat::aws
