#pragma once
// Typed failures of a chat, whatever the backend. api/error_table.* turns each kind into an HTTP status
// and a client-facing message; nothing else decides statuses.
#include <optional>
#include <string>

namespace llamachat::chat {

enum class ErrorKind {
  configuration,             // backend selected but not configured (region, model id, credentials source)
  credentials,               // no credentials could be obtained, or they were rejected as invalid/expired
  access_denied,             // upstream 403 AccessDenied: missing IAM permission / model access
  invalid_upstream_request,  // upstream 400 ValidationException & co: wrong model id, bad parameters
  model_not_found,           // upstream 404 ResourceNotFound
  throttled,                 // upstream 429 Throttling, ServiceQuotaExceeded, ModelNotReady (retry later)
  model_timeout,             // upstream ModelTimeoutException (408) or our own upstream deadline
  model_error,               // upstream 424 ModelError / ModelStreamError
  upstream_unavailable,      // upstream 503 / ServiceUnavailable
  upstream_failure,          // upstream 500 or other 5xx
  upstream_unreachable,      // DNS, connect, TLS, connection reset before a reply
  bad_upstream_response,     // reply we cannot use: not JSON, no text, broken event-stream frame
  deadline_exceeded,         // our whole-request deadline ran out
  cancelled,                 // the client went away
  context_length_exceeded,   // upstream 400: the prompt and max_tokens exceed the model's context window
  invalid_request,           // the request cannot be sent as it is (the caller's fault): the message names the
                             // field, e.g. a blank turn for Bedrock's Converse API; no upstream call was made
  shutting_down,             // the service stopped the request: its shutdown drain timeout ran out
};

struct Error {
  ErrorKind kind = ErrorKind::upstream_failure;
  std::string message;                     // specific, secret-free, lower-case detail
  std::optional<int> retry_after_seconds;  // hint for throttling
  std::string upstream_code;               // e.g. "ThrottlingException", empty when not from upstream
};

}  // namespace llamachat::chat
