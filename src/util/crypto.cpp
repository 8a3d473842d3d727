#include "util/crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <zlib.h>

#include <array>
#include <cstring>
#include <limits>

#include "util/hex.hpp"

namespace llamachat::util {
namespace {

// OpenSSL 3's one-shot SHA256() and HMAC() look the algorithm up by name on every call (a fetch with a
// lock and reference counting), which cost more than hashing a SigV4 string. Fetch once.
const EVP_MD* sha256_md() noexcept {
  static const EVP_MD* const md = [] {
    const EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return fetched ? fetched : EVP_sha256();
  }();
  return md;
}

// One digest context per thread, reused.
struct DigestContext {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~DigestContext() { EVP_MD_CTX_free(ctx); }
};

EVP_MD_CTX* thread_digest_context() noexcept {
  thread_local DigestContext context;
  return context.ctx;
}

}  // namespace

Sha256Digest sha256(std::string_view data) noexcept {
  Sha256Digest out{};
  EVP_Digest(data.data(), data.size(), out.data(), nullptr, sha256_md(), nullptr);
  return out;
}

std::string sha256_hex(std::string_view data) { return to_hex(sha256(data)); }

// RFC 2104 over the prefetched digest (the same result as HMAC(EVP_sha256(), ...)).
Sha256Digest hmac_sha256(std::span<const unsigned char> key, std::string_view data) noexcept {
  constexpr std::size_t kBlock = 64;  // SHA-256 block size
  std::array<unsigned char, kBlock> block{};
  if (key.size() > kBlock) {
    EVP_Digest(key.data(), key.size(), block.data(), nullptr, sha256_md(), nullptr);
  } else if (!key.empty()) {
    std::memcpy(block.data(), key.data(), key.size());
  }
  std::array<unsigned char, kBlock> pad{};
  Sha256Digest inner{}, out{};
  EVP_MD_CTX* ctx = thread_digest_context();
  for (std::size_t i = 0; i < kBlock; ++i) pad[i] = block[i] ^ 0x36;
  EVP_DigestInit_ex(ctx, sha256_md(), nullptr);
  EVP_DigestUpdate(ctx, pad.data(), pad.size());
  EVP_DigestUpdate(ctx, data.data(), data.size());
  EVP_DigestFinal_ex(ctx, inner.data(), nullptr);
  for (std::size_t i = 0; i < kBlock; ++i) pad[i] = block[i] ^ 0x5c;
  EVP_DigestInit_ex(ctx, sha256_md(), nullptr);
  EVP_DigestUpdate(ctx, pad.data(), pad.size());
  EVP_DigestUpdate(ctx, inner.data(), inner.size());
  EVP_DigestFinal_ex(ctx, out.data(), nullptr);
  // The padded blocks are key material (SigV4 keys are secrets).
  OPENSSL_cleanse(block.data(), block.size());
  OPENSSL_cleanse(pad.data(), pad.size());
  OPENSSL_cleanse(inner.data(), inner.size());
  return out;
}

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
