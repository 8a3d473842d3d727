#include "backends/bedrock/errors.hpp"

#include <array>
#include <boost/json.hpp>
#include <cctype>

#include "aws/retry/retry_strategy.hpp"
#include "backends/upstream/error_rows.hpp"

namespace llamachat::backends::bedrock {
namespace json = boost::json;
namespace {

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// Resource ARNs the caller must be allowed to invoke (docs/bedrock.md#iam).
std::string resource_hint(const ErrorContext& c) {
  std::string id(c.model_id);
  if (starts_with(id, "arn:")) return id;
  const std::string region = c.region.empty() ? "<region>" : std::string(c.region);
  for (std::string_view prefix : {"us.", "eu.", "apac.", "us-gov.", "global."}) {
    if (starts_with(id, prefix)) {
      const std::string base = id.substr(prefix.size());
      // NOLINTBEGIN(performance-inefficient-string-concatenation): an error message, built once
      return "arn:aws:bedrock:" + region + ":<account-id>:inference-profile/" + id +
             " and arn:aws:bedrock:*::foundation-model/" + base + " in every destination Region of the profile";
      // NOLINTEND(performance-inefficient-string-concatenation)
    }
  }
  return "arn:aws:bedrock:" + region + "::foundation-model/" + id;
}

}  // namespace

std::string normalize_error_code(std::string_view raw) {
  // One rule for the whole project: the retry classifier reads the same codes.
  return std::string(aws::retry::normalize_error_code(raw));
}

std::string error_code_of(std::string_view header, std::string_view body) {
  if (!header.empty()) return normalize_error_code(header);
  boost::system::error_code ec;
  const json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return {};
  for (std::string_view key : {"__type", "code", "Code"}) {
    if (const auto* t = v.as_object().if_contains(key); t && t->is_string())
      return normalize_error_code(t->get_string());
  }
  return {};
}

std::string error_message_of(std::string_view body) {
  boost::system::error_code ec;
  const json::value v = json::parse(body, ec);
  if (!ec && v.is_object()) {
    for (std::string_view key : {"message", "Message"}) {
      if (const auto* m = v.as_object().if_contains(key); m && m->is_string()) return std::string(m->get_string());
    }
  }
  return truncate_for_message(body);
}

std::string inference_profile_for(std::string_view model_id, std::string_view region) {
  if (!starts_with(model_id, "meta.") && !starts_with(model_id, "anthropic.") && !starts_with(model_id, "amazon.") &&
      !starts_with(model_id, "mistral.") && !starts_with(model_id, "deepseek."))
    return {};
  std::string geo = "us";
  if (starts_with(region, "eu-"))
    geo = "eu";
  else if (starts_with(region, "ap-"))
    geo = "apac";
  else if (starts_with(region, "us-gov-"))
    geo = "us-gov";
  return geo + "." + std::string(model_id);
}

bool needs_inference_profile(std::string_view model_id, std::string_view region) {
  // Llama 3.3 70B is served on demand in-Region only in us-east-2 (docs/bedrock.md#model-ids).
  return model_id == "meta.llama3-3-70b-instruct-v1:0" && region != "us-east-2";
}

namespace {

// What a row adds to the upstream's message, from the call's context.
enum class Advice { none, iam_permission, inference_profile, model_and_region, quota, credentials_source };

using Row = upstream::ErrorRow<Advice>;
using K = chat::ErrorKind;
using R = aws::retry::FailureKind;

// The Bedrock Runtime errors
// (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_InvokeModel.html#API_runtime_InvokeModel_Errors)
// and the signature errors every AWS service answers with
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/signature-v4-troubleshooting.html); then, for replies
// without a known code, the status. The retry classes are the SDKs' standard mode.
constexpr std::array kRows{
    Row{"AccessDeniedException", 0, 0, K::access_denied, R::non_retryable, 0, Advice::iam_permission},
    Row{"ValidationException", 0, 0, K::invalid_upstream_request, R::non_retryable, 0, Advice::inference_profile},
    Row{"ResourceNotFoundException", 0, 0, K::model_not_found, R::non_retryable, 0, Advice::model_and_region},
    Row{"ThrottlingException", 0, 0, K::throttled, R::throttling, 2, Advice::none},
    Row{"ModelNotReadyException", 0, 0, K::throttled, R::throttling, 5, Advice::none},
    Row{"ServiceQuotaExceededException", 0, 0, K::throttled, R::non_retryable, 60, Advice::quota},
    Row{"ModelTimeoutException", 0, 0, K::model_timeout, R::non_retryable, 0, Advice::none},
    Row{"ModelErrorException", 0, 0, K::model_error, R::non_retryable, 0, Advice::none},
    Row{"ModelStreamErrorException", 0, 0, K::model_error, R::non_retryable, 0, Advice::none},
    Row{"ServiceUnavailableException", 0, 0, K::upstream_unavailable, R::transient, 2, Advice::none},
    Row{"InternalServerException", 0, 0, K::upstream_failure, R::transient, 0, Advice::none},
    Row{"UnrecognizedClientException", 0, 0, K::credentials, R::non_retryable, 0, Advice::credentials_source},
    Row{"InvalidSignatureException", 0, 0, K::credentials, R::non_retryable, 0, Advice::credentials_source},
    Row{"ExpiredTokenException", 0, 0, K::credentials, R::non_retryable, 0, Advice::credentials_source},
    Row{"MissingAuthenticationTokenException", 0, 0, K::credentials, R::non_retryable, 0, Advice::credentials_source},
    Row{"IncompleteSignatureException", 0, 0, K::credentials, R::non_retryable, 0, Advice::credentials_source},
    Row{"InvalidClientTokenId", 0, 0, K::credentials, R::non_retryable, 0, Advice::credentials_source},
    Row{"SignatureDoesNotMatch", 0, 0, K::credentials, R::non_retryable, 0, Advice::credentials_source},
    Row{"", 503, 503, K::upstream_unavailable, R::transient, 0, Advice::none},
    Row{"", 500, 599, K::upstream_failure, R::transient, 0, Advice::none},
    Row{"", 429, 429, K::throttled, R::throttling, 2, Advice::none},
    Row{"", 403, 403, K::access_denied, R::non_retryable, 0, Advice::none},
    Row{"", 0, 999, K::invalid_upstream_request, R::non_retryable, 0, Advice::none},
};

std::string advice_text(Advice advice, std::string_view message, const ErrorContext& c) {
  switch (advice) {
    case Advice::none: return {};
    case Advice::iam_permission:
      return " (the AWS identity needs IAM permission " + std::string(iam_action(c.operation)) + " on " +
             resource_hint(c) + "; note the IAM prefix is bedrock:, not bedrock-runtime:)";
    case Advice::inference_profile: {
      if (message.find("on-demand throughput") == std::string_view::npos) return {};
      const std::string profile = inference_profile_for(c.model_id, c.region);
      return " (model " + std::string(c.model_id) + " needs an inference profile in " + std::string(c.region) +
             (profile.empty() ? std::string("; set BEDROCK_MODEL_ID to an inference profile ID or ARN)")
                              : "; set BEDROCK_MODEL_ID=" + profile + ")");
    }
    case Advice::model_and_region:
      return " (check BEDROCK_MODEL_ID '" + std::string(c.model_id) + "' and that it is offered in region " +
             std::string(c.region) + ")";
    case Advice::quota:
      return " (a Bedrock service quota for this account was exceeded; retry later or request a quota increase)";
    case Advice::credentials_source:
      return " (Bedrock rejected the request signature or credentials" +
             (c.credentials_provider.empty()
                  ? std::string(")")
                  : " supplied by the " + std::string(c.credentials_provider) + " provider)");
  }
  return {};
}

}  // namespace

