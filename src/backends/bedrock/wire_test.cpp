#include "backends/bedrock/wire.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

#include "backends/bedrock/prompt.hpp"

namespace llamachat::backends::bedrock {
namespace {
namespace json = boost::json;

constexpr std::string_view kProfile = "us.meta.llama3-3-70b-instruct-v1:0";
constexpr std::string_view kProfileArn =
    "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.meta.llama3-3-70b-instruct-v1:0";

chat::ChatRequest simple_request() {
  chat::ChatRequest r;
  r.system = "You are helpful.";
  r.messages = {{chat::Role::user, "Hello"}};
  return r;
}

ParsedReply expect_reply(std::string_view body) {
  auto result = parse_reply(body);
  if (auto* e = std::get_if<chat::Error>(&result)) {
    ADD_FAILURE() << "unexpected error: " << e->message;
    return {};
  }
  return std::get<ParsedReply>(result);
}

chat::Error expect_error(std::string_view body) {
  auto result = parse_reply(body);
  if (auto* r = std::get_if<ParsedReply>(&result)) {
    ADD_FAILURE() << "unexpected reply: " << r->text;
    return {};
  }
  return std::get<chat::Error>(result);
}

// docs/bedrock.md#model-id-encoding.
TEST(EncodeModelId, ColonBecomesPercent3A) {
  EXPECT_EQ(encode_model_id(kProfile), "us.meta.llama3-3-70b-instruct-v1%3A0");
  EXPECT_EQ(encode_model_id("meta.llama3-3-70b-instruct-v1:0"), "meta.llama3-3-70b-instruct-v1%3A0");
}

TEST(EncodeModelId, ArnColonsAndSlashAreEncoded) {
  EXPECT_EQ(
      encode_model_id(kProfileArn),
      "arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.meta.llama3-3-70b-instruct-v1%3A0");
}

TEST(EncodeModelId, OnlyUnreservedCharactersStay) {
  EXPECT_EQ(encode_model_id("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(encode_model_id("a b+c%d?e#f"), "a%20b%2Bc%25d%3Fe%23f");
  EXPECT_EQ(encode_model_id("\xC3\xA9"), "%C3%A9");  // upper-case hex, byte by byte
  EXPECT_EQ(encode_model_id(""), "");
}

TEST(OperationPath, AllFourOperations) {
  EXPECT_EQ(operation_path(kProfile, Operation::invoke), "/model/us.meta.llama3-3-70b-instruct-v1%3A0/invoke");
  EXPECT_EQ(operation_path(kProfile, Operation::invoke_stream),
            "/model/us.meta.llama3-3-70b-instruct-v1%3A0/invoke-with-response-stream");
  EXPECT_EQ(operation_path(kProfile, Operation::converse), "/model/us.meta.llama3-3-70b-instruct-v1%3A0/converse");
  EXPECT_EQ(operation_path(kProfile, Operation::converse_stream),
            "/model/us.meta.llama3-3-70b-instruct-v1%3A0/converse-stream");
}

TEST(OperationPath, ArnConverseMatchesBotocoreCapture) {
  EXPECT_EQ(operation_path(kProfileArn, Operation::converse),
            "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2F"
            "us.meta.llama3-3-70b-instruct-v1%3A0/converse");
}

// docs/bedrock.md#operations: Converse authorizes as InvokeModel, ConverseStream as the stream action.
TEST(OperationNames, IamActionsUseTheBedrockPrefix) {
  EXPECT_EQ(iam_action(Operation::invoke), "bedrock:InvokeModel");
  EXPECT_EQ(iam_action(Operation::converse), "bedrock:InvokeModel");
  EXPECT_EQ(iam_action(Operation::invoke_stream), "bedrock:InvokeModelWithResponseStream");
  EXPECT_EQ(iam_action(Operation::converse_stream), "bedrock:InvokeModelWithResponseStream");
}

TEST(InvokeBody, DefaultsOfTheOriginalDesign) {
  const auto request = simple_request();
  const json::value v = json::parse(invoke_body(request, Defaults{}));
  const json::object& o = v.as_object();
  EXPECT_EQ(o.size(), 4u);
  EXPECT_EQ(o.at("prompt").as_string(), build_llama3_prompt(request));
  ASSERT_TRUE(o.at("max_gen_len").is_int64());
  EXPECT_EQ(o.at("max_gen_len").as_int64(), 512);
  EXPECT_DOUBLE_EQ(o.at("temperature").as_double(), 0.5);
  EXPECT_DOUBLE_EQ(o.at("top_p").as_double(), 0.9);
  EXPECT_FALSE(o.contains("images"));
  EXPECT_FALSE(o.contains("stop"));
}

TEST(InvokeBody, RequestParamsOverrideDefaults) {
  auto request = simple_request();
  request.params.max_tokens = 100;
  request.params.temperature = 0.0;
  request.params.top_p = 1.0;
  const json::object o = json::parse(invoke_body(request, Defaults{})).as_object();
  EXPECT_EQ(o.at("max_gen_len").as_int64(), 100);
  EXPECT_EQ(o.at("temperature").to_number<double>(), 0.0);
  EXPECT_EQ(o.at("top_p").to_number<double>(), 1.0);
}

TEST(InvokeBody, ConfiguredDefaultsApplyWhenRequestIsSilent) {
  const json::object o = json::parse(invoke_body(simple_request(), Defaults{2048, 0.2, 0.7})).as_object();
  EXPECT_EQ(o.at("max_gen_len").as_int64(), 2048);
  EXPECT_DOUBLE_EQ(o.at("temperature").as_double(), 0.2);
  EXPECT_DOUBLE_EQ(o.at("top_p").as_double(), 0.7);
}

TEST(InvokeBody, PromptWithQuotesAndNewlinesRoundTrips) {
  chat::ChatRequest request;
  request.messages = {{chat::Role::user, "say \"hi\"\n\\ and \x01 done \xE2\x98\x83"}};
  const json::object o = json::parse(invoke_body(request, Defaults{})).as_object();
  EXPECT_EQ(o.at("prompt").as_string(), build_llama3_prompt(request));
}

TEST(ConverseBody, MessagesSystemAndInferenceConfig) {
  chat::ChatRequest request;
  request.system = "You are helpful.";
  request.messages = {{chat::Role::user, "Hi"}, {chat::Role::assistant, "Hello!"}, {chat::Role::user, "Bye"}};
  const json::value expected = json::parse(R"({
    "messages": [
      {"role": "user", "content": [{"text": "Hi"}]},
      {"role": "assistant", "content": [{"text": "Hello!"}]},
      {"role": "user", "content": [{"text": "Bye"}]}
    ],
    "system": [{"text": "You are helpful."}],
    "inferenceConfig": {"maxTokens": 512, "temperature": 0.5, "topP": 0.9}
  })");
  EXPECT_EQ(json::parse(converse_body(request, Defaults{})), expected);
}

TEST(ConverseBody, NoSystemFieldWithoutSystemText) {
  chat::ChatRequest request;
  request.messages = {{chat::Role::user, "Hi"}};
  const json::object o = json::parse(converse_body(request, Defaults{})).as_object();
  EXPECT_FALSE(o.contains("system"));
  request.system = "";
  EXPECT_FALSE(json::parse(converse_body(request, Defaults{})).as_object().contains("system"));
}

TEST(ConverseBody, SystemRoleMessagesMoveToSystem) {
  chat::ChatRequest request;
  request.system = "first";
  request.messages = {{chat::Role::system, "second"}, {chat::Role::user, "Hi"}};
  const json::object o = json::parse(converse_body(request, Defaults{})).as_object();
  EXPECT_EQ(o.at("system"), json::parse(R"([{"text":"first"},{"text":"second"}])"));
  EXPECT_EQ(o.at("messages"), json::parse(R"([{"role":"user","content":[{"text":"Hi"}]}])"));
}

TEST(ConverseBody, ParamsOverride) {
  chat::ChatRequest request;
  request.messages = {{chat::Role::user, "Hi"}};
  request.params.max_tokens = 7;
  request.params.temperature = 0.25;
  request.params.top_p = 0.5;
  const json::object o = json::parse(converse_body(request, Defaults{})).as_object();
  EXPECT_EQ(o.at("inferenceConfig"), json::parse(R"({"maxTokens":7,"temperature":0.25,"topP":0.5})"));
}

chat::ChatRequest multi_turn_request() {
  chat::ChatRequest r;
  r.system = "Be brief.\n\nYou are talking to Zo\u00eb.";
  r.messages = {{chat::Role::user, "My name is Zo\u00eb."},
                {chat::Role::assistant, "Hi Zo\u00eb! <|eot_id|>"},
                {chat::Role::user, "What is my name?"}};
  r.params.stop = {"\n\nUser:"};
  return r;
}

TEST(InvokeBody, MultiTurnGolden) {
  // The whole body, byte for byte: every turn in the Llama 3 template, template tokens in any turn's text
  // neutralised (U+FF5C), no stop parameter (the native body has none; the API layer cuts the text).
  const std::string expected =
      R"({"prompt":"<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.\n\nYou are talking to Zo\u00eb.<|eot_id|>)"
      R"(<|start_header_id|>user<|end_header_id|>\n\nMy name is Zo\u00eb.<|eot_id|>)"
      R"(<|start_header_id|>assistant<|end_header_id|>\n\nHi Zo\u00eb! <\uff5ceot_id\uff5c><|eot_id|>)"
      R"(<|start_header_id|>user<|end_header_id|>\n\nWhat is my name?<|eot_id|>)"
      R"(<|start_header_id|>assistant<|end_header_id|>\n\n","max_gen_len":512,"temperature":0.5,"top_p":0.9})";
  const std::string body = invoke_body(multi_turn_request(), Defaults{});
  EXPECT_EQ(json::parse(body), json::parse(expected)) << body;
  EXPECT_EQ(body.find("\\n\\nUser:"), std::string::npos);
}

