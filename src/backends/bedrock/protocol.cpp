#include "backends/bedrock/protocol.hpp"

#include <vector>

#include "aws/event_stream/decoder.hpp"
#include "backends/bedrock/stream_events.hpp"

namespace llamachat::backends::bedrock {
namespace net = boost::asio;

namespace {

bool is_streaming(Operation operation) noexcept {
  return operation == Operation::invoke_stream || operation == Operation::converse_stream;
}

upstream::Failure unusable(std::string message) {
  return upstream::Failure{{chat::ErrorKind::bad_upstream_response, std::move(message)}};
}

upstream::Failure client_gone() { return upstream::Failure{{chat::ErrorKind::cancelled, "client disconnected"}}; }

}  // namespace

Protocol::Protocol(ProtocolSettings settings) : settings_(std::move(settings)) {
  std::string base = settings_.endpoint.path;
  while (!base.empty() && base.back() == '/') base.pop_back();
  for (const Operation op :
       {Operation::invoke, Operation::invoke_stream, Operation::converse, Operation::converse_stream})
    targets_[static_cast<std::size_t>(op)] = base + operation_path(settings_.model_id, op);
  host_header_ = settings_.endpoint.host_header();
}

Operation Protocol::operation_for(const chat::ChatRequest& request) const noexcept {
  if (settings_.api == Api::invoke) return request.stream ? Operation::invoke_stream : Operation::invoke;
  return request.stream ? Operation::converse_stream : Operation::converse;
}

ErrorContext Protocol::error_context(const upstream::Attempt& attempt) const noexcept {
  return ErrorContext{settings_.model_id, settings_.region, operation_for(attempt.request), attempt.credentials_source};
}

http::ClientRequest Protocol::build_request(const chat::ChatRequest& request) const {
  const Operation operation = operation_for(request);
  http::ClientRequest upstream;
  upstream.method = "POST";
  upstream.target = targets_[static_cast<std::size_t>(operation)];
  upstream.body = settings_.api == Api::invoke ? invoke_body(request, settings_.defaults)
                                               : converse_body(request, settings_.defaults);
  // Room for the signature's headers too (x-amz-date, x-amz-security-token, authorization).
  upstream.headers.reserve(8);
  upstream.headers.emplace_back("host", host_header_);
  upstream.headers.emplace_back("content-type", "application/json");
  if (operation == Operation::invoke_stream)
    upstream.headers.emplace_back("x-amzn-bedrock-accept", "application/json");
  else if (!is_streaming(operation))
    upstream.headers.emplace_back("accept", "application/json");
  // Neither is signed (SigV4 skips them), as in the SDKs.
  upstream.headers.emplace_back("user-agent", "llamachat/0.1");
  if (!request.request_id.empty()) upstream.headers.emplace_back("x-amzn-trace-id", "llamachat-" + request.request_id);
  return upstream;
}

upstream::Failure Protocol::classify(const upstream::ErrorReply& reply, const upstream::Attempt& attempt) const {
  return failure_from_response(reply.status, reply.response.header("x-amzn-ErrorType"), reply.body,
                               error_context(attempt));
}

net::awaitable<upstream::AttemptOutcome> Protocol::consume(http::ResponseStream& response, upstream::Relay& relay,
                                                           const upstream::Attempt& attempt) const {
  // Not a coroutine: the reader's own awaitable, so consuming costs no frame of its own.
  if (!is_streaming(operation_for(attempt.request))) return read_whole_reply(response, relay);
  return relay_event_stream(response, relay, attempt);
}

net::awaitable<upstream::AttemptOutcome> Protocol::read_whole_reply(http::ResponseStream& response,
                                                                    upstream::Relay& relay) const {
  const std::string body = co_await response.read_all();
  auto parsed = parse_reply(body);
  if (auto* error = std::get_if<chat::Error>(&parsed)) co_return upstream::Failure{std::move(*error)};
  auto& reply = std::get<ParsedReply>(parsed);
  const bool delivered = co_await relay.deliver(reply.text);
  if (!delivered) co_return client_gone();
  co_return chat::Completion{reply.stop_reason, reply.usage};
}

net::awaitable<upstream::AttemptOutcome> Protocol::relay_event_stream(http::ResponseStream& response,
                                                                      upstream::Relay& relay,
                                                                      const upstream::Attempt& attempt) const {
  aws::event_stream::Decoder decoder;
  std::vector<aws::event_stream::Message> messages;
  const StreamApi api = settings_.api == Api::invoke ? StreamApi::invoke : StreamApi::converse;
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
        co_return unusable("unreadable Bedrock stream event: " + events.error().message());
      }
      for (auto& event : *events) {
        switch (event.kind) {
          case StreamEvent::Kind::delta: {
            if (event.text.empty()) break;
            const bool delivered = co_await relay.deliver(event.text);
            if (!delivered) {
              response.close();
              co_return client_gone();
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
            upstream::Failure failure =
                failure_from_code(event.exception_type, event.exception_message, event.original_status_code.value_or(0),
                                  error_context(attempt));
            failure.error.message = "Bedrock stream failed: " + failure.error.message;
            co_return failure;
          }
          case StreamEvent::Kind::ignored: break;
        }
      }
    }
    if (ec) {
      response.close();
      co_return unusable("broken Bedrock event stream: " + ec.message() + " after " +
                         std::to_string(decoder.bytes_consumed()) + " bytes");
    }
    if (piece.empty()) break;
  }
  if (!stopped) co_return unusable("Bedrock event stream ended before the reply was complete (no stop event)");
  co_return completion;
}

}  // namespace llamachat::backends::bedrock
