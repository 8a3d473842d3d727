// Interop with the official AWS SDK for JavaScript v3 (@aws-sdk/client-bedrock-runtime, pinned in
// tests/interop/package-lock.json): the real emulator binary is driven by tests/interop/bedrock_sdk_client.mjs.
// This is the independent check of the emulator's signature verification, wire shapes and event streams.
// Skips loudly when node or tests/interop/node_modules is missing (install: cd tests/interop && npm ci).
#include <gtest/gtest.h>

#include <unistd.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <sstream>

#include "support/child_process.hpp"
#include "support/shared_dir.hpp"
#include "support/test_tls.hpp"

#ifndef LLAMACHAT_EMULATOR_BINARY
#error "LLAMACHAT_EMULATOR_BINARY must name the emulator executable"
#endif
#ifndef LLAMACHAT_SOURCE_DIR
#error "LLAMACHAT_SOURCE_DIR must name the source tree"
#endif

namespace llamachat::emulator {
namespace {

namespace net = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;
using test::ChildProcess;

constexpr std::string_view kPrompt = "Hello from the SDK";
constexpr std::string_view kExpectedText = "Emulated reply: Hello from the SDK";

std::filesystem::path interop_dir() {
  if (const char* dir = std::getenv("LLAMACHAT_INTEROP_DIR"); dir && *dir) return dir;
  return std::filesystem::path(LLAMACHAT_SOURCE_DIR) / "tests" / "interop";
}

bool on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  if (!path) return false;
  std::stringstream dirs(path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (!dir.empty() && ::access((std::filesystem::path(dir) / program).c_str(), X_OK) == 0) return true;
  }
  return false;
}

// The JSON lines of the client's output (node's warnings on stderr are interleaved and skipped).
std::vector<json::object> json_lines(const std::string& output) {
  std::vector<json::object> out;
  std::stringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line.front() != '{') continue;
    boost::system::error_code ec;
    auto value = json::parse(line, ec);
    if (!ec && value.is_object()) out.push_back(std::move(value.as_object()));
  }
  return out;
}

std::vector<json::object> results(const std::vector<json::object>& lines) {
  std::vector<json::object> out;
  for (const auto& l : lines)
    if (l.contains("kind") && l.at("kind") == "result") out.push_back(l);
  return out;
}

std::string str(const json::value& v) { return std::string(v.as_string()); }

class SdkInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!on_path("node")) {
      test::announce_skip("node is not on PATH: the AWS SDK interop tests did not run");
      GTEST_SKIP() << "node not found";
    }
    if (!std::filesystem::exists(interop_dir() / "node_modules" / "@aws-sdk" / "client-bedrock-runtime")) {
      test::announce_skip(
          "tests/interop/node_modules is missing (cd tests/interop && npm ci): the AWS SDK "
          "interop tests did not run");
      GTEST_SKIP() << "tests/interop/node_modules missing";
    }
  }

  void start_emulator(std::vector<std::string> args = {}) {
    args.insert(args.begin(), {"--port", "0"});
    emulator_ = std::make_unique<ChildProcess>(LLAMACHAT_EMULATOR_BINARY, args);
    port_ = test::wait_for_port(*emulator_);
  }

  std::string endpoint(bool tls = false) const {
    return (tls ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(port_);
  }

  // Runs the SDK client with `args` (plus --endpoint unless given) and returns its JSON lines.
  std::vector<json::object> run_sdk(std::vector<std::string> args) {
    bool has_endpoint = false;
    for (const auto& a : args) has_endpoint = has_endpoint || a == "--endpoint";
    if (!has_endpoint) args.insert(args.end(), {"--endpoint", endpoint()});
    args.insert(args.begin(), (interop_dir() / "bedrock_sdk_client.mjs").string());
    ChildProcess node("node", args);
    const auto done = node.wait_for_line("\"kind\":\"done\"", std::chrono::seconds(60));
    EXPECT_TRUE(done.has_value()) << "SDK client did not finish; output:\n" << node.output();
    node.stop();
    last_output_ = node.output();
    return json_lines(last_output_);
  }

  // A control-API call on the emulator (unsigned; the control API needs no signature).
  json::value control(http::verb verb, const std::string& target, const std::string& body = {}) {
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
    boost::beast::flat_buffer buffer;
    http::response<http::string_body> res;
    net::io_context io;
    const net::ip::tcp::endpoint to{net::ip::make_address("127.0.0.1"), port_};
    if (tls_) {
      net::ssl::context ctx(net::ssl::context::tls_client);
      ctx.set_verify_mode(net::ssl::verify_none);
      boost::beast::ssl_stream<net::ip::tcp::socket> stream(io, ctx);
      stream.next_layer().connect(to);
      stream.handshake(net::ssl::stream_base::client);
      http::write(stream, req);
      http::read(stream, buffer, res);
    } else {
      net::ip::tcp::socket socket(io);
      socket.connect(to);
      http::write(socket, req);
      http::read(socket, buffer, res);
    }
    return json::parse(res.body());
  }

  std::unique_ptr<ChildProcess> emulator_;
  std::uint16_t port_ = 0;
  bool tls_ = false;
  std::string last_output_;
};

