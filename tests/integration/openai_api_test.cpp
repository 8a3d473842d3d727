// The OpenAI-compatible API (/v1) of the real llamachat binary over loopback: every refused request with its
// exact status, type, param and code; the stream invariants asserted on the raw SSE bytes; multi-turn bodies
// as the Bedrock emulator received them on both APIs; the official `openai` npm client.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <set>
#include <sstream>
#include <thread>

#include "harness.hpp"
#include "openai/openai_upstream.hpp"
#include "support/shared_dir.hpp"

namespace llamachat::test {
namespace {
namespace json = boost::json;

const std::map<std::string, std::string> kJson = {{"Content-Type", "application/json"}};

HttpResult completions(std::uint16_t port, const std::string& body) {
  return http_request(port, "POST", "/v1/chat/completions", body, kJson);
}

std::string user_only(const std::string& text, const std::string& extra = "") {
  json::object body{{"messages", json::array{json::object{{"role", "user"}, {"content", text}}}}};
  std::string out = json::serialize(body);
  if (!extra.empty()) out.insert(out.size() - 1, "," + extra);
  return out;
}

// The error object of a reply, checked to be exactly {"error": {message, type, param, code}}.
json::object error_object(const HttpResult& r) {
  const json::value v = r.json();
  EXPECT_TRUE(v.is_object() && v.as_object().size() == 1) << r.body;
  const json::object& error = v.at("error").as_object();
  EXPECT_EQ(error.size(), 4u) << r.body;
  EXPECT_TRUE(error.at("message").is_string()) << r.body;
  return error;
}

std::string str_or_null(const json::value& v) { return v.is_null() ? "null" : std::string(v.as_string()); }

// ---------------------------------------------------------------------------------------------------------
// Offline backend

class OpenAiOffline : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto env = base_environment();
    env["LLAMACHAT_BACKEND"] = "offline";
    service_ = new Service(env, {"--max-body-bytes", "65536"});
  }
  static void TearDownTestSuite() { delete service_; }
  static Service* service_;
};
Service* OpenAiOffline::service_ = nullptr;

TEST_F(OpenAiOffline, ModelsListTheConfiguredModel) {
  const auto list = http_request(service_->port, "GET", "/v1/models");
  ASSERT_EQ(list.status, 200u) << list.body;
  EXPECT_EQ(list.body,
            R"({"object":"list","data":[{"id":"offline","object":"model","created":0,"owned_by":"llamachat"}]})");
  EXPECT_EQ(list.header("X-Llamachat-Backend"), "offline");
  const auto one = http_request(service_->port, "GET", "/v1/models/offline");
  ASSERT_EQ(one.status, 200u) << one.body;
  EXPECT_EQ(one.header("X-Llamachat-Backend"), "offline");
  EXPECT_EQ(one.json().at("id"), "offline");
  EXPECT_EQ(one.json().at("object"), "model");
  const auto missing = http_request(service_->port, "GET", "/v1/models/gpt-4o");
  EXPECT_EQ(missing.status, 404u);
  EXPECT_EQ(error_object(missing).at("code"), "model_not_found");
}

TEST_F(OpenAiOffline, NonStreamingCompletion) {
  const auto r = completions(service_->port, user_only("Hello there", R"("model":"offline","max_tokens":50)"));
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.header("Content-Type"), "application/json; charset=utf-8");
  const json::value v = r.json();
  EXPECT_EQ(v.at("object"), "chat.completion");
  EXPECT_TRUE(std::string(v.at("id").as_string()).starts_with("chatcmpl-")) << r.body;
  EXPECT_GT(v.at("created").as_int64(), 1'600'000'000);
  EXPECT_EQ(v.at("model"), "offline");
  const auto& choice = v.at("choices").at(0);
  EXPECT_EQ(choice.at("index"), 0);
  EXPECT_EQ(choice.at("message").at("role"), "assistant");
  EXPECT_NE(std::string(choice.at("message").at("content").as_string()).find("Hello there"), std::string::npos);
  EXPECT_EQ(choice.at("finish_reason"), "stop");
  const auto& usage = v.at("usage");
  EXPECT_GT(usage.at("prompt_tokens").as_int64(), 0);
  EXPECT_GT(usage.at("completion_tokens").as_int64(), 0);
  EXPECT_EQ(usage.at("total_tokens").as_int64(),
            usage.at("prompt_tokens").as_int64() + usage.at("completion_tokens").as_int64());
}

