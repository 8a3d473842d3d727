#pragma once
// Lower-case hexadecimal encoding.
#include <span>
#include <string>
#include <string_view>

namespace llamachat::util {

std::string to_hex(std::span<const unsigned char> bytes);
// Writes 2 * bytes.size() characters at `out` (no terminator).
void to_hex(std::span<const unsigned char> bytes, char* out) noexcept;
inline std::string to_hex(std::string_view bytes) {
  return to_hex(std::span(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()));
}

}  // namespace llamachat::util
