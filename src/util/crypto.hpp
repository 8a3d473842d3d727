#pragma once
// SHA-256, HMAC-SHA-256 and CRC-32 over OpenSSL and zlib. Pure functions; never throw.
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace llamachat::util {

using Sha256Digest = std::array<unsigned char, 32>;

Sha256Digest sha256(std::string_view data) noexcept;
std::string sha256_hex(std::string_view data);
Sha256Digest hmac_sha256(std::span<const unsigned char> key, std::string_view data) noexcept;
inline Sha256Digest hmac_sha256(std::string_view key, std::string_view data) noexcept {
  return hmac_sha256(std::span(reinterpret_cast<const unsigned char*>(key.data()), key.size()), data);
}

// Standard CRC-32 (the zlib/gzip polynomial); `seed` continues an earlier checksum.
std::uint32_t crc32(std::span<const unsigned char> data, std::uint32_t seed = 0) noexcept;
inline std::uint32_t crc32(std::string_view data, std::uint32_t seed = 0) noexcept {
  return crc32(std::span(reinterpret_cast<const unsigned char*>(data.data()), data.size()), seed);
}

// Constant-time comparison for secrets such as signatures and API keys.
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

}  // namespace llamachat::util
