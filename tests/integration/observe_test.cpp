// Probes, request logs, request ids and graceful shutdown, with the real binary over loopback.
// (/metrics with exact counts: tests/observe/metrics_exact_counts.py, run by ctest.)
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json.hpp>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "harness.hpp"
#include "support/temp_dir.hpp"

namespace llamachat::test {
namespace {
namespace json = boost::json;

std::string v1_stream_request_bytes(const std::string& text) {
  const std::string body = R"({"messages":[{"role":"user","content":")" + text + R"("}],"stream":true})";
  return "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
         "Content-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

// Every line of `output` that is a JSON object with msg "request".
std::vector<json::object> request_lines(const std::string& output) {
  std::vector<json::object> lines;
  std::istringstream in(output);
  std::string line;
  while (std::getline(in, line)) {
    boost::system::error_code ec;
    json::value v = json::parse(line, ec);
    EXPECT_FALSE(ec) << "not a JSON log line: " << line;
    if (!ec && v.is_object() && v.as_object().contains("msg") && v.as_object().at("msg") == "request")
      lines.push_back(v.as_object());
  }
  return lines;
}

TEST(Probes, HealthzAndReadyzOffline) {
  auto env = base_environment();
  env["LLAMACHAT_BACKEND"] = "offline";
  Service service(env);
  const auto health = http_request(service.port, "GET", "/healthz");
  EXPECT_EQ(health.status, 200u);
  const auto ready = http_request(service.port, "GET", "/readyz");
  EXPECT_EQ(ready.status, 200u) << ready.body;
  EXPECT_EQ(ready.json().at("status"), "ready");
  EXPECT_EQ(ready.json().at("offline"), true);
  EXPECT_EQ(http_request(service.port, "POST", "/readyz").status, 405u);
}

TEST(Probes, ReadyzBedrockWithoutCredentialsIsNotReadyAndLeaksNoPath) {
  TempDir home;
  auto env = base_environment();  // no AWS_* credentials, no metadata service
  env["HOME"] = home.path().string();
  env["AWS_REGION"] = "us-east-1";
  env["BEDROCK_MODEL_ID"] = "us.meta.llama3-3-70b-instruct-v1:0";
  env["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"] = "http://127.0.0.1:9";  // never called
  env["LLAMACHAT_LOG_FORMAT"] = "json";
  Service service(env);
  const auto health = http_request(service.port, "GET", "/healthz");
  EXPECT_EQ(health.status, 200u);  // liveness never depends on the upstream
  const auto ready = http_request(service.port, "GET", "/readyz");
  EXPECT_EQ(ready.status, 503u) << ready.body;
  EXPECT_EQ(ready.json().at("status"), "not ready");
  EXPECT_FALSE(ready.json().at("reason").as_string().empty());
  EXPECT_EQ(ready.body.find(home.path().string()), std::string::npos) << ready.body;
  EXPECT_EQ(ready.body.find("/nonexistent"), std::string::npos) << ready.body;
}

TEST(Probes, ReadyzBedrockWithCredentialsIsReadyWithoutCallingBedrock) {
  Emulator emulator;
  Service service(emulator.bedrock_environment());
  const auto ready = http_request(service.port, "GET", "/readyz");
  EXPECT_EQ(ready.status, 200u) << ready.body;
  EXPECT_EQ(emulator_requests(emulator.port).size(), 0u);
  // Static keys: no expiry gauge.
  const auto metrics = http_request(service.port, "GET", "/metrics");
  EXPECT_EQ(metrics.status, 200u);
  EXPECT_EQ(metrics.body.find("llamachat_credentials_expiry_seconds"), std::string::npos);
}

TEST(RequestIds, ASafeIncomingIdIsKeptOthersAreReplaced) {
  auto env = base_environment();
  env["LLAMACHAT_BACKEND"] = "offline";
  Service service(env);
  const auto kept = http_request(service.port, "GET", "/healthz", {}, {{"X-Request-Id", "trace-0123_abc.9"}});
  EXPECT_EQ(kept.header("X-Request-Id"), "trace-0123_abc.9");
  const auto replaced = http_request(service.port, "GET", "/healthz", {}, {{"X-Request-Id", "bad id <script>"}});
  EXPECT_EQ(replaced.header("X-Request-Id").size(), 16u);
  const auto generated = http_request(service.port, "GET", "/healthz");
  EXPECT_EQ(generated.header("X-Request-Id").size(), 16u);
  EXPECT_NE(generated.header("X-Request-Id"), replaced.header("X-Request-Id"));
}

TEST(RequestLog, OneJsonLinePerRequestWithoutSecretsOrMessageText) {
  Emulator emulator;
  auto env = emulator.bedrock_environment();
  env["LLAMACHAT_LOG_FORMAT"] = "json";
  Service service(env);
  const std::string message = "my secret plan is zebra-4711";
  const auto chat = post_chat(service.port, R"({"message":")" + message + R"("})");
  ASSERT_EQ(chat.status, 200u) << chat.body;
  const auto missing = http_request(service.port, "GET", "/nothing/here?q=zebra-4711");
  EXPECT_EQ(missing.status, 404u);
  // Each worker thread writes its request lines in batches (util/log.hpp): wait for both lines, in any order.
  ASSERT_TRUE(service.process->wait_for_line("\"route\":\"unmatched\""));
  ASSERT_TRUE(service.process->wait_for_line("\"route\":\"/chat\""));

  const std::string output = service.process->output();
  EXPECT_EQ(output.find(kTestSecretAccessKey), std::string::npos);
  EXPECT_EQ(output.find("zebra-4711"), std::string::npos);
  const auto lines = request_lines(output);
  ASSERT_EQ(lines.size(), 2u) << output;
  const bool chat_first = lines[0].at("route") == "/chat";
  const json::object& line = lines[chat_first ? 0 : 1];
  const json::object& unmatched = lines[chat_first ? 1 : 0];
  for (const char* field : {"ts", "level", "msg", "request_id", "upstream_request_id", "method", "route", "status",
                            "model", "input_tokens", "output_tokens", "ttft_ms", "duration_ms"})
    EXPECT_TRUE(line.contains(field)) << field << " missing in " << json::serialize(line);
  EXPECT_EQ(line.at("level"), "info");
  EXPECT_EQ(line.at("request_id"), json::value(chat.header("X-Request-Id")));
  EXPECT_EQ(line.at("method"), "POST");
  EXPECT_EQ(line.at("route"), "/chat");
  EXPECT_EQ(line.at("status"), 200);
  EXPECT_EQ(line.at("model"), "us.meta.llama3-3-70b-instruct-v1:0");
  EXPECT_TRUE(line.at("upstream_request_id").is_string()) << json::serialize(line);
  EXPECT_FALSE(line.at("upstream_request_id").as_string().empty());
  EXPECT_TRUE(line.at("input_tokens").is_int64() || line.at("input_tokens").is_uint64()) << json::serialize(line);
  EXPECT_EQ(unmatched.at("route"), "unmatched");
  EXPECT_EQ(unmatched.at("status"), 404);
  EXPECT_TRUE(unmatched.at("model").is_null());
}

// SIGTERM with streams in flight (the emulator holds each reply after its first events): every client
// gets its final error event before the process exits 0.
TEST(GracefulShutdown, StreamsInFlightEndWithAFinalErrorAndTheExitCodeIsZero) {
  Emulator emulator;
  auto env = emulator.bedrock_environment();
  env["LLAMACHAT_DRAIN_TIMEOUT_MS"] = "200";
  Service service(env);

  std::vector<std::unique_ptr<RawClient>> chat_clients;
  for (int i = 0; i < 3; ++i) {
    chat_clients.push_back(std::make_unique<RawClient>(
        service.port, chat_request_bytes(R"({"message":"[[emulate:stall@2]] hold on","stream":true})")));
    // Synchronise on the stream being open and relaying: its first text arrived.
    const std::string seen = chat_clients.back()->read_until("Emulated");
    ASSERT_NE(seen.find("Emulated"), std::string::npos) << seen;
  }
  RawClient v1_client(service.port, v1_stream_request_bytes("[[emulate:stall@2]] hold on"));
  const std::string v1_seen = v1_client.read_until("Emulated");
  ASSERT_NE(v1_seen.find("Emulated"), std::string::npos) << v1_seen;

  ASSERT_EQ(::kill(service.process->pid(), SIGTERM), 0);
  for (auto& client : chat_clients) {
    const std::string all = client->read_until("\r\n0\r\n\r\n");
    EXPECT_NE(all.find("event: error"), std::string::npos) << all;
    EXPECT_NE(all.find("shutting down"), std::string::npos) << all;
    EXPECT_NE(all.find("\r\n0\r\n\r\n"), std::string::npos) << "the chunked body did not end: " << all;
  }
  const std::string v1_all = v1_client.read_until("\r\n0\r\n\r\n");
  EXPECT_NE(v1_all.find("\"code\":\"shutting_down\""), std::string::npos) << v1_all;
  EXPECT_NE(v1_all.find("data: [DONE]"), std::string::npos) << v1_all;
  EXPECT_EQ(service.process->stop(SIGTERM, std::chrono::seconds(10)), 0) << service.process->output();
}

}  // namespace
}  // namespace llamachat::test
