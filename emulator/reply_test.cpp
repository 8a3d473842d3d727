#include "reply.hpp"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

namespace llamachat::emulator {
namespace {

// The three prompt shapes of the AWS Llama 3 documentation (docs/bedrock.md#prompt-template).
constexpr std::string_view kSingleTurn =
    "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nWhat can you help me with?<|eot_id|>"
    "<|start_header_id|>assistant<|end_header_id|>";
constexpr std::string_view kWithSystem =
    "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a helpful AI assistant for travel tips "
    "and recommendations<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nWhat can you help me with?<|eot_id|>"
    "<|start_header_id|>assistant<|end_header_id|>";
constexpr std::string_view kMultiTurn =
    "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nWhat is the capital of France?<|eot_id|>"
    "<|start_header_id|>assistant<|end_header_id|>\n\nThe capital of France is Paris!<|eot_id|>"
    "<|start_header_id|>user<|end_header_id|>\n\nWhat is the weather like in Paris?<|eot_id|>"
    "<|start_header_id|>assistant<|end_header_id|>";

TEST(Reply, LastUserTurnOfTheDocumentedTemplates) {
  EXPECT_EQ(last_user_turn(kSingleTurn), "What can you help me with?");
  EXPECT_EQ(last_user_turn(kWithSystem), "What can you help me with?");
  EXPECT_EQ(last_user_turn(kMultiTurn), "What is the weather like in Paris?");
  EXPECT_EQ(last_user_turn("plain prompt"), "plain prompt");
}

TEST(Reply, TextEchoesTheUserTurn) {
  Directives d;
  EXPECT_EQ(reply_text("  hello there \n", d), "Emulated reply: hello there");
  d.words = 3;
  EXPECT_EQ(reply_text("hi", d), "Emulated reply: hi word1 word2 word3");
  Directives empty;
  empty.empty = true;
  EXPECT_EQ(reply_text("hi", empty), "");
  Directives blank;
  blank.empty_whitespace = true;
  EXPECT_EQ(reply_text("hi", blank).find_first_not_of(" \t\n"), std::string::npos);
}

TEST(Reply, EchoIsCutAt200BytesOnACharacterBoundary) {
  Directives d;
  std::string long_text(199, 'a');
  long_text += "\xc3\xa9\xc3\xa9";  // "éé": the first one straddles byte 200
  const std::string text = reply_text(long_text, d);
  EXPECT_EQ(text, std::string(kReplyPrefix) + std::string(199, 'a'));
}

TEST(Reply, PiecesConcatenateToTheText) {
  const std::string text = "Emulated reply:  two  spaces\tand\nnewline ";
  const auto pieces = split_pieces(text);
  std::string joined;
  for (const auto& p : pieces) joined += p;
  EXPECT_EQ(joined, text);
  EXPECT_EQ(pieces.size(), 7u);  // trailing whitespace is a piece of its own
  EXPECT_EQ(pieces[0], "Emulated");
  EXPECT_EQ(pieces[1], " reply:");
  EXPECT_TRUE(split_pieces("").empty());
}

TEST(Reply, ShapesPutTheTextWhereTheOriginalClientLooks) {
  const Usage usage{5, 2};
  const auto text_at = [&](Shape shape) -> std::string {
    const auto body = reply_body(shape, "hi there", usage);
    const auto& o = body.as_object();
    switch (shape) {
      case Shape::generation: return std::string(o.at("generation").as_string());
      case Shape::completion: return std::string(o.at("completion").as_string());
      case Shape::text: return std::string(o.at("text").as_string());
      case Shape::choices:
        return std::string(o.at("choices").at(0).at("message").at("content").at(0).at("text").as_string());
      case Shape::messages: return std::string(o.at("messages").at(0).at("content").at(0).at("text").as_string());
      case Shape::converse: return std::string(o.at("output").at("message").at("content").at(0).at("text").as_string());
    }
    return {};
  };
  for (Shape s :
       {Shape::generation, Shape::completion, Shape::text, Shape::choices, Shape::messages, Shape::converse}) {
    EXPECT_EQ(text_at(s), "hi there") << to_string(s);
  }
  const auto llama = reply_body(Shape::generation, "x", usage).as_object();
  EXPECT_EQ(llama.at("prompt_token_count").to_number<std::int64_t>(), 5);
  EXPECT_EQ(llama.at("generation_token_count").to_number<std::int64_t>(), 2);
  EXPECT_EQ(llama.at("stop_reason").as_string(), "stop");
  const auto converse = reply_body(Shape::converse, "x", usage).as_object();
  EXPECT_EQ(converse.at("stopReason").as_string(), "end_turn");
  EXPECT_EQ(converse.at("usage").at("totalTokens").to_number<std::int64_t>(), 7);
  EXPECT_TRUE(converse.contains("metrics"));
}

TEST(Reply, InvokeBodyValidation) {
  EXPECT_TRUE(parse_invoke_body(R"({"prompt":"hi","max_gen_len":5})").ok);
  EXPECT_FALSE(parse_invoke_body("not json").ok);
  EXPECT_FALSE(parse_invoke_body(R"(["prompt"])").ok);
  const auto missing = parse_invoke_body(R"({"max_gen_len":5})");
  EXPECT_FALSE(missing.ok);
  EXPECT_NE(missing.error_message.find("required key [prompt]"), std::string::npos);
  EXPECT_FALSE(parse_invoke_body(R"({"prompt":5})").ok);
}

TEST(Reply, ConverseBodyValidation) {
  const auto ok = parse_converse_body(
      R"({"messages":[{"role":"user","content":[{"text":"first"}]},{"role":"assistant","content":[{"text":"a"}]},)"
      R"({"role":"user","content":[{"text":"second"},{"text":"part"}]}],"system":[{"text":"be brief"}]})");
  ASSERT_TRUE(ok.ok);
  EXPECT_EQ(ok.user_text, "second\npart");
  EXPECT_EQ(ok.input_tokens, 6u);
  EXPECT_FALSE(parse_converse_body(R"({"inferenceConfig":{}})").ok);
  EXPECT_FALSE(parse_converse_body(R"({"messages":[]})").ok);
  EXPECT_FALSE(parse_converse_body(R"({"messages":[{"role":"assistant","content":[{"text":"a"}]}]})").ok);
  EXPECT_FALSE(parse_converse_body(R"({"messages":[{"role":"robot","content":[]}]})").ok);
}

TEST(Reply, OnDemandRule) {
  EXPECT_TRUE(requires_inference_profile("meta.llama3-3-70b-instruct-v1:0", "us-east-1"));
  EXPECT_TRUE(requires_inference_profile("meta.llama3-3-70b-instruct-v1:0", "us-west-2"));
  EXPECT_FALSE(requires_inference_profile("meta.llama3-3-70b-instruct-v1:0", "us-east-2"));
  EXPECT_FALSE(requires_inference_profile("us.meta.llama3-3-70b-instruct-v1:0", "us-east-1"));
  EXPECT_TRUE(requires_inference_profile("arn:aws:bedrock:us-east-1::foundation-model/meta.llama3-3-70b-instruct-v1:0",
                                         "us-east-1"));
  EXPECT_TRUE(requires_inference_profile("emulator-on-demand-only", "us-east-2"));
  // The exact AWS text (docs/bedrock.md#model-ids), with its typographic apostrophe.
  EXPECT_EQ(on_demand_message("meta.llama3-3-70b-instruct-v1:0"),
            "Invocation of model ID meta.llama3-3-70b-instruct-v1:0 with on-demand throughput isn\xE2\x80\x99t "
            "supported. Retry your request with the ID or ARN of an inference profile that contains this model.");
}

TEST(Reply, ModelArns) {
  EXPECT_EQ(model_arn("meta.llama3-3-70b-instruct-v1:0", "us-east-1"),
            "arn:aws:bedrock:us-east-1::foundation-model/meta.llama3-3-70b-instruct-v1:0");
  EXPECT_EQ(model_arn("us.meta.llama3-3-70b-instruct-v1:0", "us-east-1"),
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.meta.llama3-3-70b-instruct-v1:0");
  const auto denied =
      fault_reply(Fault::access_denied, Operation::converse_stream, "us.meta.llama3-3-70b-instruct-v1:0", "us-east-1");
  EXPECT_EQ(denied.status, 403u);
  EXPECT_NE(denied.message.find("bedrock:InvokeModelWithResponseStream"), std::string::npos);
  EXPECT_NE(denied.message.find("inference-profile/us.meta.llama3-3-70b-instruct-v1:0"), std::string::npos);
}

}  // namespace
}  // namespace llamachat::emulator
