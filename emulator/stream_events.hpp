#pragma once
// The event-stream body of InvokeModelWithResponseStream and ConverseStream replies, as a list of encoded
// frames (docs/bedrock.md#event-stream). Pure; never throws except std::bad_alloc.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "directives.hpp"
#include "reply.hpp"

namespace llamachat::emulator {

struct StreamPlan {
  std::vector<std::string> frames;  // encoded event-stream messages, in order
  std::size_t text_events = 0;      // how many frames carry reply text
};

// Invoke stream: one `chunk` event per piece ({"bytes": base64(<shape JSON>)}), then a final chunk with
// stop_reason "stop" and amazon-bedrock-invocationMetrics. Converse stream: messageStart, contentBlockDelta per
// piece, contentBlockStop, messageStop, metadata.
// Directives honoured here: shape (invoke only), nonjson, stream_exception (an exception message replaces the
// rest of the stream after `stream_exception_at` events), broken_frame (the message CRC of that event is
// corrupted). Pacing (delay, chunk, stall, drop_mid_body) is the writer's business.
StreamPlan build_stream(Operation op, std::string_view text, Usage usage, const Directives& d, long latency_ms);

// An event message (`:message-type` event) / an exception message (`:message-type` exception), encoded.
std::string encode_event(std::string_view event_type, std::string_view payload);
std::string encode_exception(std::string_view exception_type, std::string_view payload);

}  // namespace llamachat::emulator
