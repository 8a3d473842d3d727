#include "api/sse.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

namespace llamachat::api {
namespace {
namespace json = boost::json;

// The JSON of an SSE frame "event: <name>\ndata: <json>\n\n".
json::value data_of(const std::string& frame, std::string_view name) {
  const std::string head = "event: " + std::string(name) + "\ndata: ";
  EXPECT_EQ(frame.rfind(head, 0), 0u) << frame;
  EXPECT_TRUE(frame.ends_with("\n\n")) << frame;
  const std::string data = frame.substr(head.size(), frame.size() - head.size() - 2);
  EXPECT_EQ(data.find('\n'), std::string::npos) << "data must be one line: " << frame;
  return json::parse(data);
}

TEST(Sse, EventFraming) { EXPECT_EQ(sse_event("ping", "{}"), "event: ping\ndata: {}\n\n"); }

TEST(Sse, DeltaExactBytes) { EXPECT_EQ(sse_delta("Hello"), "event: delta\ndata: {\"delta\":\"Hello\"}\n\n"); }

TEST(Sse, DeltaEscapesQuotesBackslashesAndNewlines) {
  EXPECT_EQ(sse_delta("say \"hi\"\\\nnext\r\tx"),
            "event: delta\ndata: {\"delta\":\"say \\\"hi\\\"\\\\\\nnext\\r\\tx\"}\n\n");
}

TEST(Sse, DeltaEscapesControlCharacters) {
  EXPECT_EQ(sse_delta(std::string("a\x01"
                                  "b\x1f"
                                  "c\0d",
                                  7)),
            "event: delta\ndata: {\"delta\":\"a\\u0001b\\u001fc\\u0000d\"}\n\n");
  EXPECT_EQ(sse_delta("\x08\x0c"), "event: delta\ndata: {\"delta\":\"\\u0008\\u000c\"}\n\n");
}

TEST(Sse, DeltaKeepsUtf8AndPrintableAscii) {
  EXPECT_EQ(sse_delta("caf\xC3\xA9 \xE2\x98\x83 / < > & ' \x7f"),
            "event: delta\ndata: {\"delta\":\"caf\xC3\xA9 \xE2\x98\x83 / < > & ' \x7f\"}\n\n");
}

TEST(Sse, DeltaRoundTripsThroughAJsonParser) {
  std::string text;
  for (int c = 1; c < 128; ++c) text += static_cast<char>(c);
  text += "\xE6\x97\xA5\xE6\x9C\xAC";
  EXPECT_EQ(data_of(sse_delta(text), "delta").at("delta").as_string(), text);
}

TEST(Sse, DoneWithUsage) {
  const chat::Completion completion{"stop", chat::Usage{3, 2}};
  EXPECT_EQ(sse_done("Hello!", completion),
            "event: done\ndata: {\"reply\":\"Hello!\",\"stop_reason\":\"stop\",\"usage\":"
            "{\"input_tokens\":3,\"output_tokens\":2,\"total_tokens\":5}}\n\n");
}

TEST(Sse, DoneWithoutUsage) {
  EXPECT_EQ(sse_done("a\nb", chat::Completion{"end_turn", std::nullopt}),
            "event: done\ndata: {\"reply\":\"a\\nb\",\"stop_reason\":\"end_turn\",\"usage\":{}}\n\n");
}

TEST(Sse, Error) {
  EXPECT_EQ(sse_error("Llama invocation failed: \"x\""),
            "event: error\ndata: {\"error\":\"Llama invocation failed: \\\"x\\\"\"}\n\n");
  EXPECT_EQ(data_of(sse_error("line1\nline2"), "error").at("error").as_string(), "line1\nline2");
}

TEST(Sse, KeepAliveIsAComment) {
  EXPECT_EQ(kSseKeepAlive, ": keep-alive\n\n");
  EXPECT_EQ(kSseKeepAlive.front(), ':');
}

TEST(Sse, UsageJson) {
  EXPECT_EQ(usage_json(std::nullopt), "{}");
  EXPECT_EQ(usage_json(chat::Usage{0, 0}), "{\"input_tokens\":0,\"output_tokens\":0,\"total_tokens\":0}");
  const json::value v = json::parse(usage_json(chat::Usage{10'000'000'000ull, 5}));
  EXPECT_EQ(v.at("input_tokens").to_number<std::uint64_t>(), 10'000'000'000ull);
  EXPECT_EQ(v.at("output_tokens").to_number<std::uint64_t>(), 5u);
  EXPECT_EQ(v.at("total_tokens").to_number<std::uint64_t>(), 10'000'000'005ull);
}

TEST(Sse, DataOnlyEvent) {
  EXPECT_EQ(sse_data("{\"a\":1}"), "data: {\"a\":1}\n\n");
  EXPECT_EQ(sse_data("[DONE]"), "data: [DONE]\n\n");
}

TEST(Sse, ChatDeltaFrameWrapsTheQuotedText) {
  const DeltaFrame frame = chat_delta_frame();
  EXPECT_EQ(frame.prefix + "\"x\"" + frame.suffix, sse_delta("x"));
}

TEST(Sse, HeadOfEveryStream) {
  const http::Response head = sse_head(11, "offline");
  EXPECT_EQ(head.result_int(), 200);
  EXPECT_EQ(head[boost::beast::http::field::content_type], "text/event-stream; charset=utf-8");
  EXPECT_EQ(head[boost::beast::http::field::cache_control], "no-cache");
  EXPECT_EQ(head["X-Accel-Buffering"], "no");
  EXPECT_EQ(head["X-Llamachat-Backend"], "offline");
}

}  // namespace
}  // namespace llamachat::api
