#include "stream_events.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>

#include "aws/event_stream/encoder.hpp"
#include "util/base64.hpp"

namespace llamachat::emulator {
namespace json = boost::json;
namespace es = aws::event_stream;
namespace {

std::string encode_message(std::string_view message_type, std::string_view type_header, std::string_view type,
                           std::string_view payload) {
  es::Message message;
  message.headers.push_back({std::string(type_header), es::HeaderValue(std::string(type))});
  message.headers.push_back({":content-type", es::HeaderValue(std::string("application/json"))});
  message.headers.push_back({":message-type", es::HeaderValue(std::string(message_type))});
  message.payload = std::string(payload);
  return es::encode(message);
}

std::string invoke_chunk(std::string_view model_chunk) {
  json::object part;
  part["bytes"] = util::base64_encode(model_chunk);
  return encode_event("chunk", json::serialize(part));
}

void build_invoke(StreamPlan& plan, std::string_view text, Usage usage, const Directives& d, long latency_ms) {
  const Shape shape = d.shape.value_or(Shape::generation);
  const auto pieces = split_pieces(text);
  std::size_t generated = 0;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    ++generated;
    const std::string body =
        d.nonjson ? "not json: " + pieces[i]
                  : json::serialize(stream_chunk_body(shape, pieces[i], usage, i == 0, false, generated, latency_ms));
    plan.frames.push_back(invoke_chunk(body));
  }
  plan.text_events = pieces.size();
  plan.frames.push_back(
      invoke_chunk(json::serialize(stream_chunk_body(shape, "", usage, pieces.empty(), true, generated, latency_ms))));
}

void build_converse(StreamPlan& plan, std::string_view text, Usage usage, const Directives& d, long latency_ms) {
  json::object start;
  start["role"] = "assistant";
  plan.frames.push_back(encode_event("messageStart", json::serialize(start)));
  const auto pieces = split_pieces(text);
  for (const auto& piece : pieces) {
    json::object delta;
    delta["contentBlockIndex"] = 0;
    json::object inner;
    inner["text"] = piece;
    delta["delta"] = std::move(inner);
    plan.frames.push_back(encode_event("contentBlockDelta", d.nonjson ? "not json: " + piece : json::serialize(delta)));
  }
  plan.text_events = pieces.size();
  json::object stop_block;
  stop_block["contentBlockIndex"] = 0;
  plan.frames.push_back(encode_event("contentBlockStop", json::serialize(stop_block)));
  json::object stop;
  stop["stopReason"] = "end_turn";
  plan.frames.push_back(encode_event("messageStop", json::serialize(stop)));
  json::object metadata;
  json::object u;
  u["inputTokens"] = usage.input_tokens;
  u["outputTokens"] = usage.output_tokens;
  u["totalTokens"] = usage.input_tokens + usage.output_tokens;
  metadata["usage"] = std::move(u);
  json::object metrics;
  metrics["latencyMs"] = latency_ms;
  metadata["metrics"] = std::move(metrics);
  plan.frames.push_back(encode_event("metadata", json::serialize(metadata)));
}

}  // namespace

std::string encode_event(std::string_view event_type, std::string_view payload) {
  return encode_message("event", ":event-type", event_type, payload);
}

std::string encode_exception(std::string_view exception_type, std::string_view payload) {
  return encode_message("exception", ":exception-type", exception_type, payload);
}

StreamPlan build_stream(Operation op, std::string_view text, Usage usage, const Directives& d, long latency_ms) {
  StreamPlan plan;
  if (op == Operation::converse_stream) {
    build_converse(plan, text, usage, d, latency_ms);
  } else {
    build_invoke(plan, text, usage, d, latency_ms);
  }
  if (d.stream_exception) {
    const std::size_t at = std::min(d.stream_exception_at, plan.frames.size());
    plan.frames.resize(at);
    plan.frames.push_back(
        encode_exception(*d.stream_exception, json::serialize(stream_exception_payload(*d.stream_exception))));
  }
  if (d.broken_frame_at && *d.broken_frame_at < plan.frames.size()) {
    // Flip bits of the trailing message CRC: the prelude stays valid, so the defect is a message CRC mismatch.
    std::string& frame = plan.frames[*d.broken_frame_at];
    frame.back() = static_cast<char>(frame.back() ^ 0x5A);
  }
  return plan;
}

}  // namespace llamachat::emulator
