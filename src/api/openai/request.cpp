#include "api/openai/request.hpp"

#include <boost/json.hpp>
#include <cmath>

#include "api/chat_request.hpp"
#include "json/strict_parse.hpp"
#include "util/strings.hpp"

namespace llamachat::api::openai {
namespace json = boost::json;
namespace {

// Codes of the error object, as OpenAI names them.
constexpr std::string_view kMissing = "missing_required_parameter";
constexpr std::string_view kInvalidType = "invalid_type";
constexpr std::string_view kInvalidValue = "invalid_value";
constexpr std::string_view kUnsupportedParameter = "unsupported_parameter";
constexpr std::string_view kUnsupportedValue = "unsupported_value";

ApiError refuse(std::string message, std::string param, std::string_view code) {
  return invalid_request(std::move(message), std::move(param), std::string(code));
}

bool is_null_or_absent(const json::value* v) noexcept { return v == nullptr || v->is_null(); }

std::optional<double> number_of(const json::value& v) noexcept {
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  if (v.is_double() && std::isfinite(v.get_double())) return v.get_double();
  return std::nullopt;
}

// A JSON integer, or a number with no fractional part (some clients serialise 100 as 100.0).
std::optional<std::int64_t> integer_of(const json::value& v) noexcept {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64())
    return v.get_uint64() > static_cast<std::uint64_t>(INT64_MAX) ? INT64_MAX
                                                                  : static_cast<std::int64_t>(v.get_uint64());
  if (v.is_double() && std::isfinite(v.get_double()) && std::trunc(v.get_double()) == v.get_double() &&
      std::fabs(v.get_double()) < 9.0e18)
    return static_cast<std::int64_t>(v.get_double());
  return std::nullopt;
}

bool is_blank(std::string_view s) noexcept { return util::trim(s, util::ascii_whitespace).empty(); }

std::string at(std::string_view base, std::size_t index) {
  return std::string(base) + "[" + std::to_string(index) + "]";
}

// The text of a message's content: a string, or an array of {"type":"text","text":...} parts joined.
std::variant<std::string, ApiError> content_text(const json::value& content, const std::string& param) {
  if (content.is_string()) return std::string(content.get_string());
  if (!content.is_array()) return refuse(param + " must be a string or an array of text parts", param, kInvalidType);
  const json::array& parts = content.get_array();
  std::string text;
  for (std::size_t j = 0; j < parts.size(); ++j) {
    const std::string part_param = at(param, j);
    if (!parts[j].is_object()) return refuse(part_param + " must be an object", part_param, kInvalidType);
    const json::object& part = parts[j].get_object();
    const json::value* type = part.if_contains("type");
    if (!type || !type->is_string())
      return refuse(part_param + ".type must be a string", part_param + ".type", type ? kInvalidType : kMissing);
    if (type->get_string() != "text")
      return refuse("content parts of type '" + std::string(type->get_string()) +
                        "' are not supported: Llama 3.3 70B on Bedrock takes text only",
                    part_param + ".type", kUnsupportedValue);
    const json::value* part_text = part.if_contains("text");
    if (!part_text || !part_text->is_string())
      return refuse(part_param + ".text must be a string", part_param + ".text", part_text ? kInvalidType : kMissing);
    text += part_text->get_string();
  }
  return text;
}

// Fills system and messages from "messages".
std::optional<ApiError> read_messages(const json::object& body, CompletionRequest& out) {
  const json::value* messages = body.if_contains("messages");
  if (is_null_or_absent(messages)) return refuse("missing required parameter 'messages'", "messages", kMissing);
  if (!messages->is_array()) return refuse("'messages' must be an array", "messages", kInvalidType);
  const json::array& list = messages->get_array();
  if (list.empty()) return refuse("'messages' must contain at least one message", "messages", kInvalidValue);
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string param = at("messages", i);
    if (!list[i].is_object()) return refuse(param + " must be an object", param, kInvalidType);
    const json::object& message = list[i].get_object();
    const json::value* role = message.if_contains("role");
    if (!role) return refuse(param + ".role is missing", param + ".role", kMissing);
    if (!role->is_string()) return refuse(param + ".role must be a string", param + ".role", kInvalidType);
    const std::string_view role_name = role->get_string();
    chat::Role chat_role = chat::Role::user;
    if (role_name == "system" || role_name == "developer") {
      chat_role = chat::Role::system;
    } else if (role_name == "user") {
      chat_role = chat::Role::user;
    } else if (role_name == "assistant") {
      chat_role = chat::Role::assistant;
    } else if (role_name == "tool" || role_name == "function") {
      return refuse("messages with role '" + std::string(role_name) + "' are not supported (no tool calling)",
                    param + ".role", kUnsupportedValue);
    } else {
      return refuse(
          param + ".role '" + std::string(role_name) + "' is not one of 'system', 'developer', 'user', 'assistant'",
          param + ".role", kInvalidValue);
    }
    for (const char* field : {"tool_calls", "function_call", "audio"}) {
      if (!is_null_or_absent(message.if_contains(field)))
        return refuse(param + "." + field + " is not supported (text only, no tool calling)", param + "." + field,
                      kUnsupportedParameter);
    }
    const json::value* content = message.if_contains("content");
    if (is_null_or_absent(content)) return refuse(param + ".content is missing", param + ".content", kMissing);
    auto text = content_text(*content, param + ".content");
    if (auto* error = std::get_if<ApiError>(&text)) return std::move(*error);
    auto& content_string = std::get<std::string>(text);
    if (is_blank(content_string))
      return refuse(param + ".content is empty: every message needs text", param + ".content", kInvalidValue);
    if (chat_role == chat::Role::system) {
      if (out.system) {
        *out.system += "\n\n";
        *out.system += content_string;
      } else {
        out.system = std::move(content_string);
      }
    } else {
      out.messages.push_back({chat_role, std::move(content_string)});
    }
  }
  bool has_user = false;
  for (const auto& m : out.messages) has_user = has_user || m.role == chat::Role::user;
  if (!has_user)
    return refuse("'messages' must contain at least one message with role 'user'", "messages", kInvalidValue);
  if (out.messages.back().role != chat::Role::user)
    return refuse("the last message (after system and developer messages) must have role 'user'", "messages",
                  kInvalidValue);
  return std::nullopt;
}

