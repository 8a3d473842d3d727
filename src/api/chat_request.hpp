#pragma once
// Parsing of POST /chat bodies: JSON becomes chat types here, at the edge, and nowhere else.
#include <string>
#include <string_view>
#include <variant>

#include "api/error_table.hpp"

namespace llamachat::api {

struct ChatInput {
  std::string message;  // trimmed, non-empty
  bool stream = false;
};

// True for "application/json" with optional parameters ("; charset=utf-8"), case-insensitive.
bool is_json_content_type(std::string_view content_type) noexcept;
// True when an Accept header asks for Server-Sent Events.
bool accepts_event_stream(std::string_view accept) noexcept;

// `{"message": "...", "stream": bool?}` -> ChatInput, or a 400 HttpError that says what is wrong.
std::variant<ChatInput, HttpError> parse_chat_input(std::string_view content_type, std::string_view body);

}  // namespace llamachat::api
