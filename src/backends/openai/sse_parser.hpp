#pragma once
// An incremental parser of a text/event-stream body
// (https://html.spec.whatwg.org/multipage/server-sent-events.html#parsing-an-event-stream): bytes go in as they arrive,
// split anywhere (inside a line, between CR and LF); whole events come out. Lines end with CRLF, LF or CR; lines
// starting with ':' are comments; the data lines of one event join with '\n'; an empty line dispatches the event. A
// pure core: no I/O, no exceptions.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace llamachat::backends::openai {

struct SseEvent {
  std::string type;  // the "event:" field; empty means "message"
  std::string data;  // the data lines joined with '\n'
  bool operator==(const SseEvent&) const = default;
};

enum class SseError {
  none,
  line_too_long,   // a line longer than the parser's limit: the stream is not SSE, or is hostile
  event_too_long,  // the data of one event grew past the same limit without an empty line to end it
};

class SseParser {
 public:
  // `max_line_bytes` bounds a line and the data one event gathers from its lines: memory per parser stays
  // bounded whatever the upstream sends.
  explicit SseParser(std::size_t max_line_bytes = 1 << 20) noexcept : max_line_bytes_(max_line_bytes) {}

  // Parses `bytes`, appending each completed event to `events`. After an error the parser stays failed.
  SseError feed(std::string_view bytes, std::vector<SseEvent>& events);
  // The end of the body. An event without its closing empty line is dropped, as the standard says.
  // True when nothing but such an unterminated event (or nothing at all) was left over.
  bool finished_cleanly() const noexcept { return line_.empty() && !has_pending_event(); }

 private:
  void take_line(std::string_view line, std::vector<SseEvent>& events);
  bool has_pending_event() const noexcept { return !data_.empty() || !type_.empty() || has_data_; }

  std::size_t max_line_bytes_;
  std::string line_;  // an incomplete line carried over from the previous feed
  std::string type_;
  std::string data_;
  bool has_data_ = false;      // a data field was seen (its value may be empty)
  bool skip_next_lf_ = false;  // the previous feed ended in CR: a leading LF belongs to it
  SseError error_ = SseError::none;
};

// The stream's end marker of the OpenAI chat completions API.
inline bool is_done_marker(const SseEvent& event) noexcept { return event.data == "[DONE]"; }

}  // namespace llamachat::backends::openai
