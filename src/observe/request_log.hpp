#pragma once
// The one log line per request: ts, level, msg, request_id, upstream_request_id, method, route (the
// pattern, not the raw target), status, model, input_tokens, output_tokens, ttft_ms, duration_ms.
// Never the prompt or the reply. Unknown values are null in JSON and left out in text.
#include <chrono>
#include <string>
#include <string_view>

#include "observe/request_record.hpp"
#include "util/log.hpp"

namespace llamachat::observe {

struct RequestLogFields {
  std::chrono::system_clock::time_point time;
  std::string_view request_id;
  std::string_view method;
  std::string_view model;  // empty: not a model call
  const RequestRecord& record;
};

// The line with its newline (pure). JSON: one object per line, valid UTF-8 whatever the inputs.
std::string format_request_line(util::LogFormat format, const RequestLogFields& fields);
// The same line appended to `line`: the per-request path reuses one buffer per thread.
void append_request_line(std::string& line, util::LogFormat format, const RequestLogFields& fields);

}  // namespace llamachat::observe
