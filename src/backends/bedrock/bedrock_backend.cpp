#include "backends/bedrock/bedrock_backend.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <random>

#include "aws/event_stream/decoder.hpp"
#include "aws/sigv4/signer.hpp"
#include "backends/bedrock/errors.hpp"
#include "backends/bedrock/stream_events.hpp"
#include "util/crypto.hpp"
#include "util/log.hpp"

namespace llamachat::backends::bedrock {
namespace net = boost::asio;
using namespace std::chrono;

namespace {

double uniform_random() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

aws::retry::FailureKind failure_of(const chat::Error& e) {
  using aws::retry::FailureKind;
  switch (e.kind) {
    case chat::ErrorKind::throttled:
      // ServiceQuotaExceeded is not retried by the SDKs' standard mode.
      return e.upstream_code == "ServiceQuotaExceededException" ? FailureKind::non_retryable : FailureKind::throttling;
    case chat::ErrorKind::upstream_unavailable:
    case chat::ErrorKind::upstream_failure: return FailureKind::transient;
    case chat::ErrorKind::upstream_unreachable: return FailureKind::connection;
    default: return FailureKind::non_retryable;
  }
}

chat::Error client_error_to_chat(const http::ClientError& e, const http::Url& endpoint) {
  using K = http::ClientErrorKind;
  switch (e.kind()) {
    case K::timeout: return {chat::ErrorKind::deadline_exceeded, std::string("Bedrock request timed out: ") + e.what()};
    case K::protocol:
      return {chat::ErrorKind::bad_upstream_response, std::string("Bedrock reply unreadable: ") + e.what()};
    default:
      return {chat::ErrorKind::upstream_unreachable,
              "cannot reach Bedrock endpoint " + endpoint.origin() + ": " + e.what()};
  }
}

}  // namespace

http::Url default_endpoint(const std::string& region) {
  http::Url url;
  url.scheme = "https";
  url.host = "bedrock-runtime." + region + ".amazonaws.com";
  url.port = 443;
  return url;
}

namespace {
// Process-wide unique, never 0 (the "nothing cached" value of client_for's shortcut).
std::uint64_t next_generation() {
  static std::atomic<std::uint64_t> counter{0};
  return counter.fetch_add(1) + 1;
}
}  // namespace

BedrockBackend::BedrockBackend(BedrockConfig config, std::shared_ptr<aws::credentials::Provider> credentials,
                               util::Clock clock)
    : config_(std::move(config)),
      credentials_(std::move(credentials)),
      clock_(std::move(clock)),
      quota_(std::make_shared<aws::retry::RetryQuota>(config_.retry.initial_quota)),
      generation_(next_generation()) {
  // Per request these would be rebuilt identically: the model id and the endpoint are fixed.
  std::string base = config_.endpoint.path;
  while (!base.empty() && base.back() == '/') base.pop_back();
  for (const Operation op :
       {Operation::invoke, Operation::invoke_stream, Operation::converse, Operation::converse_stream})
    targets_[static_cast<std::size_t>(op)] = base + operation_path(config_.model_id, op);
  host_header_ = config_.endpoint.host_header();
}

BedrockBackend::~BedrockBackend() = default;

chat::BackendInfo BedrockBackend::info() const { return {"bedrock", config_.model_id, false}; }

void BedrockBackend::shutdown() {
  std::lock_guard lock(clients_mutex_);
  generation_ = next_generation();
  clients_.clear();
}

http::Client& BedrockBackend::client_for(net::any_io_executor executor) {
  const void* key = &net::query(executor, net::execution::context);
  // Each worker thread asks for its own client on every request: remember the last answer per thread
  // rather than take the shared lock each time.
  struct LastClient {
    std::uint64_t generation = 0;
    const void* key = nullptr;
    http::Client* client = nullptr;
  };
  thread_local LastClient last;
  const std::uint64_t generation = generation_.load(std::memory_order_acquire);
  if (last.generation == generation && last.key == key) return *last.client;
  std::lock_guard lock(clients_mutex_);
  auto& slot = clients_[key];
  if (!slot) slot = std::make_unique<http::Client>(executor, config_.client);
  last = {generation, key, slot.get()};
  return *slot;
}

net::awaitable<chat::Outcome> BedrockBackend::stream(chat::ChatRequest request, chat::EventSink& sink) {
  const Operation operation = config_.api == Api::invoke
                                  ? (request.stream ? Operation::invoke_stream : Operation::invoke)
                                  : (request.stream ? Operation::converse_stream : Operation::converse);
  auto deadline = steady_clock::now() + config_.request_timeout;
  if (request.deadline && *request.deadline < deadline) deadline = *request.deadline;

  aws::retry::RetryStrategy strategy(config_.retry, quota_, &uniform_random);
  aws::retry::RetryToken token;
  net::steady_timer backoff(co_await net::this_coro::executor);
  for (int attempts = 1;; ++attempts) {
    bool reply_started = false;
    aws::retry::FailureKind failure = aws::retry::FailureKind::non_retryable;
    chat::Outcome outcome = co_await attempt(request, sink, operation, deadline, reply_started, failure);
    if (std::holds_alternative<chat::Completion>(outcome)) {
      strategy.on_success(token);
      co_return outcome;
    }
    const auto& error = std::get<chat::Error>(outcome);
    // Never retry once reply text reached the client: it would be sent twice.
    if (reply_started || error.kind == chat::ErrorKind::cancelled || (request.cancel && request.cancel->emitted()))
      co_return outcome;
    const auto delay = strategy.next_delay(attempts, failure, token);
    if (!delay) co_return outcome;
    if (steady_clock::now() + *delay >= deadline) co_return outcome;
    util::log_info("request " + request.request_id + ": attempt " + std::to_string(attempts) + " failed (" +
                   error.message.substr(0, 120) + "); retrying in " + std::to_string(delay->count()) + " ms");
    backoff.expires_after(*delay);
    const auto end_backoff_on_cancel = util::on_cancel(request.cancel.get(), [&backoff] { backoff.cancel(); });
    co_await backoff.async_wait(net::as_tuple(net::use_awaitable));
    if (request.cancel && request.cancel->emitted())
      co_return chat::Error{chat::ErrorKind::cancelled, "client disconnected"};
  }
}

http::ClientRequest BedrockBackend::signed_request(const chat::ChatRequest& request, Operation operation,
                                                   const aws::Credentials& credentials) const {
  const bool streaming = operation == Operation::invoke_stream || operation == Operation::converse_stream;
  http::ClientRequest upstream;
  upstream.method = "POST";
  upstream.target = targets_[static_cast<std::size_t>(operation)];
  upstream.body =
      config_.api == Api::invoke ? invoke_body(request, config_.defaults) : converse_body(request, config_.defaults);

  // The headers are built once, signed where they are, then moved into the request.
  aws::sigv4::Request to_sign;
  to_sign.method = upstream.method;
  to_sign.path = upstream.target;
  to_sign.payload = upstream.body;
  auto& headers = to_sign.headers;
  headers.reserve(5);
  headers.push_back({"host", host_header_});
  headers.push_back({"content-type", "application/json"});
  if (operation == Operation::invoke_stream)
    headers.push_back({"x-amzn-bedrock-accept", "application/json"});
  else if (!streaming)
    headers.push_back({"accept", "application/json"});
  aws::sigv4::SigningParams params;
  params.time = clock_();
  params.region = config_.region;
  params.service = "bedrock";
  auto signature = aws::sigv4::sign(to_sign, credentials, params);

  upstream.headers.reserve(headers.size() + signature.headers_to_add.size() + 2);
  for (auto& h : headers) upstream.headers.emplace_back(std::move(h.name), std::move(h.value));
  for (auto& h : signature.headers_to_add) upstream.headers.emplace_back(std::move(h.name), std::move(h.value));
  upstream.headers.emplace_back("user-agent", "llamachat/0.1");
  if (!request.request_id.empty()) upstream.headers.emplace_back("x-amzn-trace-id", "llamachat-" + request.request_id);
  return upstream;
}

net::awaitable<chat::Outcome> BedrockBackend::attempt(const chat::ChatRequest& request, chat::EventSink& sink,
                                                      Operation operation, steady_clock::time_point deadline,
                                                      bool& reply_started, aws::retry::FailureKind& failure) {
  const std::string provider_name = credentials_->name();
  const ErrorContext context{config_.model_id, config_.region, operation, provider_name};
  aws::Credentials credentials;
  try {
    credentials = co_await credentials_->get();
  } catch (const std::exception& e) {
    failure = aws::retry::FailureKind::non_retryable;
    co_return chat::Error{chat::ErrorKind::credentials, std::string("no AWS credentials: ") + e.what()};
  }
  http::ClientRequest upstream = signed_request(request, operation, credentials);

  http::Client& client = client_for(co_await net::this_coro::executor);
  std::unique_ptr<http::ResponseStream> response;
  // A disconnect closes the upstream connection, from the request through the end of the response.
  upstream.cancel = request.cancel;
  try {
    response = co_await client.open(config_.endpoint, std::move(upstream), deadline);
  } catch (const http::ClientError& e) {
    if (request.cancel && request.cancel->emitted())
      co_return chat::Error{chat::ErrorKind::cancelled, "client disconnected"};
    failure = e.kind() == http::ClientErrorKind::timeout ? aws::retry::FailureKind::timeout
                                                         : aws::retry::FailureKind::connection;
    if (e.kind() == http::ClientErrorKind::tls || e.kind() == http::ClientErrorKind::protocol)
      failure = aws::retry::FailureKind::non_retryable;
    co_return client_error_to_chat(e, config_.endpoint);
  }
  try {
    if (response->status() != 200) {
      const std::string body = co_await response->read_all();
      chat::Error error = error_from_response(response->status(), response->header("x-amzn-ErrorType"), body, context);
      failure = failure_of(error);
      co_return error;
    }
    const bool streaming = operation == Operation::invoke_stream || operation == Operation::converse_stream;
    if (!streaming) {
      chat::Outcome outcome = co_await read_whole_reply(*response, sink, reply_started);
      co_return outcome;
    }
    chat::Outcome outcome = co_await relay_event_stream(*response, sink, context, reply_started, failure);
    co_return outcome;
  } catch (const http::ClientError& e) {
    if (request.cancel && request.cancel->emitted())
      co_return chat::Error{chat::ErrorKind::cancelled, "client disconnected"};
    failure = e.kind() == http::ClientErrorKind::timeout ? aws::retry::FailureKind::timeout
                                                         : aws::retry::FailureKind::connection;
    if (e.kind() == http::ClientErrorKind::timeout && reply_started) {
      // The platform deadline: end cleanly with what was sent instead of being cut mid-event.
      co_return chat::Completion{"time_limit", std::nullopt};
    }
    co_return client_error_to_chat(e, config_.endpoint);
  }
}

net::awaitable<chat::Outcome> BedrockBackend::read_whole_reply(http::ResponseStream& response, chat::EventSink& sink,
                                                               bool& reply_started) {
  const std::string body = co_await response.read_all();
  auto parsed = parse_reply(body);
  if (auto* error = std::get_if<chat::Error>(&parsed)) co_return *error;
  auto& reply = std::get<ParsedReply>(parsed);
  reply_started = true;
  const bool delivered = co_await sink.on_delta(reply.text);
  if (!delivered) co_return chat::Error{chat::ErrorKind::cancelled, "client disconnected"};
  co_return chat::Completion{reply.stop_reason, reply.usage};
}

net::awaitable<chat::Outcome> BedrockBackend::relay_event_stream(http::ResponseStream& response, chat::EventSink& sink,
                                                                 const ErrorContext& context, bool& reply_started,
                                                                 aws::retry::FailureKind& failure) {
  aws::event_stream::Decoder decoder;
  std::vector<aws::event_stream::Message> messages;
  const StreamApi api = config_.api == Api::invoke ? StreamApi::invoke : StreamApi::converse;
  chat::Completion completion;
  bool stopped = false;
  for (;;) {
    const std::string_view piece = co_await response.read_some();
    boost::system::error_code ec;
    messages.clear();
    if (piece.empty()) {
      ec = decoder.finish();
    } else {
      decoder.feed(piece, messages, ec);
    }
    for (const auto& message : messages) {
      auto events = map_stream_message(api, message);
      if (!events) {
        response.close();
        co_return chat::Error{chat::ErrorKind::bad_upstream_response,
                              "unreadable Bedrock stream event: " + events.error().message()};
      }
      for (auto& event : *events) {
        switch (event.kind) {
          case StreamEvent::Kind::delta: {
            if (event.text.empty()) break;
            reply_started = true;
            const bool delivered = co_await sink.on_delta(event.text);
            if (!delivered) {
              response.close();
              co_return chat::Error{chat::ErrorKind::cancelled, "client disconnected"};
            }
            break;
          }
          case StreamEvent::Kind::stop:
            completion.stop_reason = event.stop_reason;
            stopped = true;
            break;
          case StreamEvent::Kind::usage:
            completion.usage = chat::Usage{event.input_tokens.value_or(0), event.output_tokens.value_or(0)};
            break;
          case StreamEvent::Kind::exception: {
            response.close();
            chat::Error error = error_from_code(event.exception_type, event.exception_message,
                                                event.original_status_code.value_or(0), context);
            error.message = "Bedrock stream failed: " + error.message;
            failure = failure_of(error);
            co_return error;
          }
          case StreamEvent::Kind::ignored: break;
        }
      }
    }
    if (ec) {
      response.close();
      co_return chat::Error{chat::ErrorKind::bad_upstream_response,
                            "broken Bedrock event stream: " + ec.message() + " after " +
                                std::to_string(decoder.bytes_consumed()) + " bytes"};
    }
    if (piece.empty()) break;
  }
  if (!stopped) {
    co_return chat::Error{chat::ErrorKind::bad_upstream_response,
                          "Bedrock event stream ended before the reply was complete (no stop event)"};
  }
  co_return completion;
}

}  // namespace llamachat::backends::bedrock
