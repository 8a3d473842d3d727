#include "api/chat_endpoint.hpp"

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <memory>
#include <span>

#include "api/chat_request.hpp"
#include "api/error_table.hpp"
#include "api/sse.hpp"
#include "util/json_text.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace llamachat::api {
namespace net = boost::asio;
namespace bhttp = boost::beast::http;
using std::chrono::steady_clock;

namespace {

// A JSON reply of /chat: {"<key>": "<text>"} with the backend named, written without a Response object.
net::awaitable<void> respond_json(http::Exchange& exchange, unsigned status, std::string_view key,
                                  std::string_view text, std::string_view backend, std::string_view retry_after = {}) {
  std::string body;
  body.reserve(text.size() + key.size() + 16);
  body += "{\"";
  body += key;
  body += "\":";
  http::append_json_quoted(body, text);
  body += '}';
  std::array<http::FieldView, 4> fields{{{"Content-Type", "application/json; charset=utf-8"},
                                         {"Cache-Control", "no-store"},
                                         {"X-Llamachat-Backend", backend},
                                         {"Retry-After", retry_after}}};
  const std::size_t count = retry_after.empty() ? 3 : 4;
  co_await exchange.respond_with(status, std::span<const http::FieldView>(fields.data(), count), std::move(body));
}

http::Response json_response(unsigned status, std::string body, unsigned version) {
  http::Response res{static_cast<bhttp::status>(status), version};
  res.set(bhttp::field::content_type, "application/json; charset=utf-8");
  res.set(bhttp::field::cache_control, "no-store");
  res.body() = std::move(body);
  return res;
}

void mark_backend(http::Response& res, std::string_view label) { res.set("X-Llamachat-Backend", label); }

// The coroutines of one SSE reply signal each other by cancelling a timer that waits forever.
auto signalled(net::steady_timer& timer) {
  timer.expires_at(net::steady_timer::time_point::max());
  return timer.async_wait(net::as_tuple(net::use_awaitable));
}

// The SSE frames of one reply. Frames queue in a buffer that one writer coroutine drains: the frames that
// arrive while a write is in flight go out together in the next write, so a burst of deltas from one
// upstream read costs one system call, not one each. on_delta returns once its frame is queued, or, when
// more than kMaxQueued bytes wait, once the writer took them: a slow reader still slows the upstream read
// (backpressure), with at most kMaxQueued bytes in between. Keeps the whole reply for the "done" event.
class SseStream final : public chat::EventSink {
 public:
  static constexpr std::size_t kMaxQueued = 64 * 1024;

  SseStream(http::Exchange& exchange, const net::any_io_executor& executor)
      : exchange_(exchange),
        wake_(executor),
        drained_(executor),
        writer_done_(executor),
        tick_(executor),
        ticker_done_(executor) {}

  net::awaitable<bool> on_delta(std::string_view text) override {
    reply_.append(text);
    const std::string frame = sse_delta(text);
    const bool ok = co_await enqueue(frame);
    co_return ok;
  }

  // Queues one frame; false once the client is gone.
  net::awaitable<bool> enqueue(std::string_view frame) {
    if (exchange_.client_gone()) failed_ = true;
    if (failed_) co_return false;
    queued_.append(frame);
    wake_.cancel();  // the writer may be waiting for work
    while (queued_.size() > kMaxQueued && !failed_) co_await signalled(drained_);
    co_return !failed_;
  }