TEST_F(OpenAiOffline, MissingModelMeansTheConfiguredOne) {
  const auto r = completions(service_->port, user_only("hi"));
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.json().at("model"), "offline");
}

struct Refused {
  std::string name;
  std::string body;
  unsigned status;
  std::string param;  // "null" for none
  std::string code;   // "null" for none
};

TEST_F(OpenAiOffline, EveryRefusedRequestHasItsExactStatusTypeParamAndCode) {
  const std::vector<Refused> table = {
      {"wrong role", R"({"messages":[{"role":"wizard","content":"hi"}]})", 400, "messages[0].role", "invalid_value"},
      {"missing role", R"({"messages":[{"content":"hi"}]})", 400, "messages[0].role", "missing_required_parameter"},
      {"no user turn", R"({"messages":[{"role":"system","content":"be nice"}]})", 400, "messages", "invalid_value"},
      {"last turn not the user's",
       R"({"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]})", 400, "messages",
       "invalid_value"},
      {"empty messages", R"({"messages":[]})", 400, "messages", "invalid_value"},
      {"no messages", R"({"model":"offline"})", 400, "messages", "missing_required_parameter"},
      {"empty content", R"({"messages":[{"role":"user","content":""}]})", 400, "messages[0].content", "invalid_value"},
      {"n above 1", user_only("hi", R"("n":2)"), 400, "n", "unsupported_value"},
      {"tools", user_only("hi", R"("tools":[{"type":"function","function":{"name":"f","parameters":{}}}])"), 400,
       "tools", "unsupported_parameter"},
      {"tool_choice", user_only("hi", R"("tool_choice":"required")"), 400, "tool_choice", "unsupported_parameter"},
      {"image part",
       R"({"messages":[{"role":"user","content":[{"type":"text","text":"what is this?"},{"type":"image_url","image_url":{"url":"https://example.com/a.png"}}]}]})",
       400, "messages[0].content[1].type", "unsupported_value"},
      {"logprobs", user_only("hi", R"("logprobs":true)"), 400, "logprobs", "unsupported_value"},
      {"json mode", user_only("hi", R"("response_format":{"type":"json_object"})"), 400, "response_format",
       "unsupported_value"},
      {"penalty", user_only("hi", R"("frequency_penalty":0.5)"), 400, "frequency_penalty", "unsupported_value"},
      {"temperature above 1", user_only("hi", R"("temperature":1.2)"), 400, "temperature", "unsupported_value"},
      {"unknown model", user_only("hi", R"("model":"gpt-4o")"), 404, "model", "model_not_found"},
      {"not JSON", "{nope", 400, "null", "null"},
  };
  for (const auto& row : table) {
    SCOPED_TRACE(row.name);
    const auto r = completions(service_->port, row.body);
    EXPECT_EQ(r.status, row.status) << r.body;
    EXPECT_EQ(r.header("Content-Type"), "application/json; charset=utf-8");
    const json::object error = error_object(r);
    EXPECT_EQ(error.at("type"), "invalid_request_error") << r.body;
    EXPECT_EQ(str_or_null(error.at("param")), row.param) << r.body;
    EXPECT_EQ(str_or_null(error.at("code")), row.code) << r.body;
  }
}

TEST_F(OpenAiOffline, BodyOverTheLimitIs413InTheOpenAiShape) {
  const std::string big = user_only(std::string(70'000, 'a'));
  const auto r = completions(service_->port, big);
  EXPECT_EQ(r.status, 413u) << r.body;
  const json::object error = error_object(r);
  EXPECT_EQ(error.at("message"), "request body exceeds 65536 bytes");
  EXPECT_EQ(error.at("type"), "invalid_request_error");
  // /chat keeps its own shape for the same refusal.
  const auto chat = post_chat(service_->port, R"({"message":")" + std::string(70'000, 'a') + "\"}");
  EXPECT_EQ(chat.status, 413u);
  EXPECT_EQ(chat.body, R"({"error":"request body exceeds 65536 bytes"})");
}

TEST_F(OpenAiOffline, UnknownPathsAndMethodsUnderV1AreOpenAiErrors) {
  const auto wrong_method = http_request(service_->port, "GET", "/v1/chat/completions");
  EXPECT_EQ(wrong_method.status, 405u);
  EXPECT_EQ(error_object(wrong_method).at("code"), "method_not_allowed");
  const auto unknown = http_request(service_->port, "POST", "/v1/embeddings", "{}", kJson);
  EXPECT_EQ(unknown.status, 404u);
  EXPECT_EQ(error_object(unknown).at("code"), "unknown_url");
}

// The stream, split into its events exactly as sent: each must be "data: <payload>\n\n".
std::vector<std::string> data_events(const std::string& body) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at < body.size()) {
    const std::size_t end = body.find("\n\n", at);
    if (end == std::string::npos) {
      ADD_FAILURE() << "unterminated event at byte " << at << ": " << body.substr(at);
      break;
    }
    const std::string event = body.substr(at, end - at);
    EXPECT_TRUE(event.starts_with("data: ")) << "not a data-only event: " << event;
    EXPECT_EQ(event.find('\n'), std::string::npos) << "multi-line event: " << event;
    out.push_back(event.substr(6));
    at = end + 2;
  }
  return out;
}

