#include "api/openai/request.hpp"

#include <gtest/gtest.h>

#include <string>

namespace llamachat::api::openai {
namespace {

constexpr std::string_view kJson = "application/json";

CompletionRequest accepted(std::string_view body) {
  auto parsed = parse_completion_request(kJson, body);
  if (const auto* error = std::get_if<ApiError>(&parsed)) {
    ADD_FAILURE() << "refused: " << error->message;
    return {};
  }
  return std::get<CompletionRequest>(std::move(parsed));
}

ApiError refused(std::string_view body, std::string_view content_type = kJson) {
  auto parsed = parse_completion_request(content_type, body);
  if (!std::holds_alternative<ApiError>(parsed)) {
    ADD_FAILURE() << "accepted: " << body;
    return {};
  }
  return std::get<ApiError>(std::move(parsed));
}

// The request body with `extra` fields after a valid single user message.
std::string with(std::string_view extra) {
  return R"({"messages":[{"role":"user","content":"hi"}])" + std::string(extra.empty() ? "" : ",") +
         std::string(extra) + "}";
}

TEST(OpenAiRequest, MinimalRequest) {
  const CompletionRequest r = accepted(with(""));
  EXPECT_FALSE(r.model.has_value());
  EXPECT_FALSE(r.system.has_value());
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0].role, chat::Role::user);
  EXPECT_EQ(r.messages[0].content, "hi");
  EXPECT_FALSE(r.stream);
  EXPECT_FALSE(r.include_usage);
  EXPECT_FALSE(r.params.max_tokens.has_value());
  EXPECT_FALSE(r.params.temperature.has_value());
  EXPECT_TRUE(r.params.stop.empty());
}

TEST(OpenAiRequest, ConversationWithSystemAndDeveloperMessages) {
  const CompletionRequest r = accepted(R"({"model":"m","messages":[
    {"role":"system","content":"Be brief."},
    {"role":"user","content":"My name is Zoë."},
    {"role":"assistant","content":[{"type":"text","text":"Hello "},{"type":"text","text":"Zoë."}]},
    {"role":"developer","content":"Answer in English."},
    {"role":"user","content":[{"type":"text","text":"What is my name?"}],"name":"zoe"}]})");
  EXPECT_EQ(r.model, "m");
  EXPECT_EQ(r.system, "Be brief.\n\nAnswer in English.");
  ASSERT_EQ(r.messages.size(), 3u);
  EXPECT_EQ(r.messages[0].role, chat::Role::user);
  EXPECT_EQ(r.messages[0].content, "My name is Zoë.");
  EXPECT_EQ(r.messages[1].role, chat::Role::assistant);
  EXPECT_EQ(r.messages[1].content, "Hello Zoë.");
  EXPECT_EQ(r.messages[2].content, "What is my name?");
}

TEST(OpenAiRequest, SamplingParameters) {
  const CompletionRequest r =
      accepted(with(R"("max_tokens":100,"temperature":0.2,"top_p":1,"stop":["\n\n","END"],"stream":true,)"
                    R"("stream_options":{"include_usage":true})"));
  EXPECT_EQ(r.params.max_tokens, 100);
  EXPECT_DOUBLE_EQ(*r.params.temperature, 0.2);
  EXPECT_DOUBLE_EQ(*r.params.top_p, 1.0);
  EXPECT_EQ(r.params.stop, (std::vector<std::string>{"\n\n", "END"}));
  EXPECT_TRUE(r.stream);
  EXPECT_TRUE(r.include_usage);
}

