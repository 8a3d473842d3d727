#pragma once
// Parsing of POST /v1/chat/completions bodies (the OpenAI Chat Completions request,
// https://platform.openai.com/docs/api-reference/chat/create) into chat types, at the edge. Every
// parameter that would change the answer but cannot be honoured is refused with a 400 naming it;
// docs/api.md lists what is accepted, ignored and refused. Pure: never throws for any input.
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "api/error_table.hpp"
#include "chat/types.hpp"

namespace llamachat::api::openai {

// What the OpenAI API documents as the most stop sequences per request.
inline constexpr std::size_t kMaxStopSequences = 4;

struct CompletionRequest {
  std::optional<std::string> model;     // as asked; unset = the configured model
  std::optional<std::string> system;    // system and developer messages, in order, joined by a blank line
  std::vector<chat::Message> messages;  // user/assistant turns, oldest first; the last one is the user's
  chat::GenerationParams params;
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
};

// An error of the caller's fault: type invalid_request_error, naming the parameter (empty = null).
ApiError invalid_request(std::string message, std::string param, std::string code, unsigned status = 400);

std::variant<CompletionRequest, ApiError> parse_completion_request(std::string_view content_type,
                                                                   std::string_view body);

}  // namespace llamachat::api::openai
