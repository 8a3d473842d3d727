#pragma once
// Server-Sent Events framing for POST /chat streaming (docs/api.md). Pure functions.
#include <optional>
#include <string>
#include <string_view>

#include "chat/types.hpp"

namespace llamachat::api {

// "event: <name>\ndata: <json>\n\n"; `data_json` must be one line (serialized JSON is).
std::string sse_event(std::string_view name, std::string_view data_json);
std::string sse_delta(std::string_view text);                                      // event: delta
std::string sse_done(std::string_view reply, const chat::Completion& completion);  // event: done
std::string sse_error(std::string_view message);                                   // event: error
inline constexpr std::string_view kSseKeepAlive = ": keep-alive\n\n";

// {"input_tokens": n, "output_tokens": n, "total_tokens": n} or {} when unknown.
std::string usage_json(const std::optional<chat::Usage>& usage);

}  // namespace llamachat::api