std::optional<ApiError> read_number(const json::object& body, std::string_view name, double min, double max,
                                    std::optional<double>& out) {
  const json::value* value = body.if_contains(name);
  if (is_null_or_absent(value)) return std::nullopt;
  const auto number = number_of(*value);
  if (!number) return refuse("'" + std::string(name) + "' must be a number", std::string(name), kInvalidType);
  if (*number < min || *number > max)
    return refuse("'" + std::string(name) + "' must be between " + json::serialize(json::value(min)) + " and " +
                      json::serialize(json::value(max)) + " (got " + json::serialize(*value) + ")",
                  std::string(name), kInvalidValue);
  out = number;
  return std::nullopt;
}

std::optional<ApiError> read_sampling(const json::object& body, CompletionRequest& out) {
  // OpenAI's range is 0..2; Llama on Bedrock takes 0..1. A value above 1 cannot be honoured: refused.
  std::optional<double> temperature;
  if (auto error = read_number(body, "temperature", 0.0, 2.0, temperature)) return error;
  if (temperature && *temperature > 1.0)
    return refuse("'temperature' above 1 is not supported: Llama 3.3 70B on Bedrock takes 0 to 1", "temperature",
                  kUnsupportedValue);
  out.params.temperature = temperature;
  if (auto error = read_number(body, "top_p", 0.0, 1.0, out.params.top_p)) return error;

  // max_completion_tokens is the current name, max_tokens the deprecated one; both mean the reply's budget.
  for (const char* name : {"max_tokens", "max_completion_tokens"}) {
    const json::value* value = body.if_contains(name);
    if (is_null_or_absent(value)) continue;
    const auto integer = integer_of(*value);
    if (!integer) return refuse(std::string("'") + name + "' must be an integer", name, kInvalidType);
    if (*integer < 1 || *integer > INT32_MAX)
      return refuse(std::string("'") + name + "' must be at least 1 (got " + json::serialize(*value) + ")", name,
                    kInvalidValue);
    if (out.params.max_tokens && *out.params.max_tokens != *integer)
      return refuse("'max_tokens' and 'max_completion_tokens' differ; send one of them", name, kInvalidValue);
    out.params.max_tokens = static_cast<int>(*integer);
  }

  if (const json::value* stop = body.if_contains("stop"); !is_null_or_absent(stop)) {
    std::vector<std::string> stops;
    if (stop->is_string()) {
      stops.emplace_back(stop->get_string());
    } else if (stop->is_array()) {
      for (const auto& item : stop->get_array()) {
        if (!item.is_string()) return refuse("'stop' must be a string or an array of strings", "stop", kInvalidType);
        stops.emplace_back(item.get_string());
      }
    } else {
      return refuse("'stop' must be a string or an array of strings", "stop", kInvalidType);
    }
    if (stops.size() > kMaxStopSequences)
      return refuse("'stop' takes at most 4 sequences (got " + std::to_string(stops.size()) + ")", "stop",
                    kInvalidValue);
    for (const auto& s : stops)
      if (s.empty()) return refuse("'stop' sequences must not be empty", "stop", kInvalidValue);
    out.params.stop = std::move(stops);
  }
  return std::nullopt;
}

