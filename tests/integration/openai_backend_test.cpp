// The openai backend end to end: the real llamachat binary in front of the OpenAI-compatible test upstream
// (emulator/openai/openai_upstream.hpp) over loopback: every front door, every fault, retries counted at
// the upstream, cancellation, model discovery.
#include <gtest/gtest.h>

#include <thread>

#include "harness.hpp"
#include "openai/openai_upstream.hpp"
#include "support/test_tls.hpp"

namespace llamachat::test {
namespace {

namespace json = boost::json;
using emulator::openai::OpenAiUpstream;
using emulator::openai::UpstreamConfig;

constexpr const char* kModel = "llama-3.3-70b-test";
const std::map<std::string, std::string> kJson{{"Content-Type", "application/json"}};

std::map<std::string, std::string> openai_environment(const OpenAiUpstream& upstream, bool with_model = true) {
  auto env = base_environment();
  env["LLAMACHAT_BACKEND"] = "openai";
  env["OPENAI_BASE_URL"] = upstream.base_url();
  if (with_model) env["LLAMACHAT_OPENAI_MODEL"] = kModel;
  return env;
}

std::string chat_body(const std::string& message, bool stream = false) {
  return json::serialize(json::object{{"message", message}, {"stream", stream}});
}

std::string v1_body(const std::string& content, bool stream = false) {
  json::object body{{"model", kModel}, {"messages", json::array{json::object{{"role", "user"}, {"content", content}}}}};
  if (stream) body["stream"] = true;
  return json::serialize(body);
}

struct Streamed {
  std::string text;
  std::size_t deltas = 0;
  SseEvent last;
};

Streamed parse_chat_stream(const std::string& body) {
  Streamed s;
  for (const auto& e : parse_sse(body)) {
    if (e.comment) continue;
    if (e.name == "delta") {
      ++s.deltas;
      s.text += json::parse(e.data).at("delta").as_string();
    }
    s.last = e;
  }
  return s;
}

std::string error_of(const HttpResult& r) { return std::string(r.json().at("error").as_string()); }

TEST(OpenAiBackend, ChatAnswersThroughTheUpstreamWithMessagesNotAPrompt) {
  OpenAiUpstream upstream;
  Service service(openai_environment(upstream));
  const auto r = post_chat(service.port, chat_body("Hello there"));
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(std::string(r.json().at("reply").as_string()), "Emulated reply: Hello there");
  const auto requests = upstream.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].target, "/v1/chat/completions");
  EXPECT_TRUE(requests[0].authorization.empty());
  const auto sent = json::parse(requests[0].body).as_object();
  EXPECT_EQ(sent.at("model"), kModel);
  EXPECT_EQ(sent.at("messages").as_array().back().at("content"), "Hello there");
  EXPECT_FALSE(sent.contains("prompt"));
  EXPECT_FALSE(sent.contains("stream_options"));  // vLLM refuses it on non-streaming requests
}

TEST(OpenAiBackend, ChatStreamRelaysDeltasAndTheUpstreamUsage) {
  OpenAiUpstream upstream;
  Service service(openai_environment(upstream));
  const auto r = post_chat(service.port, chat_body("stream me", true));
  ASSERT_EQ(r.status, 200u) << r.body;
  const Streamed s = parse_chat_stream(r.body);
  ASSERT_EQ(s.last.name, "done") << r.body;
  EXPECT_EQ(s.text, "Emulated reply: stream me");
  EXPECT_EQ(s.deltas, 4u);  // one per word piece
  const auto done = json::parse(s.last.data);
  EXPECT_EQ(done.at("stop_reason"), "stop");
  EXPECT_EQ(done.at("usage").at("output_tokens").as_int64(), 4);
  const auto sent = json::parse(upstream.requests().at(0).body).as_object();
  EXPECT_EQ(sent.at("stream"), true);
  EXPECT_EQ(sent.at("stream_options").at("include_usage"), true);
}

