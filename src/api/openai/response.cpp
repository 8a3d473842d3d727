#include "api/openai/response.hpp"

namespace llamachat::api::openai {
namespace {

void append_string_or_null(std::string& out, std::string_view text) {
  if (text.empty()) {
    out += "null";
  } else {
    http::append_json_quoted(out, text);
  }
}

void append_usage(std::string& out, const TokenUsage& usage) {
  out += "{\"prompt_tokens\":";
  out += std::to_string(usage.prompt_tokens);
  out += ",\"completion_tokens\":";
  out += std::to_string(usage.completion_tokens);
  out += ",\"total_tokens\":";
  out += std::to_string(usage.prompt_tokens + usage.completion_tokens);
  out += '}';
}

// '{"id":...,"object":"<object>","created":N,"model":...,' : the start of every completion object.
std::string object_head(const CompletionIds& ids, std::string_view object) {
  std::string out;
  out.reserve(160 + ids.model.size());
  out += "{\"id\":";
  http::append_json_quoted(out, ids.id);
  out += ",\"object\":\"";
  out += object;
  out += "\",\"created\":";
  out += std::to_string(ids.created);
  out += ",\"model\":";
  http::append_json_quoted(out, ids.model);
  out += ',';
  return out;
}

// The chunk up to the delta's content: 'data: {..."choices":[{"index":0,"delta":'.
std::string chunk_head(const CompletionIds& ids) {
  std::string out = "data: " + object_head(ids, "chat.completion.chunk");
  out += "\"choices\":[{\"index\":0,\"delta\":";
  return out;
}

// After the delta object: finish_reason, then the optional "usage": null, then the end of the event.
std::string chunk_tail(std::string_view finish, bool include_usage) {
  std::string out = ",\"logprobs\":null,\"finish_reason\":";
  append_string_or_null(out, finish);
  out += "}]";
  if (include_usage) out += ",\"usage\":null";
  out += "}\n\n";
  return out;
}

}  // namespace

std::string_view finish_reason(std::string_view stop_reason) noexcept {
  if (stop_reason == "length" || stop_reason == "max_tokens" || stop_reason == "time_limit" ||
      stop_reason == "deadline")
    return "length";
  if (stop_reason == "content_filtered" || stop_reason == "guardrail_intervened") return "content_filter";
  return "stop";
}

std::string error_json(const ApiError& error) {
  std::string out;
  out.reserve(error.message.size() + 96);
  out += "{\"error\":{\"message\":";
  http::append_json_quoted(out, error.message);
  out += ",\"type\":";
  http::append_json_quoted(out, error.type);
  out += ",\"param\":";
  append_string_or_null(out, error.param);
  out += ",\"code\":";
  append_string_or_null(out, error.code);
  out += "}}";
  return out;
}

std::string completion_json(const CompletionIds& ids, std::string_view content, std::string_view finish,
                            const TokenUsage& usage) {
  std::string out = object_head(ids, "chat.completion");
  out.reserve(out.size() + content.size() + 192);
  out += "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":";
  http::append_json_quoted(out, content);
  out += ",\"refusal\":null},\"logprobs\":null,\"finish_reason\":";
  http::append_json_quoted(out, finish);
  out += "}],\"usage\":";
  append_usage(out, usage);
  out += '}';
  return out;
}

std::string role_event(const CompletionIds& ids, bool include_usage) {
  return chunk_head(ids) + "{\"role\":\"assistant\",\"content\":\"\"}" + chunk_tail({}, include_usage);
}

DeltaFrame content_delta_frame(const CompletionIds& ids, bool include_usage) {
  return {chunk_head(ids) + "{\"content\":", "}" + chunk_tail({}, include_usage)};
}

std::string finish_event(const CompletionIds& ids, std::string_view finish, bool include_usage) {
  return chunk_head(ids) + "{}" + chunk_tail(finish, include_usage);
}

std::string usage_event(const CompletionIds& ids, const TokenUsage& usage) {
  std::string out = "data: " + object_head(ids, "chat.completion.chunk");
  out += "\"choices\":[],\"usage\":";
  append_usage(out, usage);
  out += "}\n\n";
  return out;
}

std::string error_event(const ApiError& error) { return sse_data(error_json(error)); }

std::string model_json(std::string_view id, std::string_view owned_by) {
  std::string out = "{\"id\":";
  http::append_json_quoted(out, id);
  out += ",\"object\":\"model\",\"created\":0,\"owned_by\":";
  http::append_json_quoted(out, owned_by);
  out += '}';
  return out;
}

std::string model_list_json(std::string_view id, std::string_view owned_by) {
  return "{\"object\":\"list\",\"data\":[" + model_json(id, owned_by) + "]}";
}

}  // namespace llamachat::api::openai
