#include "backends/openai/errors.hpp"

#include <gtest/gtest.h>

namespace llamachat::backends::openai {
namespace {

using K = chat::ErrorKind;
using R = aws::retry::FailureKind;

const ErrorContext kContext{"http://10.0.0.5:8000", "llama-3.3-70b", "sk-secret-123"};

struct Case {
  unsigned status;
  const char* body;
  K kind;
  R retry;
};

TEST(OpenAiErrorRows, MapStatusesAndCodesOfTheKnownServers) {
  const Case cases[] = {
      {401,
       R"({"error":{"message":"Incorrect API key provided: sk-secret-123","type":"invalid_request_error","code":"invalid_api_key"}})",
       K::credentials, R::non_retryable},
      {401, R"({"error":"unauthorized"})", K::credentials, R::non_retryable},
      {403, "forbidden", K::access_denied, R::non_retryable},
      {404, R"({"object":"error","message":"The model `x` does not exist.","type":"NotFoundError","code":404})",
       K::model_not_found, R::non_retryable},
      {404, R"({"error":"model \"x\" not found, try pulling it first"})", K::model_not_found, R::non_retryable},
      {400,
       R"({"object":"error","message":"This model's maximum context length is 8192 tokens. However, you requested 9000 tokens","type":"BadRequestError","code":400})",
       K::context_length_exceeded, R::non_retryable},
      {400,
       R"({"error":{"code":400,"message":"the request exceeds the available context size","type":"exceed_context_size_error"}})",
       K::context_length_exceeded, R::non_retryable},
      {400, R"({"error":{"message":"bad temperature","type":"invalid_request_error"}})", K::invalid_upstream_request,
       R::non_retryable},
      {429, R"({"error":{"message":"slow down","type":"requests","code":"rate_limit_exceeded"}})", K::throttled,
       R::throttling},
      {500, "Internal Server Error", K::upstream_failure, R::transient},
      {502, "", K::upstream_failure, R::transient},
      {503, R"({"error":{"message":"loading"}})", K::upstream_unavailable, R::transient},
  };
  for (const Case& c : cases) {
    const upstream::Failure failure = failure_from_response(c.status, c.body, kContext);
    EXPECT_EQ(failure.error.kind, c.kind) << c.status << " " << c.body;
    EXPECT_EQ(failure.retry, c.retry) << c.status << " " << c.body;
    EXPECT_NE(failure.error.message.find("http://10.0.0.5:8000"), std::string::npos) << failure.error.message;
    EXPECT_EQ(failure.error.message.find("sk-secret-123"), std::string::npos) << failure.error.message;
  }
}

TEST(OpenAiErrorRows, MessagesSayWhatToFix) {
  EXPECT_NE(failure_from_response(404, "{}", kContext).error.message.find("LLAMACHAT_OPENAI_MODEL 'llama-3.3-70b'"),
            std::string::npos);
  EXPECT_NE(failure_from_response(401, "{}", kContext).error.message.find("OPENAI_API_KEY"), std::string::npos);
  EXPECT_EQ(failure_from_response(429, "{}", kContext).error.retry_after_seconds.value_or(0), 2);
}

TEST(OpenAiErrorRows, StreamErrorsAreNeverRetried) {
  const auto failure = failure_from_stream_error("upstream overloaded", 503, kContext);
  EXPECT_EQ(failure.error.kind, K::upstream_unavailable);
  EXPECT_EQ(failure.retry, R::non_retryable);
  EXPECT_NE(failure.error.message.find("mid-stream: upstream overloaded"), std::string::npos);
  EXPECT_EQ(failure_from_stream_error("boom", 0, kContext).error.kind, K::model_error);
}

}  // namespace
}  // namespace llamachat::backends::openai
