#include "app/wiring.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <string>

#include "backends/bedrock/bedrock_backend.hpp"
#include "support/run_async.hpp"

namespace llamachat::app {
namespace {

using Vars = std::map<std::string, std::string>;

class WiringTest : public ::testing::Test {
 protected:
  WiringTest() {
    std::string pattern = (std::filesystem::temp_directory_path() / "llamachat-wiring-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
  }
  ~WiringTest() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Never the real environment: no profile files, no IMDS, no proxy unless a test sets one.
  aws::credentials::Environment env(Vars vars = {}) const {
    vars.emplace("HOME", dir_.string());
    vars.emplace("AWS_CONFIG_FILE", (dir_ / "config").string());
    vars.emplace("AWS_SHARED_CREDENTIALS_FILE", (dir_ / "credentials").string());
    vars.emplace("AWS_EC2_METADATA_DISABLED", "true");
    auto shared = std::make_shared<const Vars>(std::move(vars));
    return [shared](std::string_view name) -> std::optional<std::string> {
      auto it = shared->find(std::string(name));
      if (it == shared->end()) return std::nullopt;
      return it->second;
    };
  }

  AppConfig config(const std::vector<std::string>& args, const Vars& vars) const {
    ParseOutcome out = parse_config(args, env(vars));
    EXPECT_TRUE(out.config.has_value()) << out.message;
    return out.config.value_or(AppConfig{});
  }

  Wiring wire(const std::vector<std::string>& args, const Vars& vars = {}) const {
    return build_backend(config(args, vars), env(vars));
  }

  std::filesystem::path dir_;
};

bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

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
  EXPECT_TRUE(contains(log, "WARN credentials: none available yet")) << log;
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

}  // namespace
}  // namespace llamachat::app
