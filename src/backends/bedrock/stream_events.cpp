#include "backends/bedrock/stream_events.hpp"

#include <boost/json.hpp>

#include <string_view>

#include "util/base64.hpp"

namespace llamachat::backends::bedrock {
namespace {

namespace json = boost::json;
using Events = std::vector<StreamEvent>;
template <typename T>
using Result = boost::system::result<T>;

class Category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "llamachat.bedrock.stream_event"; }
  std::string message(int ev) const override {
    switch (static_cast<stream_event_errc>(ev)) {
      case stream_event_errc::missing_message_type: return "event-stream message has no :message-type header";
      case stream_event_errc::missing_event_type: return "event-stream event has no :event-type header";
      case stream_event_errc::missing_exception_type: return "event-stream exception has no :exception-type header";
      case stream_event_errc::payload_not_json_object: return "event payload is not a JSON object";
      case stream_event_errc::chunk_bytes_missing: return "chunk event has no string \"bytes\" member";
      case stream_event_errc::chunk_bytes_not_base64: return "chunk \"bytes\" member is not valid base64";
      case stream_event_errc::chunk_not_json_object: return "decoded chunk bytes are not a JSON object";
      case stream_event_errc::required_field_missing: return "event payload lacks a required member";
      case stream_event_errc::field_has_wrong_type: return "event payload member has an unexpected type";
    }
    return "unknown stream event error " + std::to_string(ev);
  }
};

Result<json::object> parse_object(std::string_view text, stream_event_errc on_error) {
  boost::system::error_code ec;
  json::value value = json::parse(text, ec);
  if (ec || !value.is_object()) return make_error_code(on_error);
  return std::move(value.as_object());
}

// Absent and null read as "no value"; any other non-string is malformed.
Result<std::optional<std::string_view>> optional_string(const json::object& object, std::string_view key) {
  const json::value* v = object.if_contains(key);
  if (v == nullptr || v->is_null()) return std::optional<std::string_view>();
  if (!v->is_string()) return make_error_code(stream_event_errc::field_has_wrong_type);
  return std::optional<std::string_view>(v->get_string());
}

Result<std::optional<std::uint64_t>> optional_count(const json::object& object, std::string_view key) {
  const json::value* v = object.if_contains(key);
  if (v == nullptr || v->is_null()) return std::optional<std::uint64_t>();
  boost::system::error_code ec;
  const auto n = v->to_number<std::uint64_t>(ec);  // rejects negatives, fractions and non-numbers
  if (ec) return make_error_code(stream_event_errc::field_has_wrong_type);
  return std::optional<std::uint64_t>(n);
}

// nullptr when absent or null.
Result<const json::object*> optional_object(const json::object& object, std::string_view key) {
  const json::value* v = object.if_contains(key);
  if (v == nullptr || v->is_null()) return static_cast<const json::object*>(nullptr);
  if (!v->is_object()) return make_error_code(stream_event_errc::field_has_wrong_type);
  return &v->get_object();
}

StreamEvent text_event(StreamEvent::Kind kind, std::string_view text) {
  StreamEvent event;
  event.kind = kind;
  (kind == StreamEvent::Kind::delta ? event.text : event.stop_reason) = std::string(text);
  return event;
}

Result<StreamEvent> usage_event(const json::object& object, std::string_view input_key, std::string_view output_key) {
  StreamEvent event;
  event.kind = StreamEvent::Kind::usage;
  auto input = optional_count(object, input_key);
  if (!input) return input.error();
  auto output = optional_count(object, output_key);
  if (!output) return output.error();
  event.input_tokens = *input;
  event.output_tokens = *output;
  return event;
}

Result<Events> map_llama_chunk(std::string_view payload) {
  auto part = parse_object(payload, stream_event_errc::payload_not_json_object);
  if (!part) return part.error();
  const json::value* bytes = part->if_contains("bytes");
  if (bytes == nullptr || !bytes->is_string()) return make_error_code(stream_event_errc::chunk_bytes_missing);
  const auto decoded = util::base64_decode(bytes->get_string());
  if (!decoded) return make_error_code(stream_event_errc::chunk_bytes_not_base64);
  auto chunk = parse_object(*decoded, stream_event_errc::chunk_not_json_object);
  if (!chunk) return chunk.error();

  Events events;
  auto generation = optional_string(*chunk, "generation");
  if (!generation) return generation.error();
  if (*generation && !(*generation)->empty()) events.push_back(text_event(StreamEvent::Kind::delta, **generation));

  auto stop_reason = optional_string(*chunk, "stop_reason");
  if (!stop_reason) return stop_reason.error();
  if (*stop_reason && !(*stop_reason)->empty()) events.push_back(text_event(StreamEvent::Kind::stop, **stop_reason));

  // prompt_token_count / generation_token_count are not used: which chunk carries them is unverified, while
  // the final chunk's invocation metrics are the documented totals.
  auto metrics = optional_object(*chunk, "amazon-bedrock-invocationMetrics");
  if (!metrics) return metrics.error();
  if (*metrics) {
    auto usage = usage_event(**metrics, "inputTokenCount", "outputTokenCount");
    if (!usage) return usage.error();
    events.push_back(std::move(*usage));
  }
  if (events.empty()) events.emplace_back();
  return events;
}