TEST(OpenAiBackend, V1FrontDoorsWorkOverIt) {
  OpenAiUpstream upstream;
  Service service(openai_environment(upstream));
  const auto models = http_request(service.port, "GET", "/v1/models");
  ASSERT_EQ(models.status, 200u) << models.body;
  const json::value models_json = models.json();
  EXPECT_EQ(models_json.at("data").as_array().at(0).at("id"), kModel);

  const auto whole = http_request(service.port, "POST", "/v1/chat/completions", v1_body("whole please"), kJson);
  ASSERT_EQ(whole.status, 200u) << whole.body;
  const json::value whole_json = whole.json();
  const auto& choice = whole_json.at("choices").as_array().at(0);
  EXPECT_EQ(choice.at("message").at("content"), "Emulated reply: whole please");
  EXPECT_EQ(choice.at("finish_reason"), "stop");
  EXPECT_GT(whole_json.at("usage").at("completion_tokens").as_int64(), 0);

  const auto streamed =
      http_request(service.port, "POST", "/v1/chat/completions", v1_body("stream please", true), kJson);
  ASSERT_EQ(streamed.status, 200u) << streamed.body;
  std::string text;
  std::string finish;
  for (const auto& e : parse_sse(streamed.body)) {
    if (e.comment || e.data == "[DONE]") continue;
    const auto chunk = json::parse(e.data);
    for (const auto& c : chunk.at("choices").as_array()) {
      if (const auto* content = c.at("delta").as_object().if_contains("content")) text += content->as_string();
      if (c.at("finish_reason").is_string()) finish = c.at("finish_reason").as_string();
    }
  }
  EXPECT_EQ(text, "Emulated reply: stream please");
  EXPECT_EQ(finish, "stop");
  EXPECT_NE(streamed.body.find("data: [DONE]"), std::string::npos);
}

TEST(OpenAiBackend, SamplingParametersAndStopPassThroughAndLengthMaps) {
  OpenAiUpstream upstream;
  Service service(openai_environment(upstream));
  json::object body{
      {"model", kModel}, {"messages", json::array{json::object{{"role", "user"}, {"content", "one two three four"}}}},
      {"max_tokens", 2}, {"temperature", 0.25},
      {"top_p", 0.5},    {"stop", json::array{"zzz"}}};
  const auto r = http_request(service.port, "POST", "/v1/chat/completions", json::serialize(body), kJson);
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.json().at("choices").as_array().at(0).at("finish_reason"), "length");
  const auto sent = json::parse(upstream.requests().at(0).body).as_object();
  EXPECT_EQ(sent.at("max_tokens"), 2);
  EXPECT_EQ(sent.at("temperature").to_number<double>(), 0.25);
  EXPECT_EQ(sent.at("top_p").to_number<double>(), 0.5);
  EXPECT_EQ(sent.at("stop").as_array().at(0), "zzz");
}

TEST(OpenAiBackend, BearerKeyIsSentAndARefusedKeyIsNeverShown) {
  OpenAiUpstream upstream(UpstreamConfig{{kModel}, "sk-test-right"});
  auto env = openai_environment(upstream);
  env["OPENAI_API_KEY"] = "sk-test-right";
  {
    Service service(env);
    const auto r = post_chat(service.port, chat_body("with key"));
    ASSERT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(upstream.requests().back().authorization, "Bearer sk-test-right");
  }
  env["OPENAI_API_KEY"] = "sk-test-wrong";
  Service service(env);
  const auto r = post_chat(service.port, chat_body("with key"));
  EXPECT_EQ(r.status, 502u);
  EXPECT_NE(error_of(r).find("OPENAI_API_KEY"), std::string::npos) << r.body;
  EXPECT_NE(error_of(r).find(upstream.base_url().substr(0, upstream.base_url().size() - 3)), std::string::npos)
      << r.body;
  EXPECT_EQ(r.body.find("sk-test-wrong"), std::string::npos) << r.body;
}

TEST(OpenAiBackend, HttpsUpstreamsAreVerifiedAgainstTheTrustedCas) {
  TestCa ca;
  OpenAiUpstream upstream(UpstreamConfig{{kModel}, "", ca.issue({"localhost"})});
  auto env = openai_environment(upstream);
  env["OPENAI_BASE_URL"] = upstream.base_url("localhost");
  env["AWS_CA_BUNDLE"] = ca.ca_cert_path();
  {
    Service service(env);
    const auto r = post_chat(service.port, chat_body("over tls"));
    ASSERT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(std::string(r.json().at("reply").as_string()), "Emulated reply: over tls");
  }
  env.erase("AWS_CA_BUNDLE");  // the system trust store does not know the test CA
  Service service(env);
  const auto r = post_chat(service.port, chat_body("over tls"));
  EXPECT_EQ(r.status, 502u) << r.body;
  EXPECT_NE(error_of(r).find("https://localhost:"), std::string::npos) << r.body;
  EXPECT_EQ(upstream.chat_requests(), 1u);  // the refused handshake never became a request
}

