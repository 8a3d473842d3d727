#include "app/wiring.hpp"

#include <gtest/gtest.h>

#include <string>

#include "backends/bedrock/bedrock_backend.hpp"
#include "support/connect_proxy.hpp"
#include "support/environment.hpp"
#include "support/run_async.hpp"
#include "support/temp_dir.hpp"
#include "support/test_http_server.hpp"
#include "support/text.hpp"

namespace llamachat::app {
namespace {

using Vars = test::Variables;

class WiringTest : public ::testing::Test {
 protected:
  // Never the real environment: no profile files, no IMDS, no proxy unless a test sets one.
  util::Environment env(Vars vars = {}) const {
    vars.emplace("AWS_EC2_METADATA_DISABLED", "true");
    return test::isolated_aws_environment(dir_.path(), std::move(vars));
  }

  AppConfig config(const std::vector<std::string>& args, const Vars& vars) const {
    ParseOutcome out = parse_config(args, env(vars));
    EXPECT_TRUE(out.config.has_value()) << out.message;
    return out.config.value_or(AppConfig{});
  }

  Wiring wire(const std::vector<std::string>& args, const Vars& vars = {}) const {
    return build_backend(config(args, vars), env(vars));
  }

  test::TempDir dir_;
};

using test::contains;

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

chat::Outcome chat_once(chat::Backend& backend) {
  chat::ChatRequest request;
  request.messages = {{chat::Role::user, "Hello"}};
  chat::AccumulatingSink sink;
  return test::run_async(backend.stream(request, sink));
}

chat::Error expect_configuration_error(const Wiring& w) {
  const chat::Outcome outcome = chat_once(*w.backend);
  if (!std::holds_alternative<chat::Error>(outcome)) {
    ADD_FAILURE() << "expected a configuration error";
    return {};
  }
  const chat::Error e = std::get<chat::Error>(outcome);
  EXPECT_EQ(e.kind, chat::ErrorKind::configuration);
  return e;
}

TEST_F(WiringTest, OfflineBackendWithBanner) {
  const Wiring w = wire({});
  ASSERT_NE(w.backend, nullptr);
  const chat::BackendInfo info = w.backend->info();
  EXPECT_TRUE(info.offline);
  EXPECT_EQ(info.name, "offline");
  const std::string banner = joined(w.warnings);
  EXPECT_TRUE(contains(banner, "OFFLINE MODE")) << banner;
  EXPECT_TRUE(contains(banner, "AWS_REGION")) << banner;
  EXPECT_TRUE(contains(banner, "BEDROCK_MODEL_ID")) << banner;
  EXPECT_TRUE(contains(banner, "us.meta.llama3-3-70b-instruct-v1:0")) << banner;
  EXPECT_TRUE(contains(banner, "no AWS_REGION or AWS_DEFAULT_REGION is set")) << banner;  // the reason
  ASSERT_TRUE(w.shutdown);
  w.shutdown();
  // It answers locally.
  EXPECT_TRUE(std::holds_alternative<chat::Completion>(chat_once(*w.backend)));
}

TEST_F(WiringTest, BedrockWithoutRegionIsMisconfigured) {
  const Wiring w = wire({"--backend", "bedrock"}, {{"BEDROCK_MODEL_ID", "us.meta.llama3-3-70b-instruct-v1:0"}});
  EXPECT_EQ(w.backend->info().name, "bedrock");
  EXPECT_EQ(w.backend->info().model, "unconfigured");
  EXPECT_FALSE(w.backend->info().offline);
  const chat::Error e = expect_configuration_error(w);
  EXPECT_TRUE(contains(e.message, "Missing AWS_REGION")) << e.message;
  const std::string warnings = joined(w.warnings);
  EXPECT_TRUE(contains(warnings, "CONFIGURATION ERROR")) << warnings;
  EXPECT_TRUE(contains(warnings, "Missing AWS_REGION")) << warnings;
  ASSERT_TRUE(w.shutdown);
  w.shutdown();
}

TEST_F(WiringTest, BedrockWithoutModelIsMisconfigured) {
  const Wiring w = wire({}, {{"AWS_REGION", "us-east-1"}});
  const chat::Error e = expect_configuration_error(w);
  EXPECT_TRUE(contains(e.message, "Missing BEDROCK_MODEL_ID")) << e.message;
  EXPECT_TRUE(contains(joined(w.warnings), "Missing BEDROCK_MODEL_ID"));
}

TEST_F(WiringTest, PlainHttpEndpointOnRemoteHostIsMisconfigured) {
  const Wiring w = wire({}, {{"AWS_REGION", "us-east-1"},
                             {"BEDROCK_MODEL_ID", "us.meta.llama3-3-70b-instruct-v1:0"},
                             {"AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "http://bedrock.example.com"}});
  const chat::Error e = expect_configuration_error(w);
  EXPECT_TRUE(contains(e.message, "http://bedrock.example.com")) << e.message;
  EXPECT_TRUE(contains(e.message, "https://")) << e.message;
}

TEST_F(WiringTest, UnparsableEndpointIsMisconfigured) {
  const Wiring w = wire({"--endpoint", "ftp://bedrock.example.com"},
                        {{"AWS_REGION", "us-east-1"}, {"BEDROCK_MODEL_ID", "us.meta.llama3-3-70b-instruct-v1:0"}});
  const chat::Error e = expect_configuration_error(w);
  EXPECT_TRUE(contains(e.message, "not an http(s):// URL")) << e.message;
}

TEST_F(WiringTest, PlainHttpOnLoopbackIsAllowed) {
  for (const char* endpoint : {"http://127.0.0.1:4566", "http://localhost:8081/prefix", "http://[::1]:9000"}) {
    const Wiring w = wire({"--endpoint", endpoint},
                          {{"AWS_REGION", "us-east-1"}, {"BEDROCK_MODEL_ID", "us.meta.llama3-3-70b-instruct-v1:0"}});
    auto bedrock = std::dynamic_pointer_cast<backends::bedrock::BedrockBackend>(w.backend);
    ASSERT_NE(bedrock, nullptr) << endpoint << ": " << joined(w.warnings);
    EXPECT_EQ(bedrock->config().endpoint.scheme, "http");
    w.shutdown();
  }
}

TEST_F(WiringTest, BedrockBackendConfiguration) {
  const Wiring w = wire({"--bedrock-api", "converse", "--request-timeout-ms", "5000", "--connect-timeout-ms", "700",
                         "--ca-bundle", "extra-ca.pem"},
                        {{"AWS_REGION", "us-west-2"},
                         {"BEDROCK_MODEL_ID", "us.meta.llama3-3-70b-instruct-v1:0"},
                         {"AWS_MAX_ATTEMPTS", "5"},
                         {"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"},
                         {"AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}});
  auto bedrock = std::dynamic_pointer_cast<backends::bedrock::BedrockBackend>(w.backend);
  ASSERT_NE(bedrock, nullptr) << joined(w.warnings);
  const auto& c = bedrock->config();
  EXPECT_EQ(c.region, "us-west-2");
  EXPECT_EQ(c.model_id, "us.meta.llama3-3-70b-instruct-v1:0");
  EXPECT_EQ(c.api, backends::bedrock::Api::converse);
  EXPECT_EQ(c.request_timeout, std::chrono::milliseconds(5000));
  EXPECT_EQ(c.retry.max_attempts, 5);
  EXPECT_EQ(c.client.connect_timeout, std::chrono::milliseconds(700));
  EXPECT_EQ(c.client.ca_bundle_path, "extra-ca.pem");
  EXPECT_EQ(c.endpoint.scheme, "https");
  EXPECT_EQ(c.endpoint.host, "bedrock-runtime.us-west-2.amazonaws.com");
  EXPECT_EQ(c.endpoint.port, 443);
  EXPECT_FALSE(c.client.proxy.has_value());
  const chat::BackendInfo info = w.backend->info();
  EXPECT_EQ(info.name, "bedrock");
  EXPECT_EQ(info.model, "us.meta.llama3-3-70b-instruct-v1:0");
  EXPECT_FALSE(info.offline);

  const std::string info_lines = joined(w.info);
  EXPECT_TRUE(contains(info_lines, "https://bedrock-runtime.us-west-2.amazonaws.com")) << info_lines;
  EXPECT_TRUE(contains(info_lines, "API converse")) << info_lines;
  EXPECT_TRUE(contains(info_lines, "AWS_ACCESS_KEY_ID")) << info_lines;
  EXPECT_FALSE(contains(info_lines, "AKIDEXAMPLE")) << "credential values must never be logged";
  EXPECT_FALSE(contains(info_lines, "wJalrXUtnFEMI")) << "credential values must never be logged";
  EXPECT_TRUE(w.warnings.empty()) << joined(w.warnings);
  w.shutdown();
}

TEST_F(WiringTest, ProxyFromEnvironment) {
  const Wiring w = wire({}, {{"AWS_REGION", "us-east-1"},
                             {"BEDROCK_MODEL_ID", "us.meta.llama3-3-70b-instruct-v1:0"},
                             {"HTTPS_PROXY", "http://proxy.internal:3128"},
                             {"NO_PROXY", "169.254.169.254"}});
  auto bedrock = std::dynamic_pointer_cast<backends::bedrock::BedrockBackend>(w.backend);
  ASSERT_NE(bedrock, nullptr);
  ASSERT_TRUE(bedrock->config().client.proxy.has_value());
  EXPECT_EQ(bedrock->config().client.proxy->host, "proxy.internal");
  EXPECT_EQ(bedrock->config().client.proxy->port, 3128);
  // The proxy settings are added to, not substituted for, the other client options.
  EXPECT_EQ(bedrock->config().client.connect_timeout, std::chrono::milliseconds(3000));
  w.shutdown();
}

// STS answer of AssumeRoleWithWebIdentity
// (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html).
constexpr const char* kStsReply =
    R"(<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>ASIAWIRING</AccessKeyId>
  <SecretAccessKey>WIRINGSECRET</SecretAccessKey><SessionToken>WIRINGTOKEN</SessionToken>
  <Expiration>2031-03-04T05:06:07Z</Expiration></Credentials></AssumeRoleWithWebIdentityResult>
</AssumeRoleWithWebIdentityResponse>)";

constexpr const char* kMetadataCredentials = R"({"AccessKeyId":"AKIDMETA","SecretAccessKey":"METASECRET",
  "Token":"METATOKEN","Expiration":"2031-01-01T00:00:00Z"})";

// Container credentials, or the three IMDSv2 steps (token, role name, credentials).
test::TestResponse metadata_reply(const test::TestRequest& request) {
  const std::string target(request.target());
  if (target == "/latest/api/token") return test::text_response("IMDS-SESSION");
  if (target == "/latest/meta-data/iam/security-credentials/") return test::text_response("role");
  return test::text_response(kMetadataCredentials);
}

// EKS IRSA behind an egress proxy: STS (AssumeRoleWithWebIdentity) is reached through HTTPS_PROXY, like Bedrock.
TEST_F(WiringTest, WebIdentityGoesThroughTheProxy) {
  test::ConnectProxy proxy;
  test::TestHttpServer sts([](const test::TestRequest&) { return test::text_response(kStsReply); });
  const Wiring w = wire({}, {{"AWS_REGION", "us-east-1"},
                             {"BEDROCK_MODEL_ID", "us.meta.llama3-3-70b-instruct-v1:0"},
                             {"HTTPS_PROXY", proxy.url()},
                             {"AWS_WEB_IDENTITY_TOKEN_FILE", dir_.write("token", "header.payload.signature")},
                             {"AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/irsa"},
                             {"AWS_ENDPOINT_URL_STS", sts.url()}});
  w.startup_probe();
  EXPECT_EQ(sts.requests_received(), 1u);
  EXPECT_EQ(proxy.targets(), std::vector<std::string>{"127.0.0.1:" + std::to_string(sts.port())});
  EXPECT_EQ(proxy.tunnels(), 1u);
  w.shutdown();
}

// The container and instance metadata endpoints are link-local: never through the proxy, as in the AWS SDKs.
TEST_F(WiringTest, MetadataEndpointsStayDirect) {
  test::ConnectProxy proxy;
  test::TestHttpServer container(metadata_reply);
  const Wiring with_container = wire({}, {{"AWS_REGION", "us-east-1"},
                                          {"BEDROCK_MODEL_ID", "us.meta.llama3-3-70b-instruct-v1:0"},
                                          {"HTTPS_PROXY", proxy.url()},
                                          {"AWS_CONTAINER_CREDENTIALS_FULL_URI", container.url() + "/creds"}});
  with_container.startup_probe();
  EXPECT_EQ(container.requests_received(), 1u);
  with_container.shutdown();

  test::TestHttpServer imds(metadata_reply);
  const Wiring with_imds = wire({}, {{"AWS_REGION", "us-east-1"},
                                     {"BEDROCK_MODEL_ID", "us.meta.llama3-3-70b-instruct-v1:0"},
                                     {"HTTPS_PROXY", proxy.url()},
                                     {"AWS_EC2_METADATA_DISABLED", "false"},
                                     {"AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url()}});
  with_imds.startup_probe();
  EXPECT_EQ(imds.requests_received(), 3u);
  with_imds.shutdown();
  EXPECT_EQ(proxy.connect_requests(), 0u);
}

TEST_F(WiringTest, BaseModelIdOutsideUsEast2WarnsAboutTheProfile) {
  const Wiring w = wire({}, {{"AWS_REGION", "us-east-1"}, {"BEDROCK_MODEL_ID", "meta.llama3-3-70b-instruct-v1:0"}});
  ASSERT_NE(std::dynamic_pointer_cast<backends::bedrock::BedrockBackend>(w.backend), nullptr);
  const std::string warnings = joined(w.warnings);
  EXPECT_TRUE(contains(warnings, "BEDROCK_MODEL_ID=us.meta.llama3-3-70b-instruct-v1:0")) << warnings;
  EXPECT_TRUE(contains(warnings, "us-east-1")) << warnings;
  w.shutdown();
}

TEST_F(WiringTest, BaseModelIdInUsEast2IsFine) {
  const Wiring w = wire({}, {{"AWS_REGION", "us-east-2"}, {"BEDROCK_MODEL_ID", "meta.llama3-3-70b-instruct-v1:0"}});
  EXPECT_TRUE(w.warnings.empty()) << joined(w.warnings);
  w.shutdown();
}

TEST_F(WiringTest, ConfigWarningsAreReported) {
  const Wiring w = wire({}, {{"AWS_REGION", "us-east-2"},
                             {"BEDROCK_MODEL_ID", "us.meta.llama3-3-70b-instruct-v1:0"},
                             {"AWS_RETRY_MODE", "legacy"}});
  EXPECT_TRUE(contains(joined(w.warnings), "AWS_RETRY_MODE=legacy")) << joined(w.warnings);
  w.shutdown();
}

TEST_F(WiringTest, StartupProbeOnlyForBedrock) {
  EXPECT_FALSE(wire({}).startup_probe) << "offline needs no credentials";
  EXPECT_FALSE(wire({}, {{"AWS_REGION", "us-east-1"}}).startup_probe) << "misconfigured: nothing to probe";
}

TEST_F(WiringTest, StartupProbeNamesTheProviderWithoutSecrets) {
  const Wiring w = wire({}, {{"AWS_REGION", "us-east-1"},
                             {"BEDROCK_MODEL_ID", "us.meta.llama3-3-70b-instruct-v1:0"},
                             {"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"},
                             {"AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}});
  ASSERT_TRUE(w.startup_probe);
  ::testing::internal::CaptureStderr();
  w.startup_probe();
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(contains(log, "credentials: supplied by the environment")) << log;
  EXPECT_FALSE(contains(log, "AKIDEXAMPLE")) << log;
  EXPECT_FALSE(contains(log, "wJalrXUtnFEMI")) << log;
  w.shutdown();
}

TEST_F(WiringTest, StartupProbeWarnsWhenNoCredentials) {
  const Wiring w = wire({}, {{"AWS_REGION", "us-east-1"}, {"BEDROCK_MODEL_ID", "us.meta.llama3-3-70b-instruct-v1:0"}});
  ASSERT_TRUE(w.startup_probe);
  ::testing::internal::CaptureStderr();
  w.startup_probe();
  const std::string log = ::testing::internal::GetCapturedStderr();
  // One line, from the credentials provider, with the cause; the probe adds no second copy of it.
  EXPECT_TRUE(contains(log, "WARN aws credentials unavailable; Bedrock calls fail until this is fixed: ")) << log;
  EXPECT_EQ(log.find("no AWS credentials found"), log.rfind("no AWS credentials found")) << log;
  w.shutdown();
}

TEST_F(WiringTest, MisconfiguredBackendAnswersEveryChat) {
  MisconfiguredBackend backend("Missing AWS_REGION environment variable.");
  for (int i = 0; i < 3; ++i) {
    const chat::Outcome outcome = chat_once(backend);
    ASSERT_TRUE(std::holds_alternative<chat::Error>(outcome));
    EXPECT_EQ(std::get<chat::Error>(outcome).kind, chat::ErrorKind::configuration);
    EXPECT_EQ(std::get<chat::Error>(outcome).message, "Missing AWS_REGION environment variable.");
  }
}

}  // namespace
}  // namespace llamachat::app

namespace llamachat::app {
namespace {

TEST(ServerOptions, EarlyErrorsUnderV1AreOpenAiErrorObjects) {
  AppConfig config;
  config.server.port = 1234;
  const http::ServerOptions options = server_options(config);
  EXPECT_EQ(options.port, 1234);
  ASSERT_TRUE(options.early_error);
  const http::Response openai = options.early_error("/v1/chat/completions", 413, "request body exceeds 10 bytes", 11);
  EXPECT_EQ(openai.result_int(), 413);
  EXPECT_EQ(
      openai.body(),
      R"({"error":{"message":"request body exceeds 10 bytes","type":"invalid_request_error","param":null,"code":null}})");
  const http::Response chat = options.early_error("/chat", 413, "request body exceeds 10 bytes", 11);
  EXPECT_EQ(chat.result_int(), 413);
  EXPECT_EQ(chat.body(), R"({"error":"request body exceeds 10 bytes"})");
}

TEST_F(WiringTest, OpenAiWithoutBaseUrlIsMisconfigured) {
  const Wiring w = wire({"--backend", "openai"});
  EXPECT_EQ(w.backend->info().name, "openai");
  const chat::Error e = expect_configuration_error(w);
  EXPECT_TRUE(contains(e.message, "Missing OPENAI_BASE_URL")) << e.message;
}

TEST_F(WiringTest, OpenAiAllowsPlainHttpToAnyHostAndSaysSo) {
  const Wiring w = wire({"--backend", "openai"}, {{"OPENAI_BASE_URL", "http://10.1.2.3:8000/v1"},
                                                  {"LLAMACHAT_OPENAI_MODEL", "llama"},
                                                  {"OPENAI_API_KEY", "sk-not-logged"}});
  EXPECT_EQ(w.backend->info().name, "openai");
  EXPECT_EQ(w.backend->info().model, "llama");
  const std::string info = joined(w.info);
  EXPECT_TRUE(contains(info, "plain http:// to http://10.1.2.3:8000")) << info;
  EXPECT_TRUE(contains(info, "API key from OPENAI_API_KEY")) << info;
  EXPECT_FALSE(contains(info + joined(w.warnings), "sk-not-logged"));
  w.shutdown();
}

TEST_F(WiringTest, OpenAiWithoutModelRefusesToStartWhenTheListCannotBeRead) {
  // Port 9 (discard) on loopback: nothing listens there in the test environment.
  try {
    wire({"--backend", "openai"}, {{"OPENAI_BASE_URL", "http://127.0.0.1:9/v1"}});
    ADD_FAILURE() << "expected a refusal";
  } catch (const std::runtime_error& e) {
    EXPECT_TRUE(contains(e.what(), "LLAMACHAT_OPENAI_MODEL is unset")) << e.what();
    EXPECT_TRUE(contains(e.what(), "http://127.0.0.1:9/v1/models")) << e.what();
  }
}

TEST_F(WiringTest, BedrockWithoutKeysOnAPublicAddressWarnsLoudly) {
  const Vars bedrock{{"AWS_REGION", "us-east-1"}, {"BEDROCK_MODEL_ID", "us.meta.llama3-3-70b-instruct-v1:0"}};
  const auto warnings = joined(protection_warnings(config({"--host", "0.0.0.0"}, bedrock)));
  EXPECT_TRUE(contains(warnings, "NO API KEYS")) << warnings;
  EXPECT_TRUE(contains(warnings, "LLAMACHAT_API_KEYS")) << warnings;
  EXPECT_TRUE(protection_warnings(config({"--host", "127.0.0.1"}, bedrock)).empty());
  EXPECT_TRUE(protection_warnings(config({"--host", "::1"}, bedrock)).empty());
  Vars with_keys = bedrock;
  with_keys.emplace("LLAMACHAT_API_KEYS", "k");
  EXPECT_TRUE(protection_warnings(config({"--host", "0.0.0.0"}, with_keys)).empty());
  EXPECT_TRUE(protection_warnings(config({"--host", "0.0.0.0"}, {})).empty());  // offline: nothing to bill
}

TEST_F(WiringTest, KeysFileProblemsStopTheStart) {
  const std::string empty = dir_.write("empty-keys", "# nothing yet\n");
  EXPECT_THROW(build_protection(config({}, {{"LLAMACHAT_API_KEYS_FILE", empty}})), std::runtime_error);
  EXPECT_THROW(build_protection(config({}, {{"LLAMACHAT_API_KEYS_FILE", dir_.path().string() + "/missing"}})),
               std::runtime_error);
  const std::string keys = dir_.write("keys", "k1\n");
  const auto protection = build_protection(config({}, {{"LLAMACHAT_API_KEYS_FILE", keys}}));
  EXPECT_TRUE(protection->guards(api::RouteClass::api));
}

}  // namespace
}  // namespace llamachat::app