Result<Events> map_converse_event(std::string_view event_type, std::string_view payload) {
  if (event_type == "contentBlockDelta") {
    auto body = parse_object(payload, stream_event_errc::payload_not_json_object);
    if (!body) return body.error();
    auto delta = optional_object(*body, "delta");
    if (!delta) return delta.error();
    if (!*delta) return make_error_code(stream_event_errc::required_field_missing);
    auto text = optional_string(**delta, "text");
    if (!text) return text.error();
    // Deltas without text (toolUse, reasoningContent) carry nothing a text chat shows.
    if (!*text || (*text)->empty()) return Events{StreamEvent{}};
    return Events{text_event(StreamEvent::Kind::delta, **text)};
  }
  if (event_type == "messageStop") {
    auto body = parse_object(payload, stream_event_errc::payload_not_json_object);
    if (!body) return body.error();
    auto reason = optional_string(*body, "stopReason");
    if (!reason) return reason.error();
    if (!*reason) return make_error_code(stream_event_errc::required_field_missing);
    return Events{text_event(StreamEvent::Kind::stop, **reason)};
  }
  if (event_type == "metadata") {
    auto body = parse_object(payload, stream_event_errc::payload_not_json_object);
    if (!body) return body.error();
    auto usage = optional_object(*body, "usage");
    if (!usage) return usage.error();
    if (!*usage) return Events{StreamEvent{}};
    auto event = usage_event(**usage, "inputTokens", "outputTokens");
    if (!event) return event.error();
    return Events{std::move(*event)};
  }
  // messageStart, contentBlockStart, contentBlockStop and event types added after this was written.
  return Events{StreamEvent{}};
}

StreamEvent exception_event(std::string_view type, std::string_view payload) {
  StreamEvent event;
  event.kind = StreamEvent::Kind::exception;
  event.exception_type = std::string(type);
  // Lenient on purpose: the exception type is what the caller acts on, so an unreadable payload only
  // costs the message text.
  auto body = parse_object(payload, stream_event_errc::payload_not_json_object);
  if (!body) return event;
  for (std::string_view key : {"message", "Message"}) {
    if (auto text = optional_string(*body, key); text && *text) {
      event.exception_message = std::string(**text);
      break;
    }
  }
  if (const json::value* code = body->if_contains("originalStatusCode")) {
    boost::system::error_code ec;
    const int n = code->to_number<int>(ec);
    if (!ec) event.original_status_code = n;
  }
  return event;
}

}  // namespace

const boost::system::error_category& stream_event_category() noexcept {
  static const Category category;
  return category;
}

boost::system::result<std::vector<StreamEvent>> map_stream_message(StreamApi api,
                                                                   const aws::event_stream::Message& message) {
  const auto message_type = message.string_header(":message-type");
  if (!message_type) return make_error_code(stream_event_errc::missing_message_type);
  if (*message_type == "exception") {
    const auto type = message.string_header(":exception-type");
    if (!type) return make_error_code(stream_event_errc::missing_exception_type);
    return Events{exception_event(*type, message.payload)};
  }
  if (*message_type == "error") {
    StreamEvent event;
    event.kind = StreamEvent::Kind::exception;
    event.exception_type = std::string(message.string_header(":error-code").value_or(""));
    event.exception_message = std::string(message.string_header(":error-message").value_or(""));
    return Events{std::move(event)};
  }
  if (*message_type != "event") return Events{StreamEvent{}};  // a message type newer than this code

  const auto event_type = message.string_header(":event-type");
  if (!event_type) return make_error_code(stream_event_errc::missing_event_type);
  switch (api) {
    case StreamApi::invoke:
      if (*event_type == "chunk") return map_llama_chunk(message.payload);
      return Events{StreamEvent{}};
    case StreamApi::converse: return map_converse_event(*event_type, message.payload);
  }
  return Events{StreamEvent{}};
}

}  // namespace llamachat::backends::bedrock