TEST_F(SdkInterop, AllFourOperationsAreAcceptedAndDecodeToTheEmulatorText) {
  start_emulator();
  const auto lines =
      run_sdk({"--op", "invoke,invoke-stream,converse,converse-stream", "--prompt", std::string(kPrompt)});
  const auto res = results(lines);
  ASSERT_EQ(res.size(), 4u) << last_output_;
  for (const auto& r : res) {
    ASSERT_TRUE(r.at("ok").as_bool()) << json::serialize(r);
    EXPECT_EQ(r.at("status").as_int64(), 200);
    EXPECT_EQ(str(r.at("text")), kExpectedText) << str(r.at("op"));
    EXPECT_FALSE(str(r.at("requestId")).empty());
  }
  EXPECT_EQ(str(res[0].at("stopReason")), "stop");
  EXPECT_EQ(str(res[1].at("stopReason")), "stop");
  EXPECT_EQ(res[1].at("metrics").at("outputTokenCount").as_int64(), 6);
  EXPECT_EQ(str(res[2].at("stopReason")), "end_turn");
  const auto& events = res[3].at("events").as_array();
  ASSERT_EQ(events.size(), 10u);
  EXPECT_EQ(events.front(), "messageStart");
  EXPECT_EQ(events.back(), "metadata");
  EXPECT_EQ(res[3].at("usage").at("outputTokens").as_int64(), 6);

  // The emulator verified every SDK signature (the SDK signs more headers than our own client does).
  const auto log = control(http::verb::get, "/_emulator/requests").at("requests").as_array();
  ASSERT_EQ(log.size(), 4u);
  for (const auto& entry : log) {
    EXPECT_TRUE(entry.at("verified").as_bool()) << json::serialize(entry);
    EXPECT_EQ(str(entry.at("model_id")), "us.meta.llama3-3-70b-instruct-v1:0");
  }
  const auto stats = control(http::verb::get, "/_emulator/stats");
  EXPECT_EQ(stats.at("signature_failures").as_int64(), 0);
  EXPECT_EQ(stats.at("streams_completed").as_int64(), 2);
}

TEST_F(SdkInterop, WrongSecretIsRefusedWithInvalidSignatureException) {
  start_emulator();
  const auto res = results(run_sdk({"--op", "invoke,converse-stream", "--secret-access-key", "not-the-secret"}));
  ASSERT_EQ(res.size(), 2u) << last_output_;
  for (const auto& r : res) {
    ASSERT_FALSE(r.at("ok").as_bool());
    EXPECT_EQ(str(r.at("error").at("name")), "InvalidSignatureException");
    EXPECT_EQ(r.at("error").at("httpStatusCode").as_int64(), 403);
    EXPECT_TRUE(str(r.at("error").at("message")).starts_with("The request signature we calculated does not match"));
  }
  EXPECT_EQ(control(http::verb::get, "/_emulator/stats").at("signature_failures").as_int64(), 2);
}

