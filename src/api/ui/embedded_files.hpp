#pragma once
// The web UI, embedded in the binary at build time (cmake/EmbedFiles.cmake).
#include <span>
#include <string_view>

namespace llamachat::api::ui {

struct EmbeddedFile {
  std::string_view path;  // "/index.html"
  std::string_view content;
};

std::span<const EmbeddedFile> embedded_files() noexcept;

}  // namespace llamachat::api::ui
