#include "api/error_table.hpp"

#include <algorithm>
#include <array>

namespace llamachat::api {
namespace {

struct Row {
  chat::ErrorKind kind;
  std::string_view name;
  unsigned chat_status;       // POST /chat (original contract)
  unsigned api_status;        // newer APIs
  std::string_view api_type;  // OpenAI error object "type"
  std::string_view api_code;  // OpenAI error object "code"
};

using K = chat::ErrorKind;
constexpr std::array kTable{
    Row{K::configuration, "configuration", 500, 503, "server_error", "configuration"},
    Row{K::credentials, "credentials", 502, 503, "server_error", "credentials"},
    Row{K::access_denied, "access_denied", 502, 502, "server_error", "access_denied"},
    Row{K::invalid_upstream_request, "invalid_upstream_request", 502, 502, "server_error", "invalid_upstream_request"},
    Row{K::model_not_found, "model_not_found", 502, 502, "server_error", "upstream_model_not_found"},
    Row{K::throttled, "throttled", 502, 429, "requests", "rate_limit_exceeded"},
    Row{K::model_timeout, "model_timeout", 502, 504, "server_error", "model_timeout"},
    Row{K::model_error, "model_error", 502, 502, "server_error", "model_error"},
    Row{K::upstream_unavailable, "upstream_unavailable", 502, 503, "server_error", "upstream_unavailable"},
    Row{K::upstream_failure, "upstream_failure", 502, 502, "server_error", "upstream_failure"},
    Row{K::upstream_unreachable, "upstream_unreachable", 502, 502, "server_error", "upstream_unreachable"},
    Row{K::bad_upstream_response, "bad_upstream_response", 502, 502, "server_error", "bad_upstream_response"},
    Row{K::deadline_exceeded, "deadline_exceeded", 502, 504, "server_error", "deadline_exceeded"},
    Row{K::cancelled, "cancelled", 499, 499, "server_error", "cancelled"},
    Row{K::context_length_exceeded, "context_length_exceeded", 502, 400, "invalid_request_error",
        "context_length_exceeded"},
    Row{K::invalid_request, "invalid_request", 400, 400, "invalid_request_error", "invalid_value"},
    Row{K::shutting_down, "shutting_down", 503, 503, "server_error", "shutting_down"},
};

const Row& row_of(chat::ErrorKind kind) noexcept {
  for (const Row& row : kTable)
    if (row.kind == kind) return row;
  return kTable[9];  // upstream_failure: unreachable while every enumerator has a row (tested)
}

}  // namespace

HttpError chat_endpoint_error(const chat::Error& error) {
  const Row& row = row_of(error.kind);
  HttpError out;
  out.status = row.chat_status;
  out.message =
      (error.kind == K::configuration ? "Configuration error: " : "Llama invocation failed: ") + error.message;
  out.retry_after_seconds = error.retry_after_seconds;
  return out;
}

ApiError api_error(const chat::Error& error) {
  const Row& row = row_of(error.kind);
  ApiError out;
  out.status = row.api_status;
  out.type = std::string(row.api_type);
  out.code = std::string(row.api_code);
  if (error.kind == K::invalid_request) {
    // The request's own fault, found before any upstream call: "<param>: <what is wrong>".
    out.message = error.message;
    out.param = error.message.substr(0, std::min(error.message.find(':'), error.message.size()));
  } else {
    out.message =
        (error.kind == K::configuration ? "configuration error: " : "Llama invocation failed: ") + error.message;
  }
  out.retry_after_seconds = error.retry_after_seconds;
  return out;
}

namespace {

struct RefusalRow {
  Refusal refusal;
  unsigned status;
  std::string_view api_type;
  std::string_view api_code;
  std::string_view message;
};

constexpr std::array kRefusals{
    RefusalRow{Refusal::unauthorized, 401, "invalid_request_error", "invalid_api_key",
               "a valid API key is required: send it as Authorization: Bearer <key>"},
    RefusalRow{Refusal::rate_limited, 429, "requests", "rate_limit_exceeded",
               "rate limit exceeded: too many requests from this client; retry after the time in Retry-After"},
    RefusalRow{Refusal::overloaded, 503, "server_error", "overloaded",
               "the server is at its limit of concurrent model calls; retry after the time in Retry-After"},
};

const RefusalRow& refusal_row(Refusal refusal) noexcept {
  for (const RefusalRow& row : kRefusals)
    if (row.refusal == refusal) return row;
  return kRefusals[2];  // unreachable while every enumerator has a row (tested)
}

}  // namespace

HttpError refusal_error(Refusal refusal, std::optional<int> retry_after_seconds) {
  const RefusalRow& row = refusal_row(refusal);
  return {row.status, std::string(row.message), retry_after_seconds};
}

ApiError refusal_api_error(Refusal refusal, std::optional<int> retry_after_seconds) {
  const RefusalRow& row = refusal_row(refusal);
  return {row.status, std::string(row.api_type), std::string(row.message),
          "",         std::string(row.api_code), retry_after_seconds};
}

unsigned api_status(chat::ErrorKind kind) noexcept { return row_of(kind).api_status; }

std::string_view error_kind_name(chat::ErrorKind kind) noexcept { return row_of(kind).name; }

}  // namespace llamachat::api
