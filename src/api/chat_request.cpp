#include "api/chat_request.hpp"

#include <boost/json.hpp>

namespace llamachat::api {
namespace json = boost::json;
namespace {

constexpr std::string_view kExample = "send JSON like {\"message\": \"Hello\"}";

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const char x = static_cast<char>(a[i] >= 'A' && a[i] <= 'Z' ? a[i] + 32 : a[i]);
    const char y = static_cast<char>(b[i] >= 'A' && b[i] <= 'Z' ? b[i] + 32 : b[i]);
    if (x != y) return false;
  }
  return true;
}

std::string_view trim_view(std::string_view s) noexcept {
  const auto is_space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
  };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

bool is_json_content_type(std::string_view content_type) noexcept {
  const std::string_view media = trim_view(content_type.substr(0, content_type.find(';')));
  return iequals(media, "application/json");
}

bool accepts_event_stream(std::string_view accept) noexcept {
  while (!accept.empty()) {
    const std::size_t comma = accept.find(',');
    const std::string_view item = accept.substr(0, comma);
    if (iequals(trim_view(item.substr(0, item.find(';'))), "text/event-stream")) return true;
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
  boost::system::error_code ec;
  // The parsed tree lives only in this function: a stack buffer holds it (heap only for large bodies).
  unsigned char storage[2048];
  json::monotonic_resource resource(storage, sizeof storage);
  json::value value = json::parse(body, ec, &resource);
  if (ec) return bad_request("request body is not valid JSON (" + ec.message() + "); " + std::string(kExample));
  if (!value.is_object()) return bad_request("request body must be a JSON object; " + std::string(kExample));
  const json::object& object = value.as_object();
  const json::value* message = object.if_contains("message");
  if (!message) return bad_request("missing \"message\"; " + std::string(kExample));
  if (!message->is_string()) return bad_request("\"message\" must be a string; " + std::string(kExample));
  const std::string_view text = trim_view(message->get_string());
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
