#pragma once
// Lower-case hexadecimal encoding.
#include <span>
#include <string>
#include <string_view>

namespace llamachat::util {

std::string to_hex(std::span<const unsigned char> bytes);
inline std::string to_hex(std::string_view bytes) {
  return to_hex(std::span(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()));
}

}  // namespace llamachat::util
