#include "api/openai/response.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace llamachat::api::openai {
namespace {
namespace json = boost::json;

const CompletionIds kIds{"chatcmpl-abc", 1700000000, "us.meta.llama3-3-70b-instruct-v1:0"};

// The JSON of one data-only SSE event.
json::value event_json(std::string_view event) {
  EXPECT_TRUE(event.starts_with("data: ")) << event;
  EXPECT_TRUE(event.ends_with("\n\n")) << event;
  return json::parse(event.substr(6, event.size() - 8));
}

TEST(OpenAiResponse, FinishReasons) {
  EXPECT_EQ(finish_reason("stop"), "stop");
  EXPECT_EQ(finish_reason("end_turn"), "stop");
  EXPECT_EQ(finish_reason("stop_sequence"), "stop");
  EXPECT_EQ(finish_reason("length"), "length");
  EXPECT_EQ(finish_reason("max_tokens"), "length");
  EXPECT_EQ(finish_reason("time_limit"), "length");
  EXPECT_EQ(finish_reason("content_filtered"), "content_filter");
  EXPECT_EQ(finish_reason("guardrail_intervened"), "content_filter");
}

TEST(OpenAiResponse, ErrorObject) {
  ApiError e{400, "invalid_request_error", "bad \"n\"", "n", "unsupported_value", std::nullopt};
  EXPECT_EQ(
      error_json(e),
      R"({"error":{"message":"bad \"n\"","type":"invalid_request_error","param":"n","code":"unsupported_value"}})");
  e.param.clear();
  e.code.clear();
  EXPECT_EQ(error_json(e),
            R"({"error":{"message":"bad \"n\"","type":"invalid_request_error","param":null,"code":null}})");
  EXPECT_EQ(error_event(e), "data: " + error_json(e) + "\n\n");
}

TEST(OpenAiResponse, Completion) {
  const std::string text = completion_json(kIds, "Hi \"there\"\n", "stop", {12, 3});
  EXPECT_EQ(text, R"({"id":"chatcmpl-abc","object":"chat.completion","created":1700000000,)"
                  R"("model":"us.meta.llama3-3-70b-instruct-v1:0","choices":[{"index":0,"message":{"role":"assistant",)"
                  R"("content":"Hi \"there\"\n","refusal":null},"logprobs":null,"finish_reason":"stop"}],)"
                  R"("usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15}})");
  EXPECT_NO_THROW(json::parse(text));
}

TEST(OpenAiResponse, StreamChunks) {
  const json::value role = event_json(role_event(kIds, false));
  EXPECT_EQ(role.at("object"), "chat.completion.chunk");
  EXPECT_EQ(role.at("id"), "chatcmpl-abc");
  EXPECT_EQ(role.at("created"), 1700000000);
  EXPECT_EQ(role.at("model"), "us.meta.llama3-3-70b-instruct-v1:0");
  EXPECT_EQ(role.at("choices").at(0).at("delta").at("role"), "assistant");
  EXPECT_TRUE(role.at("choices").at(0).at("finish_reason").is_null());
  EXPECT_FALSE(role.as_object().contains("usage"));

  const DeltaFrame frame = content_delta_frame(kIds, false);
  const std::string delta = frame.prefix + R"("Hel\"lo")" + frame.suffix;
  const json::value content = event_json(delta);
  EXPECT_EQ(content.at("choices").at(0).at("delta").at("content"), "Hel\"lo");
  EXPECT_FALSE(content.at("choices").at(0).at("delta").as_object().contains("role"));
  EXPECT_TRUE(content.at("choices").at(0).at("finish_reason").is_null());

  const json::value finish = event_json(finish_event(kIds, "length", false));
  EXPECT_EQ(finish.at("choices").at(0).at("finish_reason"), "length");
  EXPECT_TRUE(finish.at("choices").at(0).at("delta").as_object().empty());
}

TEST(OpenAiResponse, IncludeUsageAddsNullUsageToEveryChunkAndAFinalUsageChunk) {
  EXPECT_TRUE(event_json(role_event(kIds, true)).at("usage").is_null());
  const DeltaFrame frame = content_delta_frame(kIds, true);
  EXPECT_TRUE(event_json(frame.prefix + "\"x\"" + frame.suffix).at("usage").is_null());
  EXPECT_TRUE(event_json(finish_event(kIds, "stop", true)).at("usage").is_null());
  const json::value usage = event_json(usage_event(kIds, {7, 5}));
  EXPECT_EQ(usage.at("object"), "chat.completion.chunk");
  EXPECT_EQ(usage.at("id"), "chatcmpl-abc");
  EXPECT_TRUE(usage.at("choices").as_array().empty());
  EXPECT_EQ(usage.at("usage").at("prompt_tokens"), 7);
  EXPECT_EQ(usage.at("usage").at("completion_tokens"), 5);
  EXPECT_EQ(usage.at("usage").at("total_tokens"), 12);
}

TEST(OpenAiResponse, Models) {
  EXPECT_EQ(model_json("offline", "llamachat"),
            R"({"id":"offline","object":"model","created":0,"owned_by":"llamachat"})");
  EXPECT_EQ(model_list_json("m:0", "bedrock"),
            R"({"object":"list","data":[{"id":"m:0","object":"model","created":0,"owned_by":"bedrock"}]})");
}

}  // namespace
}  // namespace llamachat::api::openai
