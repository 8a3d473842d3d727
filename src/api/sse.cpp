#include "api/sse.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "http/server/server.hpp"
#include "util/json_text.hpp"

namespace llamachat::api {
namespace net = boost::asio;
namespace bhttp = boost::beast::http;
using std::chrono::steady_clock;

std::string sse_event(std::string_view name, std::string_view data_json) {
  std::string out;
  out.reserve(name.size() + data_json.size() + 16);
  out += "event: ";
  out += name;
  out += "\ndata: ";
  out += data_json;
  out += "\n\n";
  return out;
}

std::string sse_data(std::string_view data_json) {
  std::string out;
  out.reserve(data_json.size() + 8);
  out += "data: ";
  out += data_json;
  out += "\n\n";
  return out;
}

std::string sse_delta(std::string_view text) {
  const DeltaFrame frame = chat_delta_frame();
  std::string out = frame.prefix;
  http::append_json_quoted(out, text);
  out += frame.suffix;
  return out;
}

DeltaFrame chat_delta_frame() { return {"event: delta\ndata: {\"delta\":", "}\n\n"}; }

std::string usage_json(const std::optional<chat::Usage>& usage) {
  if (!usage) return "{}";
  return "{\"input_tokens\":" + std::to_string(usage->input_tokens) +
         ",\"output_tokens\":" + std::to_string(usage->output_tokens) +
         ",\"total_tokens\":" + std::to_string(usage->input_tokens + usage->output_tokens) + "}";
}

std::string sse_done(std::string_view reply, const chat::Completion& completion) {
  return sse_event("done", "{\"reply\":" + http::json_quote(reply) +
                               ",\"stop_reason\":" + http::json_quote(completion.stop_reason) +
                               ",\"usage\":" + usage_json(completion.usage) + "}");
}

std::string sse_error(std::string_view message) { return sse_event("error", util::json_error_body(message)); }

http::Response sse_head(unsigned http_version, std::string_view backend_label) {
  http::Response head{bhttp::status::ok, http_version};
  head.set(bhttp::field::content_type, "text/event-stream; charset=utf-8");
  head.set(bhttp::field::cache_control, "no-cache");
  head.set("X-Accel-Buffering", "no");
  head.set("X-Llamachat-Backend", backend_label);
  return head;
}

namespace {

// The coroutines of one SSE reply signal each other by cancelling a timer that waits forever.
auto signalled(net::steady_timer& timer) {
  timer.expires_at(net::steady_timer::time_point::max());
  return timer.async_wait(net::as_tuple(net::use_awaitable));
}

}  // namespace

SseStream::SseStream(http::Exchange& exchange, const net::any_io_executor& executor, DeltaFrame delta_frame,
                     bool keep_reply)
    : exchange_(exchange),
      delta_frame_(std::move(delta_frame)),
      keep_reply_(keep_reply),
      wake_(executor),
      drained_(executor),
      writer_done_(executor),
      tick_(executor),
      ticker_done_(executor) {}

chat::Outcome settle_outcome(http::Exchange& exchange, chat::Outcome outcome) {
  if (const auto* completion = std::get_if<chat::Completion>(&outcome)) {
    if (completion->usage) {
      exchange.record().input_tokens = completion->usage->input_tokens;
      exchange.record().output_tokens = completion->usage->output_tokens;
    }
  } else if (std::get<chat::Error>(outcome).kind == chat::ErrorKind::cancelled && exchange.interrupted() &&
             !exchange.client_gone()) {
    return chat::Error{chat::ErrorKind::shutting_down, "the service is shutting down; retry the request"};
  }
  return outcome;
}

net::awaitable<bool> SseStream::on_delta(std::string_view text) {
  // Time to first token: the first reply text of the stream (one clock read per stream).
  if (text_bytes_ == 0 && !text.empty()) {
    observe::RequestRecord& record = exchange_.record();
    record.ttft =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - record.started);
  }
  text_bytes_ += text.size();
  if (keep_reply_) reply_.append(text);
  if (exchange_.client_gone()) failed_ = true;
  if (failed_) co_return false;
  // The frame is written straight into the queue: no string per delta.
  queued_ += delta_frame_.prefix;
  http::append_json_quoted(queued_, text);
  queued_ += delta_frame_.suffix;
  const bool ok = co_await wait_for_room();
  co_return ok;
}

net::awaitable<bool> SseStream::enqueue(std::string_view frame) {
  if (exchange_.client_gone()) failed_ = true;
  if (failed_) co_return false;
  queued_.append(frame);
  const bool ok = co_await wait_for_room();
  co_return ok;
}

net::awaitable<bool> SseStream::wait_for_room() {
  wake_.cancel();  // the writer may be waiting for work
  while (queued_.size() > kMaxQueued && !failed_) co_await signalled(drained_);
  co_return !failed_;
}

void SseStream::start(std::chrono::milliseconds keep_alive_interval) {
  const auto executor = wake_.get_executor();
  writer_running_ = true;
  ticker_running_ = true;
  net::co_spawn(executor, writer(), net::detached);
  net::co_spawn(executor, keep_alive(keep_alive_interval), net::detached);
}

// Ends after stop() once everything queued is written (or the client left).
net::awaitable<void> SseStream::writer() {
  std::string batch;
  for (;;) {
    if (queued_.empty()) {
      if (finishing_) break;
      co_await signalled(wake_);
      continue;
    }
    batch.swap(queued_);  // both keep their capacity: no allocation per write
    drained_.cancel();
    const bool ok = co_await exchange_.write_chunk(batch);
    last_write_ = steady_clock::now();
    batch.clear();
    if (!ok) {
      failed_ = true;
      queued_.clear();
      drained_.cancel();
      break;
    }
  }
  writer_running_ = false;
  writer_done_.cancel();
}

// Queues a comment whenever the stream was silent for `interval`, until stop(), which it then wakes
// (ticker_done_) so that the owner can wait for it before destroying this object.
// Once the client sent end of file (a half-close, or a full close: they read the same), a silent stream
// gets a comment every kEofProbeInterval instead: a client that closed fully answers the first with a
// reset, the next write fails, and the request's cancel signal ends the upstream call, within about two
// intervals even while the upstream is silent. A half-closed client just reads a few more comments.
net::awaitable<void> SseStream::keep_alive(std::chrono::milliseconds interval) {
  constexpr std::chrono::milliseconds kEofProbeInterval{250};
  while (!stopped_) {
    const auto now = steady_clock::now();
    const auto silence = exchange_.peer_finished_sending() ? std::min(interval, kEofProbeInterval) : interval;
    if (now - last_write_ >= silence && queued_.empty()) {
      const bool ok = co_await enqueue(kSseKeepAlive);
      if (!ok) break;
      last_write_ = steady_clock::now();
      continue;
    }
    // Look again when the silence would be long enough, and at least every probe interval (end of file
    // may come meanwhile); a queue the writer cannot drain (a slow reader) is looked at again later.
    const auto due = last_write_ + silence;
    tick_.expires_at(due > now ? std::min(due, now + kEofProbeInterval) : now + kEofProbeInterval);
    co_await tick_.async_wait(net::as_tuple(net::use_awaitable));
  }
  ticker_running_ = false;
  ticker_done_.cancel();
}

net::awaitable<void> SseStream::stop() {
  stopped_ = true;
  tick_.cancel();
  while (ticker_running_) co_await signalled(ticker_done_);
  finishing_ = true;
  wake_.cancel();
  while (writer_running_) co_await signalled(writer_done_);
}

}  // namespace llamachat::api
