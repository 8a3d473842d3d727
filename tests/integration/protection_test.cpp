// Protection over loopback: API keys, per-client rate limits, the upstream concurrency cap, CORS and the
// connection cap, each against the real binary (and the Bedrock emulator where the upstream matters).
#include <gtest/gtest.h>

#include <thread>

#include "harness.hpp"
#include "support/temp_dir.hpp"

namespace llamachat::test {
namespace {

const std::string kHello = R"({"message":"hello"})";
const std::string kCompletion = R"({"messages":[{"role":"user","content":"hello"}]})";

std::map<std::string, std::string> with(std::map<std::string, std::string> env,
                                        const std::map<std::string, std::string>& extra) {
  for (const auto& [k, v] : extra) env[k] = v;
  return env;
}

std::map<std::string, std::string> json_headers(const std::string& key = {}) {
  std::map<std::string, std::string> headers{{"Content-Type", "application/json"}};
  if (!key.empty()) headers["Authorization"] = "Bearer " + key;
  return headers;
}

HttpResult chat(std::uint16_t port, const std::string& key = {}) {
  return http_request(port, "POST", "/chat", kHello, json_headers(key));
}

HttpResult completion(std::uint16_t port, const std::string& key = {}) {
  return http_request(port, "POST", "/v1/chat/completions", kCompletion, json_headers(key));
}

void expect_chat_refusal(const HttpResult& r, unsigned status) {
  EXPECT_EQ(r.status, status) << r.body;
  const auto body = r.json();
  ASSERT_TRUE(body.is_object()) << r.body;
  EXPECT_TRUE(body.at("error").is_string()) << r.body;
}

void expect_openai_refusal(const HttpResult& r, unsigned status, const std::string& code) {
  EXPECT_EQ(r.status, status) << r.body;
  const auto error = r.json().at("error");
  EXPECT_EQ(error.at("code").as_string(), code) << r.body;
  EXPECT_TRUE(error.at("message").is_string());
  EXPECT_TRUE(error.at("type").is_string());
}

TEST(ApiKeys, RequiredOnChatAndV1ButNotOnTheProbesOrThePage) {
  Service service(with(base_environment(), {{"LLAMACHAT_API_KEYS", "alpha, beta"}}));

  const auto missing = chat(service.port);
  expect_chat_refusal(missing, 401);
  EXPECT_EQ(missing.header("WWW-Authenticate"), "Bearer");
  expect_chat_refusal(chat(service.port, "gamma"), 401);
  expect_chat_refusal(chat(service.port, "alph"), 401);
  EXPECT_EQ(chat(service.port, "beta").status, 200u);
  EXPECT_EQ(chat(service.port, "alpha").status, 200u);

  const auto v1_missing = completion(service.port);
  expect_openai_refusal(v1_missing, 401, "invalid_api_key");
  EXPECT_EQ(v1_missing.header("WWW-Authenticate"), "Bearer");
  EXPECT_EQ(v1_missing.json().at("error").at("type").as_string(), "invalid_request_error");
  expect_openai_refusal(http_request(service.port, "GET", "/v1/models"), 401, "invalid_api_key");
  EXPECT_EQ(completion(service.port, "alpha").status, 200u);
  EXPECT_EQ(http_request(service.port, "GET", "/v1/models", "", json_headers("beta")).status, 200u);

  EXPECT_EQ(http_request(service.port, "GET", "/healthz").status, 200u);
  EXPECT_EQ(http_request(service.port, "GET", "/").status, 200u);
  EXPECT_EQ(http_request(service.port, "GET", "/app.js").status, 200u);
  // /metrics (served by the observability routes) needs a key too; with one it is not refused.
  expect_chat_refusal(http_request(service.port, "GET", "/metrics"), 401);
  EXPECT_NE(http_request(service.port, "GET", "/metrics", "", json_headers("alpha")).status, 401u);
}

TEST(ApiKeys, TheKeysFileAddsToTheListAndMetricsCanBeOpen) {
  TempDir dir;
  const std::string file = dir.write("keys", "# rotated 2026-12\n\n  from-file  \n");
  Service service(with(
      base_environment(),
      {{"LLAMACHAT_API_KEYS", "from-env"}, {"LLAMACHAT_API_KEYS_FILE", file}, {"LLAMACHAT_METRICS_OPEN", "true"}}));
  EXPECT_EQ(chat(service.port, "from-file").status, 200u);
  EXPECT_EQ(chat(service.port, "from-env").status, 200u);
  expect_chat_refusal(chat(service.port, "# rotated 2026-12"), 401);
  EXPECT_NE(http_request(service.port, "GET", "/metrics").status, 401u);
}

TEST(ApiKeys, AnUnreadableKeysFileStopsTheStart) {
  ChildProcess process(LLAMACHAT_BINARY, {"--host", "127.0.0.1", "--port", "0"},
                       with(base_environment(), {{"LLAMACHAT_API_KEYS_FILE", "/nonexistent/llamachat-keys"}}));
  ASSERT_TRUE(process.wait_for_line("LLAMACHAT_API_KEYS_FILE")) << process.output();
  for (int i = 0; i < 2000 && process.running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(process.stop(), 1) << process.output();
  EXPECT_EQ(process.output().find("listening on"), std::string::npos) << process.output();
}

TEST(RateLimit, ABurstGetsExactlyTheBucketThen429WithRetryAfter) {
  Service service(with(base_environment(), {{"LLAMACHAT_RATE_LIMIT", "5/min"}}));
  constexpr int kBurst = 9;
  int ok = 0;
  int limited = 0;
  for (int i = 0; i < kBurst; ++i) {
    const auto r = chat(service.port);
    if (r.status == 200) ++ok;
    if (r.status == 429) {
      ++limited;
      expect_chat_refusal(r, 429);
      const int retry_after = std::stoi(r.header("Retry-After"));
      EXPECT_GE(retry_after, 1);
      EXPECT_LE(retry_after, 12);  // one token every 12 s
    }
  }
  EXPECT_EQ(ok, 5);
  EXPECT_EQ(limited, kBurst - 5);
  // The same client on /v1 shares the bucket and gets the OpenAI shape; the probes stay open.
  const auto v1 = completion(service.port);
  expect_openai_refusal(v1, 429, "rate_limit_exceeded");
  EXPECT_FALSE(v1.header("Retry-After").empty());
  EXPECT_EQ(http_request(service.port, "GET", "/healthz").status, 200u);
}

TEST(RateLimit, EachApiKeyHasItsOwnBucket) {
  Service service(with(base_environment(), {{"LLAMACHAT_RATE_LIMIT", "2/h"}, {"LLAMACHAT_API_KEYS", "one,two"}}));
  EXPECT_EQ(chat(service.port, "one").status, 200u);
  EXPECT_EQ(chat(service.port, "one").status, 200u);
  EXPECT_EQ(chat(service.port, "one").status, 429u);
  EXPECT_EQ(chat(service.port, "two").status, 200u);
  // A refused key is not counted against anybody: 401 comes before the bucket.
  expect_chat_refusal(chat(service.port, "three"), 401);
  EXPECT_EQ(chat(service.port, "two").status, 200u);
}

TEST(RateLimit, ForwardedForIsBelievedOnlyFromTrustedProxies) {
  const auto forwarded = [](std::uint16_t port, const std::string& client) {
    auto headers = json_headers();
    headers["X-Forwarded-For"] = client;
    return http_request(port, "POST", "/chat", kHello, headers);
  };
  {
    Service untrusted(with(base_environment(), {{"LLAMACHAT_RATE_LIMIT", "1/h"}}));
    EXPECT_EQ(forwarded(untrusted.port, "198.51.100.1").status, 200u);
    EXPECT_EQ(forwarded(untrusted.port, "198.51.100.2").status, 429u);  // still 127.0.0.1's bucket
  }
  Service trusted(
      with(base_environment(), {{"LLAMACHAT_RATE_LIMIT", "1/h"}, {"LLAMACHAT_TRUSTED_PROXIES", "127.0.0.0/8"}}));
  EXPECT_EQ(forwarded(trusted.port, "198.51.100.1").status, 200u);
  EXPECT_EQ(forwarded(trusted.port, "198.51.100.2").status, 200u);
  EXPECT_EQ(forwarded(trusted.port, "203.0.113.9, 198.51.100.1").status, 429u);  // right-most untrusted
}

boost::json::value stats(const Emulator& emulator) {
  return http_request(emulator.port, "GET", "/_emulator/stats").json();
}

// Model requests the emulator has received so far, finished or not (its request log lists only finished ones).
std::int64_t model_requests(const Emulator& emulator) {
  std::int64_t total = 0;
  const boost::json::value now = stats(emulator);
  for (const auto& [path, count] : now.at("requests").as_object())
    if (path.starts_with("/model/")) total += count.as_int64();
  return total;
}

std::string stream_body(const std::string& message) {
  return boost::json::serialize(boost::json::object{{"message", message}, {"stream", true}});
}

TEST(ConcurrencyCap, BeyondTheCapRequestsGet503AndTheUpstreamNeverSeesMore) {
  Emulator emulator;
  Service service(
      with(emulator.bedrock_environment(), {{"LLAMACHAT_MAX_CONCURRENT", "2"}, {"LLAMACHAT_QUEUE_LENGTH", "0"}}));
  // Two streams reach the emulator, which holds them open after the first event.
  RawClient first(service.port, chat_request_bytes(stream_body("[[emulate:stall@1]] one")));
  RawClient second(service.port, chat_request_bytes(stream_body("[[emulate:stall@1]] two")));
  ASSERT_NE(first.read_until("event: delta").find("event: delta"), std::string::npos);
  ASSERT_NE(second.read_until("event: delta").find("event: delta"), std::string::npos);

  constexpr int kRefused = 4;
  for (int i = 0; i < kRefused; ++i) {
    const auto r = i % 2 == 0 ? chat(service.port) : completion(service.port);
    if (i % 2 == 0)
      expect_chat_refusal(r, 503);
    else
      expect_openai_refusal(r, 503, "overloaded");
    EXPECT_EQ(r.header("Retry-After"), "2");
  }
  EXPECT_EQ(model_requests(emulator), 2);
  EXPECT_EQ(stats(emulator).at("streams_started").as_int64(), 2);

  // A client leaving returns its permit: a later request gets through (bounded wait for the release).
  first.close();
  HttpResult after;
  for (int i = 0; i < 500; ++i) {
    after = chat(service.port);
    if (after.status != 503) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(after.status, 200u) << after.body;
  EXPECT_EQ(model_requests(emulator), 3);
  second.close();
}

TEST(ConcurrencyCap, AQueuedRequestRunsWhenASlotFrees) {
  Emulator emulator;
  Service service(
      with(emulator.bedrock_environment(),
           {{"LLAMACHAT_MAX_CONCURRENT", "1"}, {"LLAMACHAT_QUEUE_LENGTH", "1"}, {"LLAMACHAT_QUEUE_WAIT_MS", "60000"}}));
  RawClient holder(service.port, chat_request_bytes(stream_body("[[emulate:stall@1]] hold")));
  ASSERT_NE(holder.read_until("event: delta").find("event: delta"), std::string::npos);
  // Two more requests: whichever arrives first waits in the one queue place, the other is refused at once.
  RawClient a(service.port, chat_request_bytes(R"({"message":"queued"})"));
  RawClient b(service.port, chat_request_bytes(R"({"message":"queued"})"));
  std::string first_a;
  std::string first_b;
  for (int i = 0; i < 200 && first_a.empty() && first_b.empty(); ++i) {
    first_a = a.read_until("\r\n\r\n", std::chrono::milliseconds(50));
    first_b = b.read_until("\r\n\r\n", std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(first_a.empty() != first_b.empty()) << first_a << first_b;
  const std::string& refused = first_a.empty() ? first_b : first_a;
  RawClient& waiting = first_a.empty() ? a : b;
  EXPECT_NE(refused.find("HTTP/1.1 503"), std::string::npos) << refused;
  EXPECT_EQ(model_requests(emulator), 1);
  // The holder leaves: its permit passes to the waiting request, which is answered.
  holder.close();
  const std::string reply = waiting.read_until("Emulated reply: queued");
  EXPECT_NE(reply.find("HTTP/1.1 200"), std::string::npos) << reply;
  EXPECT_EQ(model_requests(emulator), 2);
}

TEST(Cors, OffByDefault) {
  Service service;
  const auto preflight =
      http_request(service.port, "OPTIONS", "/chat", "",
                   {{"Origin", "https://app.example.com"}, {"Access-Control-Request-Method", "POST"}});
  EXPECT_EQ(preflight.status, 405u);
  EXPECT_TRUE(preflight.header("Access-Control-Allow-Origin").empty());
  auto headers = json_headers();
  headers["Origin"] = "https://app.example.com";
  EXPECT_TRUE(
      http_request(service.port, "POST", "/chat", kHello, headers).header("Access-Control-Allow-Origin").empty());
}

TEST(Cors, ListedOriginsGetPreflightAndReflectedOriginOthersDoNot) {
  Service service(with(base_environment(),
                       {{"LLAMACHAT_CORS_ORIGINS", "https://app.example.com"}, {"LLAMACHAT_API_KEYS", "alpha"}}));
  const auto allowed = http_request(service.port, "OPTIONS", "/v1/chat/completions", "",
                                    {{"Origin", "https://app.example.com"},
                                     {"Access-Control-Request-Method", "POST"},
                                     {"Access-Control-Request-Headers", "authorization, content-type"}});
  EXPECT_EQ(allowed.status, 204u);
  EXPECT_EQ(allowed.header("Access-Control-Allow-Origin"), "https://app.example.com");
  EXPECT_NE(allowed.header("Access-Control-Allow-Headers").find("Authorization"), std::string::npos);
  EXPECT_NE(allowed.header("Access-Control-Allow-Headers").find("Content-Type"), std::string::npos);
  EXPECT_NE(allowed.header("Access-Control-Allow-Methods").find("POST"), std::string::npos);
  EXPECT_FALSE(allowed.header("Access-Control-Max-Age").empty());
  EXPECT_EQ(allowed.header("Vary"), "Origin");

  const auto denied = http_request(service.port, "OPTIONS", "/chat", "",
                                   {{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "POST"}});
  EXPECT_EQ(denied.status, 403u);
  EXPECT_TRUE(denied.header("Access-Control-Allow-Origin").empty());

  auto headers = json_headers("alpha");
  headers["Origin"] = "https://app.example.com";
  const auto reply = http_request(service.port, "POST", "/chat", kHello, headers);
  EXPECT_EQ(reply.status, 200u);
  EXPECT_EQ(reply.header("Access-Control-Allow-Origin"), "https://app.example.com");
  EXPECT_EQ(reply.header("Vary"), "Origin");
  // A refusal carries the fields too, so that the page can read the 401.
  headers.erase("Authorization");
  const auto refused = http_request(service.port, "POST", "/chat", kHello, headers);
  EXPECT_EQ(refused.status, 401u);
  EXPECT_EQ(refused.header("Access-Control-Allow-Origin"), "https://app.example.com");
  headers["Origin"] = "https://evil.example";
  EXPECT_TRUE(
      http_request(service.port, "POST", "/chat", kHello, headers).header("Access-Control-Allow-Origin").empty());
}

TEST(ConnectionCap, ConnectionsBeyondTheCapAreClosedAtOnce) {
  Service service(with(base_environment(), {{"LLAMACHAT_MAX_CONNECTIONS", "2"}}));
  // Two connections with half a request header each hold both places.
  RawClient a(service.port, "GET /healthz HTTP/1.1\r\n");
  RawClient b(service.port, "GET /healthz HTTP/1.1\r\n");
  // Both are counted once the server accepted them; a third is closed without a reply until one leaves.
  std::string refused = "unset";
  for (int i = 0; i < 500 && !refused.empty(); ++i) {
    refused = raw_exchange(service.port, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                           std::chrono::milliseconds(2000));
    if (!refused.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(refused, "");
  a.close();
  std::string answered;
  for (int i = 0; i < 500 && answered.empty(); ++i) {
    answered = raw_exchange(service.port, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                            std::chrono::milliseconds(2000));
    if (answered.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_NE(answered.find("HTTP/1.1 200"), std::string::npos) << answered;
  b.close();
}

}  // namespace
}  // namespace llamachat::test
