#include "app/config.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/environment.hpp"
#include "support/temp_dir.hpp"
#include "support/text.hpp"

namespace llamachat::app {
namespace {

using Vars = test::Variables;

// A private, initially empty directory: the AWS config/credentials files point into it so that the
// developer's own ~/.aws never leaks into a test.
class ConfigTest : public ::testing::Test {
 protected:
  util::Environment env(Vars vars = {}) const { return test::isolated_aws_environment(dir_.path(), std::move(vars)); }

  void write_config(const std::string& text) const { dir_.write("config", text); }

  AppConfig ok(const std::vector<std::string>& args, Vars vars = {}) const {
    ParseOutcome out = parse_config(args, env(std::move(vars)));
    EXPECT_EQ(out.exit_code, 0) << out.message;
    EXPECT_TRUE(out.config.has_value()) << out.message;
    return out.config.value_or(AppConfig{});
  }

  std::string fails(const std::vector<std::string>& args, Vars vars = {}) const {
    ParseOutcome out = parse_config(args, env(std::move(vars)));
    EXPECT_EQ(out.exit_code, 2);
    EXPECT_FALSE(out.config.has_value());
    EXPECT_FALSE(out.message.empty());
    return out.message;
  }

  test::TempDir dir_;
};

using test::contains;

TEST_F(ConfigTest, Defaults) {
  const AppConfig c = ok({});
  EXPECT_EQ(c.server.host, "0.0.0.0");
  EXPECT_EQ(c.server.port, 8080);
  EXPECT_EQ(c.server.threads, 0u);
  EXPECT_EQ(c.server.limits.max_body_bytes, 1024u * 1024u);
  EXPECT_EQ(c.backend, BackendKind::offline);
  EXPECT_TRUE(contains(c.backend_reason, "AWS_REGION")) << c.backend_reason;
  EXPECT_FALSE(c.region.has_value());
  EXPECT_FALSE(c.model_id.has_value());
  EXPECT_FALSE(c.endpoint_override.has_value());
  EXPECT_EQ(c.ca_bundle, "");
  EXPECT_EQ(c.bedrock_api, "invoke");
  EXPECT_EQ(c.request_timeout, std::chrono::milliseconds(110'000));
  EXPECT_EQ(c.connect_timeout, std::chrono::milliseconds(3'000));
  EXPECT_EQ(c.offline_delay, std::chrono::milliseconds(25));
  EXPECT_EQ(c.max_attempts, 3);
  EXPECT_EQ(c.log_level, "info");
  EXPECT_TRUE(c.warnings.empty());
}

TEST_F(ConfigTest, AwsRegionSelectsBedrock) {
  const AppConfig c = ok({}, {{"AWS_REGION", "us-east-1"}, {"BEDROCK_MODEL_ID", "us.meta.llama3-3-70b-instruct-v1:0"}});
  EXPECT_EQ(c.backend, BackendKind::bedrock);
  EXPECT_EQ(c.region, "us-east-1");
  EXPECT_EQ(c.model_id, "us.meta.llama3-3-70b-instruct-v1:0");
}

TEST_F(ConfigTest, AwsDefaultRegionSelectsBedrock) {
  const AppConfig c = ok({}, {{"AWS_DEFAULT_REGION", "us-west-2"}});
  EXPECT_EQ(c.backend, BackendKind::bedrock);
  EXPECT_EQ(c.region, "us-west-2");
}

TEST_F(ConfigTest, AwsRegionWinsOverDefaultRegion) {
  EXPECT_EQ(ok({}, {{"AWS_REGION", "us-east-2"}, {"AWS_DEFAULT_REGION", "us-west-2"}}).region, "us-east-2");
}

TEST_F(ConfigTest, EmptyVariablesCountAsUnset) {
  const AppConfig c = ok({}, {{"AWS_REGION", ""}, {"PORT", ""}, {"BEDROCK_MODEL_ID", ""}});
  EXPECT_EQ(c.backend, BackendKind::offline);
  EXPECT_EQ(c.server.port, 8080);
  EXPECT_FALSE(c.model_id.has_value());
}

TEST_F(ConfigTest, RegionFlagSelectsBedrock) {
  const AppConfig c = ok({"--region", "eu-west-1"});
  EXPECT_EQ(c.backend, BackendKind::bedrock);
  EXPECT_EQ(c.region, "eu-west-1");
}

TEST_F(ConfigTest, RegionFlagWinsOverEnvironment) {
  EXPECT_EQ(ok({"--region=us-east-2"}, {{"AWS_REGION", "us-east-1"}}).region, "us-east-2");
}

TEST_F(ConfigTest, RegionFromTheProfileFile) {
  write_config("[default]\nregion = ap-southeast-2\n");
  const AppConfig c = ok({"--backend", "bedrock"});
  EXPECT_EQ(c.region, "ap-southeast-2");
}

TEST_F(ConfigTest, ExplicitBackendWins) {
  const AppConfig offline = ok({}, {{"AWS_REGION", "us-east-1"}, {"LLAMACHAT_BACKEND", "offline"}});
  EXPECT_EQ(offline.backend, BackendKind::offline);
  EXPECT_TRUE(contains(offline.backend_reason, "offline"));
  const AppConfig bedrock = ok({"--backend", "bedrock"});
  EXPECT_EQ(bedrock.backend, BackendKind::bedrock);
  EXPECT_FALSE(bedrock.region.has_value());  // wiring turns this into a clear configuration error
  EXPECT_EQ(ok({"--backend=offline"}, {{"LLAMACHAT_BACKEND", "bedrock"}}).backend, BackendKind::offline);
}

TEST_F(ConfigTest, PortFromEnvironmentAndFlags) {
  EXPECT_EQ(ok({}, {{"PORT", "9000"}}).server.port, 9000);
  EXPECT_EQ(ok({"--port", "9001"}, {{"PORT", "9000"}}).server.port, 9001);
  EXPECT_EQ(ok({"--port=9002"}, {{"PORT", "9000"}}).server.port, 9002);
  EXPECT_EQ(ok({"--port", "0"}).server.port, 0);
  EXPECT_EQ(ok({"--port", "65535"}).server.port, 65535);
}

TEST_F(ConfigTest, LastFlagWins) { EXPECT_EQ(ok({"--port", "1", "--port", "2"}).server.port, 2); }

TEST_F(ConfigTest, InvalidPort) {
  for (const char* bad : {"abc", "65536", "-1", "80x", " 80", "99999999999999999999999"}) {
    const std::string m = fails({"--port", bad});
    EXPECT_TRUE(contains(m, "invalid port")) << m;
    EXPECT_TRUE(contains(m, bad)) << m;
  }
  EXPECT_TRUE(contains(fails({}, {{"PORT", "http"}}), "invalid port"));
  EXPECT_TRUE(contains(fails({"--port="}), "invalid port"));
}

TEST_F(ConfigTest, HostAndThreads) {
  const AppConfig c = ok({"--host", "127.0.0.1", "--threads", "4"});
  EXPECT_EQ(c.server.host, "127.0.0.1");
  EXPECT_EQ(c.server.threads, 4u);
  EXPECT_EQ(ok({}, {{"LLAMACHAT_HOST", "::"}, {"LLAMACHAT_THREADS", "256"}}).server.threads, 256u);
  EXPECT_TRUE(contains(fails({"--threads", "257"}), "invalid thread count"));
  EXPECT_TRUE(contains(fails({"--threads", "many"}), "invalid thread count"));
}

TEST_F(ConfigTest, Timeouts) {
  const AppConfig c = ok({"--request-timeout-ms", "5000", "--connect-timeout-ms=250", "--header-timeout-ms", "1",
                          "--body-timeout-ms", "2", "--keep-alive-timeout-ms", "3", "--offline-delay-ms", "40"});
  EXPECT_EQ(c.request_timeout, std::chrono::milliseconds(5000));
  EXPECT_EQ(c.connect_timeout, std::chrono::milliseconds(250));
  EXPECT_EQ(c.server.limits.header_timeout, std::chrono::milliseconds(1));
  EXPECT_EQ(c.server.limits.body_timeout, std::chrono::milliseconds(2));
  EXPECT_EQ(c.server.limits.keep_alive_timeout, std::chrono::milliseconds(3));
  EXPECT_EQ(c.offline_delay, std::chrono::milliseconds(40));
  EXPECT_EQ(ok({}, {{"LLAMACHAT_REQUEST_TIMEOUT_MS", "1234"}}).request_timeout, std::chrono::milliseconds(1234));
}

TEST_F(ConfigTest, InvalidTimeouts) {
  EXPECT_TRUE(contains(fails({"--request-timeout-ms", "0"}), "--request-timeout-ms"));
  EXPECT_TRUE(contains(fails({}, {{"LLAMACHAT_REQUEST_TIMEOUT_MS", "soon"}}), "LLAMACHAT_REQUEST_TIMEOUT_MS"));
  EXPECT_TRUE(contains(fails({"--connect-timeout-ms", "-5"}), "--connect-timeout-ms"));
  EXPECT_TRUE(contains(fails({"--header-timeout-ms", "0"}), "--header-timeout-ms"));
  EXPECT_TRUE(contains(fails({"--body-timeout-ms", "1.5"}), "--body-timeout-ms"));
  EXPECT_TRUE(contains(fails({"--keep-alive-timeout-ms", "x"}), "--keep-alive-timeout-ms"));
  EXPECT_TRUE(contains(fails({"--offline-delay-ms", "x"}), "--offline-delay-ms"));
  EXPECT_TRUE(contains(fails({"--request-timeout-ms", "86400001"}), "--request-timeout-ms"));  // over a day
  EXPECT_EQ(ok({"--offline-delay-ms", "0"}).offline_delay, std::chrono::milliseconds(0));
}

TEST_F(ConfigTest, MaxBodyBytes) {
  EXPECT_EQ(ok({"--max-body-bytes", "10"}).server.limits.max_body_bytes, 10u);
  EXPECT_TRUE(contains(fails({"--max-body-bytes", "0"}), "invalid max body size"));
  EXPECT_TRUE(contains(fails({}, {{"LLAMACHAT_MAX_BODY_BYTES", "2147483648"}}), "invalid max body size"));
}

TEST_F(ConfigTest, MaxAttempts) {
  EXPECT_EQ(ok({}, {{"AWS_MAX_ATTEMPTS", "5"}}).max_attempts, 5);
  EXPECT_EQ(ok({"--max-attempts", "1"}).max_attempts, 1);
  EXPECT_TRUE(contains(fails({}, {{"AWS_MAX_ATTEMPTS", "0"}}), "AWS_MAX_ATTEMPTS"));
  EXPECT_EQ(ok({}, {{"AWS_MAX_ATTEMPTS", "21"}}).max_attempts, 21);
  EXPECT_TRUE(contains(fails({}, {{"AWS_MAX_ATTEMPTS", "-1"}}), "AWS_MAX_ATTEMPTS"));
  EXPECT_TRUE(contains(fails({"--max-attempts", "2.5"}), "expected an integer >= 1"));
  EXPECT_TRUE(contains(fails({}, {{"AWS_MAX_ATTEMPTS", "three"}}), "AWS_MAX_ATTEMPTS"));
}

TEST_F(ConfigTest, RetryMode) {
  EXPECT_TRUE(ok({}, {{"AWS_RETRY_MODE", "standard"}}).warnings.empty());
  for (const char* mode : {"adaptive", "legacy"}) {
    const AppConfig c = ok({}, {{"AWS_RETRY_MODE", mode}});
    ASSERT_EQ(c.warnings.size(), 1u);
    EXPECT_TRUE(contains(c.warnings[0], mode)) << c.warnings[0];
  }
  EXPECT_TRUE(ok({}, {{"AWS_RETRY_MODE", "Standard"}}).warnings.empty());
  const std::string m = fails({}, {{"AWS_RETRY_MODE", "fast"}});
  EXPECT_TRUE(contains(m, "AWS_RETRY_MODE")) << m;
  EXPECT_TRUE(contains(m, "'fast'")) << m;
}

TEST_F(ConfigTest, LogLevel) {
  for (const char* level : {"debug", "info", "warn", "error"}) EXPECT_EQ(ok({"--log-level", level}).log_level, level);
  EXPECT_EQ(ok({}, {{"LLAMACHAT_LOG_LEVEL", "warn"}}).log_level, "warn");
  const std::string m = fails({"--log-level", "verbose"});
  EXPECT_TRUE(contains(m, "invalid log level 'verbose'")) << m;
}

TEST_F(ConfigTest, BedrockApi) {
  EXPECT_EQ(ok({"--bedrock-api", "converse"}).bedrock_api, "converse");
  EXPECT_EQ(ok({}, {{"LLAMACHAT_BEDROCK_API", "invoke"}}).bedrock_api, "invoke");
  EXPECT_TRUE(contains(fails({"--bedrock-api", "chat"}), "LLAMACHAT_BEDROCK_API"));
}

TEST_F(ConfigTest, ConversationPolicy) {
  const AppConfig defaults = ok({});
  EXPECT_EQ(defaults.conversation.context_tokens, 128000u);
  EXPECT_TRUE(defaults.conversation.memory);
  const AppConfig from_env = ok({}, {{"LLAMACHAT_CONTEXT_TOKENS", "8192"}, {"LLAMACHAT_MEMORY", "off"}});
  EXPECT_EQ(from_env.conversation.context_tokens, 8192u);
  EXPECT_FALSE(from_env.conversation.memory);
  const AppConfig from_flags = ok({"--context-tokens", "4096", "--memory", "on"},
                                  {{"LLAMACHAT_CONTEXT_TOKENS", "8192"}, {"LLAMACHAT_MEMORY", "off"}});
  EXPECT_EQ(from_flags.conversation.context_tokens, 4096u);
  EXPECT_TRUE(from_flags.conversation.memory);
  EXPECT_TRUE(contains(fails({"--context-tokens", "1023"}), "LLAMACHAT_CONTEXT_TOKENS"));
  EXPECT_TRUE(contains(fails({"--context-tokens", "lots"}), "1024-10000000"));
  EXPECT_TRUE(contains(fails({}, {{"LLAMACHAT_MEMORY", "yes"}}), "expected on or off"));
}

TEST_F(ConfigTest, InvalidBackend) {
  const std::string m = fails({}, {{"LLAMACHAT_BACKEND", "cloud"}});
  EXPECT_TRUE(contains(m, "'cloud'")) << m;
  EXPECT_TRUE(contains(m, "bedrock, openai or offline")) << m;
}

TEST_F(ConfigTest, UnknownOption) {
  const std::string m = fails({"--nope"});
  EXPECT_TRUE(contains(m, "unknown option '--nope'")) << m;
  EXPECT_TRUE(contains(m, "--help")) << m;
  EXPECT_TRUE(contains(fails({"--nope=1"}), "'--nope'"));
  EXPECT_TRUE(contains(fails({"positional"}), "unknown option 'positional'"));
  EXPECT_TRUE(contains(fails({"-p", "80"}), "unknown option '-p'"));
}

TEST_F(ConfigTest, MissingValue) {
  const std::string m = fails({"--port"});
  EXPECT_TRUE(contains(m, "--port")) << m;
  EXPECT_TRUE(contains(m, "needs a value")) << m;
}

TEST_F(ConfigTest, HelpListsEveryFlagAndVariable) {
  for (const char* arg : {"--help", "-h"}) {
    const ParseOutcome out = parse_config({"--port", "1", arg, "--nope"}, env());
    EXPECT_EQ(out.exit_code, 0);
    EXPECT_FALSE(out.config.has_value());
    EXPECT_EQ(out.message, usage_text());
  }
  const std::string help = usage_text();
  for (const char* name : {"--host",
                           "LLAMACHAT_HOST",
                           "--port",
                           "PORT",
                           "--threads",
                           "LLAMACHAT_THREADS",
                           "--backend",
                           "LLAMACHAT_BACKEND",
                           "--region",
                           "AWS_REGION",
                           "AWS_DEFAULT_REGION",
                           "--model-id",
                           "BEDROCK_MODEL_ID",
                           "--endpoint",
                           "AWS_ENDPOINT_URL_BEDROCK_RUNTIME",
                           "AWS_ENDPOINT_URL",
                           "--ca-bundle",
                           "AWS_CA_BUNDLE",
                           "--bedrock-api",
                           "LLAMACHAT_BEDROCK_API",
                           "--request-timeout-ms",
                           "LLAMACHAT_REQUEST_TIMEOUT_MS",
                           "--connect-timeout-ms",
                           "LLAMACHAT_CONNECT_TIMEOUT_MS",
                           "--max-body-bytes",
                           "LLAMACHAT_MAX_BODY_BYTES",
                           "--header-timeout-ms",
                           "LLAMACHAT_HEADER_TIMEOUT_MS",
                           "--body-timeout-ms",
                           "LLAMACHAT_BODY_TIMEOUT_MS",
                           "--keep-alive-timeout-ms",
                           "LLAMACHAT_KEEP_ALIVE_TIMEOUT_MS",
                           "--offline-delay-ms",
                           "LLAMACHAT_OFFLINE_DELAY_MS",
                           "--max-attempts",
                           "AWS_MAX_ATTEMPTS",
                           "--retry-mode",
                           "AWS_RETRY_MODE",
                           "--log-level",
                           "LLAMACHAT_LOG_LEVEL",
                           "--context-tokens",
                           "LLAMACHAT_CONTEXT_TOKENS",
                           "--memory",
                           "LLAMACHAT_MEMORY",
                           "AWS_ACCESS_KEY_ID",
                           "AWS_SECRET_ACCESS_KEY",
                           "AWS_SESSION_TOKEN",
                           "AWS_PROFILE",
                           "HTTPS_PROXY",
                           "NO_PROXY",
                           "--help",
                           "--version"}) {
    EXPECT_TRUE(contains(help, name)) << name;
  }
}

TEST_F(ConfigTest, Version) {
  const ParseOutcome out = parse_config({"--version"}, env());
  EXPECT_EQ(out.exit_code, 0);
  EXPECT_FALSE(out.config.has_value());
  EXPECT_EQ(out.message.rfind("llamachat ", 0), 0u) << out.message;
}

TEST_F(ConfigTest, EndpointOverrides) {
  EXPECT_EQ(ok({}, {{"AWS_ENDPOINT_URL", "https://generic.example"}}).endpoint_override, "https://generic.example");
  EXPECT_EQ(ok({}, {{"AWS_ENDPOINT_URL", "https://generic.example"},
                    {"AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "https://bedrock.example"}})
                .endpoint_override,
            "https://bedrock.example");
  EXPECT_EQ(
      ok({"--endpoint", "http://127.0.0.1:4566"}, {{"AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "https://bedrock.example"},
                                                   {"AWS_ENDPOINT_URL", "https://generic.example"}})
          .endpoint_override,
      "http://127.0.0.1:4566");
  EXPECT_EQ(ok({}, {{"AWS_ENDPOINT_URL", ""}}).endpoint_override, std::nullopt);
}

TEST_F(ConfigTest, ModelIdAndCaBundle) {
  const AppConfig c = ok({"--model-id", "us.meta.llama3-3-70b-instruct-v1:0"},
                         {{"BEDROCK_MODEL_ID", "meta.llama3-3-70b-instruct-v1:0"}, {"AWS_CA_BUNDLE", "ca.pem"}});
  EXPECT_EQ(c.model_id, "us.meta.llama3-3-70b-instruct-v1:0");
  EXPECT_EQ(c.ca_bundle, "ca.pem");
}

TEST_F(ConfigTest, ValueMayContainEqualsSign) {
  EXPECT_EQ(ok({"--endpoint=https://x.example/?a=b"}).endpoint_override, "https://x.example/?a=b");
}

}  // namespace
}  // namespace llamachat::app

namespace llamachat::app {
namespace {

class OpenAiConfigTest : public ::testing::Test {
 protected:
  util::Environment env(test::Variables vars = {}) const {
    return test::isolated_aws_environment(dir_.path(), std::move(vars));
  }
  test::TempDir dir_;
};

TEST_F(OpenAiConfigTest, ReadsTheOpenAiSettingsFromVariablesAndFlags) {
  const auto from_env = parse_config({}, env({{"LLAMACHAT_BACKEND", "openai"},
                                              {"OPENAI_BASE_URL", "http://10.0.0.5:8000/v1"},
                                              {"OPENAI_API_KEY", "sk-x"},
                                              {"LLAMACHAT_OPENAI_MODEL", "llama"}}));
  ASSERT_TRUE(from_env.config.has_value()) << from_env.message;
  EXPECT_EQ(from_env.config->backend, BackendKind::openai);
  EXPECT_EQ(from_env.config->openai_base_url.value_or(""), "http://10.0.0.5:8000/v1");
  EXPECT_EQ(from_env.config->openai_api_key, "sk-x");
  EXPECT_EQ(from_env.config->openai_model.value_or(""), "llama");
  const auto from_flags = parse_config(
      {"--backend=openai", "--openai-base-url", "http://h/v1", "--openai-model", "m", "--openai-api-key", "k"},
      env({{"OPENAI_BASE_URL", "http://other/v1"}}));
  ASSERT_TRUE(from_flags.config.has_value()) << from_flags.message;
  EXPECT_EQ(from_flags.config->openai_base_url.value_or(""), "http://h/v1");
  EXPECT_EQ(from_flags.config->openai_model.value_or(""), "m");
  EXPECT_EQ(from_flags.config->openai_api_key, "k");
  EXPECT_FALSE(parse_config({"--backend", "openai"}, env()).config->openai_model.has_value());
}

TEST_F(OpenAiConfigTest, HelpNamesTheSettingsAndTheServers) {
  const std::string help = usage_text();
  for (const char* text : {"--openai-base-url", "OPENAI_BASE_URL", "OPENAI_API_KEY", "LLAMACHAT_OPENAI_MODEL",
                           "http://127.0.0.1:11434/v1", "bedrock | openai | offline", "llama-server"})
    EXPECT_NE(help.find(text), std::string::npos) << text;
  EXPECT_NE(parse_config({"--backend", "nope"}, env()).message.find("bedrock, openai or offline"), std::string::npos);
}

TEST_F(ConfigTest, ProtectionDefaults) {
  const AppConfig c = ok({});
  EXPECT_TRUE(c.api_keys.empty());
  EXPECT_FALSE(c.api_keys_file);
  EXPECT_FALSE(c.metrics_open);
  EXPECT_FALSE(c.rate_limit);
  EXPECT_TRUE(c.trusted_proxies.empty());
  EXPECT_FALSE(c.cors.enabled());
  EXPECT_EQ(c.upstream.max_concurrent, 64u);
  EXPECT_EQ(c.upstream.queue_length, 32u);
  EXPECT_EQ(c.upstream.queue_wait, std::chrono::milliseconds(2000));
  EXPECT_EQ(c.server.limits.max_connections, 20'000u);
}

TEST_F(ConfigTest, ProtectionSettingsFromVariablesAndFlags) {
  const AppConfig c = ok({"--max-concurrent", "8"}, {{"LLAMACHAT_API_KEYS", "a, b"},
                                                     {"LLAMACHAT_API_KEYS_FILE", "/etc/llamachat/keys"},
                                                     {"LLAMACHAT_METRICS_OPEN", "true"},
                                                     {"LLAMACHAT_RATE_LIMIT", "60/min"},
                                                     {"LLAMACHAT_TRUSTED_PROXIES", "10.0.0.0/8,::1"},
                                                     {"LLAMACHAT_MAX_CONCURRENT", "3"},
                                                     {"LLAMACHAT_QUEUE_LENGTH", "0"},
                                                     {"LLAMACHAT_QUEUE_WAIT_MS", "250"},
                                                     {"LLAMACHAT_CORS_ORIGINS", "https://app.example.com"},
                                                     {"LLAMACHAT_MAX_CONNECTIONS", "100"}});
  EXPECT_EQ(c.api_keys, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(c.api_keys_file.value_or(""), "/etc/llamachat/keys");
  EXPECT_TRUE(c.metrics_open);
  ASSERT_TRUE(c.rate_limit);
  EXPECT_EQ(c.rate_limit->tokens, 60u);
  EXPECT_TRUE(c.trusted_proxies.trusts(boost::asio::ip::make_address("10.1.2.3")));
  EXPECT_EQ(c.upstream.max_concurrent, 8u);  // the flag wins
  EXPECT_EQ(c.upstream.queue_length, 0u);
  EXPECT_EQ(c.upstream.queue_wait, std::chrono::milliseconds(250));
  EXPECT_TRUE(c.cors.allows("https://app.example.com"));
  EXPECT_EQ(c.server.limits.max_connections, 100u);
}

TEST_F(ConfigTest, BadProtectionSettingsAreNamed) {
  EXPECT_TRUE(contains(fails({}, {{"LLAMACHAT_RATE_LIMIT", "60"}}), "LLAMACHAT_RATE_LIMIT"));
  EXPECT_TRUE(contains(fails({}, {{"LLAMACHAT_TRUSTED_PROXIES", "proxy.internal"}}), "proxy.internal"));
  EXPECT_TRUE(contains(fails({}, {{"LLAMACHAT_CORS_ORIGINS", "*"}}), "LLAMACHAT_CORS_ORIGINS"));
  EXPECT_TRUE(contains(fails({}, {{"LLAMACHAT_METRICS_OPEN", "yes"}}), "LLAMACHAT_METRICS_OPEN"));
  EXPECT_TRUE(contains(fails({}, {{"LLAMACHAT_MAX_CONCURRENT", "-1"}}), "LLAMACHAT_MAX_CONCURRENT"));
  EXPECT_TRUE(contains(fails({}, {{"LLAMACHAT_MAX_CONNECTIONS", "0"}}), "LLAMACHAT_MAX_CONNECTIONS"));
  EXPECT_TRUE(contains(fails({}, {{"LLAMACHAT_QUEUE_WAIT_MS", "soon"}}), "LLAMACHAT_QUEUE_WAIT_MS"));
}

TEST_F(ConfigTest, HelpListsTheProtectionSettings) {
  const std::string help = usage_text();
  for (const char* name :
       {"LLAMACHAT_API_KEYS", "LLAMACHAT_API_KEYS_FILE", "LLAMACHAT_METRICS_OPEN", "LLAMACHAT_RATE_LIMIT",
        "LLAMACHAT_TRUSTED_PROXIES", "LLAMACHAT_MAX_CONCURRENT", "LLAMACHAT_QUEUE_LENGTH", "LLAMACHAT_QUEUE_WAIT_MS",
        "LLAMACHAT_CORS_ORIGINS", "LLAMACHAT_MAX_CONNECTIONS"})
    EXPECT_NE(help.find(name), std::string::npos) << name;
}

}  // namespace
}  // namespace llamachat::app

namespace llamachat::app {
namespace {

class ObserveConfigTest : public ::testing::Test {
 protected:
  ParseOutcome parse(const std::vector<std::string>& args, test::Variables vars = {}) const {
    return parse_config(args, test::isolated_aws_environment(dir_.path(), std::move(vars)));
  }
  test::TempDir dir_;
};

TEST_F(ObserveConfigTest, LogFormatIsUnsetByDefaultAndTakesJsonOrText) {
  EXPECT_FALSE(parse({}).config->log_format.has_value());
  EXPECT_EQ(parse({}, {{"LLAMACHAT_LOG_FORMAT", "text"}}).config->log_format, "text");
  EXPECT_EQ(parse({"--log-format", "json"}, {{"LLAMACHAT_LOG_FORMAT", "text"}}).config->log_format, "json");
  const ParseOutcome bad = parse({}, {{"LLAMACHAT_LOG_FORMAT", "yaml"}});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.message.find("LLAMACHAT_LOG_FORMAT"), std::string::npos);
}

TEST_F(ObserveConfigTest, DrainTimeoutDefaultsToTenSeconds) {
  EXPECT_EQ(parse({}).config->server.limits.shutdown_grace, std::chrono::milliseconds(10'000));
  EXPECT_EQ(parse({}, {{"LLAMACHAT_DRAIN_TIMEOUT_MS", "250"}}).config->server.limits.shutdown_grace,
            std::chrono::milliseconds(250));
  EXPECT_EQ(parse({}, {{"LLAMACHAT_DRAIN_TIMEOUT_MS", "soon"}}).exit_code, 2);
}

TEST_F(ObserveConfigTest, HelpListsTheNewSettings) {
  const std::string help = usage_text();
  EXPECT_NE(help.find("LLAMACHAT_LOG_FORMAT"), std::string::npos);
  EXPECT_NE(help.find("LLAMACHAT_DRAIN_TIMEOUT_MS"), std::string::npos);
}

}  // namespace
}  // namespace llamachat::app