// Parameters that would change the answer and cannot be honoured: refused, never ignored.
std::optional<ApiError> refuse_unsupported(const json::object& body) {
  if (const json::value* n = body.if_contains("n"); !is_null_or_absent(n)) {
    const auto count = integer_of(*n);
    if (!count) return refuse("'n' must be an integer", "n", kInvalidType);
    if (*count < 1) return refuse("'n' must be at least 1", "n", kInvalidValue);
    if (*count > 1) return refuse("'n' above 1 is not supported: one choice per request", "n", kUnsupportedValue);
  }
  for (const char* name : {"tools", "functions"}) {
    const json::value* value = body.if_contains(name);
    const bool empty_list = value && value->is_array() && value->get_array().empty();
    if (!is_null_or_absent(value) && !empty_list)
      return refuse(std::string("'") + name + "' is not supported: Llama 3.3 70B is served without tool calling", name,
                    kUnsupportedParameter);
  }
  for (const char* name : {"tool_choice", "function_call"}) {
    const json::value* value = body.if_contains(name);
    const bool none = value && value->is_string() && value->get_string() == "none";
    if (!is_null_or_absent(value) && !none)
      return refuse(std::string("'") + name + "' is not supported: Llama 3.3 70B is served without tool calling", name,
                    kUnsupportedParameter);
  }
  if (const json::value* logprobs = body.if_contains("logprobs"); !is_null_or_absent(logprobs)) {
    if (!logprobs->is_bool()) return refuse("'logprobs' must be a boolean", "logprobs", kInvalidType);
    if (logprobs->get_bool())
      return refuse("'logprobs' is not supported: Bedrock does not return token log probabilities", "logprobs",
                    kUnsupportedValue);
  }
  if (const json::value* top = body.if_contains("top_logprobs"); !is_null_or_absent(top)) {
    const auto count = integer_of(*top);
    if (!count || *count != 0)
      return refuse("'top_logprobs' is not supported: Bedrock does not return token log probabilities", "top_logprobs",
                    kUnsupportedParameter);
  }
  if (const json::value* format = body.if_contains("response_format"); !is_null_or_absent(format)) {
    const json::value* type = format->is_object() ? format->get_object().if_contains("type") : nullptr;
    if (!type || !type->is_string() || type->get_string() != "text")
      return refuse("'response_format' other than {\"type\": \"text\"} is not supported", "response_format",
                    kUnsupportedValue);
  }
  for (const char* name : {"presence_penalty", "frequency_penalty"}) {
    const json::value* value = body.if_contains(name);
    if (is_null_or_absent(value)) continue;
    const auto number = number_of(*value);
    if (!number) return refuse(std::string("'") + name + "' must be a number", name, kInvalidType);
    if (*number != 0.0)
      return refuse(std::string("'") + name + "' other than 0 is not supported by Llama 3.3 70B on Bedrock", name,
                    kUnsupportedValue);
  }
  if (const json::value* bias = body.if_contains("logit_bias"); !is_null_or_absent(bias)) {
    if (!bias->is_object() || !bias->get_object().empty())
      return refuse("'logit_bias' is not supported by Llama 3.3 70B on Bedrock", "logit_bias", kUnsupportedParameter);
  }
  for (const char* name : {"audio", "prediction"}) {
    if (!is_null_or_absent(body.if_contains(name)))
      return refuse(std::string("'") + name + "' is not supported (text replies only)", name, kUnsupportedParameter);
  }
  if (const json::value* modalities = body.if_contains("modalities"); !is_null_or_absent(modalities)) {
    bool text_only = modalities->is_array();
    if (text_only)
      for (const auto& m : modalities->get_array()) text_only = text_only && m.is_string() && m.get_string() == "text";
    if (!text_only)
      return refuse("'modalities' other than [\"text\"] is not supported", "modalities", kUnsupportedValue);
  }
  return std::nullopt;
}

