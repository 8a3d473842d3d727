#pragma once
// The head of an HTTP/1.1 request as it goes on the wire (RFC 9112 §3, §5). Pure: no I/O, no exceptions;
// an unsendable request is a value.
//
// The head is serialised once and written together with the body in one gather write (Beast's serializer
// walks its buffer views on every write; see docs/performance.md).
#include <cstddef>
#include <string>
#include <string_view>
#include <variant>

#include "http/client/client.hpp"

namespace llamachat::http {

struct RequestHead {
  std::string text;        // request line, fields, blank line
  bool keep_alive = true;  // false when the caller asked for Connection: close
  bool head_method = false;
};

enum class RequestHeadError {
  invalid_request_line,  // empty method or target, or a space or line break in either
  invalid_header_field,  // empty name, or a line break in a name or value
};

// Writes "METHOD target HTTP/1.1", then the caller's fields in order, except Content-Length and
// Transfer-Encoding (the framing is ours to write); then "Host: " with url.host_header() unless the caller set Host;
// then Content-Length for a non-empty body, and 0 for POST, PUT, PATCH and OPTIONS without one (as RFC 9110
// §8.6 asks).
std::variant<RequestHead, RequestHeadError> write_request_head(std::string_view method, std::string_view target,
                                                               const HeaderList& headers, std::size_t body_size,
                                                               const Url& url);

}  // namespace llamachat::http