TEST(ConverseBody, MultiTurnGolden) {
  const std::string expected = R"({"messages":[)"
                               R"({"role":"user","content":[{"text":"My name is Zo\u00eb."}]},)"
                               R"({"role":"assistant","content":[{"text":"Hi Zo\u00eb! <|eot_id|>"}]},)"
                               R"({"role":"user","content":[{"text":"What is my name?"}]}],)"
                               R"("system":[{"text":"Be brief.\n\nYou are talking to Zo\u00eb."}],)"
                               R"("inferenceConfig":{"maxTokens":512,"temperature":5E-1,"topP":9E-1,)"
                               R"("stopSequences":["\n\nUser:"]}})";
  EXPECT_EQ(json::parse(converse_body(multi_turn_request(), Defaults{})), json::parse(expected));
  EXPECT_EQ(converse_refusal(multi_turn_request()), std::nullopt);
}

TEST(ConverseBody, ConsecutiveTurnsOfOneRoleBecomeOneMessage) {
  chat::ChatRequest request;
  request.messages = {{chat::Role::user, "first"}, {chat::Role::user, "second"}, {chat::Role::assistant, "a"},
                      {chat::Role::system, "sys"}, {chat::Role::assistant, "b"}, {chat::Role::user, "third"}};
  const json::object o = json::parse(converse_body(request, Defaults{})).as_object();
  EXPECT_EQ(o.at("messages"), json::parse(R"([
    {"role": "user", "content": [{"text": "first"}, {"text": "second"}]},
    {"role": "assistant", "content": [{"text": "a"}, {"text": "b"}]},
    {"role": "user", "content": [{"text": "third"}]}])"));
  EXPECT_EQ(o.at("system"), json::parse(R"([{"text":"sys"}])"));
}