struct StreamCase {
  std::string name;
  bool include_usage;
};
void PrintTo(const StreamCase& c, std::ostream* os) { *os << c.name; }

class StreamInvariants : public OpenAiOffline, public ::testing::WithParamInterface<StreamCase> {};

// The conformance table: what every OpenAI client relies on, on the raw SSE bytes.
TEST_P(StreamInvariants, HoldOnTheRawBytes) {
  const bool include_usage = GetParam().include_usage;
  const std::string extra =
      include_usage ? R"("stream":true,"stream_options":{"include_usage":true})" : R"("stream":true)";
  const auto r = completions(service_->port, user_only("Stream me please", extra));
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.header("Content-Type"), "text/event-stream; charset=utf-8");
  EXPECT_EQ(r.body.find("event:"), std::string::npos) << "no named events";
  const std::vector<std::string> events = data_events(r.body);
  ASSERT_GE(events.size(), 4u) << r.body;
  // 1. [DONE] is the last event, and only the last.
  EXPECT_EQ(events.back(), "[DONE]");
  EXPECT_TRUE(r.body.ends_with("data: [DONE]\n\n"));
  std::vector<json::object> chunks;
  for (std::size_t i = 0; i + 1 < events.size(); ++i) chunks.push_back(json::parse(events[i]).as_object());
  // 2. Same id, created, model and object on every chunk.
  for (const auto& c : chunks) {
    EXPECT_EQ(c.at("id"), chunks.front().at("id"));
    EXPECT_EQ(c.at("created"), chunks.front().at("created"));
    EXPECT_EQ(c.at("model"), "offline");
    EXPECT_EQ(c.at("object"), "chat.completion.chunk");
    EXPECT_TRUE(std::string(c.at("id").as_string()).starts_with("chatcmpl-"));
    // 3. With include_usage every chunk has "usage" (null but on the last); without, none has it.
    EXPECT_EQ(c.contains("usage"), include_usage) << json::serialize(c);
  }
  // 4. The usage chunk comes last, with no choices.
  std::size_t choice_chunks = chunks.size();
  if (include_usage) {
    const auto& last = chunks.back();
    EXPECT_TRUE(last.at("choices").as_array().empty());
    const auto& usage = last.at("usage");
    EXPECT_EQ(usage.at("total_tokens").as_int64(),
              usage.at("prompt_tokens").as_int64() + usage.at("completion_tokens").as_int64());
    --choice_chunks;
    for (std::size_t i = 0; i < choice_chunks; ++i) EXPECT_TRUE(chunks[i].at("usage").is_null());
  }
  // 5. The role in the first delta only; 6. finish_reason null except on the last choice chunk.
  std::string content;
  for (std::size_t i = 0; i < choice_chunks; ++i) {
    const auto& choices = chunks[i].at("choices").as_array();
    ASSERT_EQ(choices.size(), 1u);
    const auto& delta = choices[0].at("delta").as_object();
    EXPECT_EQ(delta.contains("role"), i == 0) << json::serialize(chunks[i]);
    if (i == 0) {
      EXPECT_EQ(delta.at("role"), "assistant");
    }
    if (const auto* text = delta.if_contains("content")) content += std::string(text->as_string());
    const bool last_choice_chunk = i + 1 == choice_chunks;
    if (last_choice_chunk) {
      EXPECT_EQ(choices[0].at("finish_reason"), "stop");
    } else {
      EXPECT_TRUE(choices[0].at("finish_reason").is_null()) << json::serialize(chunks[i]);
    }
  }
  EXPECT_NE(content.find("Stream me please"), std::string::npos) << content;
}