  // Spawned once per reply; ends after finish() once everything queued is written (or the client left).
  net::awaitable<void> writer() {
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

  // Lets the writer send what is queued, and waits until it has left.
  net::awaitable<void> finish() {
    finishing_ = true;
    wake_.cancel();
    while (writer_running_) co_await signalled(writer_done_);
  }

  // Queues a comment whenever the stream was silent for `interval`, until stop_and_join_keep_alive(),
  // which it then wakes (ticker_done_) so that the owner can wait for it before destroying this object.
  net::awaitable<void> keep_alive(std::chrono::milliseconds interval) {
    while (!stopped_) {
      tick_.expires_at(last_write_ + interval);
      co_await tick_.async_wait(net::as_tuple(net::use_awaitable));
      if (stopped_) break;
      if (steady_clock::now() - last_write_ >= interval && queued_.empty()) {
        const bool ok = co_await enqueue(kSseKeepAlive);
        if (!ok) break;
        last_write_ = steady_clock::now();
      }
    }
    ticker_running_ = false;
    ticker_done_.cancel();
  }
  // Stops the keep-alive ticker and waits until it has left.
  net::awaitable<void> stop_and_join_keep_alive() {
    stopped_ = true;
    tick_.cancel();
    while (ticker_running_) co_await signalled(ticker_done_);
  }

  const std::string& reply() const noexcept { return reply_; }

 private:
  http::Exchange& exchange_;
  std::string queued_;
  bool failed_ = false;
  bool finishing_ = false;
  bool writer_running_ = true;
  net::steady_timer wake_;         // the writer waits here for frames
  net::steady_timer drained_;      // enqueue waits here while the queue is over kMaxQueued
  net::steady_timer writer_done_;  // finish() waits here for the writer to leave
  steady_clock::time_point last_write_ = steady_clock::now();
  std::string reply_;
  net::steady_timer tick_;
  net::steady_timer ticker_done_;
  bool stopped_ = false;
  bool ticker_running_ = true;
};

}  // namespace

std::string backend_label(const chat::Backend& backend) {
  const auto info = backend.info();
  return info.offline ? "offline" : info.name;
}

namespace {

net::awaitable<void> respond_bad_request(http::Exchange& exchange, HttpError error) {
  co_await exchange.respond(
      json_response(error.status, util::json_error_body(error.message), exchange.request().version()));
}

// The whole reply as one JSON object (the original contract).
net::awaitable<void> reply_whole(http::Exchange& exchange, chat::Backend& backend, chat::ChatRequest request,
                                 std::string label) {
  chat::AccumulatingSink sink;
  const chat::Outcome outcome = co_await backend.stream(std::move(request), sink);
  if (exchange.client_gone()) co_return;
  if (const auto* error = std::get_if<chat::Error>(&outcome)) {
    const HttpError http_error = chat_endpoint_error(*error);
    util::log_warn("request " + exchange.request_id() + " failed (" + std::string(error_kind_name(error->kind)) +
                   "): " + error->message);
    const std::string retry_after =
        http_error.retry_after_seconds ? std::to_string(*http_error.retry_after_seconds) : std::string();
    co_await respond_json(exchange, http_error.status, "error", http_error.message, label, retry_after);
    co_return;
  }
  const std::string_view reply = util::trim(sink.text(), util::line_whitespace);
  if (reply.empty()) {
    co_await respond_json(exchange, 502, "error", "Llama invocation failed: the model returned an empty reply", label);
    co_return;
  }
  co_await respond_json(exchange, 200, "reply", reply, label);
}

// Server-Sent Events: a delta per piece of text, then done or error.
net::awaitable<void> reply_stream(http::Exchange& exchange, chat::Backend& backend, chat::ChatRequest request,
                                  std::string label, std::chrono::milliseconds keep_alive_interval) {
  http::Response head{bhttp::status::ok, exchange.request().version()};
  head.set(bhttp::field::content_type, "text/event-stream; charset=utf-8");
  head.set(bhttp::field::cache_control, "no-cache");
  head.set("X-Accel-Buffering", "no");
  mark_backend(head, label);
  const bool started = co_await exchange.begin_stream(std::move(head));
  if (!started) co_return;

  const auto executor = co_await net::this_coro::executor;
  SseStream sse(exchange, executor);
  // The writer and the keep-alive ticker refer to `sse`: both are joined before it goes out of scope, on
  // every path (a backend that throws, which only a bug does, included).
  net::co_spawn(executor, sse.writer(), net::detached);
  net::co_spawn(executor, sse.keep_alive(keep_alive_interval), net::detached);

  std::exception_ptr failure;
  chat::Outcome outcome;
  try {
    outcome = co_await backend.stream(std::move(request), sse);
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) {
    co_await sse.stop_and_join_keep_alive();
    co_await sse.finish();
    std::rethrow_exception(failure);
  }
  if (const auto* error = std::get_if<chat::Error>(&outcome)) {
    if (error->kind != chat::ErrorKind::cancelled) {
      util::log_warn("request " + exchange.request_id() + " stream failed (" +
                     std::string(error_kind_name(error->kind)) + "): " + error->message);
      const std::string frame = sse_error(chat_endpoint_error(*error).message);
      co_await sse.enqueue(frame);
    }
  } else {
    const std::string frame =
        sse_done(util::trim(sse.reply(), util::line_whitespace), std::get<chat::Completion>(outcome));
    co_await sse.enqueue(frame);
  }
  co_await sse.stop_and_join_keep_alive();
  co_await sse.finish();
  co_await exchange.end_stream();
}

}  // namespace

// A plain function: it parses and validates now, then returns the coroutine that produces the reply (one
// coroutine frame per request instead of two; the references it takes outlive the awaiting caller).
net::awaitable<void> handle_chat(http::Exchange& exchange, chat::Backend& backend, const ChatEndpointOptions& options) {
  const http::Request& req = exchange.request();
  auto parsed = parse_chat_input(req[bhttp::field::content_type], req.body());
  if (auto* error = std::get_if<HttpError>(&parsed)) return respond_bad_request(exchange, std::move(*error));
  auto& input = std::get<ChatInput>(parsed);
  const bool stream = input.stream || accepts_event_stream(req[bhttp::field::accept]);

  chat::ChatRequest request;
  request.system = chat::kDefaultSystemPrompt;
  request.messages.push_back({chat::Role::user, std::move(input.message)});
  request.request_id = exchange.request_id();
  request.stream = stream;
  request.deadline = steady_clock::now() + options.reply_deadline;
  request.cancel = exchange.watch_client();

  // The label travels by value ("offline", "bedrock": short strings, no allocation); with none set, the
  // backend is asked.
  std::string label = options.backend_label.empty() ? backend_label(backend) : options.backend_label;
  if (stream) return reply_stream(exchange, backend, std::move(request), std::move(label), options.keep_alive_interval);
  return reply_whole(exchange, backend, std::move(request), std::move(label));
}

}  // namespace llamachat::api