TEST(ConverseBody, TheFirstTurnIsTheUsers) {
  chat::ChatRequest request;
  request.messages = {{chat::Role::assistant, "Hello! How can I help?"}, {chat::Role::user, "Hi"}};
  const json::object o = json::parse(converse_body(request, Defaults{})).as_object();
  EXPECT_EQ(o.at("messages"), json::parse(R"([{"role":"user","content":[{"text":"Hi"}]}])"));
}

TEST(ConverseBody, NoStopSequencesField) {
  const json::object o = json::parse(converse_body(simple_request(), Defaults{})).as_object();
  EXPECT_FALSE(o.at("inferenceConfig").as_object().contains("stopSequences"));
}

TEST(ConverseRefusal, BlankTurnNamesTheMessage) {
  chat::ChatRequest request;
  request.messages = {{chat::Role::user, "Hi"}, {chat::Role::assistant, " \n"}, {chat::Role::user, "again"}};
  const auto refusal = converse_refusal(request);
  ASSERT_TRUE(refusal.has_value());
  EXPECT_EQ(refusal->kind, chat::ErrorKind::invalid_request);
  EXPECT_EQ(refusal->message, "messages[1]: an assistant turn without text cannot be sent to Bedrock's Converse API");
  request.messages = {{chat::Role::user, ""}};
  ASSERT_TRUE(converse_refusal(request).has_value());
  EXPECT_EQ(converse_refusal(request)->message.substr(0, 12), "messages[0]:");
}

TEST(ConverseRefusal, NoUserTurn) {
  chat::ChatRequest request;
  request.messages = {{chat::Role::system, "rules"}, {chat::Role::assistant, "hello"}};
  const auto refusal = converse_refusal(request);
  ASSERT_TRUE(refusal.has_value());
  EXPECT_EQ(refusal->kind, chat::ErrorKind::invalid_request);
  EXPECT_EQ(refusal->message, "messages: no user turn to answer");
}

