#include "util/hex.hpp"

namespace llamachat::util {

void to_hex(std::span<const unsigned char> bytes, char* out) noexcept {
  static constexpr char digits[] = "0123456789abcdef";
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    out[2 * i] = digits[bytes[i] >> 4];
    out[2 * i + 1] = digits[bytes[i] & 0x0f];
  }
}

std::string to_hex(std::span<const unsigned char> bytes) {
  std::string out(bytes.size() * 2, '\0');
  to_hex(bytes, out.data());
  return out;
}

}  // namespace llamachat::util