INSTANTIATE_TEST_SUITE_P(Conformance, StreamInvariants,
                         ::testing::Values(StreamCase{"WithoutUsage", false}, StreamCase{"WithUsage", true}),
                         [](const auto& info) { return info.param.name; });

TEST(OpenAiMisconfigured, ConfigurationErrorIs503NamingWhatToFix) {
  auto env = base_environment();
  env["LLAMACHAT_BACKEND"] = "bedrock";  // no region: the backend answers every chat with the problem
  env["BEDROCK_MODEL_ID"] = "us.meta.llama3-3-70b-instruct-v1:0";
  Service service(env);
  const auto r = completions(service.port, user_only("hi", R"("model":"us.meta.llama3-3-70b-instruct-v1:0")"));
  EXPECT_EQ(r.status, 503u) << r.body;
  const json::object error = error_object(r);
  EXPECT_EQ(error.at("type"), "server_error");
  EXPECT_EQ(error.at("code"), "configuration");
  EXPECT_NE(std::string(error.at("message").as_string()).find("AWS_REGION"), std::string::npos) << r.body;
  const auto models = http_request(service.port, "GET", "/v1/models");
  EXPECT_EQ(models.json().at("data").at(0).at("id"), "us.meta.llama3-3-70b-instruct-v1:0");
}

// ---------------------------------------------------------------------------------------------------------
// Bedrock emulator, on both APIs

class OpenAiBedrock : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    emulator_ = std::make_unique<Emulator>();
    auto env = emulator_->bedrock_environment();
    env["LLAMACHAT_BEDROCK_API"] = GetParam();
    service_ = std::make_unique<Service>(env);
  }
  json::object last_upstream_body() {
    const auto list = emulator_requests(emulator_->port);
    EXPECT_FALSE(list.empty());
    if (list.empty()) return {};
    return json::parse(list.back().at("body").as_string()).as_object();
  }
  std::unique_ptr<Emulator> emulator_;
  std::unique_ptr<Service> service_;
};

TEST_P(OpenAiBedrock, MultiTurnConversationReachesBedrockInOrder) {
  const std::string body =
      R"({"model":"us.meta.llama3-3-70b-instruct-v1:0","max_tokens":100,"temperature":0.3,"messages":[
    {"role":"system","content":"Be brief."},
    {"role":"user","content":"First question"},
    {"role":"assistant","content":"First answer"},
    {"role":"user","content":"Second question"}]})";
  const auto r = completions(service_->port, body);
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.json().at("choices").at(0).at("message").at("content"), "Emulated reply: Second question");
  EXPECT_EQ(r.json().at("model"), "us.meta.llama3-3-70b-instruct-v1:0");
  // Usage as Bedrock reported it (the emulator counts words).
  EXPECT_EQ(r.json().at("usage").at("completion_tokens"), 4);
  const json::object sent = last_upstream_body();
  if (GetParam() == "invoke") {
    const std::string prompt(sent.at("prompt").as_string());
    const auto system = prompt.find("<|start_header_id|>system<|end_header_id|>\n\nBe brief.");
    const auto first = prompt.find("<|start_header_id|>user<|end_header_id|>\n\nFirst question<|eot_id|>");
    const auto answer = prompt.find("<|start_header_id|>assistant<|end_header_id|>\n\nFirst answer<|eot_id|>");
    const auto second = prompt.find("<|start_header_id|>user<|end_header_id|>\n\nSecond question<|eot_id|>");
    ASSERT_NE(system, std::string::npos) << prompt;
    ASSERT_NE(first, std::string::npos) << prompt;
    ASSERT_NE(answer, std::string::npos) << prompt;
    ASSERT_NE(second, std::string::npos) << prompt;
    EXPECT_LT(system, first);
    EXPECT_LT(first, answer);
    EXPECT_LT(answer, second);
    EXPECT_TRUE(prompt.ends_with("<|start_header_id|>assistant<|end_header_id|>\n\n")) << prompt;
    EXPECT_EQ(sent.at("max_gen_len"), 100);
    EXPECT_DOUBLE_EQ(sent.at("temperature").as_double(), 0.3);
  } else {
    const auto& messages = sent.at("messages").as_array();
    ASSERT_EQ(messages.size(), 3u) << json::serialize(sent);
    EXPECT_EQ(messages[0].at("role"), "user");
    EXPECT_EQ(messages[0].at("content").at(0).at("text"), "First question");
    EXPECT_EQ(messages[1].at("role"), "assistant");
    EXPECT_EQ(messages[1].at("content").at(0).at("text"), "First answer");
    EXPECT_EQ(messages[2].at("role"), "user");
    EXPECT_EQ(messages[2].at("content").at(0).at("text"), "Second question");
    EXPECT_NE(json::serialize(sent.at("system")).find("Be brief."), std::string::npos) << json::serialize(sent);
    EXPECT_EQ(sent.at("inferenceConfig").at("maxTokens"), 100);
  }
}

