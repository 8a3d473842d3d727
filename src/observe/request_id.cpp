#include "observe/request_id.hpp"

#include <cstdint>
#include <random>

namespace llamachat::observe {

bool acceptable_request_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > kMaxRequestIdLength) return false;
  for (const char c : id) {
    const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                      c == '_' || c == ':' || c == '-';
    if (!safe) return false;
  }
  return true;
}

std::string generate_request_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char hex[] = "0123456789abcdef";
  std::string id(16, '0');
  std::uint64_t v = rng();
  for (char& c : id) {
    c = hex[v & 0xf];
    v >>= 4;
  }
  return id;
}

std::string request_id_for(std::string_view incoming) {
  if (acceptable_request_id(incoming)) return std::string(incoming);
  return generate_request_id();
}

}  // namespace llamachat::observe
