#pragma once
// The head of every response the server writes: status line, the handler's fields, then the fields the
// server owns (X-Request-Id, Server, the connection disposition and the body framing). Pure: it only
// appends to a string.
//
// Beast's serializer is not used for responses: it walks the message through layers of buffer views per
// write, a cost the hot path avoids (figures: docs/performance.md).
#include <boost/beast/http/fields.hpp>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace llamachat::http {

// One header field by reference: (name, value).
using FieldView = std::pair<std::string_view, std::string_view>;

enum class BodyFraming {
  content_length,  // Content-Length: body_size (left out for statuses without a body)
  chunked,         // Transfer-Encoding: chunked (HTTP/1.1 streams)
  until_close,     // no framing field: the body ends when the connection closes (HTTP/1.0 streams)
};

struct ResponseHead {
  unsigned version = 11;  // 10 or 11
  unsigned status = 200;
  std::string_view reason;  // empty: the standard reason phrase of `status`
  std::string_view request_id;
  bool keep_alive = true;
  BodyFraming framing = BodyFraming::content_length;
  std::size_t body_size = 0;  // for content_length
};

// 1xx, 204 and 304 responses carry neither a body nor Content-Length (RFC 9110 §8.6, §15.3.5, §15.4.5).
bool status_has_body(unsigned status) noexcept;

// Fields that the server writes itself; a handler's own copy is dropped.
bool is_server_field(std::string_view name) noexcept;

// Replaces `out` with the head (its capacity is kept). The connection disposition follows the version:
// HTTP/1.1 says "Connection: close" when not keeping alive, HTTP/1.0 says "Connection: keep-alive" when it
// does (RFC 9112 §9.3). A HEAD response is written exactly as the GET one would be.
void write_response_head(std::string& out, const ResponseHead& head, std::span<const FieldView> fields);
void write_response_head(std::string& out, const ResponseHead& head, const boost::beast::http::fields& fields);

}  // namespace llamachat::http