TEST(OpenAiBackendFaults, ThrottlingIsRetriedHonouringRetryAfterThenAnswered429) {
  OpenAiUpstream upstream;
  Service service(openai_environment(upstream));
  const auto r = http_request(service.port, "POST", "/v1/chat/completions", v1_body("[[emulate:throttle]] hi"), kJson);
  EXPECT_EQ(r.status, 429u) << r.body;
  EXPECT_EQ(r.header("Retry-After"), "1");
  EXPECT_EQ(upstream.chat_requests(), 3u);  // AWS_MAX_ATTEMPTS' default: the standard retry mode
}

TEST(OpenAiBackendFaults, ServerErrorsAreRetriedThenAnswered502) {
  OpenAiUpstream upstream;
  Service service(openai_environment(upstream));
  const auto r = post_chat(service.port, chat_body("[[emulate:500]] hi"));
  EXPECT_EQ(r.status, 502u) << r.body;
  EXPECT_NE(error_of(r).find("internal server error"), std::string::npos) << r.body;
  EXPECT_EQ(upstream.chat_requests(), 3u);
}

TEST(OpenAiBackendFaults, DroppedConnectionsAreRetriedThenUnreachable) {
  OpenAiUpstream upstream;
  Service service(openai_environment(upstream));
  const auto r = http_request(service.port, "POST", "/v1/chat/completions", v1_body("[[emulate:drop]] hi"), kJson);
  EXPECT_EQ(r.status, 502u) << r.body;
  EXPECT_EQ(upstream.chat_requests(), 3u);
}

TEST(OpenAiBackendFaults, ContextOverflowIsA400ContextLengthExceeded) {
  OpenAiUpstream upstream;
  Service service(openai_environment(upstream));
  const auto r =
      http_request(service.port, "POST", "/v1/chat/completions", v1_body("[[emulate:validation]] hi"), kJson);
  EXPECT_EQ(r.status, 400u) << r.body;
  EXPECT_EQ(r.json().at("error").at("code"), "context_length_exceeded") << r.body;
  EXPECT_EQ(upstream.chat_requests(), 1u);
}

TEST(OpenAiBackendFaults, UnknownModelNamesTheSetting) {
  OpenAiUpstream upstream;
  auto env = openai_environment(upstream);
  env["LLAMACHAT_OPENAI_MODEL"] = "no-such-model";
  Service service(env);
  const auto r = post_chat(service.port, chat_body("hi"));
  EXPECT_EQ(r.status, 502u) << r.body;
  EXPECT_NE(error_of(r).find("LLAMACHAT_OPENAI_MODEL 'no-such-model'"), std::string::npos) << r.body;
}

TEST(OpenAiBackendFaults, AnErrorEventMidStreamBecomesOurErrorEventWithoutRetry) {
  OpenAiUpstream upstream;
  Service service(openai_environment(upstream));
  const auto r = post_chat(service.port, chat_body("[[emulate:stream_exception=overloaded@2]] a b c", true));
  const Streamed s = parse_chat_stream(r.body);
  ASSERT_EQ(s.last.name, "error") << r.body;
  EXPECT_NE(s.last.data.find("overloaded"), std::string::npos) << r.body;
  EXPECT_EQ(s.deltas, 1u);  // event 0 is the role chunk, event 1 the first word
  EXPECT_EQ(upstream.chat_requests(), 1u);
}

TEST(OpenAiBackendFaults, ABrokenSseLineEndsTheStreamWithAnError) {
  OpenAiUpstream upstream;
  Service service(openai_environment(upstream));
  const auto r = post_chat(service.port, chat_body("[[emulate:broken_frame@2]] a b c", true));
  const Streamed s = parse_chat_stream(r.body);
  ASSERT_EQ(s.last.name, "error") << r.body;
  EXPECT_NE(s.last.data.find("unreadable stream event"), std::string::npos) << r.body;
}

