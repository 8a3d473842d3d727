#pragma once
// Pure mapping between chat types and Bedrock Runtime bodies and paths (docs/bedrock.md#invoke-body, #operations,
// #converse). Native types become JSON here and nowhere else.
#include <string>
#include <string_view>
#include <variant>

#include "chat/error.hpp"
#include "chat/types.hpp"
#include "util/strings.hpp"

namespace llamachat::backends::bedrock {

enum class Api { invoke, converse };
enum class Operation { invoke, invoke_stream, converse, converse_stream };

struct Defaults {
  int max_gen_len = 512;
  double temperature = 0.5;
  double top_p = 0.9;
};

// Percent-encodes a model id as a non-greedy URI label (safe: A-Za-z0-9-._~), e.g. ":" -> "%3A".
std::string encode_model_id(std::string_view model_id);
// "/model/<encoded id>/invoke" etc.
std::string operation_path(std::string_view model_id, Operation operation);
std::string_view iam_action(Operation operation);  // "bedrock:InvokeModel", ...

// {"prompt": <Llama 3 template>, "max_gen_len": .., "temperature": .., "top_p": ..}
std::string invoke_body(const chat::ChatRequest& request, const Defaults& defaults);
// {"messages": [...], "system": [{"text": ..}], "inferenceConfig": {...}}, the turns normalised as
// Converse requires: system-role messages join "system"; leading assistant turns (an answer to nothing,
// e.g. a greeting) are left out so the first turn is the user's; consecutive turns of one role become
// one message with a text block each, so roles alternate; blank turns are left out (converse_refusal
// refuses them first). `stop` becomes inferenceConfig.stopSequences.
std::string converse_body(const chat::ChatRequest& request, const Defaults& defaults);

// Converse's documented limit on inferenceConfig.stopSequences is 2500 items, each at least one character
// (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_InferenceConfiguration.html).
inline constexpr std::size_t kConverseMaxStopSequences = 2500;

// What Converse would refuse with a ValidationException, refused before sending, as an
// ErrorKind::invalid_request naming the field: a blank user or assistant turn ("messages[i]"), a
// conversation without a user turn, an empty stop sequence or more than kConverseMaxStopSequences
// ("stop"). Nullopt when the request can be sent.
std::optional<chat::Error> converse_refusal(const chat::ChatRequest& request);

struct ParsedReply {
  std::string text;         // trimmed, non-empty
  std::string stop_reason;  // may be empty
  std::optional<chat::Usage> usage;
};

// Reads the reply text of an InvokeModel or Converse response, trying in order: "generation",
// "completion", "text", choices[0].message.content[0].text, messages[0].content[0].text,
// output.message.content[0].text. Not JSON, or no non-blank text: an Error (bad_upstream_response)
// whose message names what came back (truncated to 200 characters).
std::variant<ParsedReply, chat::Error> parse_reply(std::string_view body);

using util::truncate_for_message;

}  // namespace llamachat::backends::bedrock
