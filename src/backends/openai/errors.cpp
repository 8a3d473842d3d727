#include "backends/openai/errors.hpp"

#include <array>
#include <boost/json.hpp>
#include <string>

#include "backends/upstream/error_rows.hpp"
#include "util/strings.hpp"

namespace llamachat::backends::openai {
namespace json = boost::json;
namespace {

enum class Advice { none, api_key, model };

using Row = upstream::ErrorRow<Advice>;
using K = chat::ErrorKind;
using R = aws::retry::FailureKind;

// Codes are the OpenAI error codes (https://platform.openai.com/docs/guides/error-codes) and llama.cpp's
// server error types; then the statuses every one of these servers answers with. Retry classes are the
// SDKs' standard mode: 429 throttling, 5xx transient.
constexpr std::array kRows{
    Row{"context_length_exceeded", 0, 0, K::context_length_exceeded, R::non_retryable, 0, Advice::none},
    Row{"exceed_context_size_error", 0, 0, K::context_length_exceeded, R::non_retryable, 0, Advice::none},
    Row{"model_not_found", 0, 0, K::model_not_found, R::non_retryable, 0, Advice::model},
    Row{"invalid_api_key", 0, 0, K::credentials, R::non_retryable, 0, Advice::api_key},
    Row{"insufficient_quota", 0, 0, K::throttled, R::non_retryable, 60, Advice::none},
    Row{"", 401, 401, K::credentials, R::non_retryable, 0, Advice::api_key},
    Row{"", 403, 403, K::access_denied, R::non_retryable, 0, Advice::api_key},
    Row{"", 404, 404, K::model_not_found, R::non_retryable, 0, Advice::model},
    Row{"", 429, 429, K::throttled, R::throttling, 2, Advice::none},
    Row{"", 503, 503, K::upstream_unavailable, R::transient, 2, Advice::none},
    Row{"", 500, 599, K::upstream_failure, R::transient, 0, Advice::none},
    Row{"", 400, 499, K::invalid_upstream_request, R::non_retryable, 0, Advice::none},
    Row{"", 0, 999, K::upstream_failure, R::non_retryable, 0, Advice::none},
};

std::string advice_text(Advice advice, const ErrorContext& c) {
  switch (advice) {
    case Advice::none: return {};
    case Advice::api_key:
      return c.api_key.empty() ? " (the upstream wants an API key: set OPENAI_API_KEY)"
                               : " (check OPENAI_API_KEY: the upstream refused it)";
    case Advice::model:
      return " (check LLAMACHAT_OPENAI_MODEL '" + std::string(c.model) + "' against the upstream's GET /models)";
  }
  return {};
}

bool speaks_of_context_length(std::string_view message) {
  const std::string lower = util::to_lower(message);
  for (std::string_view phrase : {"context length", "context size", "context window", "maximum context"})
    if (lower.find(phrase) != std::string::npos) return true;
  return false;
}

std::string without_key(std::string text, std::string_view key) {
  if (key.empty()) return text;
  for (std::size_t at = text.find(key); at != std::string::npos; at = text.find(key, at))
    text.replace(at, key.size(), "***");
  return text;
}

struct ReplyError {
  std::string code;
  std::string message;
};

ReplyError read_error_body(std::string_view body) {
  ReplyError out;
  boost::system::error_code ec;
  const json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) {
    out.message = util::truncate_for_message(util::trim(body, " \t\r\n"));
    return out;
  }
  const json::object* error = &v.get_object();
  if (const auto* inner = error->if_contains("error")) {
    if (inner->is_object())
      error = &inner->get_object();
    else if (inner->is_string())
      out.message = std::string(inner->get_string());  // Ollama: {"error":"model \"x\" not found"}
  }
  if (const auto* m = error->if_contains("message"); m && m->is_string()) out.message = std::string(m->get_string());
  // "code" is a string at OpenAI, a number at vLLM; "type" names the error at llama.cpp.
  if (const auto* c = error->if_contains("code"); c && c->is_string()) out.code = std::string(c->get_string());
  if (out.code.empty())
    if (const auto* t = error->if_contains("type"); t && t->is_string()) out.code = std::string(t->get_string());
  if (out.message.empty()) out.message = util::truncate_for_message(body);
  return out;
}

upstream::Failure failure_of(std::string_view code, std::string_view message, unsigned status, const ErrorContext& c,
                             std::string_view prefix) {
  std::string effective(code);
  if (status == 400 && speaks_of_context_length(message)) effective = "context_length_exceeded";
  const Row& row = *upstream::find_error_row<Advice>(kRows, effective, status);
  upstream::Failure failure;
  failure.retry = row.retry;
  failure.error.kind = row.kind;
  if (row.retry_after_seconds > 0) failure.error.retry_after_seconds = row.retry_after_seconds;
  std::string text(prefix);
  if (!code.empty()) text += std::string(code) + ": ";
  text += message;
  text += advice_text(row.advice, c);
  failure.error.message = without_key(std::move(text), c.api_key);
  failure.error.upstream_code = std::string(code);
  return failure;
}

}  // namespace

upstream::Failure failure_from_response(unsigned status, std::string_view body, const ErrorContext& context) {
  const ReplyError error = read_error_body(body);
  const std::string prefix =
      "the upstream " + std::string(context.origin) + " answered HTTP " + std::to_string(status) + ": ";
  return failure_of(error.code, error.message.empty() ? "(no message)" : error.message, status, context, prefix);
}

upstream::Failure failure_from_stream_error(std::string_view message, unsigned status, const ErrorContext& context) {
  const std::string prefix = "the upstream " + std::string(context.origin) + " failed mid-stream: ";
  upstream::Failure failure = failure_of({}, message, status, context, prefix);
  // After the 200 nothing is retried (text may have reached the client); a status-less error is the model's.
  failure.retry = aws::retry::FailureKind::non_retryable;
  if (status == 0) failure.error.kind = chat::ErrorKind::model_error;
  return failure;
}

}  // namespace llamachat::backends::openai