TEST(ConverseRefusal, StopSequences) {
  auto request = simple_request();
  request.params.stop = {"a", ""};
  ASSERT_TRUE(converse_refusal(request).has_value());
  EXPECT_EQ(converse_refusal(request)->message, "stop: a stop sequence is empty");
  request.params.stop.assign(kConverseMaxStopSequences, "x");
  EXPECT_EQ(converse_refusal(request), std::nullopt);
  request.params.stop.push_back("y");
  ASSERT_TRUE(converse_refusal(request).has_value());
  EXPECT_EQ(converse_refusal(request)->kind, chat::ErrorKind::invalid_request);
  EXPECT_EQ(converse_refusal(request)->message, "stop: at most 2500 stop sequences, got 2501");
}

// --- parse_reply: the original design's five shapes, plus Converse's output.message ---

TEST(ParseReply, LlamaNativeGeneration) {
  const auto r = expect_reply(
      R"({"generation":"\n\nHello! How can I help?","prompt_token_count":17,"generation_token_count":8,"stop_reason":"stop"})");
  EXPECT_EQ(r.text, "Hello! How can I help?");
  EXPECT_EQ(r.stop_reason, "stop");
  ASSERT_TRUE(r.usage.has_value());
  EXPECT_EQ(r.usage->input_tokens, 17u);
  EXPECT_EQ(r.usage->output_tokens, 8u);
}

TEST(ParseReply, Completion) { EXPECT_EQ(expect_reply(R"({"completion":" done "})").text, "done"); }

TEST(ParseReply, Text) { EXPECT_EQ(expect_reply(R"({"text":"plain"})").text, "plain"); }

TEST(ParseReply, Choices) {
  EXPECT_EQ(expect_reply(R"({"choices":[{"message":{"content":[{"text":"from choices"}]}}]})").text, "from choices");
}

TEST(ParseReply, Messages) {
  EXPECT_EQ(expect_reply(R"({"messages":[{"content":[{"text":"from messages"}]}]})").text, "from messages");
}

TEST(ParseReply, ConverseOutput) {
  const auto r = expect_reply(R"({"output":{"message":{"role":"assistant","content":[{"text":"\n conversed \t"}]}},
      "stopReason":"end_turn","usage":{"inputTokens":12,"outputTokens":3,"totalTokens":15},"metrics":{"latencyMs":100}})");
  EXPECT_EQ(r.text, "conversed");
  EXPECT_EQ(r.stop_reason, "end_turn");
  ASSERT_TRUE(r.usage.has_value());
  EXPECT_EQ(r.usage->input_tokens, 12u);
  EXPECT_EQ(r.usage->output_tokens, 3u);
}

TEST(ParseReply, OrderOfPreference) {
  const std::string all = R"({"generation":"g","completion":"c","text":"t",
      "choices":[{"message":{"content":[{"text":"ch"}]}}],"messages":[{"content":[{"text":"m"}]}],
      "output":{"message":{"content":[{"text":"o"}]}}})";
  EXPECT_EQ(expect_reply(all).text, "g");
  EXPECT_EQ(expect_reply(R"({"completion":"c","text":"t"})").text, "c");
  EXPECT_EQ(expect_reply(R"({"text":"t","choices":[{"message":{"content":[{"text":"ch"}]}}]})").text, "t");
  EXPECT_EQ(
      expect_reply(R"({"choices":[{"message":{"content":[{"text":"ch"}]}}],"messages":[{"content":[{"text":"m"}]}]})")
          .text,
      "ch");
  EXPECT_EQ(
      expect_reply(R"({"messages":[{"content":[{"text":"m"}]}],"output":{"message":{"content":[{"text":"o"}]}}})").text,
      "m");
}

TEST(ParseReply, BlankOrWrongTypedEarlierFieldsFallThrough) {
  EXPECT_EQ(expect_reply(R"({"generation":"   ","completion":"From completion"})").text, "From completion");
  EXPECT_EQ(expect_reply(R"({"generation":"\n\n","completion":"","text":"t"})").text, "t");
  EXPECT_EQ(
      expect_reply(R"({"generation":null,"completion":42,"text":["x"],"messages":[{"content":[{"text":"m"}]}]})").text,
      "m");
  EXPECT_EQ(expect_reply(R"({"choices":[],"output":{"message":{"content":[{"text":"o"}]}}})").text, "o");
  EXPECT_EQ(expect_reply(R"({"choices":[{"message":"x"}],"messages":[{"content":[]}],"text":" ok "})").text, "ok");
}

