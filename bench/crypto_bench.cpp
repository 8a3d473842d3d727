// The hashing under SigV4: util::sha256 / util::hmac_sha256 as they are (OpenSSL's low-level SHA256_*
// functions, state on the stack), next to the same functions over EVP with the algorithm fetched once (the
// previous implementation, kept here to size the difference: every EVP digest initialisation allocates a
// provider context). docs/performance.md has the figures.
#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include <array>
#include <cstring>
#include <span>
#include <string>

#include "util/crypto.hpp"

namespace {

namespace util = llamachat::util;

const std::string kBody(1100, 'x');  // about the size of a Bedrock InvokeModel body
const std::string kSecret = "AWS4wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

const EVP_MD* sha256_md() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

util::Sha256Digest sha256_evp(std::string_view data) {
  util::Sha256Digest out{};
  EVP_Digest(data.data(), data.size(), out.data(), nullptr, sha256_md(), nullptr);
  return out;
}

// RFC 2104 over EVP with the digest fetched once and one context per thread.
util::Sha256Digest hmac_evp(std::string_view key, std::string_view data) {
  thread_local EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::array<unsigned char, 64> block{};
  if (key.size() > block.size()) {
    const auto digest = sha256_evp(key);
    std::memcpy(block.data(), digest.data(), digest.size());
  } else {
    std::memcpy(block.data(), key.data(), key.size());
  }
  std::array<unsigned char, 64> pad{};
  util::Sha256Digest inner{}, out{};
  for (std::size_t i = 0; i < pad.size(); ++i) pad[i] = block[i] ^ 0x36;
  EVP_DigestInit_ex(ctx, sha256_md(), nullptr);
  EVP_DigestUpdate(ctx, pad.data(), pad.size());
  EVP_DigestUpdate(ctx, data.data(), data.size());
  EVP_DigestFinal_ex(ctx, inner.data(), nullptr);
  for (std::size_t i = 0; i < pad.size(); ++i) pad[i] = block[i] ^ 0x5c;
  EVP_DigestInit_ex(ctx, sha256_md(), nullptr);
  EVP_DigestUpdate(ctx, pad.data(), pad.size());
  EVP_DigestUpdate(ctx, inner.data(), inner.size());
  EVP_DigestFinal_ex(ctx, out.data(), nullptr);
  return out;
}

std::span<const unsigned char> bytes(const std::string& s) {
  return {reinterpret_cast<const unsigned char*>(s.data()), s.size()};
}

void BM_Crypto_Sha256_1100B(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(util::sha256(kBody));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kBody.size()));
}
BENCHMARK(BM_Crypto_Sha256_1100B);

void BM_Crypto_Sha256_1100B_Evp(benchmark::State& state) {
  if (sha256_evp(kBody) != util::sha256(kBody)) state.SkipWithError("prototype disagrees with util::sha256");
  for (auto _ : state) benchmark::DoNotOptimize(sha256_evp(kBody));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kBody.size()));
}
BENCHMARK(BM_Crypto_Sha256_1100B_Evp);

void BM_Crypto_HmacSha256_Short(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(util::hmac_sha256(bytes(kSecret), "20250102"));
}
BENCHMARK(BM_Crypto_HmacSha256_Short);

void BM_Crypto_HmacSha256_Short_Evp(benchmark::State& state) {
  if (hmac_evp(kSecret, "20250102") != util::hmac_sha256(bytes(kSecret), "20250102"))
    state.SkipWithError("prototype disagrees with util::hmac_sha256");
  for (auto _ : state) benchmark::DoNotOptimize(hmac_evp(kSecret, "20250102"));
}
BENCHMARK(BM_Crypto_HmacSha256_Short_Evp);

}  // namespace
