#pragma once
// The web UI, embedded in the binary at build time (cmake/EmbedFiles.cmake), each file with its gzip form.
#include <span>
#include <string_view>

namespace llamachat::api::ui {

struct EmbeddedFile {
  std::string_view path;          // "/index.html"
  std::string_view content;       // as served (pages refer to the other files as "/app.js?v=<version>")
  std::string_view gzipped;       // content compressed with gzip -9n
  std::string_view version;       // 16 hex digits of the SHA-256 of content
  std::string_view etag;          // strong ETag of content: "\"<version>\""
  std::string_view gzipped_etag;  // strong ETag of the gzip form (another representation): "\"<version>-gzip\""
};

std::span<const EmbeddedFile> embedded_files() noexcept;

}  // namespace llamachat::api::ui
