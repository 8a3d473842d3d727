#include "support/shared_dir.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace llamachat::test {

std::optional<std::filesystem::path> shared_dir() {
  for (const char* var : {"LLAMACHAT_SHARED_DIR", "LLAMACHAT_SHARED_DIR_DEFAULT"}) {
    if (const char* v = std::getenv(var); v && *v && std::filesystem::is_directory(v)) return std::filesystem::path(v);
  }
  return std::nullopt;
}

std::optional<std::filesystem::path> vectors_dir() {
  if (const char* v = std::getenv("LLAMACHAT_VECTORS_DIR"); v && *v)
    return std::filesystem::is_directory(v) ? std::optional(std::filesystem::path(v)) : std::nullopt;
  auto shared = shared_dir();
  if (!shared || !std::filesystem::is_directory(*shared / "vectors")) return std::nullopt;
  return *shared / "vectors";
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void announce_skip(const std::string& why) { std::fprintf(stderr, "\n*** SKIPPED: %s ***\n\n", why.c_str()); }

}  // namespace llamachat::test
