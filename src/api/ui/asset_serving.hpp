#pragma once
// Which answer an embedded UI file gets (pure): the representation (gzip when the client accepts it), its
// strong ETag, 304 on a matching If-None-Match, the caching policy and the security headers of every page.
#include <span>
#include <string_view>

#include "api/ui/embedded_files.hpp"

namespace llamachat::api::ui {

// Pages may load only our own scripts, styles and images (and data: images), talk only to this origin, and
// never be framed (https://www.w3.org/TR/CSP3/). No inline script, no eval.
inline constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

// A versioned URL ("/app.js?v=<version>", as the embedded pages write them) never changes its content.
inline constexpr std::string_view kImmutableCaching = "public, max-age=31536000, immutable";
// Everything else is revalidated on each use (a 304 when unchanged), so a new binary shows at once.
inline constexpr std::string_view kRevalidate = "no-cache";

struct AssetRequest {
  std::string_view path;             // without the query
  std::string_view query;            // after '?', empty when none
  std::string_view accept_encoding;  // the Accept-Encoding field value, empty when absent
  std::string_view if_none_match;    // the If-None-Match field value, empty when absent
};

struct AssetAnswer {
  unsigned status = 200;  // 200 or 304
  std::string_view content_type;
  std::string_view cache_control;
  std::string_view etag;
  bool gzip = false;      // Content-Encoding: gzip
  std::string_view body;  // empty on 304
};

// The file a path names ("/" is the page, "/favicon.ico" the SVG icon); nullptr when none.
const EmbeddedFile* find_asset(std::span<const EmbeddedFile> files, std::string_view path) noexcept;

// True when the Accept-Encoding value accepts gzip with a non-zero weight (RFC 9110 section 12.5.3).
bool accepts_gzip(std::string_view accept_encoding) noexcept;

// True when an If-None-Match value names `etag` or is "*" (weak comparison, RFC 9110 section 13.1.2).
bool none_match_hits(std::string_view if_none_match, std::string_view etag) noexcept;

std::string_view content_type_for(std::string_view path) noexcept;

AssetAnswer answer_asset(const EmbeddedFile& file, const AssetRequest& request) noexcept;

}  // namespace llamachat::api::ui
