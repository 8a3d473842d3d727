#include "api/error_table.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <utility>
#include <vector>

namespace llamachat::api {
namespace {

using chat::ErrorKind;

// Every enumerator of chat::ErrorKind with its stable name. Adding a kind without a row in the table
// makes error_kind_name() fall back to "upstream_failure" and this list's test fail.
const std::vector<std::pair<ErrorKind, std::string>> kAllKinds = {
    {ErrorKind::configuration, "configuration"},
    {ErrorKind::credentials, "credentials"},
    {ErrorKind::access_denied, "access_denied"},
    {ErrorKind::invalid_upstream_request, "invalid_upstream_request"},
    {ErrorKind::model_not_found, "model_not_found"},
    {ErrorKind::throttled, "throttled"},
    {ErrorKind::model_timeout, "model_timeout"},
    {ErrorKind::model_error, "model_error"},
    {ErrorKind::upstream_unavailable, "upstream_unavailable"},
    {ErrorKind::upstream_failure, "upstream_failure"},
    {ErrorKind::upstream_unreachable, "upstream_unreachable"},
    {ErrorKind::bad_upstream_response, "bad_upstream_response"},
    {ErrorKind::deadline_exceeded, "deadline_exceeded"},
    {ErrorKind::cancelled, "cancelled"},
    {ErrorKind::context_length_exceeded, "context_length_exceeded"},
    {ErrorKind::invalid_request, "invalid_request"},
    {ErrorKind::shutting_down, "shutting_down"},
};

TEST(ErrorTable, EveryKindHasItsOwnRow) {
  std::set<std::string> names;
  for (const auto& [kind, name] : kAllKinds) {
    EXPECT_EQ(error_kind_name(kind), name);
    names.insert(std::string(error_kind_name(kind)));
  }
  EXPECT_EQ(names.size(), kAllKinds.size());
}

TEST(ErrorTable, ChatContractConfigurationIs500) {
  const HttpError e = chat_endpoint_error({ErrorKind::configuration, "Missing AWS_REGION environment variable."});
  EXPECT_EQ(e.status, 500u);
  EXPECT_EQ(e.message, "Configuration error: Missing AWS_REGION environment variable.");
  EXPECT_FALSE(e.retry_after_seconds.has_value());
}

TEST(ErrorTable, ChatContractUpstreamFailuresAre502) {
  for (const auto& [kind, name] : kAllKinds) {
    if (kind == ErrorKind::configuration || kind == ErrorKind::cancelled || kind == ErrorKind::invalid_request ||
        kind == ErrorKind::shutting_down)
      continue;
    const HttpError e = chat_endpoint_error({kind, "detail " + name});
    EXPECT_EQ(e.status, 502u) << name;
    EXPECT_EQ(e.message, "Llama invocation failed: detail " + name);
  }
}

TEST(ErrorTable, ShuttingDownIs503OnBothApis) {
  EXPECT_EQ(chat_endpoint_error({ErrorKind::shutting_down, "the service is shutting down"}).status, 503u);
  const ApiError e = api_error({ErrorKind::shutting_down, "the service is shutting down"});
  EXPECT_EQ(e.status, 503u);
  EXPECT_EQ(e.code, "shutting_down");
}

TEST(ErrorTable, InvalidRequestIsTheCallersFault) {
  EXPECT_EQ(api_status(ErrorKind::invalid_request), 400u);
  EXPECT_EQ(chat_endpoint_error({ErrorKind::invalid_request, "stop: a stop sequence is empty"}).status, 400u);
}

TEST(ErrorTable, ContextOverflowIsAnOpenAiInvalidRequest) {
  const ApiError e = api_error({ErrorKind::context_length_exceeded, "maximum context length is 8192 tokens"});
  EXPECT_EQ(e.status, 400u);
  EXPECT_EQ(e.type, "invalid_request_error");
  EXPECT_EQ(e.code, "context_length_exceeded");
}

TEST(ErrorTable, CancelledUsesClientClosedStatus) {
  EXPECT_EQ(chat_endpoint_error({ErrorKind::cancelled, "client disconnected"}).status, 499u);
  EXPECT_EQ(api_status(ErrorKind::cancelled), 499u);
}

TEST(ErrorTable, RetryAfterIsCarried) {
  chat::Error throttled{ErrorKind::throttled, "ThrottlingException: slow down", 7, "ThrottlingException"};
  const HttpError e = chat_endpoint_error(throttled);
  EXPECT_EQ(e.status, 502u);
  EXPECT_EQ(e.retry_after_seconds, 7);
  EXPECT_EQ(e.message, "Llama invocation failed: ThrottlingException: slow down");
}

TEST(ErrorTable, ApiStatuses) {
  EXPECT_EQ(api_status(ErrorKind::configuration), 503u);
  EXPECT_EQ(api_status(ErrorKind::credentials), 503u);
  EXPECT_EQ(api_status(ErrorKind::access_denied), 502u);
  EXPECT_EQ(api_status(ErrorKind::invalid_upstream_request), 502u);
  EXPECT_EQ(api_status(ErrorKind::model_not_found), 502u);
  EXPECT_EQ(api_status(ErrorKind::throttled), 429u);
  EXPECT_EQ(api_status(ErrorKind::model_timeout), 504u);
  EXPECT_EQ(api_status(ErrorKind::model_error), 502u);
  EXPECT_EQ(api_status(ErrorKind::upstream_unavailable), 503u);
  EXPECT_EQ(api_status(ErrorKind::upstream_failure), 502u);
  EXPECT_EQ(api_status(ErrorKind::upstream_unreachable), 502u);
  EXPECT_EQ(api_status(ErrorKind::bad_upstream_response), 502u);
  EXPECT_EQ(api_status(ErrorKind::deadline_exceeded), 504u);
}

TEST(ErrorTable, EveryStatusIsAnErrorStatus) {
  for (const auto& [kind, name] : kAllKinds) {
    EXPECT_GE(chat_endpoint_error({kind, "x"}).status, 400u) << name;
    EXPECT_LT(chat_endpoint_error({kind, "x"}).status, 600u) << name;
    EXPECT_GE(api_status(kind), 400u) << name;
    EXPECT_LT(api_status(kind), 600u) << name;
  }
}

TEST(ErrorTable, ApiErrorTakesStatusTypeAndCodeFromTheRow) {
  const ApiError throttled = api_error({ErrorKind::throttled, "slow down", 7, "ThrottlingException"});
  EXPECT_EQ(throttled.status, 429u);
  EXPECT_EQ(throttled.type, "requests");
  EXPECT_EQ(throttled.code, "rate_limit_exceeded");
  EXPECT_EQ(throttled.message, "Llama invocation failed: slow down");
  EXPECT_EQ(throttled.retry_after_seconds, 7);
  EXPECT_TRUE(throttled.param.empty());

  const ApiError config = api_error({ErrorKind::configuration, "missing region"});
  EXPECT_EQ(config.status, 503u);
  EXPECT_EQ(config.type, "server_error");
  EXPECT_EQ(config.code, "configuration");
  EXPECT_EQ(config.message, "configuration error: missing region");

  // An upstream 404 is our 502, never confused with the caller's unknown model (404 model_not_found).
  const ApiError upstream_missing = api_error({ErrorKind::model_not_found, "no such model"});
  EXPECT_EQ(upstream_missing.status, 502u);
  EXPECT_EQ(upstream_missing.code, "upstream_model_not_found");
  EXPECT_EQ(api_error({ErrorKind::deadline_exceeded, "late"}).status, 504u);
}

TEST(ErrorTable, BadRequestIs400) {
  const HttpError e = bad_request("nope");
  EXPECT_EQ(e.status, 400u);
  EXPECT_EQ(e.message, "nope");
  EXPECT_FALSE(e.retry_after_seconds.has_value());
}

TEST(ErrorTable, RefusalsHaveOneStatusInBothShapes) {
  struct Expected {
    Refusal refusal;
    unsigned status;
    const char* type;
    const char* code;
  };
  for (const auto& e : {Expected{Refusal::unauthorized, 401, "invalid_request_error", "invalid_api_key"},
                        Expected{Refusal::rate_limited, 429, "requests", "rate_limit_exceeded"},
                        Expected{Refusal::overloaded, 503, "server_error", "overloaded"}}) {
    const HttpError chat = refusal_error(e.refusal, 3);
    const ApiError api = refusal_api_error(e.refusal, 3);
    EXPECT_EQ(chat.status, e.status);
    EXPECT_EQ(api.status, e.status);
    EXPECT_EQ(api.type, e.type);
    EXPECT_EQ(api.code, e.code);
    EXPECT_EQ(api.message, chat.message);
    EXPECT_FALSE(chat.message.empty());
    EXPECT_EQ(chat.retry_after_seconds, 3);
    EXPECT_EQ(api.retry_after_seconds, 3);
  }
  EXPECT_FALSE(refusal_error(Refusal::unauthorized).retry_after_seconds);
}

}  // namespace
}  // namespace llamachat::api