TEST(OpenAiRequest, StopMayBeOneString) {
  EXPECT_EQ(accepted(with(R"("stop":"###")")).params.stop, std::vector<std::string>{"###"});
}

TEST(OpenAiRequest, MaxCompletionTokensIsTheCurrentName) {
  EXPECT_EQ(accepted(with(R"("max_completion_tokens":64)")).params.max_tokens, 64);
  EXPECT_EQ(accepted(with(R"("max_tokens":64,"max_completion_tokens":64)")).params.max_tokens, 64);
  EXPECT_EQ(accepted(with(R"("max_tokens":64.0)")).params.max_tokens, 64);
}

TEST(OpenAiRequest, IgnoredParametersAndNulls) {
  const CompletionRequest r = accepted(with(
      R"("user":"u-1","seed":7,"metadata":{"a":"b"},"store":false,"n":1,"presence_penalty":0,"frequency_penalty":0.0,)"
      R"("logprobs":false,"top_logprobs":null,"response_format":{"type":"text"},"tools":[],"tool_choice":"none",)"
      R"("logit_bias":{},"modalities":["text"],"parallel_tool_calls":true,"service_tier":"auto","something_new":1,)"
      R"("temperature":null,"max_tokens":null,"stop":null,"stream":null,"stream_options":null,"model":null)"));
  EXPECT_EQ(r.messages.size(), 1u);
  EXPECT_FALSE(r.model.has_value());
}

TEST(OpenAiRequest, TemperatureRange) {
  EXPECT_DOUBLE_EQ(*accepted(with(R"("temperature":0)")).params.temperature, 0.0);
  EXPECT_DOUBLE_EQ(*accepted(with(R"("temperature":1)")).params.temperature, 1.0);
}

struct Refusal {
  std::string name;
  std::string body;
  std::string param;
  std::string code;
};

// Every refused request: status 400, type invalid_request_error, and the exact param and code.
TEST(OpenAiRequest, RefusalsNameTheParameter) {
  const std::vector<Refusal> table = {
      {"no messages", R"({"model":"m"})", "messages", "missing_required_parameter"},
      {"messages not an array", R"({"messages":{}})", "messages", "invalid_type"},
      {"empty messages", R"({"messages":[]})", "messages", "invalid_value"},
      {"message not an object", R"({"messages":["hi"]})", "messages[0]", "invalid_type"},
      {"missing role", R"({"messages":[{"content":"hi"}]})", "messages[0].role", "missing_required_parameter"},
      {"role not a string", R"({"messages":[{"role":1,"content":"hi"}]})", "messages[0].role", "invalid_type"},
      {"wrong role", R"({"messages":[{"role":"robot","content":"hi"}]})", "messages[0].role", "invalid_value"},
      {"tool role", R"({"messages":[{"role":"user","content":"hi"},{"role":"tool","content":"x"}]})",
       "messages[1].role", "unsupported_value"},
      {"missing content", R"({"messages":[{"role":"user"}]})", "messages[0].content", "missing_required_parameter"},
      {"null content", R"({"messages":[{"role":"user","content":null}]})", "messages[0].content",
       "missing_required_parameter"},
      {"content a number", R"({"messages":[{"role":"user","content":5}]})", "messages[0].content", "invalid_type"},
      {"empty content", R"({"messages":[{"role":"user","content":"  \n"}]})", "messages[0].content", "invalid_value"},
      {"empty parts", R"({"messages":[{"role":"user","content":[]}]})", "messages[0].content", "invalid_value"},
      {"image part",
       R"({"messages":[{"role":"user","content":[{"type":"text","text":"what is this"},{"type":"image_url","image_url":{"url":"data:"}}]}]})",
       "messages[0].content[1].type", "unsupported_value"},
      {"part without text", R"({"messages":[{"role":"user","content":[{"type":"text"}]}]})",
       "messages[0].content[0].text", "missing_required_parameter"},
      {"part without type", R"({"messages":[{"role":"user","content":[{"text":"x"}]}]})", "messages[0].content[0].type",
       "missing_required_parameter"},
      {"tool calls",
       R"({"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"x","tool_calls":[{}]},{"role":"user","content":"y"}]})",
       "messages[1].tool_calls", "unsupported_parameter"},
      {"no user turn", R"({"messages":[{"role":"system","content":"s"},{"role":"assistant","content":"a"}]})",
       "messages", "invalid_value"},
      {"only system", R"({"messages":[{"role":"system","content":"s"}]})", "messages", "invalid_value"},
      {"last turn assistant", R"({"messages":[{"role":"user","content":"u"},{"role":"assistant","content":"a"}]})",
       "messages", "invalid_value"},
      {"model not a string", with(R"("model":7)"), "model", "invalid_type"},
      {"n above 1", with(R"("n":2)"), "n", "unsupported_value"},
      {"n zero", with(R"("n":0)"), "n", "invalid_value"},
      {"tools", with(R"("tools":[{"type":"function","function":{"name":"f"}}])"), "tools", "unsupported_parameter"},
      {"tool_choice", with(R"("tool_choice":"auto")"), "tool_choice", "unsupported_parameter"},
      {"functions", with(R"("functions":[{"name":"f"}])"), "functions", "unsupported_parameter"},
      {"function_call", with(R"("function_call":"auto")"), "function_call", "unsupported_parameter"},
      {"logprobs", with(R"("logprobs":true)"), "logprobs", "unsupported_value"},
      {"top_logprobs", with(R"("top_logprobs":2)"), "top_logprobs", "unsupported_parameter"},
      {"json response", with(R"("response_format":{"type":"json_object"})"), "response_format", "unsupported_value"},
      {"presence penalty", with(R"("presence_penalty":0.5)"), "presence_penalty", "unsupported_value"},
      {"frequency penalty", with(R"("frequency_penalty":-1)"), "frequency_penalty", "unsupported_value"},
      {"logit bias", with(R"("logit_bias":{"50256":-100})"), "logit_bias", "unsupported_parameter"},
      {"audio", with(R"("audio":{"voice":"alloy"})"), "audio", "unsupported_parameter"},
      {"audio modality", with(R"("modalities":["text","audio"])"), "modalities", "unsupported_value"},
      {"temperature above Llama's range", with(R"("temperature":1.5)"), "temperature", "unsupported_value"},
      {"temperature above OpenAI's range", with(R"("temperature":2.5)"), "temperature", "invalid_value"},
      {"negative temperature", with(R"("temperature":-0.1)"), "temperature", "invalid_value"},
      {"temperature a string", with(R"("temperature":"hot")"), "temperature", "invalid_type"},
      {"top_p above 1", with(R"("top_p":1.01)"), "top_p", "invalid_value"},
      {"max_tokens zero", with(R"("max_tokens":0)"), "max_tokens", "invalid_value"},
      {"max_tokens fractional", with(R"("max_tokens":1.5)"), "max_tokens", "invalid_type"},
      {"max_completion_tokens negative", with(R"("max_completion_tokens":-3)"), "max_completion_tokens",
       "invalid_value"},
      {"token limits differ", with(R"("max_tokens":10,"max_completion_tokens":20)"), "max_completion_tokens",
       "invalid_value"},
      {"five stops", with(R"("stop":["a","b","c","d","e"])"), "stop", "invalid_value"},
      {"empty stop", with(R"("stop":"")"), "stop", "invalid_value"},
      {"stop a number", with(R"("stop":1)"), "stop", "invalid_type"},
      {"stop array of numbers", with(R"("stop":[1])"), "stop", "invalid_type"},
      {"stream a string", with(R"("stream":"yes")"), "stream", "invalid_type"},
      {"stream_options without stream", with(R"("stream_options":{"include_usage":true})"), "stream_options",
       "invalid_value"},
      {"include_usage a string", with(R"("stream":true,"stream_options":{"include_usage":"yes"})"),
       "stream_options.include_usage", "invalid_type"},
  };
  for (const auto& row : table) {
    SCOPED_TRACE(row.name);
    const ApiError e = refused(row.body);
    EXPECT_EQ(e.status, 400u);
    EXPECT_EQ(e.type, "invalid_request_error");
    EXPECT_EQ(e.param, row.param);
    EXPECT_EQ(e.code, row.code);
    EXPECT_FALSE(e.message.empty());
  }
}

