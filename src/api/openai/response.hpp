#pragma once
// The JSON of the OpenAI-compatible API's replies, as OpenAI's clients expect them
// (https://platform.openai.com/docs/api-reference/chat/object, .../chat-streaming and .../models):
// completions, stream chunks, error objects and model objects. Pure functions, written as text.
#include <cstdint>
#include <string>
#include <string_view>

#include "api/error_table.hpp"
#include "api/sse.hpp"

namespace llamachat::api::openai {

// What every object of one completion repeats.
struct CompletionIds {
  std::string id;            // "chatcmpl-..."
  std::int64_t created = 0;  // Unix seconds
  std::string model;
};

struct TokenUsage {
  std::uint64_t prompt_tokens = 0;
  std::uint64_t completion_tokens = 0;
};

// OpenAI's finish_reason for a backend's stop reason: "length" when the reply was cut by its token budget
// or by the request deadline, "content_filter" when a guardrail intervened, otherwise "stop".
std::string_view finish_reason(std::string_view stop_reason) noexcept;

// {"error": {"message", "type", "param", "code"}}; empty param/code are null.
std::string error_json(const ApiError& error);

// A non-streaming reply: object "chat.completion".
std::string completion_json(const CompletionIds& ids, std::string_view content, std::string_view finish,
                            const TokenUsage& usage);

// Stream events (data-only SSE). With include_usage every chunk carries "usage": null, and the last one
// (usage_event) has no choices and the usage.
std::string role_event(const CompletionIds& ids, bool include_usage);  // first chunk: the assistant role
DeltaFrame content_delta_frame(const CompletionIds& ids, bool include_usage);
std::string finish_event(const CompletionIds& ids, std::string_view finish, bool include_usage);
std::string usage_event(const CompletionIds& ids, const TokenUsage& usage);
std::string error_event(const ApiError& error);
inline constexpr std::string_view kDoneEvent = "data: [DONE]\n\n";

// GET /v1/models/{id} and GET /v1/models.
std::string model_json(std::string_view id, std::string_view owned_by);
std::string model_list_json(std::string_view id, std::string_view owned_by);

}  // namespace llamachat::api::openai
