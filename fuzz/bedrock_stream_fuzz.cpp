// A Bedrock streaming body (InvokeModelWithResponseStream or ConverseStream) as the backend reads it:
// event-stream decoding, then each message mapped to stream events (src/backends/bedrock/stream_events).
// Oracle: the mapping never throws, gives at least one event per message, and never an empty delta.
#include <vector>

#include "aws/event_stream/decoder.hpp"
#include "backends/bedrock/stream_events.hpp"
#include "harness.hpp"

namespace bedrock = llamachat::backends::bedrock;
namespace es = llamachat::aws::event_stream;
using llamachat::fuzz::expect;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  es::Decoder decoder;
  std::vector<es::Message> messages;
  boost::system::error_code ec;
  decoder.feed(llamachat::fuzz::as_text(data, size), messages, ec);
  for (const auto& message : messages) {
    for (const auto api : {bedrock::StreamApi::invoke, bedrock::StreamApi::converse}) {
      const auto events = bedrock::map_stream_message(api, message);
      if (!events) continue;
      expect(!events->empty(), "a mapped message gave no event");
      for (const auto& event : *events)
        expect(event.kind != bedrock::StreamEvent::Kind::delta || !event.text.empty(), "an empty delta");
    }
  }
  return 0;
}
