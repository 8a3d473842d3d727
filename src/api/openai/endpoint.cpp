#include "api/openai/endpoint.hpp"

#include <array>
#include <boost/asio/this_coro.hpp>
#include <chrono>
#include <exception>
#include <span>

#include "api/chat_endpoint.hpp"
#include "api/openai/request.hpp"
#include "api/openai/response.hpp"
#include "api/sse.hpp"
#include "chat/stop_sequences.hpp"
#include "util/log.hpp"
#include "util/percent_encoding.hpp"

namespace llamachat::api::openai {
namespace net = boost::asio;
namespace bhttp = boost::beast::http;
using std::chrono::steady_clock;

namespace {

struct Shared {
  std::shared_ptr<chat::Backend> backend;
  OpenAiOptions options;
  std::string model;     // the configured model: what /v1/models lists and "model" must name
  std::string owned_by;  // owned_by of the model object
};

net::awaitable<void> send(http::Exchange& exchange, http::Response response) {
  co_await exchange.respond(std::move(response));
}

net::awaitable<void> send_error(http::Exchange& exchange, ApiError error, std::string label) {
  const std::string retry_after = error.retry_after_seconds ? std::to_string(*error.retry_after_seconds) : "";
  co_await respond_json(exchange, error.status, error_json(error), std::move(label), retry_after);
}

ApiError not_found(std::string message, std::string param, std::string code) {
  return invalid_request(std::move(message), std::move(param), std::move(code), 404);
}

ApiError unknown_model(std::string_view asked, std::string_view configured) {
  return not_found(
      "the model '" + std::string(asked) + "' does not exist; this server serves '" + std::string(configured) + "'",
      "model", "model_not_found");
}

ApiError context_too_long(const chat::PreparedConversation& prepared) {
  return invalid_request("the system prompt and the last user message need " + std::to_string(prepared.prompt_tokens) +
                             " tokens, more than the " + std::to_string(prepared.prompt_token_limit) +
                             " the model's context leaves after the reply's max_tokens",
                         "messages", "context_length_exceeded");
}

// Backend failures are logged here, once, with the request id.
ApiError failure(const http::Exchange& exchange, const chat::Error& error) {
  util::log_warn("request " + exchange.request_id() + " failed (" + std::string(error_kind_name(error.kind)) +
                 "): " + error.message);
  return api_error(error);
}

// usage: the backend's counts when it reported them, else ours (never under the real counts: the prompt as
// prepare_conversation counted it, the reply's UTF-8 bytes, an upper bound on its Llama 3 tokens).
TokenUsage usage_of(const chat::Completion& completion, std::uint64_t prompt_tokens, std::size_t reply_bytes) {
  if (completion.usage) return {completion.usage->input_tokens, completion.usage->output_tokens};
  return {prompt_tokens, reply_bytes};
}

// What a stop-cut reply is: the backend was told to stop (cancelled) because a stop string was seen.
chat::Outcome stop_cut_outcome(chat::Outcome outcome, bool stopped) {
  const auto* error = std::get_if<chat::Error>(&outcome);
  if (stopped && error && error->kind == chat::ErrorKind::cancelled) return chat::Completion{"stop", std::nullopt};
  return outcome;
}

// Streams into `sink`, cut at the first stop sequence when the request has any.
net::awaitable<chat::Outcome> stream_with_stops(chat::Backend& backend, chat::ChatRequest request,
                                                chat::EventSink& sink, bool& stopped) {
  std::vector<std::string> stops = request.params.stop;
  if (stops.empty()) {
    chat::Outcome outcome = co_await backend.stream(std::move(request), sink);
    co_return outcome;
  }
  chat::StopCuttingSink cutter(sink, std::move(stops));
  chat::Outcome outcome = co_await backend.stream(std::move(request), cutter);
  stopped = cutter.stopped();
  if (std::holds_alternative<chat::Completion>(outcome)) co_await cutter.finish();
  co_return outcome;
}

net::awaitable<void> reply_whole(http::Exchange& exchange, chat::Backend& backend, chat::ChatRequest request,
                                 CompletionIds ids, std::uint64_t prompt_tokens, std::string label) {
  chat::AccumulatingSink text;
  bool stopped = false;
  chat::Outcome outcome = co_await stream_with_stops(backend, std::move(request), text, stopped);
  outcome = stop_cut_outcome(std::move(outcome), stopped);
  outcome = settle_outcome(exchange, std::move(outcome));
  if (exchange.client_gone()) co_return;
  if (const auto* error = std::get_if<chat::Error>(&outcome)) {
    co_await send_error(exchange, failure(exchange, *error), label);
    co_return;
  }
  const auto& completion = std::get<chat::Completion>(outcome);
  const std::string body = completion_json(ids, text.text(), finish_reason(completion.stop_reason),
                                           usage_of(completion, prompt_tokens, text.text().size()));
  co_await respond_json(exchange, 200, body, label);
}

// Data-only SSE as OpenAI streams: the role chunk, content chunks, the finish chunk, the usage chunk when
// asked for, then [DONE]. A failure after the head was sent: one error event, then [DONE].
net::awaitable<void> reply_stream(http::Exchange& exchange, chat::Backend& backend, chat::ChatRequest request,
                                  CompletionIds ids, bool include_usage, std::uint64_t prompt_tokens, std::string label,
                                  std::chrono::milliseconds keep_alive_interval) {
  const bool started = co_await exchange.begin_stream(sse_head(exchange.request().version(), label));
  if (!started) co_return;

  const auto executor = co_await net::this_coro::executor;
  SseStream sse(exchange, executor, content_delta_frame(ids, include_usage), false);
  // The writer and the keep-alive ticker refer to `sse`: stop() joins both before it goes out of scope.
  sse.start(keep_alive_interval);
  const std::string role = role_event(ids, include_usage);
  co_await sse.enqueue(role);

  bool stopped = false;
  std::exception_ptr failure_ptr;
  chat::Outcome outcome;
  try {
    outcome = co_await stream_with_stops(backend, std::move(request), sse, stopped);
  } catch (...) {
    failure_ptr = std::current_exception();
  }
  if (failure_ptr) {
    co_await sse.stop();
    std::rethrow_exception(failure_ptr);
  }
  outcome = stop_cut_outcome(std::move(outcome), stopped);
  outcome = settle_outcome(exchange, std::move(outcome));
  std::string tail;
  if (const auto* error = std::get_if<chat::Error>(&outcome)) {
    if (error->kind != chat::ErrorKind::cancelled) {
      tail = error_event(failure(exchange, *error));
      tail += kDoneEvent;
    }
  } else {
    const auto& completion = std::get<chat::Completion>(outcome);
    tail = finish_event(ids, finish_reason(completion.stop_reason), include_usage);
    if (include_usage) tail += usage_event(ids, usage_of(completion, prompt_tokens, sse.text_bytes()));
    tail += kDoneEvent;
  }
  if (!tail.empty()) co_await sse.enqueue(tail);
  co_await sse.stop();
  co_await exchange.end_stream();
}

std::string completion_id(const std::string& request_id) { return "chatcmpl-" + request_id; }

std::int64_t unix_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Parses and validates now, then returns the coroutine that produces the reply.
net::awaitable<void> handle_completions(http::Exchange& exchange, const Shared& shared, std::string label) {
  const http::Request& req = exchange.request();
  auto parsed = parse_completion_request(req[bhttp::field::content_type], req.body());
  if (auto* error = std::get_if<ApiError>(&parsed)) return send_error(exchange, std::move(*error), std::move(label));
  auto& input = std::get<CompletionRequest>(parsed);
  if (input.model && *input.model != shared.model)
    return send_error(exchange, unknown_model(*input.model, shared.model), std::move(label));

  chat::ChatRequest request;
  request.system = input.system ? std::move(input.system) : std::optional<std::string>(chat::kDefaultSystemPrompt);
  request.messages = std::move(input.messages);
  request.params = std::move(input.params);
  request.request_id = exchange.request_id();
  request.stream = input.stream;
  const chat::PreparedConversation prepared = chat::prepare_conversation(request, shared.options.policy);
  if (prepared.status == chat::PrepareStatus::context_length_exceeded)
    return send_error(exchange, context_too_long(prepared), std::move(label));
  request.deadline = steady_clock::now() + shared.options.reply_deadline;
  request.cancel = exchange.watch_client();
  request.record = &exchange.record();

  CompletionIds ids{completion_id(exchange.request_id()), unix_seconds(), shared.model};
  if (input.stream)
    return reply_stream(exchange, *shared.backend, std::move(request), std::move(ids), input.include_usage,
                        prepared.prompt_tokens, std::move(label), shared.options.keep_alive_interval);
  return reply_whole(exchange, *shared.backend, std::move(request), std::move(ids), prepared.prompt_tokens,
                     std::move(label));
}

net::awaitable<void> handle_models(http::Exchange& exchange, const Shared& shared, std::string_view path,
                                   std::string label) {
  constexpr std::string_view kModels = "/v1/models";
  if (path == kModels) return respond_json(exchange, 200, model_list_json(shared.model, shared.owned_by), label);
  // Model ids hold ':' and, as ARNs, '/': the path segment is percent-decoded.
  const std::string id = util::percent_decode(path.substr(kModels.size() + 1));
  if (id != shared.model)
    return send_error(exchange, not_found("the model '" + id + "' does not exist", "", "model_not_found"),
                      std::move(label));
  return respond_json(exchange, 200, model_json(shared.model, shared.owned_by), label);
}

ApiError method_not_allowed(const http::Request& req, std::string_view path, std::string_view allowed) {
  return invalid_request("method " + std::string(req.method_string()) + " not allowed on " + std::string(path) +
                             "; use " + std::string(allowed),
                         "", "method_not_allowed", 405);
}

}  // namespace

http::Response error_response(const ApiError& error, unsigned http_version) {
  http::Response res{static_cast<bhttp::status>(error.status), http_version};
  res.set(bhttp::field::content_type, "application/json; charset=utf-8");
  res.set(bhttp::field::cache_control, "no-store");
  if (error.retry_after_seconds) res.set(bhttp::field::retry_after, std::to_string(*error.retry_after_seconds));
  res.body() = error_json(error);
  return res;
}

http::Response early_error_response(unsigned status, std::string_view message, unsigned http_version) {
  return error_response(invalid_request(std::string(message), "", "", status), http_version);
}

http::Handler make_openai_handler(std::shared_ptr<chat::Backend> backend, OpenAiOptions options) {
  auto shared = std::make_shared<Shared>();
  const chat::BackendInfo info = backend->info();
  if (options.backend_label.empty()) options.backend_label = backend_label(*backend);
  shared->model = options.model.empty() ? info.model : options.model;
  shared->owned_by = info.offline ? "llamachat" : info.name;
  shared->backend = std::move(backend);
  shared->options = std::move(options);
  return [shared](http::Exchange& exchange) -> net::awaitable<void> {
    const http::Request& req = exchange.request();
    const std::string_view target = req.target();
    const std::string_view path = target.substr(0, target.find('?'));
    const auto method = req.method();
    std::string label = shared->options.backend_label;
    if (path == "/v1/chat/completions") {
      exchange.record().route = observe::Route::v1_chat_completions;
      if (method != bhttp::verb::post)
        return send(exchange, error_response(method_not_allowed(req, path, "POST"), req.version()));
      return handle_completions(exchange, *shared, std::move(label));
    }
    if (path == "/v1/models" || path.starts_with("/v1/models/")) {
      exchange.record().route = observe::Route::v1_models;
      if (method != bhttp::verb::get && method != bhttp::verb::head)
        return send(exchange, error_response(method_not_allowed(req, path, "GET"), req.version()));
      return handle_models(exchange, *shared, path, std::move(label));
    }
    exchange.record().route = observe::Route::v1_other;
    return send(exchange,
                error_response(not_found("no route for " + std::string(req.method_string()) + " " + std::string(path),
                                         "", "unknown_url"),
                               req.version()));
  };
}

}  // namespace llamachat::api::openai