TEST_P(OpenAiBedrock, StreamedReplyAndUsageFromBedrock) {
  const auto r = completions(service_->port,
                             user_only("one two three", R"("stream":true,"stream_options":{"include_usage":true})"));
  ASSERT_EQ(r.status, 200u) << r.body;
  const auto events = data_events(r.body);
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events.back(), "[DONE]");
  std::string content;
  for (std::size_t i = 0; i + 2 < events.size(); ++i) {
    const auto chunk = json::parse(events[i]);
    if (const auto* text = chunk.at("choices").at(0).at("delta").as_object().if_contains("content"))
      content += std::string(text->as_string());
  }
  EXPECT_EQ(content, "Emulated reply: one two three");
  const auto usage = json::parse(events[events.size() - 2]).at("usage");
  EXPECT_EQ(usage.at("prompt_tokens").as_int64() > 0, true) << events[events.size() - 2];
}

TEST_P(OpenAiBedrock, FailureAfterTheStreamStartedIsOneErrorEventThenDone) {
  const auto r = completions(
      service_->port,
      user_only("[[emulate:stream_exception=modelStreamErrorException@3]] a b c d e f", R"("stream":true)"));
  ASSERT_EQ(r.status, 200u) << r.body;
  const auto events = data_events(r.body);
  ASSERT_GE(events.size(), 3u) << r.body;
  EXPECT_EQ(events.back(), "[DONE]");
  const json::value error = json::parse(events[events.size() - 2]);
  ASSERT_TRUE(error.as_object().contains("error")) << r.body;
  EXPECT_EQ(error.at("error").at("type"), "server_error");
  EXPECT_EQ(error.at("error").at("code"), "model_error");
  for (std::size_t i = 0; i + 2 < events.size(); ++i)
    EXPECT_FALSE(json::parse(events[i]).as_object().contains("error")) << events[i];
}

TEST_P(OpenAiBedrock, ThrottlingIs429WithRetryAfter) {
  const auto r = completions(service_->port, user_only("[[emulate:throttle]] hi"));
  EXPECT_EQ(r.status, 429u) << r.body;
  EXPECT_FALSE(r.header("Retry-After").empty());
  const json::object error = error_object(r);
  EXPECT_EQ(error.at("type"), "requests");
  EXPECT_EQ(error.at("code"), "rate_limit_exceeded");
}

// The content and finish_reason of a streamed reply.
std::pair<std::string, std::string> streamed_text(const std::string& body) {
  const auto events = data_events(body);
  std::string content;
  std::string finish;
  for (std::size_t i = 0; i + 1 < events.size(); ++i) {
    const auto chunk = json::parse(events[i]);
    const auto& choices = chunk.at("choices").as_array();
    if (choices.empty()) continue;
    if (const auto* text = choices[0].at("delta").as_object().if_contains("content"))
      content += std::string(text->as_string());
    if (!choices[0].at("finish_reason").is_null()) finish = std::string(choices[0].at("finish_reason").as_string());
  }
  return {content, finish};
}

