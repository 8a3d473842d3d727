#include "api/error_table.hpp"

#include <array>

namespace llamachat::api {
namespace {

struct Row {
  chat::ErrorKind kind;
  std::string_view name;
  unsigned chat_status;  // POST /chat (original contract)
  unsigned api_status;   // newer APIs
};

using K = chat::ErrorKind;
constexpr std::array kTable{
    Row{K::configuration, "configuration", 500, 503},
    Row{K::credentials, "credentials", 502, 503},
    Row{K::access_denied, "access_denied", 502, 502},
    Row{K::invalid_upstream_request, "invalid_upstream_request", 502, 502},
    Row{K::model_not_found, "model_not_found", 502, 502},
    Row{K::throttled, "throttled", 502, 429},
    Row{K::model_timeout, "model_timeout", 502, 504},
    Row{K::model_error, "model_error", 502, 502},
    Row{K::upstream_unavailable, "upstream_unavailable", 502, 503},
    Row{K::upstream_failure, "upstream_failure", 502, 502},
    Row{K::upstream_unreachable, "upstream_unreachable", 502, 502},
    Row{K::bad_upstream_response, "bad_upstream_response", 502, 502},
    Row{K::deadline_exceeded, "deadline_exceeded", 502, 504},
    Row{K::cancelled, "cancelled", 499, 499},
    Row{K::invalid_request, "invalid_request", 400, 400},
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

unsigned api_status(chat::ErrorKind kind) noexcept { return row_of(kind).api_status; }

std::string_view error_kind_name(chat::ErrorKind kind) noexcept { return row_of(kind).name; }

}  // namespace llamachat::api
