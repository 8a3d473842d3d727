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
  std::string provider;  // which provider supplied them ("environment", "profile:dev", "container", ...)
};

}  // namespace llamachat::aws
