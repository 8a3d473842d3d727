#pragma once
// What every fuzz harness shares: the libFuzzer entry point's signature and a check that aborts with a
// message (a finding), so that libFuzzer and the corpus replayer of `make test` both report it as a crash.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace llamachat::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) noexcept {
  return {reinterpret_cast<const char*>(data), size};
}

// A broken contract of the code under test: print what and abort (libFuzzer saves the input).
[[noreturn]] inline void fail(const char* what) noexcept {
  std::fprintf(stderr, "fuzz contract violated: %s\n", what);
  std::abort();
}

inline void expect(bool condition, const char* what) noexcept {
  if (!condition) fail(what);
}

// Splits an input into a leading control byte (chosen by the fuzzer, e.g. a chunk size) and the rest.
struct Split {
  std::uint8_t control = 0;
  std::string_view rest;
};
inline Split split_control(const std::uint8_t* data, std::size_t size) noexcept {
  if (size == 0) return {};
  return {data[0], as_text(data + 1, size - 1)};
}

}  // namespace llamachat::fuzz