std::optional<ApiError> read_stream(const json::object& body, CompletionRequest& out) {
  if (const json::value* stream = body.if_contains("stream"); !is_null_or_absent(stream)) {
    if (!stream->is_bool()) return refuse("'stream' must be a boolean", "stream", kInvalidType);
    out.stream = stream->get_bool();
  }
  const json::value* options = body.if_contains("stream_options");
  if (is_null_or_absent(options)) return std::nullopt;
  if (!options->is_object()) return refuse("'stream_options' must be an object", "stream_options", kInvalidType);
  if (!out.stream)
    return refuse("'stream_options' is only allowed when 'stream' is true", "stream_options", kInvalidValue);
  if (const json::value* usage = options->get_object().if_contains("include_usage"); !is_null_or_absent(usage)) {
    if (!usage->is_bool())
      return refuse("'stream_options.include_usage' must be a boolean", "stream_options.include_usage", kInvalidType);
    out.include_usage = usage->get_bool();
  }
  return std::nullopt;
}

}  // namespace

ApiError invalid_request(std::string message, std::string param, std::string code, unsigned status) {
  ApiError error;
  error.status = status;
  error.type = "invalid_request_error";
  error.message = std::move(message);
  error.param = std::move(param);
  error.code = std::move(code);
  return error;
}

std::variant<CompletionRequest, ApiError> parse_completion_request(std::string_view content_type,
                                                                   std::string_view body) {
  if (!is_json_content_type(content_type))
    return refuse("the request body must be JSON sent with Content-Type: application/json", "", "");
  json_input::ParseOutcome parsed = json_input::parse_request_json(body);
  switch (parsed.failure) {
    case json_input::ParseFailure::none: break;
    case json_input::ParseFailure::duplicate_key:
      return refuse("the request body names the key '" + parsed.detail + "' twice; send each key once", "", "");
    case json_input::ParseFailure::too_deep:
      return refuse("the request body nests arrays and objects more than " +
                        std::to_string(json_input::kMaxRequestDepth) + " levels deep",
                    "", "");
    case json_input::ParseFailure::syntax:
      return refuse("the request body is not valid JSON (" + parsed.detail + ")", "", "");
  }
  const json::value& value = parsed.value;
  if (!value.is_object()) return refuse("the request body must be a JSON object", "", "");
  const json::object& object = value.get_object();

  CompletionRequest out;
  if (const json::value* model = object.if_contains("model"); !is_null_or_absent(model)) {
    if (!model->is_string()) return refuse("'model' must be a string", "model", kInvalidType);
    out.model = std::string(model->get_string());
  }
  if (auto error = read_messages(object, out)) return std::move(*error);
  if (auto error = refuse_unsupported(object)) return std::move(*error);
  if (auto error = read_sampling(object, out)) return std::move(*error);
  if (auto error = read_stream(object, out)) return std::move(*error);
  return out;
}

}  // namespace llamachat::api::openai
