// The OpenAI-compatible upstream's text/event-stream parser (src/backends/openai/sse_parser). Oracle: the
// events and the error do not depend on how the body is split into reads (the parser's contract: "split
// anywhere, inside a line, between CR and LF"), and a small limit bounds lines and events alike.
#include <algorithm>
#include <vector>

#include "backends/openai/sse_parser.hpp"
#include "harness.hpp"

namespace openai = llamachat::backends::openai;
using llamachat::fuzz::expect;

namespace {

struct Parsed {
  std::vector<openai::SseEvent> events;
  openai::SseError error = openai::SseError::none;
  bool clean = false;
};

Parsed parse(std::string_view body, std::size_t chunk, std::size_t max_line) {
  openai::SseParser parser(max_line);
  Parsed out;
  for (std::size_t offset = 0; offset < body.size() && out.error == openai::SseError::none; offset += chunk)
    out.error = parser.feed(body.substr(offset, chunk), out.events);
  out.clean = parser.finished_cleanly();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The piece size comes from the first byte, which stays part of the body (seed files are plain
  // SSE bodies).
  const auto body = llamachat::fuzz::as_text(data, size);
  const std::size_t piece = 1 + (size == 0 ? 0 : data[0] % 16);
  const std::size_t whole = std::max<std::size_t>(body.size(), 1);
  const Parsed at_once = parse(body, whole, 1 << 20);
  const Parsed in_pieces = parse(body, piece, 1 << 20);
  expect(at_once.events == in_pieces.events, "splitting changed the events");
  expect(at_once.error == in_pieces.error, "splitting changed the error");
  expect(at_once.clean == in_pieces.clean, "splitting changed the end state");
  // A tight limit bounds lines and each event's data (memory per parser is bounded).
  const Parsed limited = parse(body, piece, 64);
  for (const auto& event : limited.events) expect(event.data.size() <= 64, "an event larger than the parser's limit");
  return 0;
}
