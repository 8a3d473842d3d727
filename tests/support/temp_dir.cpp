#include "support/temp_dir.hpp"

#include <stdlib.h>
#include <sys/stat.h>

#include <fstream>
#include <stdexcept>
#include <system_error>

namespace llamachat::test {

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "llamachat-test-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::write(const std::string& name, const std::string& content, bool executable) const {
  const std::filesystem::path p = path_ / name;
  {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out) throw std::runtime_error("cannot write " + p.string());
  }
  if (executable) ::chmod(p.c_str(), 0700);
  return p.string();
}

}  // namespace llamachat::test
