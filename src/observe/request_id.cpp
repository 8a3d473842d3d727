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

void assign_request_id(std::string& id, std::string_view incoming) {
  if (acceptable_request_id(incoming)) {
    id.assign(incoming);
    return;
  }
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char hex[] = "0123456789abcdef";
  id.assign(16, '0');
  std::uint64_t v = rng();
  for (char& c : id) {
    c = hex[v & 0xf];
    v >>= 4;
  }
}

}  // namespace llamachat::observe
