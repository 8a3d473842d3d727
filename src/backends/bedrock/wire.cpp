#include "backends/bedrock/wire.hpp"

#include <boost/json.hpp>
#include <charconv>
#include <cmath>

#include "backends/bedrock/prompt.hpp"
#include "util/json_text.hpp"
#include "util/percent_encoding.hpp"
#include "util/strings.hpp"

namespace llamachat::backends::bedrock {
namespace json = boost::json;
namespace {

// A non-blank string at `v`, trimmed; nullopt otherwise.
std::optional<std::string> text_of(const json::value* v) {
  if (!v || !v->is_string()) return std::nullopt;
  std::string t(util::trim(v->get_string(), util::ascii_whitespace));
  if (t.empty()) return std::nullopt;
  return t;
}

const json::value* at_key(const json::value* v, std::string_view key) {
  if (!v || !v->is_object()) return nullptr;
  return v->as_object().if_contains(key);
}

const json::value* at_index(const json::value* v, std::size_t i) {
  if (!v || !v->is_array() || v->as_array().size() <= i) return nullptr;
  return &v->as_array()[i];
}

std::optional<std::uint64_t> uint_of(const json::value* v) {
  if (!v) return std::nullopt;
  if (v->is_uint64()) return v->as_uint64();
  if (v->is_int64() && v->as_int64() >= 0) return static_cast<std::uint64_t>(v->as_int64());
  return std::nullopt;
}

}  // namespace

std::string encode_model_id(std::string_view model_id) { return util::percent_encode(model_id); }

std::string_view iam_action(Operation operation) {
  switch (operation) {
    case Operation::invoke:
    case Operation::converse: return "bedrock:InvokeModel";
    case Operation::invoke_stream:
    case Operation::converse_stream: return "bedrock:InvokeModelWithResponseStream";
  }
  return "bedrock:InvokeModel";
}

std::string operation_path(std::string_view model_id, Operation operation) {
  std::string path = "/model/" + encode_model_id(model_id);
  switch (operation) {
    case Operation::invoke: path += "/invoke"; break;
    case Operation::invoke_stream: path += "/invoke-with-response-stream"; break;
    case Operation::converse: path += "/converse"; break;
    case Operation::converse_stream: path += "/converse-stream"; break;
  }
  return path;
}

namespace {

// A JSON number for a sampling parameter: the shortest text that reads back as the same double.
void append_json_number(std::string& out, double value) {
  if (!std::isfinite(value)) {
    out += "null";  // JSON has no infinities; configuration rejects them before they get here
    return;
  }
  char text[32];
  const auto result = std::to_chars(text, text + sizeof text, value);
  out.append(text, result.ptr);
}

}  // namespace

// Written as text, not through a JSON value tree: this runs on every request.
std::string invoke_body(const chat::ChatRequest& request, const Defaults& defaults) {
  const std::string prompt = build_llama3_prompt(request);
  std::string body;
  body.reserve(prompt.size() + prompt.size() / 16 + 96);
  body += "{\"prompt\":";
  util::append_json_quoted(body, prompt);
  body += ",\"max_gen_len\":";
  body += std::to_string(request.params.max_tokens.value_or(defaults.max_gen_len));
  body += ",\"temperature\":";
  append_json_number(body, request.params.temperature.value_or(defaults.temperature));
  body += ",\"top_p\":";
  append_json_number(body, request.params.top_p.value_or(defaults.top_p));
  body += '}';
  return body;
}

namespace {

bool is_blank(std::string_view text) noexcept {
  return text.find_first_not_of(" \t\r\n\f\v") == std::string_view::npos;
}

bool is_turn(const chat::Message& m) noexcept { return m.role != chat::Role::system; }

}  // namespace

std::optional<chat::Error> converse_refusal(const chat::ChatRequest& request) {
  bool has_user_turn = false;
  for (std::size_t i = 0; i < request.messages.size(); ++i) {
    const auto& m = request.messages[i];
    if (!is_turn(m)) continue;
    if (is_blank(m.content)) {
      return chat::Error{chat::ErrorKind::invalid_request,
                         "messages[" + std::to_string(i) +
                             "]: " + (m.role == chat::Role::user ? "a user" : "an assistant") +
                             " turn without text cannot be sent to Bedrock's Converse API"};
    }
    has_user_turn = has_user_turn || m.role == chat::Role::user;
  }
  if (!has_user_turn) return chat::Error{chat::ErrorKind::invalid_request, "messages: no user turn to answer"};
  const auto& stop = request.params.stop;
  if (stop.size() > kConverseMaxStopSequences) {
    return chat::Error{chat::ErrorKind::invalid_request, "stop: at most " + std::to_string(kConverseMaxStopSequences) +
                                                             " stop sequences, got " + std::to_string(stop.size())};
  }
  for (const auto& s : stop)
    if (s.empty()) return chat::Error{chat::ErrorKind::invalid_request, "stop: a stop sequence is empty"};
  return std::nullopt;
}

std::string converse_body(const chat::ChatRequest& request, const Defaults& defaults) {
  json::object body;
  json::array messages;
  for (const auto& m : request.messages) {
    if (!is_turn(m) || is_blank(m.content)) continue;
    const std::string_view role = m.role == chat::Role::assistant ? "assistant" : "user";
    if (messages.empty() && role != "user") continue;
    if (!messages.empty() && messages.back().as_object().at("role").as_string() == role) {
      messages.back().as_object().at("content").as_array().push_back(json::object{{"text", m.content}});
      continue;
    }
    messages.push_back(json::object{{"role", role}, {"content", json::array{json::object{{"text", m.content}}}}});
  }
  body["messages"] = std::move(messages);
  json::array system;
  if (request.system && !request.system->empty()) system.push_back(json::object{{"text", *request.system}});
  for (const auto& m : request.messages)
    if (m.role == chat::Role::system && !is_blank(m.content)) system.push_back(json::object{{"text", m.content}});
  if (!system.empty()) body["system"] = std::move(system);
  json::object config{{"maxTokens", request.params.max_tokens.value_or(defaults.max_gen_len)},
                      {"temperature", request.params.temperature.value_or(defaults.temperature)},
                      {"topP", request.params.top_p.value_or(defaults.top_p)}};
  if (!request.params.stop.empty()) {
    json::array stops;
    for (const auto& s : request.params.stop)
      if (!s.empty()) stops.emplace_back(s);
    config["stopSequences"] = std::move(stops);
  }
  body["inferenceConfig"] = std::move(config);
  return json::serialize(body);
}

std::variant<ParsedReply, chat::Error> parse_reply(std::string_view body) {
  boost::system::error_code ec;
  // The parsed tree lives only in this function: a stack buffer holds it (heap only for large replies).
  unsigned char storage[4096];
  json::monotonic_resource resource(storage, sizeof storage);
  json::value parsed = json::parse(body, ec, &resource);
  if (ec) {
    return chat::Error{chat::ErrorKind::bad_upstream_response,
                       "Failed to parse Bedrock response body: " + ec.message() + ": " + truncate_for_message(body)};
  }
  const json::value* root = &parsed;
  ParsedReply reply;
  std::optional<std::string> text = text_of(at_key(root, "generation"));
  if (!text) text = text_of(at_key(root, "completion"));
  if (!text) text = text_of(at_key(root, "text"));
  if (!text)
    text = text_of(
        at_key(at_index(at_key(at_key(at_index(at_key(root, "choices"), 0), "message"), "content"), 0), "text"));
  if (!text) text = text_of(at_key(at_index(at_key(at_index(at_key(root, "messages"), 0), "content"), 0), "text"));
  if (!text) text = text_of(at_key(at_index(at_key(at_key(at_key(root, "output"), "message"), "content"), 0), "text"));
  if (!text) {
    return chat::Error{chat::ErrorKind::bad_upstream_response,
                       "No valid text found in Bedrock response: " + truncate_for_message(body)};
  }
  reply.text = std::move(*text);
  if (const auto* stop = at_key(root, "stop_reason"); stop && stop->is_string()) reply.stop_reason = stop->get_string();
  if (const auto* stop = at_key(root, "stopReason"); stop && stop->is_string()) reply.stop_reason = stop->get_string();
  const auto in = uint_of(at_key(root, "prompt_token_count"));
  const auto out = uint_of(at_key(root, "generation_token_count"));
  if (in || out) reply.usage = chat::Usage{in.value_or(0), out.value_or(0)};
  if (const auto* usage = at_key(root, "usage")) {
    const auto ci = uint_of(at_key(usage, "inputTokens"));
    const auto co = uint_of(at_key(usage, "outputTokens"));
    if (ci || co) reply.usage = chat::Usage{ci.value_or(0), co.value_or(0)};
  }
  return reply;
}

}  // namespace llamachat::backends::bedrock
