#pragma once
// JSON string literals, written by hand where a reply or an upstream body is assembled as text (building a
// JSON value tree only to serialise it costs allocations on every request).
#include <string>
#include <string_view>

namespace llamachat::util {

// Appends `text` as a JSON string literal, with quotes, to `out`. Escapes '"', '\\' and every control
// character (\n, \r, \t by name, the others as \u00XX); well-formed UTF-8 passes unchanged, and each
// byte that starts no well-formed UTF-8 sequence becomes U+FFFD, so the output is always valid UTF-8
// (RFC 8259 §8.1) whatever a client sent.
void append_json_quoted(std::string& out, std::string_view text);
std::string json_quote(std::string_view text);

// The body of every error answer the service writes itself: {"error":"<message>"}.
std::string json_error_body(std::string_view message);

}  // namespace llamachat::util