TEST(ParseReply, NoUsageWhenTokenCountsAbsent) {
  const auto r = expect_reply(R"({"generation":"x"})");
  EXPECT_FALSE(r.usage.has_value());
  EXPECT_EQ(r.stop_reason, "");
}

TEST(ParseReply, PartialTokenCounts) {
  const auto r = expect_reply(R"({"generation":"x","generation_token_count":4})");
  ASSERT_TRUE(r.usage.has_value());
  EXPECT_EQ(r.usage->input_tokens, 0u);
  EXPECT_EQ(r.usage->output_tokens, 4u);
  EXPECT_FALSE(expect_reply(R"({"generation":"x","prompt_token_count":-1})").usage.has_value());
  EXPECT_FALSE(expect_reply(R"({"generation":"x","prompt_token_count":"3"})").usage.has_value());
}

TEST(ParseReply, LengthStopReason) {
  EXPECT_EQ(expect_reply(R"({"generation":"cut","stop_reason":"length"})").stop_reason, "length");
}

TEST(ParseReply, NoTextIsBadUpstreamResponseNamingTheBody) {
  const std::string body = R"({"generation":"  ","foo":"bar"})";
  const chat::Error e = expect_error(body);
  EXPECT_EQ(e.kind, chat::ErrorKind::bad_upstream_response);
  EXPECT_EQ(e.message, "No valid text found in Bedrock response: " + body);
}

TEST(ParseReply, EmptyObjectAndNonObjectJson) {
  EXPECT_EQ(expect_error("{}").kind, chat::ErrorKind::bad_upstream_response);
  EXPECT_EQ(expect_error("[]").kind, chat::ErrorKind::bad_upstream_response);
  EXPECT_EQ(expect_error("\"text\"").kind, chat::ErrorKind::bad_upstream_response);
  EXPECT_EQ(expect_error("null").kind, chat::ErrorKind::bad_upstream_response);
}

TEST(ParseReply, LongBodyIsTruncatedInTheMessage) {
  const std::string body = R"({"unexpected":")" + std::string(500, 'x') + R"("})";
  const chat::Error e = expect_error(body);
  EXPECT_EQ(e.kind, chat::ErrorKind::bad_upstream_response);
  EXPECT_EQ(e.message, "No valid text found in Bedrock response: " + body.substr(0, 200) + "...");
}

TEST(ParseReply, NotJson) {
  const chat::Error e = expect_error("<html>Bad Gateway</html>");
  EXPECT_EQ(e.kind, chat::ErrorKind::bad_upstream_response);
  EXPECT_NE(e.message.find("Failed to parse Bedrock response body"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("<html>Bad Gateway</html>"), std::string::npos) << e.message;
  EXPECT_EQ(expect_error("").kind, chat::ErrorKind::bad_upstream_response);
  EXPECT_EQ(expect_error(R"({"generation":"x")").kind, chat::ErrorKind::bad_upstream_response);  // truncated
}

TEST(TruncateForMessage, ShortTextUnchanged) {
  EXPECT_EQ(truncate_for_message(""), "");
  EXPECT_EQ(truncate_for_message(std::string(200, 'a')), std::string(200, 'a'));
  EXPECT_EQ(truncate_for_message("abc", 3), "abc");
}

TEST(TruncateForMessage, LongTextCutWithEllipsis) {
  EXPECT_EQ(truncate_for_message(std::string(201, 'a')), std::string(200, 'a') + "...");
  EXPECT_EQ(truncate_for_message("abcdef", 3), "abc...");
}

TEST(TruncateForMessage, KeepsUtf8CharactersWhole) {
  // "é" is two bytes (C3 A9): a cut at 2 would split the first one after "a".
  const std::string text = "a\xC3\xA9\xC3\xA9";
  EXPECT_EQ(truncate_for_message(text, 2), "a...");
  EXPECT_EQ(truncate_for_message(text, 3), "a\xC3\xA9...");
  // A 3-byte character (U+2603 snowman, E2 98 83) cut anywhere inside is dropped whole.
  const std::string snow = "xy\xE2\x98\x83z";
  EXPECT_EQ(truncate_for_message(snow, 3), "xy...");
  EXPECT_EQ(truncate_for_message(snow, 4), "xy...");
  EXPECT_EQ(truncate_for_message(snow, 5), "xy\xE2\x98\x83...");
  // 4-byte character (U+1F600, F0 9F 98 80).
  const std::string emoji = std::string(199, 'a') + "\xF0\x9F\x98\x80" + "b";
  EXPECT_EQ(truncate_for_message(emoji), std::string(199, 'a') + "...");
}

}  // namespace
}  // namespace llamachat::backends::bedrock
