#pragma once
// THE table from failures to HTTP. Every status our API answers for a chat failure comes from here.
#include <optional>
#include <string>
#include <string_view>

#include "chat/error.hpp"

namespace llamachat::api {

// A failure ready to be rendered: status, client-facing message, optional Retry-After seconds.
struct HttpError {
  unsigned status = 500;
  std::string message;
  std::optional<int> retry_after_seconds;
};

// A failure in the OpenAI-compatible API's shape: {"error": {"message", "type", "param", "code"}}.
// An empty `param` or `code` is rendered as null.
struct ApiError {
  unsigned status = 500;
  std::string type;  // "invalid_request_error", "server_error", ...
  std::string message;
  std::string param;
  std::string code;
  std::optional<int> retry_after_seconds;
};

// The caller's fault, found while parsing a request (always 4xx).
inline HttpError bad_request(std::string message) { return {400, std::move(message), std::nullopt}; }

// POST /chat keeps the original design's contract: configuration problems are
// 500 "Configuration error: ...", every other backend failure is 502 "Llama invocation failed: ...";
// the message carries the detail and throttling adds Retry-After.
HttpError chat_endpoint_error(const chat::Error& error);

// The status newer APIs (OpenAI-compatible) use for the same failure: throttled 429, model timeout and
// deadline 504, unavailable 503, other upstream failures 502, configuration/credentials 503.
unsigned api_status(chat::ErrorKind kind) noexcept;
// The OpenAI-compatible error for a chat failure: status from api_status(), type and code from the same row.
ApiError api_error(const chat::Error& error);
// Stable machine-readable name of an error kind ("throttled", ...), for logs and error objects.
std::string_view error_kind_name(chat::ErrorKind kind) noexcept;

// The server's own refusals, answered before any upstream call (api/protection.*). Not chat failures: the
// status is the same on /chat and on /v1, only the body's shape differs.
enum class Refusal {
  unauthorized,  // 401: no or a wrong API key (WWW-Authenticate: Bearer, RFC 6750 section 3)
  rate_limited,  // 429: the client's rate limit is used up (Retry-After)
  overloaded,    // 503: every upstream permit is taken and the queue is full or the wait ran out (Retry-After)
};
// /chat's shape: {"error": message}.
HttpError refusal_error(Refusal refusal, std::optional<int> retry_after_seconds = std::nullopt);
// The OpenAI shape, with the row's type and code (401: invalid_api_key, like OpenAI's own).
ApiError refusal_api_error(Refusal refusal, std::optional<int> retry_after_seconds = std::nullopt);

}  // namespace llamachat::api
