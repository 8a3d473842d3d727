#pragma once
// The chat domain: what a conversation is, independent of HTTP, JSON and AWS.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "chat/cancellation.hpp"
#include "observe/request_record.hpp"

namespace llamachat::chat {

enum class Role { system, user, assistant };

struct Message {
  Role role = Role::user;
  std::string content;
};

// Sampling parameters; unset fields take the backend's defaults (the original design's values).
struct GenerationParams {
  std::optional<int> max_tokens;      // Llama max_gen_len / Converse maxTokens
  std::optional<double> temperature;  // 0..1
  std::optional<double> top_p;        // 0..1
  std::vector<std::string> stop;      // stop sequences; the reply ends before the first one
};

struct ChatRequest {
  std::optional<std::string> system;  // system prompt; the API layer fills the default
  std::vector<Message> messages;      // user/assistant turns, oldest first, last one from the user
  GenerationParams params;
  std::string request_id;  // for logs and upstream tracing
  // Absolute time by which the whole reply must be complete (platform cap, e.g. App Runner 120 s).
  std::optional<std::chrono::steady_clock::time_point> deadline;
  // The client asked for a streamed reply; backends may then use their streaming upstream API.
  bool stream = false;
  // Emitted when the client disconnects; never null when set by the API layer.
  std::shared_ptr<CancelSignal> cancel;
  // Where the backend notes what it learns for the request's log line (the upstream request id); may be
  // null. Owned by the HTTP exchange, which outlives the call.
  observe::RequestRecord* record = nullptr;
};

struct Usage {
  std::uint64_t input_tokens = 0;
  std::uint64_t output_tokens = 0;
};

// How a successful reply ended.
struct Completion {
  std::string stop_reason;  // "stop", "length", "end_turn", "max_tokens", "deadline", ...
  std::optional<Usage> usage;
};

// The system message the original design sent with every single-turn chat.
inline constexpr const char* kDefaultSystemPrompt =
    "Respond ONLY with the assistant's direct reply to the user message. "
    "Do NOT include any previous conversation or extra commentary.";

}  // namespace llamachat::chat