TEST_P(OpenAiBedrock, StopStringSplitAcrossDeltasIsCut) {
  // The emulator streams word pieces (" beta", " gamma"): the stop string spans two deltas.
  const auto streamed =
      completions(service_->port, user_only("alpha beta gamma delta", R"("stream":true,"stop":["ta gam"])"));
  ASSERT_EQ(streamed.status, 200u) << streamed.body;
  const auto [content, finish] = streamed_text(streamed.body);
  EXPECT_EQ(content, "Emulated reply: alpha be");
  EXPECT_EQ(finish, "stop");
  const auto whole = completions(service_->port, user_only("alpha beta gamma delta", R"("stop":"ta gam")"));
  ASSERT_EQ(whole.status, 200u) << whole.body;
  EXPECT_EQ(whole.json().at("choices").at(0).at("message").at("content"), "Emulated reply: alpha be");
  EXPECT_EQ(whole.json().at("choices").at(0).at("finish_reason"), "stop");
  if (GetParam() == "converse") {
    const json::object sent = last_upstream_body();
    EXPECT_EQ(json::serialize(sent.at("inferenceConfig").at("stopSequences")), R"(["ta gam"])");
  }
}

TEST_P(OpenAiBedrock, ClientDisconnectClosesTheUpstreamStream) {
  const std::string body = user_only("[[emulate:stall@2]] please wait", R"("stream":true)");
  RawClient client(service_->port,
                   "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                   "application/json\r\nContent-Length: " +
                       std::to_string(body.size()) + "\r\n\r\n" + body);
  const std::string seen = client.read_until("\"content\":\"Emulated", std::chrono::seconds(10));
  ASSERT_NE(seen.find("\"content\":\"Emulated"), std::string::npos) << seen;
  client.close();
  json::value stats;
  for (int i = 0; i < 200; ++i) {  // bounded wait for the emulator to notice the close
    stats = http_request(emulator_->port, "GET", "/_emulator/stats").json();
    if (stats.at("streams_cancelled").as_int64() > 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(stats.at("streams_cancelled").as_int64(), 1) << json::serialize(stats);
}

// A conversation longer than the context: the turn that named the user is trimmed, the name is not lost.
class OpenAiMemory : public ::testing::TestWithParam<std::string> {};

std::string long_conversation() {
  json::array messages;
  messages.push_back(json::object{{"role", "user"}, {"content", "Hi there, my name is Łukasz and I like tea."}});
  messages.push_back(json::object{{"role", "assistant"}, {"content", "Nice to meet you."}});
  for (int i = 0; i < 6; ++i) {
    messages.push_back(json::object{{"role", "user"}, {"content", "Tell me more. " + std::string(400, 'x')}});
    messages.push_back(json::object{{"role", "assistant"}, {"content", "More. " + std::string(400, 'y')}});
  }
  messages.push_back(json::object{{"role", "user"}, {"content", "What is my name?"}});
  return json::serialize(json::object{{"messages", messages}, {"max_tokens", 200}});
}

TEST_P(OpenAiMemory, TrimmedConversationStillNamesTheUserUnlessMemoryIsOff) {
  for (const char* memory : {"on", "off"}) {
    SCOPED_TRACE(memory);
    Emulator emulator;
    auto env = emulator.bedrock_environment();
    env["LLAMACHAT_BEDROCK_API"] = GetParam();
    env["LLAMACHAT_CONTEXT_TOKENS"] = "2048";
    env["LLAMACHAT_MEMORY"] = memory;
    Service service(env);
    const auto r = completions(service.port, long_conversation());
    ASSERT_EQ(r.status, 200u) << r.body;
    const auto list = emulator_requests(emulator.port);
    ASSERT_FALSE(list.empty());
    const std::string sent(list.back().at("body").as_string());
    EXPECT_EQ(sent.find("my name is"), std::string::npos) << "the first turn was not trimmed: " << sent;
    EXPECT_NE(sent.find("What is my name?"), std::string::npos) << sent;
    const bool named = sent.find("You are talking to Łukasz.") != std::string::npos;
    EXPECT_EQ(named, std::string(memory) == "on") << sent;
  }
}

INSTANTIATE_TEST_SUITE_P(BothApis, OpenAiMemory, ::testing::Values("invoke", "converse"),
                         [](const auto& info) { return info.param; });

INSTANTIATE_TEST_SUITE_P(BothApis, OpenAiBedrock, ::testing::Values("invoke", "converse"),
                         [](const auto& info) { return info.param; });

// ---------------------------------------------------------------------------------------------------------
// The official openai npm client (tests/interop/package.json pins it)

std::filesystem::path interop_dir() { return std::filesystem::path(LLAMACHAT_SOURCE_DIR) / "tests" / "interop"; }

std::vector<json::object> result_lines(const std::string& output) {
  std::vector<json::object> out;
  std::stringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.starts_with("{\"kind\":\"result\"")) continue;
    out.push_back(json::parse(line).as_object());
  }
  return out;
}

