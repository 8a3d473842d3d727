#pragma once
// Pure mapping between chat types and the OpenAI chat completions API
// (https://platform.openai.com/docs/api-reference/chat) as vLLM, Ollama and llama.cpp's server speak it.
// The upstream applies the model's own chat template, so requests carry `messages`, never a prompt.
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "chat/error.hpp"
#include "chat/types.hpp"

namespace llamachat::backends::openai {

// {"model":..,"messages":[system, turns...],"max_tokens"?,"temperature"?,"top_p"?,"stop"?} plus, when
// streaming, "stream":true and "stream_options":{"include_usage":true} (asked for on streaming requests
// only: vLLM refuses stream_options otherwise). Unset sampling parameters are left to the upstream.
std::string request_body(const chat::ChatRequest& request, std::string_view model);

// finish_reason -> our Completion::stop_reason ("stop", "length", "content_filtered", or as sent).
std::string stop_reason_of(std::string_view finish_reason);

struct WholeReply {
  std::string text;
  std::string stop_reason;
  std::optional<chat::Usage> usage;
};

// A non-streaming reply: choices[0].message.content, finish_reason, usage. An unusable body: an Error
// (bad_upstream_response) naming what came back.
std::variant<WholeReply, chat::Error> parse_whole_reply(std::string_view body);

// What one `data:` payload of a stream carries.
struct Chunk {
  std::string text;           // choices[0].delta.content, may be empty
  std::string finish_reason;  // empty while the reply goes on
  std::optional<chat::Usage> usage;
  std::optional<std::string> error_message;  // an error object sent mid-stream
  std::optional<unsigned> error_status;      // its numeric "code", when it had one
};

// Nullopt: not a JSON object (a broken line).
std::optional<Chunk> parse_chunk(std::string_view data);

// The names of a GET /models reply ({"object":"list","data":[{"id":..},...]}); nullopt when unreadable.
std::optional<std::vector<std::string>> parse_model_list(std::string_view body);

}  // namespace llamachat::backends::openai
