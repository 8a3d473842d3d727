#include "util/crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <zlib.h>

#include <array>
#include <cstring>
#include <limits>

#include "util/hex.hpp"

namespace llamachat::util {
// SHA-256 through OpenSSL's low-level functions, on purpose. In OpenSSL 3 the one-shot SHA256() and
// HMAC() look the algorithm up by name on every call (a fetch with a lock and reference counting), and
// every EVP digest initialisation allocates a fresh provider context: several allocations per SigV4
// signature, more than the hashing itself costs. SHA256_Init/Update/Final run the same assembly with the
// state on the stack. They are deprecated in OpenSSL 3 in favour of EVP (for provider selection such as
// FIPS); SigV4 needs plain SHA-256 only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

Sha256Digest sha256(std::string_view data) noexcept {
  Sha256Digest out{};
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, data.data(), data.size());
  SHA256_Final(out.data(), &ctx);
  OPENSSL_cleanse(&ctx, sizeof ctx);
  return out;
}

std::string sha256_hex(std::string_view data) { return to_hex(sha256(data)); }

// RFC 2104 (the same result as HMAC(EVP_sha256(), ...)).
Sha256Digest hmac_sha256(std::span<const unsigned char> key, std::string_view data) noexcept {
  constexpr std::size_t kBlock = 64;  // SHA-256 block size
  std::array<unsigned char, kBlock> block{};
  if (key.size() > kBlock) {
    SHA256(key.data(), key.size(), block.data());
  } else if (!key.empty()) {
    std::memcpy(block.data(), key.data(), key.size());
  }
  std::array<unsigned char, kBlock> pad{};
  Sha256Digest inner{}, out{};
  SHA256_CTX ctx;
  for (std::size_t i = 0; i < kBlock; ++i) pad[i] = block[i] ^ 0x36;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, pad.data(), pad.size());
  SHA256_Update(&ctx, data.data(), data.size());
  SHA256_Final(inner.data(), &ctx);
  for (std::size_t i = 0; i < kBlock; ++i) pad[i] = block[i] ^ 0x5c;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, pad.data(), pad.size());
  SHA256_Update(&ctx, inner.data(), inner.size());
  SHA256_Final(out.data(), &ctx);
  // The padded blocks and the digest state are key material (SigV4 keys are secrets).
  OPENSSL_cleanse(block.data(), block.size());
  OPENSSL_cleanse(pad.data(), pad.size());
  OPENSSL_cleanse(inner.data(), inner.size());
  OPENSSL_cleanse(&ctx, sizeof ctx);
  return out;
}

#pragma GCC diagnostic pop

std::uint32_t crc32(std::span<const unsigned char> data, std::uint32_t seed) noexcept {
  uLong crc = seed;
  const unsigned char* p = data.data();
  std::size_t left = data.size();
  // zlib takes a uInt length; feed huge inputs in slices.
  while (left > 0) {
    const auto n = static_cast<uInt>(std::min<std::size_t>(left, std::numeric_limits<uInt>::max()));
    crc = ::crc32(crc, p, n);
    p += n;
    left -= n;
  }
  return static_cast<std::uint32_t>(crc);
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace llamachat::util
