#include "api/sse.hpp"

#include "http/server/server.hpp"
#include "util/json_text.hpp"

namespace llamachat::api {

std::string sse_event(std::string_view name, std::string_view data_json) {
  std::string out;
  out.reserve(name.size() + data_json.size() + 16);
  out += "event: ";
  out += name;
  out += "\ndata: ";
  out += data_json;
  out += "\n\n";
  return out;
}

std::string sse_delta(std::string_view text) {
  return sse_event("delta", "{\"delta\":" + http::json_quote(text) + "}");
}

std::string usage_json(const std::optional<chat::Usage>& usage) {
  if (!usage) return "{}";
  return "{\"input_tokens\":" + std::to_string(usage->input_tokens) +
         ",\"output_tokens\":" + std::to_string(usage->output_tokens) +
         ",\"total_tokens\":" + std::to_string(usage->input_tokens + usage->output_tokens) + "}";
}

std::string sse_done(std::string_view reply, const chat::Completion& completion) {
  return sse_event("done", "{\"reply\":" + http::json_quote(reply) +
                               ",\"stop_reason\":" + http::json_quote(completion.stop_reason) +
                               ",\"usage\":" + usage_json(completion.usage) + "}");
}

std::string sse_error(std::string_view message) { return sse_event("error", util::json_error_body(message)); }

}  // namespace llamachat::api
