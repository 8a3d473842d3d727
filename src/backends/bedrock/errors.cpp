#include "backends/bedrock/errors.hpp"

#include <boost/json.hpp>
#include <cctype>

#include "aws/retry/retry_strategy.hpp"

namespace llamachat::backends::bedrock {
namespace json = boost::json;
namespace {

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

std::string lower_first(std::string_view code) {
  std::string s(code);
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

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

chat::Error error_from_code(std::string_view raw_code, std::string_view message, unsigned status,
                            const ErrorContext& c) {
  const std::string code = normalize_error_code(raw_code);
  // Stream exception types are lowerCamelCase ("throttlingException"); compare case-insensitively on the first letter.
  const std::string key = lower_first(code);
  chat::Error e;
  e.upstream_code = code;
  if (!e.upstream_code.empty())
    e.upstream_code[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(e.upstream_code[0])));
  // Show the SDKs' class name ("ThrottlingException") also for in-stream types ("throttlingException").
  std::string display = code;
  if (!display.empty()) display[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(display[0])));
  const std::string detail = code.empty() ? std::string(message) : display + ": " + std::string(message);
  if (key == "accessDeniedException") {
    e.kind = chat::ErrorKind::access_denied;
    e.message = detail + " (the AWS identity needs IAM permission " + std::string(iam_action(c.operation)) + " on " +
                resource_hint(c) + "; note the IAM prefix is bedrock:, not bedrock-runtime:)";
  } else if (key == "validationException" && message.find("on-demand throughput") != std::string_view::npos) {
    e.kind = chat::ErrorKind::invalid_upstream_request;
    const std::string profile = inference_profile_for(c.model_id, c.region);
    e.message = detail + " (model " + std::string(c.model_id) + " needs an inference profile in " +
                std::string(c.region) +
                (profile.empty() ? std::string("; set BEDROCK_MODEL_ID to an inference profile ID or ARN)")
                                 : "; set BEDROCK_MODEL_ID=" + profile + ")");
  } else if (key == "validationException") {
    e.kind = chat::ErrorKind::invalid_upstream_request;
    e.message = detail;
  } else if (key == "resourceNotFoundException") {
    e.kind = chat::ErrorKind::model_not_found;
    e.message = detail + " (check BEDROCK_MODEL_ID '" + std::string(c.model_id) +
                "' and that it is offered in region " + std::string(c.region) + ")";
  } else if (key == "throttlingException") {
    e.kind = chat::ErrorKind::throttled;
    e.retry_after_seconds = 2;
    e.message = detail;
  } else if (key == "modelNotReadyException") {
    e.kind = chat::ErrorKind::throttled;
    e.retry_after_seconds = 5;
    e.message = detail;
  } else if (key == "serviceQuotaExceededException") {
    e.kind = chat::ErrorKind::throttled;
    e.retry_after_seconds = 60;
    e.message =
        detail + " (a Bedrock service quota for this account was exceeded; retry later or request a quota increase)";
  } else if (key == "modelTimeoutException") {
    e.kind = chat::ErrorKind::model_timeout;
    e.message = detail;
  } else if (key == "modelErrorException" || key == "modelStreamErrorException") {
    e.kind = chat::ErrorKind::model_error;
    e.message = detail;
  } else if (key == "serviceUnavailableException") {
    e.kind = chat::ErrorKind::upstream_unavailable;
    e.retry_after_seconds = 2;
    e.message = detail;
  } else if (key == "internalServerException") {
    e.kind = chat::ErrorKind::upstream_failure;
    e.message = detail;
  } else if (key == "unrecognizedClientException" || key == "invalidSignatureException" ||
             key == "expiredTokenException" || key == "missingAuthenticationTokenException" ||
             key == "incompleteSignatureException" || key == "invalidClientTokenId" || key == "signatureDoesNotMatch") {
    e.kind = chat::ErrorKind::credentials;
    e.message =
        detail + " (Bedrock rejected the request signature or credentials" +
        (c.credentials_provider.empty() ? std::string(")")
                                        : " supplied by the " + std::string(c.credentials_provider) + " provider)");
  } else if (status == 503) {
    e.kind = chat::ErrorKind::upstream_unavailable;
    e.message = detail;
  } else if (status >= 500) {
    e.kind = chat::ErrorKind::upstream_failure;
    e.message = detail;
  } else if (status == 429) {
    e.kind = chat::ErrorKind::throttled;
    e.retry_after_seconds = 2;
    e.message = detail;
  } else if (status == 403) {
    e.kind = chat::ErrorKind::access_denied;
    e.message = detail;
  } else {
    e.kind = chat::ErrorKind::invalid_upstream_request;
    e.message = detail;
  }
  return e;
}

chat::Error error_from_response(unsigned status, std::string_view error_type_header, std::string_view body,
                                const ErrorContext& context) {
  const std::string code = error_code_of(error_type_header, body);
  std::string message = error_message_of(body);
  if (message.empty()) message = "HTTP " + std::to_string(status);
  chat::Error e = error_from_code(code, message, status, context);
  if (code.empty()) e.message = "Bedrock answered HTTP " + std::to_string(status) + ": " + e.message;
  return e;
}

}  // namespace llamachat::backends::bedrock
