#pragma once
// Pure mapping from one decoded event-stream message of a Bedrock streaming response to typed events, for
// InvokeModelWithResponseStream (Llama native chunks) and ConverseStream. Sits between
// aws::event_stream::Decoder and the backend's event loop. Shapes: docs/bedrock.md#stream-events, #stream-exceptions;
// docs/formats/event-stream.md.
#include <boost/system/error_category.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "aws/event_stream/message.hpp"

namespace llamachat::backends::bedrock {

enum class StreamApi {
  invoke,    // InvokeModelWithResponseStream: `chunk` events carrying {"bytes": base64(<Llama chunk JSON>)}
  converse,  // ConverseStream: messageStart, contentBlockDelta, messageStop, metadata, ...
};

struct StreamEvent {
  enum class Kind {
    delta,      // `text` is the next piece of the reply (never empty)
    stop,       // `stop_reason` as Bedrock sent it ("stop", "length", "end_turn", "max_tokens", ...)
    usage,      // token counts; either may be absent
    ignored,    // a well-formed event that carries nothing for us (messageStart, unknown event types, ...)
    exception,  // the stream failed: `exception_type`, `exception_message`, maybe `original_status_code`
  };
  Kind kind = Kind::ignored;
  std::string text;
  std::string stop_reason;
  std::optional<std::uint64_t> input_tokens;
  std::optional<std::uint64_t> output_tokens;
  std::string exception_type;               // ":exception-type" or ":error-code" as sent, e.g. "throttlingException"
  std::string exception_message;            // payload "message" (exceptions) or ":error-message" (errors)
  std::optional<int> original_status_code;  // modelStreamErrorException's originalStatusCode

  bool operator==(const StreamEvent&) const = default;
};

// Why a message could not be mapped. Each is a malformed upstream event, never our bug.
enum class stream_event_errc {
  missing_message_type = 1,  // no string ":message-type" header
  missing_event_type,        // an event without a string ":event-type" header
  missing_exception_type,    // an exception without a string ":exception-type" header
  payload_not_json_object,   // the event payload is not a JSON object
  chunk_bytes_missing,       // invoke `chunk` without a string "bytes" member
  chunk_bytes_not_base64,    // "bytes" is not strict padded base64
  chunk_not_json_object,     // the decoded "bytes" are not a JSON object
  required_field_missing,    // contentBlockDelta without "delta", messageStop without "stopReason"
  field_has_wrong_type,      // a known member has an unexpected JSON type (e.g. "generation": 5, -1 tokens)
};

const boost::system::error_category& stream_event_category() noexcept;

inline boost::system::error_code make_error_code(stream_event_errc e) noexcept {
  return {static_cast<int>(e), stream_event_category()};
}

// Maps one message. The list has at least one element; one Llama chunk can yield delta + stop + usage, in
// that order. Rules:
//   * ":message-type" "exception": one exception event (type from ":exception-type", message from the JSON
//     payload's "message"/"Message" when readable - the type alone is enough to act on);
//     "error": one exception event from ":error-code" / ":error-message"; any other type: ignored.
//   * invoke "chunk": base64-decode "bytes" (other members such as the "p" padding are ignored) and read the
//     Llama chunk: non-empty "generation" -> delta, non-null "stop_reason" -> stop,
//     "amazon-bedrock-invocationMetrics" {inputTokenCount, outputTokenCount} -> usage. All fields nullable.
//   * converse: contentBlockDelta with delta.text -> delta, messageStop stopReason -> stop,
//     metadata usage {inputTokens, outputTokens} -> usage; other known events and deltas without text
//     (tool use, reasoning) -> ignored.
//   * unknown ":event-type": ignored (forward compatible).
// Malformed messages give an error value; never throws except std::bad_alloc.
boost::system::result<std::vector<StreamEvent>> map_stream_message(StreamApi api,
                                                                   const aws::event_stream::Message& message);

}  // namespace llamachat::backends::bedrock

template <>
struct boost::system::is_error_code_enum<llamachat::backends::bedrock::stream_event_errc> : std::true_type {};
