#include "http/server/request_checks.hpp"

#include <boost/beast/core/string.hpp>

#include "util/strings.hpp"

namespace llamachat::http {
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

namespace {

// Splits a comma-separated field value into its trimmed, non-empty items (RFC 9110 §5.6.1) and calls
// `visit` on each.
template <typename Visit>
void for_each_list_item(std::string_view value, Visit&& visit) {
  while (!value.empty()) {
    const std::size_t comma = value.find(',');
    const std::string_view item = util::trim(value.substr(0, comma), " \t");
    if (!item.empty()) visit(item);
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
}

}  // namespace

std::optional<HeadRefusal> refuse_head(const bhttp::request_header<bhttp::fields>& head, std::size_t max_fields) {
  std::size_t fields = 0;
  std::size_t content_lengths = 0;
  bool content_length_list = false;
  std::size_t transfer_encodings = 0;
  std::size_t chunked = 0;
  bool other_coding_before_chunked = false;
  std::string_view last_coding;
  for (const auto& field : head) {
    ++fields;
    if (field.name() == bhttp::field::content_length) {
      ++content_lengths;
      if (field.value().find(',') != std::string_view::npos) content_length_list = true;
    } else if (field.name() == bhttp::field::transfer_encoding) {
      ++transfer_encodings;
      for_each_list_item(field.value(), [&](std::string_view coding) {
        if (beast::iequals(coding, "chunked")) {
          ++chunked;
        } else if (chunked == 0) {
          other_coding_before_chunked = true;
        }
        last_coding = coding;
      });
    }
  }
  if (fields > max_fields)
    return HeadRefusal{431, "request has more than " + std::to_string(max_fields) + " header fields"};
  if (content_lengths > 1 || content_length_list)
    return HeadRefusal{400, "Content-Length must be given once, as one number"};
  if (transfer_encodings == 0) return std::nullopt;
  if (head.version() == 10) return HeadRefusal{400, "Transfer-Encoding is not allowed in an HTTP/1.0 request"};
  if (content_lengths > 0) return HeadRefusal{400, "Content-Length and Transfer-Encoding must not be sent together"};
  if (chunked != 1 || !beast::iequals(last_coding, "chunked"))
    return HeadRefusal{400, "Transfer-Encoding must end with chunked, once (RFC 9112 section 6.3)"};
  if (other_coding_before_chunked)
    return HeadRefusal{501, "transfer codings other than chunked are not supported; send the body chunked only"};
  return std::nullopt;
}

std::optional<std::string> origin_form_of(std::string_view target) {
  std::size_t scheme_end = 0;
  if (target.size() >= 7 && beast::iequals(target.substr(0, 7), "http://")) {
    scheme_end = 7;
  } else if (target.size() >= 8 && beast::iequals(target.substr(0, 8), "https://")) {
    scheme_end = 8;
  } else {
    return std::nullopt;
  }
  const std::size_t path = target.find_first_of("/?", scheme_end);
  if (path == std::string_view::npos) return std::string("/");
  if (target[path] == '?') return "/" + std::string(target.substr(path));
  return std::string(target.substr(path));
}

bool names_an_http_version(std::string_view head) noexcept {
  const std::size_t end = head.find("\r\n");
  if (end == std::string_view::npos || end < 9) return false;  // room for " HTTP/d.d"
  const std::string_view version = head.substr(end - 8, 8);    // "HTTP/d.d", after its space
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  return head[end - 9] == ' ' && version.starts_with("HTTP/") && digit(version[5]) && version[6] == '.' &&
         digit(version[7]);
}

bool has_obs_fold(std::string_view head_bytes) noexcept {
  for (std::size_t at = head_bytes.find('\n'); at != std::string_view::npos && at + 1 < head_bytes.size();
       at = head_bytes.find('\n', at + 1)) {
    if (head_bytes[at + 1] == ' ' || head_bytes[at + 1] == '\t') return true;
  }
  return false;
}

}  // namespace llamachat::http
