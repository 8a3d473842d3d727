#pragma once
// CORS (https://fetch.spec.whatwg.org/#http-cors-protocol): off unless origins are listed; then only a listed
// Origin is reflected, never "*". Pure; never throws.
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace llamachat::guard {

// What a preflight allows: the API's methods and the headers a browser client sends.
inline constexpr std::string_view kCorsAllowMethods = "GET, POST, OPTIONS";
inline constexpr std::string_view kCorsAllowHeaders = "Authorization, Content-Type, Accept";
inline constexpr std::string_view kCorsMaxAgeSeconds = "600";

class CorsPolicy {
 public:
  CorsPolicy() = default;
  // LLAMACHAT_CORS_ORIGINS: comma-separated origins such as https://app.example.com (scheme://host[:port], no
  // path). An error message names a bad item; "*" is refused on purpose (a key-protected API for any site).
  static std::variant<CorsPolicy, std::string> parse(std::string_view list);

  bool enabled() const noexcept { return !origins_.empty(); }
  // True when `origin` (the request's Origin header) is listed; origins compare as ASCII case-insensitive.
  bool allows(std::string_view origin) const noexcept;

 private:
  std::vector<std::string> origins_;
};

}  // namespace llamachat::guard
