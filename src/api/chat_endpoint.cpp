#include "api/chat_endpoint.hpp"

#include <array>
#include <boost/asio/this_coro.hpp>
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

// A JSON reply of /chat: {"<key>": "<text>"} (a plain function: the body is built now, the write is awaited).
net::awaitable<void> respond_text(http::Exchange& exchange, unsigned status, std::string_view key,
                                  std::string_view text, std::string_view backend, std::string_view retry_after = {}) {
  std::string body;
  body.reserve(text.size() + key.size() + 16);
  body += "{\"";
  body += key;
  body += "\":";
  http::append_json_quoted(body, text);
  body += '}';
  return respond_json(exchange, status, std::move(body), std::string(backend), std::string(retry_after));
}

http::Response json_response(unsigned status, std::string body, unsigned version) {
  http::Response res{static_cast<bhttp::status>(status), version};
  res.set(bhttp::field::content_type, "application/json; charset=utf-8");
  res.set(bhttp::field::cache_control, "no-store");
  res.body() = std::move(body);
  return res;
}

}  // namespace

net::awaitable<void> respond_json(http::Exchange& exchange, unsigned status, std::string body, std::string backend,
                                  std::string retry_after) {
  std::array<http::FieldView, 4> fields{{{"Content-Type", "application/json; charset=utf-8"},
                                         {"Cache-Control", "no-store"},
                                         {"X-Llamachat-Backend", backend},
                                         {"Retry-After", retry_after}}};
  const std::size_t count = retry_after.empty() ? 3 : 4;
  co_await exchange.respond_with(status, std::span<const http::FieldView>(fields.data(), count), std::move(body));
}

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
  chat::Outcome outcome = co_await backend.stream(std::move(request), sink);
  outcome = settle_outcome(exchange, std::move(outcome));
  if (exchange.client_gone()) co_return;
  if (const auto* error = std::get_if<chat::Error>(&outcome)) {
    const HttpError http_error = chat_endpoint_error(*error);
    util::log_warn("request " + exchange.request_id() + " failed (" + std::string(error_kind_name(error->kind)) +
                   "): " + error->message);
    const std::string retry_after =
        http_error.retry_after_seconds ? std::to_string(*http_error.retry_after_seconds) : std::string();
    co_await respond_text(exchange, http_error.status, "error", http_error.message, label, retry_after);
    co_return;
  }
  const std::string_view reply = util::trim(sink.text(), util::line_whitespace);
  if (reply.empty()) {
    co_await respond_text(exchange, 502, "error", "Llama invocation failed: the model returned an empty reply", label);
    co_return;
  }
  co_await respond_text(exchange, 200, "reply", reply, label);
}

// Server-Sent Events: a delta per piece of text, then done or error.
net::awaitable<void> reply_stream(http::Exchange& exchange, chat::Backend& backend, chat::ChatRequest request,
                                  std::string label, std::chrono::milliseconds keep_alive_interval) {
  const bool started = co_await exchange.begin_stream(sse_head(exchange.request().version(), label));
  if (!started) co_return;

  const auto executor = co_await net::this_coro::executor;
  SseStream sse(exchange, executor, chat_delta_frame(), true);
  // The writer and the keep-alive ticker refer to `sse`: stop() joins both before it goes out of scope, on
  // every path (a backend that throws, which only a bug does, included).
  sse.start(keep_alive_interval);

  std::exception_ptr failure;
  chat::Outcome outcome;
  try {
    outcome = co_await backend.stream(std::move(request), sse);
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) {
    co_await sse.stop();
    std::rethrow_exception(failure);
  }
  outcome = settle_outcome(exchange, std::move(outcome));
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
  co_await sse.stop();
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
  request.record = &exchange.record();

  // The label travels by value ("offline", "bedrock": short strings, no allocation); with none set, the
  // backend is asked.
  std::string label = options.backend_label.empty() ? backend_label(backend) : options.backend_label;
  if (stream) return reply_stream(exchange, backend, std::move(request), std::move(label), options.keep_alive_interval);
  return reply_whole(exchange, backend, std::move(request), std::move(label));
}

}  // namespace llamachat::api