TEST(OpenAiBackendFaults, AStreamCutMidBodyIsAnErrorNotACompleteReply) {
  OpenAiUpstream upstream;
  Service service(openai_environment(upstream));
  const auto r = post_chat(service.port, chat_body("[[emulate:drop_mid_body]] a b c d e f", true));
  const Streamed s = parse_chat_stream(r.body);
  ASSERT_EQ(s.last.name, "error") << r.body;
  EXPECT_EQ(upstream.chat_requests(), 1u);  // text was sent: never retried
}

TEST(OpenAiBackendFaults, AStalledStreamEndsAtTheDeadlineWithWhatWasSent) {
  OpenAiUpstream upstream;
  auto env = openai_environment(upstream);
  env["LLAMACHAT_REQUEST_TIMEOUT_MS"] = "800";
  Service service(env);
  const auto r = post_chat(service.port, chat_body("[[emulate:stall@2]] a b c", true));
  const Streamed s = parse_chat_stream(r.body);
  ASSERT_EQ(s.last.name, "done") << r.body;
  EXPECT_EQ(json::parse(s.last.data).at("stop_reason"), "time_limit");
  EXPECT_EQ(s.text, "Emulated");  // event 0 is the role chunk, event 1 the first word
}

TEST(OpenAiBackendStreaming, DeltasReachTheClientBeforeTheUpstreamFinishes) {
  OpenAiUpstream upstream;
  Service service(openai_environment(upstream));
  // Three events (role, two words), then the upstream holds the stream open: what the client sees now
  // was forwarded as it arrived.
  RawClient client(service.port, chat_request_bytes(chat_body("[[emulate:stall@3]] one two three four", true)));
  std::string seen;
  for (int i = 0; i < 100 && parse_chat_stream(seen).deltas < 2; ++i)
    seen = client.read_until("event: done", std::chrono::milliseconds(100));
  EXPECT_EQ(parse_chat_stream(seen).deltas, 2u) << seen;
  EXPECT_EQ(seen.find("event: done"), std::string::npos) << seen;
  EXPECT_EQ(upstream.closed_by_client(), 0u);
  client.close();
}

TEST(OpenAiBackendStreaming, ClientDisconnectClosesTheUpstreamConnection) {
  OpenAiUpstream upstream;
  Service service(openai_environment(upstream));
  RawClient client(service.port, chat_request_bytes(chat_body("[[emulate:stall@2]] please wait", true)));
  const std::string seen = client.read_until("event: delta", std::chrono::seconds(10));
  ASSERT_NE(seen.find("event: delta"), std::string::npos) << seen;
  EXPECT_EQ(upstream.closed_by_client(), 0u);
  client.close();
  // Bounded wait for the upstream to find its connection closed (its next keep-alive write fails).
  for (int i = 0; i < 500 && upstream.closed_by_client() == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(upstream.closed_by_client(), 1u);
  EXPECT_EQ(upstream.chat_requests(), 1u);
}

TEST(OpenAiBackendModels, TheOnlyListedModelIsUsedWhenNoneIsSet) {
  OpenAiUpstream upstream;
  Service service(openai_environment(upstream, false));
  const auto r = post_chat(service.port, chat_body("which model"));
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(json::parse(upstream.requests().back().body).at("model"), kModel);
  EXPECT_EQ(upstream.requests().front().target, "/v1/models");
}

TEST(OpenAiBackendModels, SeveralListedModelsRefuseTheStartNamingThem) {
  OpenAiUpstream upstream(UpstreamConfig{{"model-a", "model-b"}, ""});
  auto env = openai_environment(upstream, false);
  ChildProcess process(LLAMACHAT_BINARY, {"--host", "127.0.0.1", "--port", "0"}, env);
  const int status = process.stop(0, std::chrono::seconds(20));  // waits for it to exit on its own
  EXPECT_NE(status, 0);
  const std::string output = process.output();
  EXPECT_NE(output.find("model-a, model-b"), std::string::npos) << output;
  EXPECT_NE(output.find("LLAMACHAT_OPENAI_MODEL"), std::string::npos) << output;
}

}  // namespace
}  // namespace llamachat::test