TEST(OpenAiRequest, RepeatedKeyIsRefusedByName) {
  const ApiError e = refused(R"({"model":"m","messages":[{"role":"user","content":"a","role":"system"}]})");
  EXPECT_EQ(e.status, 400u);
  EXPECT_EQ(e.message, "the request body names the key 'role' twice; send each key once");
}

TEST(OpenAiRequest, BodyThatIsNotAJsonObject) {
  for (const char* body : {"", "{", "[1]", "\"text\"", "null"}) {
    SCOPED_TRACE(body);
    const ApiError e = refused(body);
    EXPECT_EQ(e.status, 400u);
    EXPECT_EQ(e.type, "invalid_request_error");
    EXPECT_TRUE(e.param.empty());
  }
  const ApiError e = refused(with(""), "text/plain");
  EXPECT_EQ(e.status, 400u);
  EXPECT_NE(e.message.find("application/json"), std::string::npos) << e.message;
}

TEST(OpenAiRequest, MessagesTellWhatIsWrong) {
  EXPECT_EQ(refused(with(R"("n":3)")).message, "'n' above 1 is not supported: one choice per request");
  EXPECT_EQ(refused(with(R"("temperature":1.5)")).message,
            "'temperature' above 1 is not supported: Llama 3.3 70B on Bedrock takes 0 to 1");
  EXPECT_EQ(refused(R"({"messages":[{"role":"user","content":[{"type":"image_url"}]}]})").message,
            "content parts of type 'image_url' are not supported: Llama 3.3 70B on Bedrock takes text only");
}

}  // namespace
}  // namespace llamachat::api::openai
