#include "api/ui/asset_serving.hpp"

#include "util/strings.hpp"

namespace llamachat::api::ui {
namespace {

// Calls `each` with every non-empty element of a comma-separated HTTP list, without optional whitespace.
template <typename Each>
void for_each_list_item(std::string_view list, Each each) noexcept {
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    const std::string_view item = util::trim(list.substr(0, comma), util::http_whitespace);
    if (!item.empty()) each(item);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

// The weight of an Accept-Encoding item: 1 unless a "q" parameter says otherwise; a zero weight
// ("0", "0.0", "0.00", "0.000") means "not acceptable".
bool has_zero_weight(std::string_view parameters) noexcept {
  while (!parameters.empty()) {
    const std::size_t semicolon = parameters.find(';');
    const std::string_view parameter = util::trim(parameters.substr(0, semicolon), util::http_whitespace);
    const std::size_t equals = parameter.find('=');
    if (equals != std::string_view::npos && util::iequals(util::trim(parameter.substr(0, equals), " \t"), "q")) {
      const std::string_view weight = util::trim(parameter.substr(equals + 1), util::http_whitespace);
      if (weight.empty() || weight.front() != '0') return false;
      for (const char c : weight.substr(1))
        if (c != '.' && c != '0') return false;
      return true;
    }
    if (semicolon == std::string_view::npos) break;
    parameters.remove_prefix(semicolon + 1);
  }
  return false;
}

}  // namespace

const EmbeddedFile* find_asset(std::span<const EmbeddedFile> files, std::string_view path) noexcept {
  if (path == "/") path = "/index.html";
  if (path == "/favicon.ico") path = "/favicon.svg";
  for (const auto& file : files)
    if (file.path == path) return &file;
  return nullptr;
}

bool accepts_gzip(std::string_view accept_encoding) noexcept {
  bool named = false;     // gzip itself is listed: its own weight decides
  bool accepted = false;  // by name, or by "*" when gzip is not named
  bool any = false;
  for_each_list_item(accept_encoding, [&](std::string_view item) {
    const std::size_t semicolon = item.find(';');
    const std::string_view coding = util::trim(item.substr(0, semicolon), util::http_whitespace);
    const bool zero = semicolon != std::string_view::npos && has_zero_weight(item.substr(semicolon + 1));
    if (util::iequals(coding, "gzip") || util::iequals(coding, "x-gzip")) {
      named = true;
      accepted = !zero;
    } else if (coding == "*") {
      any = !zero;
    }
  });
  return named ? accepted : any;
}

bool none_match_hits(std::string_view if_none_match, std::string_view etag) noexcept {
  if (util::trim(if_none_match, util::http_whitespace) == "*") return true;
  bool hit = false;
  for_each_list_item(if_none_match, [&](std::string_view tag) {
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == etag) hit = true;
  });
  return hit;
}

std::string_view content_type_for(std::string_view path) noexcept {
  if (path.ends_with(".html")) return "text/html; charset=utf-8";
  if (path.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (path.ends_with(".css")) return "text/css; charset=utf-8";
  if (path.ends_with(".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

AssetAnswer answer_asset(const EmbeddedFile& file, const AssetRequest& request) noexcept {
  AssetAnswer answer;
  answer.content_type = content_type_for(file.path);
  const bool versioned = request.query.starts_with("v=") && request.query.substr(2) == file.version;
  answer.cache_control = versioned ? kImmutableCaching : kRevalidate;
  // Only worth it when smaller (an already tiny file can grow).
  answer.gzip = file.gzipped.size() < file.content.size() && accepts_gzip(request.accept_encoding);
  answer.etag = answer.gzip ? file.gzipped_etag : file.etag;
  if (!request.if_none_match.empty() && none_match_hits(request.if_none_match, answer.etag)) {
    answer.status = 304;
    return answer;
  }
  answer.body = answer.gzip ? file.gzipped : file.content;
  return answer;
}

}  // namespace llamachat::api::ui