TEST_F(SdkInterop, UnknownAccessKeyAndSignedSessionToken) {
  start_emulator();
  auto res = results(run_sdk({"--op", "converse", "--access-key-id", "AKIDUNKNOWN"}));
  ASSERT_EQ(res.size(), 1u) << last_output_;
  EXPECT_EQ(str(res[0].at("error").at("name")), "UnrecognizedClientException");
  res = results(run_sdk({"--op", "invoke", "--session-token", "FQoGZXIvYXdzEXAMPLETOKEN"}));
  ASSERT_EQ(res.size(), 1u) << last_output_;
  EXPECT_TRUE(res[0].at("ok").as_bool()) << last_output_;
}

TEST_F(SdkInterop, FaultsSurfaceAsTheModeledExceptions) {
  start_emulator();
  control(
      http::verb::post, "/_emulator/script",
      R"({"next":["throttle","access_denied","model_error","not_ready","stream_exception=modelStreamErrorException@2",
             "stream_exception=throttlingException@1"]})");
  const auto res = results(run_sdk({"--op", "invoke,converse,invoke,converse-stream,invoke-stream,converse-stream"}));
  ASSERT_EQ(res.size(), 6u) << last_output_;
  const std::vector<std::pair<std::string, std::int64_t>> expected = {
      {"ThrottlingException", 429},    {"AccessDeniedException", 403},     {"ModelErrorException", 424},
      {"ModelNotReadyException", 429}, {"ModelStreamErrorException", 200}, {"ThrottlingException", 200}};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    ASSERT_FALSE(res[i].at("ok").as_bool()) << i;
    EXPECT_EQ(str(res[i].at("error").at("name")), expected[i].first) << i;
    if (expected[i].second != 200) {
      EXPECT_EQ(res[i].at("error").at("httpStatusCode").as_int64(), expected[i].second) << i;
    }
  }
  EXPECT_EQ(res[2].at("error").at("members").at("originalStatusCode").as_int64(), 500);
  EXPECT_EQ(res[4].at("error").at("members").at("originalStatusCode").as_int64(), 500);
  EXPECT_EQ(str(res[0].at("error").at("message")), "Too many requests, please wait before trying again.");
}

TEST_F(SdkInterop, OnDemandErrorForTheBaseModelId) {
  start_emulator();
  const auto res = results(run_sdk({"--op", "converse", "--model-id", "meta.llama3-3-70b-instruct-v1:0"}));
  ASSERT_EQ(res.size(), 1u) << last_output_;
  EXPECT_EQ(str(res[0].at("error").at("name")), "ValidationException");
  EXPECT_NE(str(res[0].at("error").at("message")).find("on-demand throughput"), std::string::npos);
}

TEST_F(SdkInterop, SdkRetriesTheEmulatorsThrottling) {
  start_emulator();
  control(http::verb::post, "/_emulator/script", R"({"next":["throttle"]})");
  const auto res = results(run_sdk({"--op", "invoke", "--max-attempts", "3", "--prompt", std::string(kPrompt)}));
  ASSERT_EQ(res.size(), 1u) << last_output_;
  EXPECT_TRUE(res[0].at("ok").as_bool()) << last_output_;
  EXPECT_EQ(str(res[0].at("text")), kExpectedText);
  const auto stats = control(http::verb::get, "/_emulator/stats");
  EXPECT_EQ(stats.at("responses_by_status").at("429").as_int64(), 1);
  EXPECT_EQ(stats.at("responses_by_status").at("200").as_int64(), 1);
}

TEST_F(SdkInterop, HttpsWithATestCertificate) {
  test::TestCa ca;
  const test::TestCertificate certificate = ca.self_signed({"127.0.0.1"});
  start_emulator({"--tls-cert", certificate.cert_path, "--tls-key", certificate.key_path});
  tls_ = true;
  const auto res = results(run_sdk(
      {"--endpoint", endpoint(true), "--insecure-tls", "--op", "converse-stream", "--prompt", std::string(kPrompt)}));
  ASSERT_EQ(res.size(), 1u) << last_output_;
  ASSERT_TRUE(res[0].at("ok").as_bool()) << last_output_;
  EXPECT_EQ(str(res[0].at("text")), kExpectedText);
  EXPECT_GE(control(http::verb::get, "/_emulator/stats").at("tls_handshakes").as_int64(), 1);
}

}  // namespace
}  // namespace llamachat::emulator
