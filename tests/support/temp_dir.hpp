#pragma once
// A private directory for one test's files.
#include <filesystem>
#include <string>

namespace llamachat::test {

// A new, empty directory under the system temp dir, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const noexcept { return path_; }
  // Writes `name` (relative) with `content`, replacing the file; returns its full path.
  std::string write(const std::string& name, const std::string& content, bool executable = false) const;

 private:
  std::filesystem::path path_;
};

}  // namespace llamachat::test
