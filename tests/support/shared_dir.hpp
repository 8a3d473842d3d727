#pragma once
// Locates ../shared (vectors, oracle tools) for tests. LLAMACHAT_SHARED_DIR overrides the default that
// CMake passes to ctest as LLAMACHAT_SHARED_DIR_DEFAULT. Tests that need it skip *loudly* when absent.
#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <string>

namespace llamachat::test {

std::optional<std::filesystem::path> shared_dir();
std::optional<std::filesystem::path> vectors_dir();  // LLAMACHAT_VECTORS_DIR, else <shared>/vectors
std::string read_file(const std::filesystem::path& path);
// Prints a banner on stderr so that a skip is never silent in CI logs.
void announce_skip(const std::string& why);

}  // namespace llamachat::test

#define LLAMACHAT_REQUIRE_VECTORS(var)                                                        \
  const auto var##_opt = ::llamachat::test::vectors_dir();                                    \
  if (!var##_opt) {                                                                           \
    ::llamachat::test::announce_skip("shared vectors not found (set LLAMACHAT_VECTORS_DIR)"); \
    GTEST_SKIP() << "shared vectors not found (set LLAMACHAT_VECTORS_DIR)";                   \
  }                                                                                           \
  const std::filesystem::path var = *var##_opt
