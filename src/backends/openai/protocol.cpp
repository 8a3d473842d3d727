#include "backends/openai/protocol.hpp"

#include <vector>

#include "backends/openai/sse_parser.hpp"
#include "backends/openai/wire.hpp"
#include "util/strings.hpp"

namespace llamachat::backends::openai {
namespace net = boost::asio;

namespace {

upstream::Failure unusable(std::string message) {
  return upstream::Failure{{chat::ErrorKind::bad_upstream_response, std::move(message)}};
}

upstream::Failure client_gone() { return upstream::Failure{{chat::ErrorKind::cancelled, "client disconnected"}}; }

}  // namespace

std::string endpoint_target(const http::Url& base, std::string_view leaf) {
  std::string target = base.path;
  while (!target.empty() && target.back() == '/') target.pop_back();
  target += '/';
  target += leaf;
  return target;
}

net::awaitable<std::string> BearerAuthorizer::authorize(http::ClientRequest& request) {
  request.headers.emplace_back("authorization", header_value_);
  co_return "OPENAI_API_KEY";
}

Protocol::Protocol(ProtocolSettings settings)
    : settings_(std::move(settings)),
      target_(endpoint_target(settings_.base, "chat/completions")),
      host_header_(settings_.base.host_header()),
      origin_(settings_.base.origin()) {}

http::ClientRequest Protocol::build_request(const chat::ChatRequest& request) const {
  http::ClientRequest upstream;
  upstream.method = "POST";
  upstream.target = target_;
  upstream.body = request_body(request, settings_.model);
  upstream.headers.reserve(6);
  upstream.headers.emplace_back("host", host_header_);
  upstream.headers.emplace_back("content-type", "application/json");
  upstream.headers.emplace_back("accept", request.stream ? "text/event-stream" : "application/json");
  upstream.headers.emplace_back("user-agent", "llamachat/0.1");
  if (!request.request_id.empty()) upstream.headers.emplace_back("x-request-id", "llamachat-" + request.request_id);
  return upstream;
}

upstream::Failure Protocol::classify(const upstream::ErrorReply& reply, const upstream::Attempt&) const {
  return failure_from_response(reply.status, reply.body, error_context());
}

net::awaitable<upstream::AttemptOutcome> Protocol::consume(http::ResponseStream& response, upstream::Relay& relay,
                                                           const upstream::Attempt& attempt) const {
  // Not a coroutine: the reader's own awaitable, so consuming costs no frame of its own.
  if (!attempt.request.stream) return read_whole_reply(response, relay);
  return relay_stream(response, relay);
}

net::awaitable<upstream::AttemptOutcome> Protocol::read_whole_reply(http::ResponseStream& response,
                                                                    upstream::Relay& relay) const {
  const std::string body = co_await response.read_all();
  auto parsed = parse_whole_reply(body);
  if (auto* error = std::get_if<chat::Error>(&parsed)) co_return upstream::Failure{std::move(*error)};
  auto& reply = std::get<WholeReply>(parsed);
  if (!reply.text.empty()) {
    const bool delivered = co_await relay.deliver(reply.text);
    if (!delivered) co_return client_gone();
  }
  co_return chat::Completion{std::move(reply.stop_reason), reply.usage};
}

net::awaitable<upstream::AttemptOutcome> Protocol::relay_stream(http::ResponseStream& response,
                                                                upstream::Relay& relay) const {
  SseParser parser;
  std::vector<SseEvent> events;
  chat::Completion completion;
  bool finished = false;  // a finish_reason arrived
  for (;;) {
    const std::string_view piece = co_await response.read_some();
    if (piece.empty()) break;
    events.clear();
    if (parser.feed(piece, events) != SseError::none) {
      response.close();
      co_return unusable("the upstream " + origin_ + " sent a stream that is not SSE (a line or an event over 1 MiB)");
    }
    for (const SseEvent& event : events) {
      if (is_done_marker(event)) continue;  // the end is judged once the body ended
      std::optional<Chunk> chunk = parse_chunk(event.data);
      if (!chunk) {
        response.close();
        co_return unusable("the upstream " + origin_ +
                           " sent an unreadable stream event: " + util::truncate_for_message(event.data));
      }
      if (chunk->error_message || event.type == "error") {
        response.close();
        co_return failure_from_stream_error(chunk->error_message.value_or(event.data), chunk->error_status.value_or(0),
                                            error_context());
      }
      if (!chunk->text.empty()) {
        const bool delivered = co_await relay.deliver(chunk->text);
        if (!delivered) {
          response.close();
          co_return client_gone();
        }
      }
      if (!chunk->finish_reason.empty()) {
        completion.stop_reason = stop_reason_of(chunk->finish_reason);
        finished = true;
      }
      if (chunk->usage) completion.usage = chunk->usage;
    }
  }
  if (!finished)
    co_return unusable("the upstream " + origin_ +
                       " ended its stream before the reply was complete (no finish_reason)");
  co_return completion;
}

}  // namespace llamachat::backends::openai
