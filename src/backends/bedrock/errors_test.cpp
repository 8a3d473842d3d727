#include "backends/bedrock/errors.hpp"

#include <gtest/gtest.h>

#include <string>

namespace llamachat::backends::bedrock {
namespace {

using chat::ErrorKind;
constexpr std::string_view kBase = "meta.llama3-3-70b-instruct-v1:0";
constexpr std::string_view kUsProfile = "us.meta.llama3-3-70b-instruct-v1:0";
// docs/bedrock.md#model-ids, with the typographic apostrophe (U+2019) the service really sends.
constexpr std::string_view kOnDemandMessage =
    "Invocation of model ID meta.llama3-3-70b-instruct-v1:0 with on-demand throughput isn\xE2\x80\x99t supported. "
    "Retry your request with the ID or ARN of an inference profile that contains this model.";

ErrorContext context(std::string_view model = kUsProfile, std::string_view region = "us-east-1",
                     Operation op = Operation::invoke) {
  return ErrorContext{model, region, op, "environment"};
}

bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

TEST(NormalizeErrorCode, Forms) {
  EXPECT_EQ(normalize_error_code("ValidationException"), "ValidationException");
  EXPECT_EQ(normalize_error_code("ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/"),
            "ValidationException");
  EXPECT_EQ(normalize_error_code("com.amazon.coral.service#ThrottlingException"), "ThrottlingException");
  EXPECT_EQ(normalize_error_code("aws#ThrottlingException:http://x/"), "ThrottlingException");
  EXPECT_EQ(normalize_error_code("  AccessDeniedException "), "AccessDeniedException");
  EXPECT_EQ(normalize_error_code(""), "");
}

TEST(ErrorCodeOf, HeaderWinsOverBody) {
  EXPECT_EQ(error_code_of("ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/",
                          R"({"__type":"ValidationException","message":"m"})"),
            "ThrottlingException");
}

TEST(ErrorCodeOf, BodyTypeThenCode) {
  EXPECT_EQ(error_code_of("", R"({"__type":"com.amazon.bedrock#ValidationException","message":"m"})"),
            "ValidationException");
  EXPECT_EQ(error_code_of("", R"({"code":"ResourceNotFoundException"})"), "ResourceNotFoundException");
  EXPECT_EQ(error_code_of("", R"({"Code":"AccessDeniedException"})"), "AccessDeniedException");
  EXPECT_EQ(error_code_of("", R"({"__type":"A","code":"B"})"), "A");
}

TEST(ErrorCodeOf, NothingToFind) {
  EXPECT_EQ(error_code_of("", R"({"message":"m"})"), "");
  EXPECT_EQ(error_code_of("", "not json"), "");
  EXPECT_EQ(error_code_of("", ""), "");
  EXPECT_EQ(error_code_of("", R"(["__type"])"), "");
  EXPECT_EQ(error_code_of("", R"({"__type":5})"), "");
}

TEST(ErrorMessageOf, MessageMembers) {
  EXPECT_EQ(error_message_of(R"({"message":"Too many requests"})"), "Too many requests");
  EXPECT_EQ(error_message_of(R"({"Message":"Capitalised"})"), "Capitalised");
  EXPECT_EQ(error_message_of(R"({"message":"lower","Message":"upper"})"), "lower");
}

TEST(ErrorMessageOf, FallsBackToTruncatedBody) {
  EXPECT_EQ(error_message_of("upstream connect error"), "upstream connect error");
  EXPECT_EQ(error_message_of(R"({"error":"x"})"), R"({"error":"x"})");
  const std::string long_body(300, 'z');
  EXPECT_EQ(error_message_of(long_body), std::string(200, 'z') + "...");
  EXPECT_EQ(error_message_of(""), "");
}

TEST(InferenceProfile, GeographyPrefixes) {
  EXPECT_EQ(inference_profile_for(kBase, "us-east-1"), kUsProfile);
  EXPECT_EQ(inference_profile_for(kBase, "us-west-2"), kUsProfile);
  EXPECT_EQ(inference_profile_for(kBase, "eu-west-1"), "eu.meta.llama3-3-70b-instruct-v1:0");
  EXPECT_EQ(inference_profile_for(kBase, "ap-northeast-1"), "apac.meta.llama3-3-70b-instruct-v1:0");
  EXPECT_EQ(inference_profile_for(kBase, "us-gov-west-1"), "us-gov.meta.llama3-3-70b-instruct-v1:0");
}

TEST(InferenceProfile, NotForProfilesOrArns) {
  EXPECT_EQ(inference_profile_for(kUsProfile, "us-east-1"), "");
  EXPECT_EQ(inference_profile_for("arn:aws:bedrock:us-east-1:123456789012:inference-profile/x", "us-east-1"), "");
  EXPECT_EQ(inference_profile_for("", "us-east-1"), "");
}

TEST(NeedsInferenceProfile, OnlyTheBaseIdOutsideUsEast2) {
  EXPECT_TRUE(needs_inference_profile(kBase, "us-east-1"));
  EXPECT_TRUE(needs_inference_profile(kBase, "us-west-2"));
  EXPECT_FALSE(needs_inference_profile(kBase, "us-east-2"));
  EXPECT_FALSE(needs_inference_profile(kUsProfile, "us-east-1"));
  EXPECT_FALSE(needs_inference_profile(
      "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.meta.llama3-3-70b-instruct-v1:0", "us-east-1"));
}

// docs/bedrock.md#errors, one row at a time, as returned by an HTTP error reply.
struct Row {
  unsigned status;
  const char* code;
  ErrorKind kind;
  bool has_retry_after;
};

TEST(ErrorFromResponse, BedrockErrorTable) {
  const Row rows[] = {
      {403, "AccessDeniedException", ErrorKind::access_denied, false},
      {400, "ValidationException", ErrorKind::invalid_upstream_request, false},
      {404, "ResourceNotFoundException", ErrorKind::model_not_found, false},
      {400, "ServiceQuotaExceededException", ErrorKind::throttled, true},
      {429, "ThrottlingException", ErrorKind::throttled, true},
      {429, "ModelNotReadyException", ErrorKind::throttled, true},
      {408, "ModelTimeoutException", ErrorKind::model_timeout, false},
      {424, "ModelErrorException", ErrorKind::model_error, false},
      {424, "ModelStreamErrorException", ErrorKind::model_error, false},
      {500, "InternalServerException", ErrorKind::upstream_failure, false},
      {503, "ServiceUnavailableException", ErrorKind::upstream_unavailable, true},
  };
  for (const Row& row : rows) {
    const std::string header = std::string(row.code) + ":http://internal.amazon.com/coral/com.amazon.bedrock/";
    const chat::Error e = error_from_response(row.status, header, R"({"message":"detail text"})", context());
    EXPECT_EQ(e.kind, row.kind) << row.code;
    EXPECT_EQ(e.upstream_code, row.code);
    EXPECT_EQ(e.retry_after_seconds.has_value(), row.has_retry_after) << row.code;
    EXPECT_TRUE(contains(e.message, "detail text")) << e.message;
    EXPECT_TRUE(contains(e.message, row.code)) << e.message;
  }
}

TEST(ErrorFromResponse, ThrottlingRetryAfterHints) {
  EXPECT_EQ(error_from_response(429, "ThrottlingException", "{}", context()).retry_after_seconds, 2);
  EXPECT_EQ(error_from_response(429, "ModelNotReadyException", "{}", context()).retry_after_seconds, 5);
  EXPECT_EQ(error_from_response(400, "ServiceQuotaExceededException", "{}", context()).retry_after_seconds, 60);
}

TEST(ErrorFromResponse, CodeFromBodyWhenNoHeader) {
  const chat::Error e = error_from_response(
      404, "", R"({"__type":"com.amazon.bedrock#ResourceNotFoundException","message":"Model not found"})",
      context("meta.nope-v1:0", "us-east-1"));
  EXPECT_EQ(e.kind, ErrorKind::model_not_found);
  EXPECT_TRUE(contains(e.message, "Model not found")) << e.message;
  EXPECT_TRUE(contains(e.message, "meta.nope-v1:0")) << e.message;
  EXPECT_TRUE(contains(e.message, "us-east-1")) << e.message;
}

TEST(ErrorFromResponse, AccessDeniedNamesActionAndResourceForInvoke) {
  const chat::Error e = error_from_response(
      403, "AccessDeniedException", R"({"message":"You don't have access to the model with the specified model ID."})",
      context(kBase, "us-east-2", Operation::invoke));
  EXPECT_EQ(e.kind, ErrorKind::access_denied);
  EXPECT_TRUE(contains(e.message, "bedrock:InvokeModel ")) << e.message;
  EXPECT_FALSE(contains(e.message, "InvokeModelWithResponseStream")) << e.message;
  EXPECT_TRUE(contains(e.message, "arn:aws:bedrock:us-east-2::foundation-model/meta.llama3-3-70b-instruct-v1:0"))
      << e.message;
  EXPECT_TRUE(contains(e.message, "You don't have access")) << e.message;
}

TEST(ErrorFromResponse, AccessDeniedNamesStreamActionForStreamOperations) {
  for (Operation op : {Operation::invoke_stream, Operation::converse_stream}) {
    const chat::Error e = error_from_response(403, "AccessDeniedException", R"({"message":"denied"})",
                                              context(kUsProfile, "us-east-1", op));
    EXPECT_EQ(e.kind, ErrorKind::access_denied);
    EXPECT_TRUE(contains(e.message, "bedrock:InvokeModelWithResponseStream")) << e.message;
    // A profile needs the profile ARN and the foundation model in every destination Region (docs/bedrock.md#iam).
    EXPECT_TRUE(
        contains(e.message, "arn:aws:bedrock:us-east-1:<account-id>:inference-profile/" + std::string(kUsProfile)))
        << e.message;
    EXPECT_TRUE(contains(e.message, "foundation-model/meta.llama3-3-70b-instruct-v1:0")) << e.message;
  }
  const chat::Error converse =
      error_from_response(403, "AccessDeniedException", "{}", context(kUsProfile, "us-east-1", Operation::converse));
  EXPECT_TRUE(contains(converse.message, "bedrock:InvokeModel ")) << converse.message;
}

TEST(ErrorFromResponse, AccessDeniedWithArnModelIdNamesTheArn) {
  const std::string arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.meta.llama3-3-70b-instruct-v1:0";
  const chat::Error e = error_from_response(403, "AccessDeniedException", "{}", context(arn, "us-east-1"));
  EXPECT_TRUE(contains(e.message, arn)) << e.message;
}

TEST(ErrorFromResponse, AccessDeniedWarnsAboutTheIamPrefix) {
  const chat::Error e = error_from_response(403, "AccessDeniedException", "{}", context());
  EXPECT_TRUE(contains(e.message, "bedrock-runtime:")) << e.message;
}

TEST(ErrorFromResponse, OnDemandThroughputNamesTheInferenceProfile) {
  const std::string body = "{\"message\":\"" + std::string(kOnDemandMessage) + "\"}";
  const chat::Error e =
      error_from_response(400, "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/", body,
                          context(kBase, "us-east-1"));
  EXPECT_EQ(e.kind, ErrorKind::invalid_upstream_request);
  EXPECT_EQ(e.upstream_code, "ValidationException");
  EXPECT_FALSE(e.retry_after_seconds.has_value());
  EXPECT_TRUE(contains(e.message, "BEDROCK_MODEL_ID=us.meta.llama3-3-70b-instruct-v1:0")) << e.message;
  EXPECT_TRUE(contains(e.message, "isn\xE2\x80\x99t supported")) << e.message;
}

TEST(ErrorFromResponse, OnDemandThroughputOlderWording) {
  const chat::Error e = error_from_response(400, "ValidationException",
                                            R"({"message":"The provided model doesn't support on-demand throughput."})",
                                            context(kBase, "eu-central-1"));
  EXPECT_EQ(e.kind, ErrorKind::invalid_upstream_request);
  EXPECT_TRUE(contains(e.message, "eu.meta.llama3-3-70b-instruct-v1:0")) << e.message;
}

TEST(ErrorFromResponse, OnDemandThroughputWithProfileIdAsksForAProfile) {
  const chat::Error e =
      error_from_response(400, "ValidationException", "{\"message\":\"" + std::string(kOnDemandMessage) + "\"}",
                          context("arn:aws:bedrock:us-east-1::foundation-model/x", "us-east-1"));
  EXPECT_TRUE(contains(e.message, "inference profile ID or ARN")) << e.message;
}

TEST(ErrorFromResponse, OtherValidationIsPassedThrough) {
  const chat::Error e = error_from_response(
      400, "ValidationException", R"({"message":"Malformed input request: #: extraneous key [foo]"})", context());
  EXPECT_EQ(e.kind, ErrorKind::invalid_upstream_request);
  EXPECT_EQ(e.message, "ValidationException: Malformed input request: #: extraneous key [foo]");
}

TEST(ErrorFromResponse, SignatureAndTokenProblemsAreCredentials) {
  for (const char* code : {"UnrecognizedClientException", "InvalidSignatureException", "ExpiredTokenException",
                           "MissingAuthenticationTokenException", "IncompleteSignatureException",
                           "InvalidClientTokenId", "SignatureDoesNotMatch"}) {
    const chat::Error e = error_from_response(403, code, R"({"message":"m"})", context());
    EXPECT_EQ(e.kind, ErrorKind::credentials) << code;
    EXPECT_TRUE(contains(e.message, "environment provider")) << e.message;
  }
  ErrorContext no_provider = context();
  no_provider.credentials_provider = "";
  const chat::Error e = error_from_response(403, "ExpiredTokenException", "{}", no_provider);
  EXPECT_EQ(e.kind, ErrorKind::credentials);
  EXPECT_FALSE(contains(e.message, "provider)")) << e.message;
}

TEST(ErrorFromResponse, StatusOnlyFallbacks) {
  struct Case {
    unsigned status;
    ErrorKind kind;
  };
  for (const Case c :
       {Case{503, ErrorKind::upstream_unavailable}, Case{500, ErrorKind::upstream_failure},
        Case{502, ErrorKind::upstream_failure}, Case{504, ErrorKind::upstream_failure}, Case{429, ErrorKind::throttled},
        Case{403, ErrorKind::access_denied}, Case{400, ErrorKind::invalid_upstream_request}}) {
    const chat::Error e = error_from_response(c.status, "", "<html>oops</html>", context());
    EXPECT_EQ(e.kind, c.kind) << c.status;
    EXPECT_EQ(e.upstream_code, "") << c.status;
    EXPECT_EQ(e.message, "Bedrock answered HTTP " + std::to_string(c.status) + ": <html>oops</html>");
  }
  EXPECT_EQ(error_from_response(429, "", "", context()).retry_after_seconds, 2);
}

TEST(ErrorFromResponse, EmptyBodySaysTheStatus) {
  const chat::Error e = error_from_response(503, "", "", context());
  EXPECT_EQ(e.kind, ErrorKind::upstream_unavailable);
  EXPECT_EQ(e.message, "Bedrock answered HTTP 503: HTTP 503");
}

TEST(ErrorFromResponse, UnknownCodeFallsBackOnStatus) {
  const chat::Error e = error_from_response(500, "SomethingNewException", R"({"message":"m"})", context());
  EXPECT_EQ(e.kind, ErrorKind::upstream_failure);
  EXPECT_EQ(e.upstream_code, "SomethingNewException");
  EXPECT_EQ(e.message, "SomethingNewException: m");
}

// In-stream exceptions use lowerCamelCase types (":exception-type"), docs/bedrock.md#stream-exceptions.
TEST(ErrorFromCode, StreamExceptionTypes) {
  const ErrorContext c = context(kUsProfile, "us-east-1", Operation::invoke_stream);
  EXPECT_EQ(error_from_code("throttlingException", "slow down", 0, c).kind, ErrorKind::throttled);
  EXPECT_EQ(error_from_code("modelStreamErrorException", "boom", 0, c).kind, ErrorKind::model_error);
  EXPECT_EQ(error_from_code("modelTimeoutException", "late", 0, c).kind, ErrorKind::model_timeout);
  EXPECT_EQ(error_from_code("internalServerException", "x", 0, c).kind, ErrorKind::upstream_failure);
  EXPECT_EQ(error_from_code("serviceUnavailableException", "x", 0, c).kind, ErrorKind::upstream_unavailable);
  EXPECT_EQ(error_from_code("validationException", "bad", 0, c).kind, ErrorKind::invalid_upstream_request);
  const chat::Error e = error_from_code("throttlingException", "slow down", 0, c);
  // Shown with the SDKs' class name, whatever the wire spelling.
  EXPECT_EQ(e.upstream_code, "ThrottlingException");
  EXPECT_EQ(e.message, "ThrottlingException: slow down");
}

TEST(ErrorFromCode, EmptyCodeKeepsMessageOnly) {
  const chat::Error e = error_from_code("", "just text", 500, context());
  EXPECT_EQ(e.kind, ErrorKind::upstream_failure);
  EXPECT_EQ(e.message, "just text");
}

}  // namespace
}  // namespace llamachat::backends::bedrock
