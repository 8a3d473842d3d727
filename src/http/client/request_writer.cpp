#include "http/client/request_writer.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <charconv>

namespace llamachat::http {
namespace {

namespace beast = boost::beast;

// A plain loop: string_view::find_first_of calls memchr once per character (docs/performance.md).
bool has_line_break(std::string_view s) noexcept {
  for (const char c : s)
    if (c == '\r' || c == '\n') return true;
  return false;
}

bool valid_token_part(std::string_view s) noexcept {
  return !s.empty() && !has_line_break(s) && s.find(' ') == std::string_view::npos;
}

void append_field(std::string& head, std::string_view name, std::string_view value) {
  head += name;
  head += ": ";
  head += value;
  head += "\r\n";
}

}  // namespace

std::variant<RequestHead, RequestHeadError> write_request_head(std::string_view method, std::string_view target,
                                                               const HeaderList& headers, std::size_t body_size,
                                                               const Url& url) {
  if (!valid_token_part(method) || !valid_token_part(target)) return RequestHeadError::invalid_request_line;
  RequestHead out;
  out.head_method = method == "HEAD";
  std::string& head = out.text;
  head.reserve(256 + target.size() + headers.size() * 48);
  head += method;
  head += ' ';
  head += target;
  head += " HTTP/1.1\r\n";
  bool has_host = false;
  for (const auto& [name, value] : headers) {
    if (name.empty() || has_line_break(name) || has_line_break(value)) return RequestHeadError::invalid_header_field;
    if (beast::iequals(name, "content-length") || beast::iequals(name, "transfer-encoding")) continue;
    if (beast::iequals(name, "host")) has_host = true;
    if (beast::iequals(name, "connection") && beast::http::token_list(value).exists("close")) out.keep_alive = false;
    append_field(head, name, value);
  }
  if (!has_host) append_field(head, "Host", url.host_header());
  if (body_size > 0 || method == "POST" || method == "PUT" || method == "PATCH" || method == "OPTIONS") {
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, body_size).ptr;
    append_field(head, "Content-Length", std::string_view(digits, static_cast<std::size_t>(end - digits)));
  }
  head += "\r\n";
  return out;
}

}  // namespace llamachat::http
