#include "api/chat_request.hpp"

#include <boost/json.hpp>

#include "json/strict_parse.hpp"
#include "util/strings.hpp"

namespace llamachat::api {
namespace json = boost::json;
namespace {

constexpr std::string_view kExample = "send JSON like {\"message\": \"Hello\"}";

}  // namespace

bool is_json_content_type(std::string_view content_type) noexcept {
  return util::has_media_type(content_type, "application/json");
}

bool accepts_event_stream(std::string_view accept) noexcept {
  while (!accept.empty()) {
    const std::size_t comma = accept.find(',');
    const std::string_view item = accept.substr(0, comma);
    if (util::has_media_type(item, "text/event-stream")) return true;
    if (comma == std::string_view::npos) break;
    accept.remove_prefix(comma + 1);
  }
  return false;
}

std::variant<ChatInput, HttpError> parse_chat_input(std::string_view content_type, std::string_view body) {
  if (!is_json_content_type(content_type)) {
    const std::string got =
        content_type.empty() ? "no Content-Type" : "Content-Type '" + std::string(content_type) + "'";
    return bad_request("request body must be JSON with Content-Type: application/json (got " + got + "); " +
                       std::string(kExample));
  }
  // The parsed tree lives only in this function: a stack buffer holds it (heap only for large bodies).
  unsigned char storage[2048];
  json::monotonic_resource resource(storage, sizeof storage);
  json_input::ParseOutcome parsed = json_input::parse_request_json(body, &resource);
  switch (parsed.failure) {
    case json_input::ParseFailure::none: break;
    case json_input::ParseFailure::duplicate_key:
      return bad_request("request body names the key \"" + parsed.detail + "\"" + " twice; send each key once");
    case json_input::ParseFailure::too_deep:
      return bad_request("request body nests arrays and objects more than " +
                         std::to_string(json_input::kMaxRequestDepth) + " levels deep");
    case json_input::ParseFailure::syntax:
      return bad_request("request body is not valid JSON (" + parsed.detail + "); " + std::string(kExample));
  }
  const json::value& value = parsed.value;
  if (!value.is_object()) return bad_request("request body must be a JSON object; " + std::string(kExample));
  const json::object& object = value.as_object();
  const json::value* message = object.if_contains("message");
  if (!message) return bad_request("missing \"message\"; " + std::string(kExample));
  if (!message->is_string()) return bad_request("\"message\" must be a string; " + std::string(kExample));
  const std::string_view text = util::trim(message->get_string(), util::ascii_whitespace);
  if (text.empty()) return bad_request("Message cannot be empty.");
  ChatInput input;
  input.message = std::string(text);
  if (const json::value* stream = object.if_contains("stream")) {
    if (!stream->is_bool() && !stream->is_null()) return bad_request("\"stream\" must be true or false");
    input.stream = stream->is_bool() && stream->get_bool();
  }
  return input;
}

}  // namespace llamachat::api
