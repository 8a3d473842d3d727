#pragma once
// Conversation policy applied by the API layer before a request reaches any backend: the user's stated
// facts (memory) are added to the system prompt, and the oldest turns are dropped until the prompt fits
// the model's context window. Stateless: everything is derived from the messages the request carries.
#include <cstddef>
#include <cstdint>

#include "chat/types.hpp"

namespace llamachat::chat {

struct ConversationPolicy {
  bool memory = true;                      // LLAMACHAT_MEMORY
  std::uint32_t context_tokens = 128000;   // LLAMACHAT_CONTEXT_TOKENS: the model's context window
  std::uint32_t default_max_tokens = 512;  // reply budget when the request names none
};

enum class PrepareStatus {
  ok,
  context_length_exceeded,  // even the system prompt plus the last user turn do not fit
};

struct PreparedConversation {
  PrepareStatus status = PrepareStatus::ok;
  std::size_t dropped_messages = 0;      // oldest turns removed to fit
  std::uint64_t prompt_tokens = 0;       // conservative count (never under the real one) of what is sent
  std::uint64_t prompt_token_limit = 0;  // context_tokens minus the reply's max tokens
};

// Applies memory (when enabled) and the context budget to `request` in place.
PreparedConversation prepare_conversation(ChatRequest& request, const ConversationPolicy& policy);

}  // namespace llamachat::chat
