#include "http/server/response_head.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/status.hpp>
#include <charconv>

namespace llamachat::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

void append_number(std::string& out, std::size_t value) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out.append(digits, end);
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out += name;
  out += ": ";
  out += value;
  out += "\r\n";
}

void begin_head(std::string& out, const ResponseHead& head) {
  out.clear();
  out += head.version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  append_number(out, head.status);
  out += ' ';
  out += head.reason.empty() ? std::string_view(bhttp::obsolete_reason(static_cast<bhttp::status>(head.status)))
                             : head.reason;
  out += "\r\n";
}

void end_head(std::string& out, const ResponseHead& head) {
  append_field(out, "X-Request-Id", head.request_id);
  out += "Server: llamachat\r\n";
  if (head.version == 10) {
    if (head.keep_alive) out += "Connection: keep-alive\r\n";
  } else if (!head.keep_alive) {
    out += "Connection: close\r\n";
  }
  if (head.framing == BodyFraming::chunked) out += "Transfer-Encoding: chunked\r\n";
  if (head.framing == BodyFraming::content_length && status_has_body(head.status)) {
    out += "Content-Length: ";
    append_number(out, head.body_size);
    out += "\r\n";
  }
  out += "\r\n";
}

}  // namespace

bool status_has_body(unsigned status) noexcept { return status >= 200 && status != 204 && status != 304; }

bool is_server_field(std::string_view name) noexcept {
  return beast::iequals(name, "connection") || beast::iequals(name, "content-length") ||
         beast::iequals(name, "transfer-encoding") || beast::iequals(name, "server") ||
         beast::iequals(name, "x-request-id");
}

void write_response_head(std::string& out, const ResponseHead& head, std::span<const FieldView> fields) {
  begin_head(out, head);
  for (const auto& [name, value] : fields)
    if (!is_server_field(name)) append_field(out, name, value);
  end_head(out, head);
}

void write_response_head(std::string& out, const ResponseHead& head, const bhttp::fields& fields) {
  begin_head(out, head);
  for (const auto& field : fields)
    if (!is_server_field(field.name_string())) append_field(out, field.name_string(), field.value());
  end_head(out, head);
}

}  // namespace llamachat::http
