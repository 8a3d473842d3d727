#pragma once
// Server-Sent Events (https://html.spec.whatwg.org/multipage/server-sent-events.html): the framing of
// POST /chat's named events (docs/api.md), the data-only framing of the OpenAI-compatible stream, and
// SseStream, the one writer of an SSE reply with its backpressure and keep-alive.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "chat/backend.hpp"
#include "chat/types.hpp"
#include "http/server/server.hpp"

namespace llamachat::api {

// "event: <name>\ndata: <json>\n\n"; `data_json` must be one line (serialized JSON is).
std::string sse_event(std::string_view name, std::string_view data_json);
// "data: <json>\n\n": an event without a name, as OpenAI's streams send them.
std::string sse_data(std::string_view data_json);
std::string sse_delta(std::string_view text);                                      // event: delta
std::string sse_done(std::string_view reply, const chat::Completion& completion);  // event: done
std::string sse_error(std::string_view message);                                   // event: error
inline constexpr std::string_view kSseKeepAlive = ": keep-alive\n\n";

// The outcome of a backend call as the endpoint should answer it: usage reported by the model goes into
// the request's record (metrics, log line); a call the server interrupted at the end of its shutdown drain
// (the backend saw a cancellation, the client is still there) becomes ErrorKind::shutting_down.
chat::Outcome settle_outcome(http::Exchange& exchange, chat::Outcome outcome);

// {"input_tokens": n, "output_tokens": n, "total_tokens": n} or {} when unknown.
std::string usage_json(const std::optional<chat::Usage>& usage);

// The head of every SSE reply: 200, text/event-stream, no caching or proxy buffering, the backend named.
http::Response sse_head(unsigned http_version, std::string_view backend_label);

// How a text delta becomes a frame: prefix + the text as a JSON string literal + suffix.
struct DeltaFrame {
  std::string prefix;
  std::string suffix;
};
// POST /chat's `event: delta` frame.
DeltaFrame chat_delta_frame();

// The frames of one SSE reply. Frames queue in a buffer that one writer coroutine drains: the frames that
// arrive while a write is in flight go out together in the next write, so a burst of deltas from one
// upstream read costs one system call, not one each. on_delta returns once its frame is queued, or, when
// more than kMaxQueued bytes wait, once the writer took them: a slow reader still slows the upstream read
// (backpressure), with at most kMaxQueued bytes in between. Lives on the exchange's thread.
//
// Use: start() after begin_stream(); then deltas and enqueue(); then stop() before destruction, on every
// path (it joins the two coroutines start() spawned, which refer to this object).
class SseStream final : public chat::EventSink {
 public:
  static constexpr std::size_t kMaxQueued = 64 * 1024;

  // `keep_reply`: keep the whole reply text (reply()), for a final event that repeats it.
  SseStream(http::Exchange& exchange, const boost::asio::any_io_executor& executor, DeltaFrame delta_frame,
            bool keep_reply);

  boost::asio::awaitable<bool> on_delta(std::string_view text) override;
  // Queues one frame; false once the client is gone.
  boost::asio::awaitable<bool> enqueue(std::string_view frame);
  // Spawns the writer and a keep-alive comment whenever the stream was silent for `keep_alive_interval`.
  void start(std::chrono::milliseconds keep_alive_interval);
  // Stops the keep-alive, lets the writer send what is queued, and waits until both have left.
  boost::asio::awaitable<void> stop();

  const std::string& reply() const noexcept { return reply_; }
  // Bytes of reply text received by on_delta so far (kept or not).
  std::size_t text_bytes() const noexcept { return text_bytes_; }

 private:
  boost::asio::awaitable<void> writer();
  boost::asio::awaitable<void> keep_alive(std::chrono::milliseconds interval);
  boost::asio::awaitable<bool> wait_for_room();

  http::Exchange& exchange_;
  DeltaFrame delta_frame_;
  bool keep_reply_;
  std::string queued_;
  bool failed_ = false;
  bool finishing_ = false;
  bool writer_running_ = false;
  boost::asio::steady_timer wake_;         // the writer waits here for frames
  boost::asio::steady_timer drained_;      // enqueue waits here while the queue is over kMaxQueued
  boost::asio::steady_timer writer_done_;  // stop() waits here for the writer to leave
  std::chrono::steady_clock::time_point last_write_ = std::chrono::steady_clock::now();
  std::string reply_;
  std::size_t text_bytes_ = 0;
  boost::asio::steady_timer tick_;
  boost::asio::steady_timer ticker_done_;
  bool stopped_ = false;
  bool ticker_running_ = false;
};

}  // namespace llamachat::api
