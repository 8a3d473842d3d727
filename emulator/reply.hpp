#pragma once
// What the emulated model says, and the Bedrock response bodies that carry it. Pure functions; never throw
// except std::bad_alloc.
#include <boost/json/value.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "directives.hpp"

namespace llamachat::emulator {

// Bedrock Runtime operations served by the emulator.
enum class Operation { invoke, invoke_stream, converse, converse_stream };
std::string_view to_string(Operation op) noexcept;  // "invoke", "invoke-with-response-stream", ...
bool is_stream(Operation op) noexcept;

// The text of the last user turn of a Llama 3 prompt
// (`<|start_header_id|>user<|end_header_id|>\n\n...<|eot_id|>`), or the whole prompt when it has no such turn.
std::string last_user_turn(std::string_view prompt);

// Prefix of every normal reply: "Emulated reply: <user text>".
inline constexpr std::string_view kReplyPrefix = "Emulated reply: ";
inline constexpr std::size_t kEchoLimit = 200;  // bytes of user text echoed (cut on a UTF-8 boundary)

// The deterministic reply to `user_text` (markers already removed) under `d`: "" or whitespace for
// empty/empty=whitespace; otherwise kReplyPrefix + trimmed user text (at most kEchoLimit bytes), followed by
// " word1 word2 ... wordN" for words=N.
std::string reply_text(std::string_view user_text, const Directives& d);

// Splits text into word-ish pieces (each piece = leading whitespace + one word; trailing whitespace is a last
// piece of its own); concatenating the pieces gives back `text` exactly. Empty text gives no pieces.
std::vector<std::string> split_pieces(std::string_view text);

// A crude but deterministic token count: the number of whitespace-separated words (at least 1 for non-empty).
std::size_t count_tokens(std::string_view text) noexcept;

struct Usage {
  std::size_t input_tokens = 0;
  std::size_t output_tokens = 0;
};

// The non-streaming JSON body for `shape` (generation = Llama native, converse = Converse response).
boost::json::value reply_body(Shape shape, std::string_view text, Usage usage);

// One decoded streaming chunk of InvokeModelWithResponseStream in `shape`; `final` adds stop_reason "stop" and
// "amazon-bedrock-invocationMetrics".
boost::json::value stream_chunk_body(Shape shape, std::string_view piece, Usage usage, bool first, bool final,
                                     std::size_t generated_so_far, long latency_ms);

// An HTTP error reply.
struct ErrorReply {
  unsigned status = 500;
  std::string code;            // e.g. "ThrottlingException"
  std::string message;         // the JSON "message"
  boost::json::object extra;   // additional members (originalStatusCode, resourceName, ...)
  bool coral_service = false;  // x-amzn-ErrorType namespace com.amazon.coral.service (auth errors)
};

// The error reply for `fault` (not Fault::none) on `model_id` under `op`; `region` names ARNs.
ErrorReply fault_reply(Fault fault, Operation op, std::string_view model_id, std::string_view region);

// A model request body, validated the way Bedrock does.
struct ParsedBody {
  bool ok = false;
  std::string error_message;     // ValidationException message when !ok
  std::string user_text;         // the last user turn: directives and the echo come from here
  std::size_t input_tokens = 0;  // count_tokens over the whole prompt / all message and system text
};
// InvokeModel(-WithResponseStream), Llama native: a JSON object with a string "prompt".
ParsedBody parse_invoke_body(std::string_view body);
// Converse(-Stream): a JSON object with a non-empty "messages" array starting with a user message.
ParsedBody parse_converse_body(std::string_view body);

// The message AWS sends for the on-demand restriction (note the U+2019 apostrophe).
std::string on_demand_message(std::string_view model_id);

// True when calling `model_id` on demand in `region` is refused by AWS (Llama 3.3 70B base id outside
// us-east-2), or the id is the emulator's test id "emulator-on-demand-only".
bool requires_inference_profile(std::string_view model_id, std::string_view region) noexcept;

// The ARN AWS names in access errors for `model_id` (foundation model or inference profile).
std::string model_arn(std::string_view model_id, std::string_view region);

// Default in-stream exception message for an `:exception-type`; payload JSON (modelStreamErrorException gets
// originalStatusCode/originalMessage).
boost::json::object stream_exception_payload(std::string_view exception_type);

}  // namespace llamachat::emulator