upstream::Failure failure_from_code(std::string_view raw_code, std::string_view message, unsigned status,
                                    const ErrorContext& c) {
  // Shown with the SDKs' class name ("ThrottlingException") also for in-stream types ("throttlingException").
  std::string code = normalize_error_code(raw_code);
  if (!code.empty()) code[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(code[0])));
  const Row& row = *upstream::find_error_row<Advice>(kRows, code, status);
  upstream::Failure failure;
  failure.retry = row.retry;
  chat::Error& e = failure.error;
  e.kind = row.kind;
  if (row.retry_after_seconds > 0) e.retry_after_seconds = row.retry_after_seconds;
  e.message =
      (code.empty() ? std::string(message) : code + ": " + std::string(message)) + advice_text(row.advice, message, c);
  e.upstream_code = std::move(code);
  return failure;
}

chat::Error error_from_code(std::string_view code, std::string_view message, unsigned status,
                            const ErrorContext& context) {
  return failure_from_code(code, message, status, context).error;
}

upstream::Failure failure_from_response(unsigned status, std::string_view error_type_header, std::string_view body,
                                        const ErrorContext& context) {
  const std::string code = error_code_of(error_type_header, body);
  std::string message = error_message_of(body);
  if (message.empty()) message = "HTTP " + std::to_string(status);
  upstream::Failure failure = failure_from_code(code, message, status, context);
  if (code.empty())
    failure.error.message = "Bedrock answered HTTP " + std::to_string(status) + ": " + failure.error.message;
  return failure;
}

chat::Error error_from_response(unsigned status, std::string_view error_type_header, std::string_view body,
                                const ErrorContext& context) {
  return failure_from_response(status, error_type_header, body, context).error;
}

}  // namespace llamachat::backends::bedrock
