#pragma once
// The one JSON parser of request bodies (POST /chat, POST /v1/chat/completions): RFC 8259 syntax and
// UTF-8, nesting at most kMaxRequestDepth deep, and no object that names the same member twice.
//
// Duplicate member names: RFC 8259 §4 says names "SHOULD be unique" and leaves the meaning of a repeated
// one to each implementation (some take the first, some the last). A body that two readers could see
// differently is refused instead (400), so what llamachat acts on is what every JSON reader sees.
// Names are compared after unescaping ("a" and "\u0061" are the same name).
#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <string>
#include <string_view>

namespace llamachat::json_input {

// Arrays and objects nested deeper than this are refused (Boost.JSON's default limit, stated here).
inline constexpr std::size_t kMaxRequestDepth = 32;

enum class ParseFailure {
  none,
  syntax,         // not JSON: `detail` is the parser's description
  too_deep,       // nested deeper than kMaxRequestDepth
  duplicate_key,  // an object names a member twice: `detail` is that name (valid UTF-8)
};

struct ParseOutcome {
  boost::json::value value;  // null unless failure == none
  ParseFailure failure = ParseFailure::none;
  std::string detail;
};

// Parses `text` as one JSON document; the value's memory comes from `storage`. Never throws except
// std::bad_alloc.
ParseOutcome parse_request_json(std::string_view text, boost::json::storage_ptr storage = {});

}  // namespace llamachat::json_input
