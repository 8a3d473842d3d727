#include "backends/openai/wire.hpp"

#include <gtest/gtest.h>

namespace llamachat::backends::openai {
namespace {

chat::ChatRequest two_turns() {
  chat::ChatRequest request;
  request.system = "Be brief.";
  request.messages = {
      {chat::Role::user, "Hi \"there\""}, {chat::Role::assistant, "Hello."}, {chat::Role::user, "Why?"}};
  return request;
}

TEST(RequestBody, SendsMessagesAndOnlyTheParametersThatWereSet) {
  EXPECT_EQ(request_body(two_turns(), "llama3.3:70b"),
            R"({"model":"llama3.3:70b","messages":[{"role":"system","content":"Be brief."},)"
            R"({"role":"user","content":"Hi \"there\""},{"role":"assistant","content":"Hello."},)"
            R"({"role":"user","content":"Why?"}]})");
}

TEST(RequestBody, PassesSamplingAndStopThroughAndAsksForUsageOnlyWhenStreaming) {
  chat::ChatRequest request = two_turns();
  request.system.reset();
  request.messages.resize(1);
  request.params.max_tokens = 64;
  request.params.temperature = 0.25;
  request.params.top_p = 0.9;
  request.params.stop = {"\n\n", "END"};
  EXPECT_EQ(request_body(request, "m"),
            R"({"model":"m","messages":[{"role":"user","content":"Hi \"there\""}],"max_tokens":64,)"
            R"("temperature":0.25,"top_p":0.9,"stop":["\n\n","END"]})");
  request.stream = true;
  const std::string streaming = request_body(request, "m");
  EXPECT_NE(streaming.find(R"("stream":true,"stream_options":{"include_usage":true})"), std::string::npos);
}

TEST(WholeReply, ReadsTextFinishReasonAndUsage) {
  const auto parsed = parse_whole_reply(
      R"({"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Hi!"},)"
      R"("finish_reason":"length"}],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}})");
  ASSERT_TRUE(std::holds_alternative<WholeReply>(parsed));
  const auto& reply = std::get<WholeReply>(parsed);
  EXPECT_EQ(reply.text, "Hi!");
  EXPECT_EQ(reply.stop_reason, "length");
  ASSERT_TRUE(reply.usage.has_value());
  EXPECT_EQ(reply.usage->input_tokens, 5u);
  EXPECT_EQ(reply.usage->output_tokens, 2u);
}

TEST(WholeReply, AnUnusableBodyIsABadUpstreamResponseNamingIt) {
  const auto parsed = parse_whole_reply("<html>gateway</html>");
  ASSERT_TRUE(std::holds_alternative<chat::Error>(parsed));
  EXPECT_EQ(std::get<chat::Error>(parsed).kind, chat::ErrorKind::bad_upstream_response);
  EXPECT_NE(std::get<chat::Error>(parsed).message.find("<html>gateway"), std::string::npos);
}

TEST(StopReason, MapsFinishReasons) {
  EXPECT_EQ(stop_reason_of("stop"), "stop");
  EXPECT_EQ(stop_reason_of("length"), "length");
  EXPECT_EQ(stop_reason_of("content_filter"), "content_filtered");
}

TEST(Chunk, ReadsErrorObjectsInEveryShape) {
  auto wrapped = parse_chunk(R"({"error":{"object":"error","message":"overloaded","type":"x","code":503}})");
  ASSERT_TRUE(wrapped && wrapped->error_message);
  EXPECT_EQ(*wrapped->error_message, "overloaded");
  EXPECT_EQ(wrapped->error_status.value_or(0), 503u);
  auto bare = parse_chunk(R"({"object":"error","message":"bad","code":400})");
  ASSERT_TRUE(bare && bare->error_message);
  EXPECT_EQ(*bare->error_message, "bad");
  auto text = parse_chunk(R"({"error":"model went away"})");
  ASSERT_TRUE(text && text->error_message);
  EXPECT_EQ(*text->error_message, "model went away");
  EXPECT_FALSE(parse_chunk("{\"choices\":[{\"delta\":{\"content\":\"cut").has_value());
}

TEST(ModelList, ReadsTheIds) {
  const auto names = parse_model_list(R"({"object":"list","data":[{"id":"a","object":"model"},{"id":"b"}]})");
  ASSERT_TRUE(names.has_value());
  EXPECT_EQ(*names, (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(parse_model_list("[]").has_value());
}

}  // namespace
}  // namespace llamachat::backends::openai
