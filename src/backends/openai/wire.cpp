#include "backends/openai/wire.hpp"

#include <boost/json.hpp>
#include <cmath>
#include <cstdio>

#include "util/json_text.hpp"
#include "util/strings.hpp"

namespace llamachat::backends::openai {
namespace json = boost::json;
namespace {

void append_number(std::string& out, double value) {
  if (!std::isfinite(value)) value = 0;
  char buffer[32];
  const int n = std::snprintf(buffer, sizeof buffer, "%.6g", value);
  out.append(buffer, n > 0 ? static_cast<std::size_t>(n) : 0);
}

void append_message(std::string& out, std::string_view role, std::string_view content) {
  out += "{\"role\":\"";
  out += role;
  out += "\",\"content\":";
  util::append_json_quoted(out, content);
  out += '}';
}

std::string_view role_name(chat::Role role) noexcept {
  switch (role) {
    case chat::Role::system: return "system";
    case chat::Role::assistant: return "assistant";
    case chat::Role::user: return "user";
  }
  return "user";
}

std::optional<chat::Usage> usage_of(const json::object& object) {
  const auto* usage = object.if_contains("usage");
  if (!usage || !usage->is_object()) return std::nullopt;
  const auto& u = usage->get_object();
  const auto count = [&](std::string_view key) -> std::uint64_t {
    const auto* v = u.if_contains(key);
    if (!v) return 0;
    if (v->is_uint64()) return v->get_uint64();
    if (v->is_int64() && v->get_int64() >= 0) return static_cast<std::uint64_t>(v->get_int64());
    return 0;
  };
  return chat::Usage{count("prompt_tokens"), count("completion_tokens")};
}

std::string_view string_member(const json::object& object, std::string_view key) {
  const auto* v = object.if_contains(key);
  return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

const json::object* first_choice(const json::object& object) {
  const auto* choices = object.if_contains("choices");
  if (!choices || !choices->is_array() || choices->get_array().empty()) return nullptr;
  const auto& first = choices->get_array().front();
  return first.is_object() ? &first.get_object() : nullptr;
}

}  // namespace

std::string request_body(const chat::ChatRequest& request, std::string_view model) {
  std::size_t size = 160 + model.size() + (request.system ? request.system->size() : 0);
  for (const auto& m : request.messages) size += m.content.size() + 32;
  std::string body;
  body.reserve(size);
  body += "{\"model\":";
  util::append_json_quoted(body, model);
  body += ",\"messages\":[";
  bool first = true;
  if (request.system && !request.system->empty()) {
    append_message(body, "system", *request.system);
    first = false;
  }
  for (const auto& m : request.messages) {
    if (!first) body += ',';
    append_message(body, role_name(m.role), m.content);
    first = false;
  }
  body += ']';
  const auto& p = request.params;
  if (p.max_tokens) body += ",\"max_tokens\":" + std::to_string(*p.max_tokens);
  if (p.temperature) {
    body += ",\"temperature\":";
    append_number(body, *p.temperature);
  }
  if (p.top_p) {
    body += ",\"top_p\":";
    append_number(body, *p.top_p);
  }
  if (!p.stop.empty()) {
    body += ",\"stop\":[";
    for (std::size_t i = 0; i < p.stop.size(); ++i) {
      if (i) body += ',';
      util::append_json_quoted(body, p.stop[i]);
    }
    body += ']';
  }
  if (request.stream) body += ",\"stream\":true,\"stream_options\":{\"include_usage\":true}";
  body += '}';
  return body;
}

std::string stop_reason_of(std::string_view finish_reason) {
  if (finish_reason == "content_filter") return "content_filtered";
  if (finish_reason.empty()) return "stop";
  return std::string(finish_reason);  // "stop", "length", "tool_calls", ... mean the same here
}

std::variant<WholeReply, chat::Error> parse_whole_reply(std::string_view body) {
  const auto unusable = [&](std::string_view what) {
    return chat::Error{chat::ErrorKind::bad_upstream_response,
                       std::string(what) + ": " + util::truncate_for_message(body)};
  };
  boost::system::error_code ec;
  const json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return unusable("the upstream's reply is not a JSON object");
  const auto* choice = first_choice(v.get_object());
  if (!choice) return unusable("the upstream's reply has no choices");
  const auto* message = choice->if_contains("message");
  if (!message || !message->is_object()) return unusable("the upstream's reply has no message");
  WholeReply reply;
  reply.text = std::string(string_member(message->get_object(), "content"));
  reply.stop_reason = stop_reason_of(string_member(*choice, "finish_reason"));
  reply.usage = usage_of(v.get_object());
  return reply;
}

std::optional<Chunk> parse_chunk(std::string_view data) {
  boost::system::error_code ec;
  const json::value v = json::parse(data, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto& object = v.get_object();
  Chunk chunk;
  // vLLM and OpenAI wrap the error as {"error":{...}}; older vLLM sends {"object":"error",...} bare.
  const json::object* error = nullptr;
  if (const auto* e = object.if_contains("error"); e && e->is_object())
    error = &e->get_object();
  else if (e && e->is_string())
    chunk.error_message = std::string(e->get_string());
  else if (string_member(object, "object") == "error" ||
           (!object.contains("choices") && !string_member(object, "message").empty()))
    error = &object;  // also llama.cpp's "error:" line, a bare {"code","message","type"}
  if (error) {
    const std::string_view message = string_member(*error, "message");
    chunk.error_message = message.empty() ? util::truncate_for_message(data) : std::string(message);
    if (const auto* code = error->if_contains("code"); code && code->is_int64() && code->get_int64() > 0)
      chunk.error_status = static_cast<unsigned>(code->get_int64());
    return chunk;
  }
  if (chunk.error_message) return chunk;
  if (const auto* choice = first_choice(object)) {
    if (const auto* delta = choice->if_contains("delta"); delta && delta->is_object())
      chunk.text = std::string(string_member(delta->get_object(), "content"));
    chunk.finish_reason = std::string(string_member(*choice, "finish_reason"));
  }
  chunk.usage = usage_of(object);
  return chunk;
}

std::optional<std::vector<std::string>> parse_model_list(std::string_view body) {
  boost::system::error_code ec;
  const json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto* data = v.get_object().if_contains("data");
  if (!data || !data->is_array()) return std::nullopt;
  std::vector<std::string> names;
  for (const auto& entry : data->get_array()) {
    if (!entry.is_object()) continue;
    const std::string_view id = string_member(entry.get_object(), "id");
    if (!id.empty()) names.emplace_back(id);
  }
  return names;
}

}  // namespace llamachat::backends::openai
