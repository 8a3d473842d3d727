#include "api/chat_request.hpp"

#include <gtest/gtest.h>

#include <string>

#include "support/text.hpp"

namespace llamachat::api {
namespace {

constexpr std::string_view kJson = "application/json";

ChatInput expect_input(std::string_view content_type, std::string_view body) {
  auto result = parse_chat_input(content_type, body);
  if (auto* e = std::get_if<HttpError>(&result)) {
    ADD_FAILURE() << "unexpected error " << e->status << ": " << e->message;
    return {};
  }
  return std::get<ChatInput>(result);
}

HttpError expect_error(std::string_view content_type, std::string_view body) {
  auto result = parse_chat_input(content_type, body);
  if (auto* input = std::get_if<ChatInput>(&result)) {
    ADD_FAILURE() << "unexpected success: " << input->message;
    return {};
  }
  return std::get<HttpError>(result);
}

using test::contains;

TEST(JsonContentType, Accepted) {
  EXPECT_TRUE(is_json_content_type("application/json"));
  EXPECT_TRUE(is_json_content_type("application/json; charset=utf-8"));
  EXPECT_TRUE(is_json_content_type("application/json;charset=UTF-8"));
  EXPECT_TRUE(is_json_content_type("Application/JSON"));
  EXPECT_TRUE(is_json_content_type("  application/json  ; charset=utf-8"));
}

TEST(JsonContentType, Rejected) {
  EXPECT_FALSE(is_json_content_type(""));
  EXPECT_FALSE(is_json_content_type("text/plain"));
  EXPECT_FALSE(is_json_content_type("application/x-www-form-urlencoded"));
  EXPECT_FALSE(is_json_content_type("application/jsonx"));
  EXPECT_FALSE(is_json_content_type("application/json-patch+json"));
  EXPECT_FALSE(is_json_content_type("text/json"));
  EXPECT_FALSE(is_json_content_type("multipart/form-data; boundary=application/json"));
}

TEST(AcceptsEventStream, Recognised) {
  EXPECT_TRUE(accepts_event_stream("text/event-stream"));
  EXPECT_TRUE(accepts_event_stream("TEXT/Event-Stream"));
  EXPECT_TRUE(accepts_event_stream("application/json, text/event-stream"));
  EXPECT_TRUE(accepts_event_stream("text/event-stream;q=0.9, application/json"));
  EXPECT_TRUE(accepts_event_stream("application/json ,  text/event-stream ; q=1"));
}

TEST(AcceptsEventStream, NotRequested) {
  EXPECT_FALSE(accepts_event_stream(""));
  EXPECT_FALSE(accepts_event_stream("*/*"));
  EXPECT_FALSE(accepts_event_stream("application/json"));
  EXPECT_FALSE(accepts_event_stream("text/event-streams"));
  EXPECT_FALSE(accepts_event_stream("text/*"));
  EXPECT_FALSE(accepts_event_stream(","));
}

TEST(ParseChatInput, ValidMessage) {
  const ChatInput in = expect_input(kJson, R"({"message":"Hello"})");
  EXPECT_EQ(in.message, "Hello");
  EXPECT_FALSE(in.stream);
}

TEST(ParseChatInput, MessageIsTrimmed) {
  EXPECT_EQ(expect_input(kJson, R"({"message":"  \n\tHello there \r\n"})").message, "Hello there");
}

TEST(ParseChatInput, ContentTypeParametersAndCase) {
  EXPECT_EQ(expect_input("Application/Json; charset=UTF-8", R"({"message":"x"})").message, "x");
}

TEST(ParseChatInput, UnicodeAndEscapesSurvive) {
  EXPECT_EQ(expect_input(kJson, R"({"message":"caf\u00e9 \"q\" \\ ☃"})").message, "caf\xC3\xA9 \"q\" \\ \xE2\x98\x83");
}

TEST(ParseChatInput, ExtraFieldsAreIgnored) {
  EXPECT_EQ(expect_input(kJson, R"({"message":"x","foo":[1,2],"bar":{}})").message, "x");
}

TEST(ParseChatInput, StreamFlag) {
  EXPECT_TRUE(expect_input(kJson, R"({"message":"x","stream":true})").stream);
  EXPECT_FALSE(expect_input(kJson, R"({"message":"x","stream":false})").stream);
  EXPECT_FALSE(expect_input(kJson, R"({"message":"x","stream":null})").stream);
}

TEST(ParseChatInput, WrongContentType) {
  const HttpError e = expect_error("text/plain", R"({"message":"x"})");
  EXPECT_EQ(e.status, 400u);
  EXPECT_TRUE(contains(e.message, "Content-Type 'text/plain'")) << e.message;
  EXPECT_TRUE(contains(e.message, "application/json")) << e.message;
}

TEST(ParseChatInput, MissingContentType) {
  const HttpError e = expect_error("", R"({"message":"x"})");
  EXPECT_EQ(e.status, 400u);
  EXPECT_TRUE(contains(e.message, "no Content-Type")) << e.message;
}

TEST(ParseChatInput, InvalidJson) {
  for (const char* body : {"", "{", "message=hi", R"({"message":"x",})", R"({"message":"x"} trailing)"}) {
    const HttpError e = expect_error(kJson, body);
    EXPECT_EQ(e.status, 400u) << body;
    EXPECT_TRUE(contains(e.message, "not valid JSON")) << e.message;
    EXPECT_TRUE(contains(e.message, R"({"message": "Hello"})")) << e.message;  // shows an example
  }
}

TEST(ParseChatInput, RepeatedKeyIsRefusedByName) {
  const HttpError e = expect_error(kJson, R"({"message":"a","message":"b"})");
  EXPECT_EQ(e.status, 400u);
  EXPECT_EQ(e.message, "request body names the key \"message\" twice; send each key once");
}

TEST(ParseChatInput, NestingDeeperThanTheLimitIsRefused) {
  const std::string body = R"({"message":"x","extra":)" + std::string(40, '[') + std::string(40, ']') + "}";
  const HttpError e = expect_error(kJson, body);
  EXPECT_EQ(e.status, 400u);
  EXPECT_TRUE(contains(e.message, "more than 32 levels deep")) << e.message;
}

TEST(ParseChatInput, NotAnObject) {
  for (const char* body : {R"(["message"])", R"("Hello")", "42", "null", "true"}) {
    const HttpError e = expect_error(kJson, body);
    EXPECT_EQ(e.status, 400u) << body;
    EXPECT_TRUE(contains(e.message, "JSON object")) << e.message;
  }
}

TEST(ParseChatInput, MissingMessage) {
  const HttpError e = expect_error(kJson, R"({"msg":"Hello"})");
  EXPECT_EQ(e.status, 400u);
  EXPECT_TRUE(contains(e.message, "missing \"message\"")) << e.message;
}

TEST(ParseChatInput, MessageNotAString) {
  for (const char* body : {R"({"message":42})", R"({"message":null})", R"({"message":["Hello"]})",
                           R"({"message":{"text":"Hello"}})", R"({"message":true})"}) {
    const HttpError e = expect_error(kJson, body);
    EXPECT_EQ(e.status, 400u) << body;
    EXPECT_TRUE(contains(e.message, "\"message\" must be a string")) << e.message;
  }
}

// The original design's wording for a blank message.
TEST(ParseChatInput, EmptyMessage) {
  for (const char* body : {R"({"message":""})", R"({"message":"   "})", R"({"message":"\n\t\r "})"}) {
    const HttpError e = expect_error(kJson, body);
    EXPECT_EQ(e.status, 400u) << body;
    EXPECT_EQ(e.message, "Message cannot be empty.");
  }
}

TEST(ParseChatInput, StreamMustBeBoolean) {
  for (const char* body :
       {R"({"message":"x","stream":"yes"})", R"({"message":"x","stream":1})", R"({"message":"x","stream":[]})"}) {
    const HttpError e = expect_error(kJson, body);
    EXPECT_EQ(e.status, 400u) << body;
    EXPECT_TRUE(contains(e.message, "\"stream\" must be true or false")) << e.message;
  }
}

}  // namespace
}  // namespace llamachat::api
