#pragma once
// JSON string literals, written by hand where a reply or an upstream body is assembled as text (building a
// JSON value tree only to serialise it costs allocations on every request).
#include <string>
#include <string_view>

namespace llamachat::util {

// Appends `text` as a JSON string literal, with quotes, to `out`. Escapes '"', '\\' and every control
// character (\n, \r, \t by name, the others as \u00XX); other bytes, UTF-8 included, pass unchanged.
void append_json_quoted(std::string& out, std::string_view text);
std::string json_quote(std::string_view text);
// The same, for text that may not be valid UTF-8 (log lines carrying upstream or client bytes): each byte
// that does not belong to a well-formed UTF-8 sequence (RFC 3629) becomes \ufffd, so the result is
// always valid JSON. Slower than append_json_quoted; not for reply text.
void append_json_quoted_utf8(std::string& out, std::string_view text);

// The body of every error answer the service writes itself: {"error":"<message>"}.
std::string json_error_body(std::string_view message);

}  // namespace llamachat::util
