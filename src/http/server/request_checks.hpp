#pragma once
// Checks of a request head that Beast's parser leaves to the server: the message framing rules of
// RFC 9112 §6 (request smuggling), the number of header fields, and the absolute-form request target.
// (Beast itself refuses versions other than HTTP/1.0 and 1.1; the connection answers those 505.) Pure: they look at the
// parsed head and return what to do.
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace llamachat::http {

// Why a request head is refused: the status and the message of the error body. Every refusal closes
// the connection, since the framing of what follows can no longer be trusted.
struct HeadRefusal {
  unsigned status;
  std::string message;
};

// The rules, in this order:
// - more than `max_fields` header fields -> 431;
// - Content-Length given more than once, or as a list -> 400 (RFC 9112 §6.3 item 5 lets a server
//   refuse what it could merge);
// - Transfer-Encoding in an HTTP/1.0 request -> 400 (RFC 9112 §6.1: faulty framing);
// - Transfer-Encoding with Content-Length -> 400 (RFC 9112 §6.3 item 3 allows refusing);
// - Transfer-Encoding whose final coding is not "chunked", or "chunked" twice -> 400 (RFC 9112 §6.3);
// - another transfer coding before "chunked" (e.g. "gzip, chunked") -> 501 (RFC 9112 §6.1: not
//   understood). Coding names compare case-insensitively ("Chunked" is chunked).
std::optional<HeadRefusal> refuse_head(const boost::beast::http::request_header<boost::beast::http::fields>& head,
                                       std::size_t max_fields);

// The origin-form ("/path?query") of an absolute-form target ("http://host:port/path?query"; RFC 9112
// §3.2.2: a server must accept it), with "/" for an empty path; nullopt when `target` is not in
// absolute form (origin-form and the rest are left to routing).
std::optional<std::string> origin_form_of(std::string_view target);

// True when `head` (the bytes of a request head, from its start) begins with a request line that names
// an HTTP version in the form "HTTP/<digit>.<digit>", ended by CRLF: a request that Beast refused for its
// version is then answered 505 (an HTTP/2 preface, HTTP/1.2), anything else 400.
bool names_an_http_version(std::string_view head) noexcept;

// True when `head_bytes` hold an obsolete line folding (a field line continued on the next line after
// CRLF and a space or tab; RFC 9112 §5.2): refused, since parsers disagree on what it means.
bool has_obs_fold(std::string_view head_bytes) noexcept;

}  // namespace llamachat::http