class OpenAiNpmClient : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(interop_dir() / "node_modules" / "openai")) {
      announce_skip("tests/interop/node_modules/openai is missing (scripts/setup.sh test installs it)");
      GTEST_SKIP() << "openai npm client not installed";
    }
  }
};

TEST_P(OpenAiNpmClient, WholeAndStreamedRepliesWithAndWithoutUsage) {
  std::unique_ptr<Emulator> emulator;
  auto env = base_environment();
  std::string model = "offline";
  std::unique_ptr<emulator::openai::OpenAiUpstream> upstream;
  if (GetParam() == "offline") {
    env["LLAMACHAT_BACKEND"] = "offline";
  } else if (GetParam() == "openai") {
    // The openai backend in front of the OpenAI-compatible test upstream.
    upstream = std::make_unique<emulator::openai::OpenAiUpstream>();
    model = "llama-3.3-70b-test";
    env["LLAMACHAT_BACKEND"] = "openai";
    env["OPENAI_BASE_URL"] = upstream->base_url();
    env["LLAMACHAT_OPENAI_MODEL"] = model;
  } else {
    emulator = std::make_unique<Emulator>();
    env = emulator->bedrock_environment();
    env["LLAMACHAT_BEDROCK_API"] = GetParam();
    model = "us.meta.llama3-3-70b-instruct-v1:0";
  }
  Service service(env);
  ChildProcess node("node", {(interop_dir() / "openai_client.mjs").string(), "--base-url",
                             "http://127.0.0.1:" + std::to_string(service.port) + "/v1", "--model", model, "--prompt",
                             "Hello from the openai client"});
  ASSERT_TRUE(node.wait_for_line("{\"kind\":\"done\"}", std::chrono::seconds(60)).has_value()) << node.output();
  const std::string output = node.output();
  EXPECT_EQ(output.find("\"kind\":\"fatal\""), std::string::npos) << output;
  const auto results = result_lines(output);
  ASSERT_EQ(results.size(), 4u) << output;
  std::map<std::string, json::object> by_call;
  for (const auto& r : results) by_call[std::string(r.at("call").as_string())] = r;

  const auto& whole = by_call["whole"];
  ASSERT_TRUE(whole.at("ok").as_bool()) << output;
  EXPECT_EQ(whole.at("object"), "chat.completion");
  EXPECT_EQ(whole.at("role"), "assistant");
  EXPECT_EQ(whole.at("model"), json::value(model));
  EXPECT_EQ(whole.at("finishReason"), "stop");
  EXPECT_NE(std::string(whole.at("content").as_string()).find("Hello from the openai client"), std::string::npos);
  EXPECT_GT(whole.at("usage").at("total_tokens").as_int64(), 0);

  for (const char* call : {"stream", "stream_usage"}) {
    SCOPED_TRACE(call);
    const auto& s = by_call[call];
    ASSERT_TRUE(s.at("ok").as_bool()) << output;
    EXPECT_EQ(s.at("content"), whole.at("content"));
    EXPECT_EQ(s.at("finishReason"), "stop");
    EXPECT_TRUE(s.at("roleFirst").as_bool());
    EXPECT_EQ(s.at("ids").as_array().size(), 1u);
  }
  EXPECT_TRUE(by_call["stream"].at("usage").is_null());
  EXPECT_EQ(by_call["stream"].at("usageChunks"), 0);
  EXPECT_EQ(by_call["stream_usage"].at("usageChunks"), 1);
  EXPECT_EQ(by_call["stream_usage"].at("usage").at("total_tokens"), whole.at("usage").at("total_tokens"));

  const auto& refused = by_call["refused"];
  EXPECT_FALSE(refused.at("ok").as_bool());
  EXPECT_EQ(refused.at("status"), 400);
  EXPECT_EQ(refused.at("errorClass"), "BadRequestError");
  EXPECT_EQ(refused.at("error").at("param"), "n");
  EXPECT_EQ(refused.at("error").at("code"), "unsupported_value");
}

INSTANTIATE_TEST_SUITE_P(Backends, OpenAiNpmClient, ::testing::Values("offline", "invoke", "converse", "openai"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace llamachat::test
