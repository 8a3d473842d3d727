#include "backends/openai/sse_parser.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "backends/openai/wire.hpp"

namespace llamachat::backends::openai {
namespace {

namespace fs = std::filesystem;

std::string fixture(const std::string& name) {
  const fs::path dir =
      fs::path(__FILE__).parent_path().parent_path().parent_path().parent_path() / "tests" / "fixtures" / "openai";
  std::ifstream in(dir / name, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<SseEvent> parse_in_pieces(std::string_view body, const std::vector<std::size_t>& cuts) {
  SseParser parser;
  std::vector<SseEvent> events;
  std::size_t from = 0;
  for (const std::size_t cut : cuts) {
    EXPECT_EQ(parser.feed(body.substr(from, cut - from), events), SseError::none);
    from = cut;
  }
  EXPECT_EQ(parser.feed(body.substr(from), events), SseError::none);
  EXPECT_TRUE(parser.finished_cleanly());
  return events;
}

struct Reply {
  std::string text;
  std::string finish_reason;
  std::optional<chat::Usage> usage;
  bool done = false;
};

Reply replay(const std::vector<SseEvent>& events) {
  Reply reply;
  for (const auto& event : events) {
    if (is_done_marker(event)) {
      reply.done = true;
      continue;
    }
    const auto chunk = parse_chunk(event.data);
    EXPECT_TRUE(chunk.has_value()) << event.data;
    if (!chunk) continue;
    reply.text += chunk->text;
    if (!chunk->finish_reason.empty()) reply.finish_reason = chunk->finish_reason;
    if (chunk->usage) reply.usage = chunk->usage;
  }
  return reply;
}

class RecordedStream : public ::testing::TestWithParam<const char*> {};

TEST_P(RecordedStream, WholeFeedGivesTheReplyItsUsageAndTheEnd) {
  const std::string body = fixture(GetParam());
  ASSERT_FALSE(body.empty());
  const Reply reply = replay(parse_in_pieces(body, {}));
  EXPECT_EQ(reply.text, "Hello! How can I help?");
  EXPECT_EQ(reply.finish_reason, "stop");
  ASSERT_TRUE(reply.usage.has_value());
  EXPECT_EQ(reply.usage->input_tokens, 42u);
  EXPECT_EQ(reply.usage->output_tokens, 8u);
  EXPECT_TRUE(reply.done);
}

TEST_P(RecordedStream, EverySplitPointGivesTheSameEvents) {
  const std::string body = fixture(GetParam());
  const std::vector<SseEvent> whole = parse_in_pieces(body, {});
  ASSERT_GT(whole.size(), 8u);
  for (std::size_t cut = 1; cut < body.size(); ++cut) {
    const auto events = parse_in_pieces(body, {cut});
    ASSERT_TRUE(events == whole) << "split at byte " << cut;
  }
}

TEST_P(RecordedStream, OddSizedFeedsGiveTheSameEvents) {
  const std::string body = fixture(GetParam());
  const std::vector<SseEvent> whole = parse_in_pieces(body, {});
  for (const std::size_t size : {1u, 2u, 3u, 5u, 7u, 13u, 64u, 127u}) {
    std::vector<std::size_t> cuts;
    for (std::size_t at = size; at < body.size(); at += size) cuts.push_back(at);
    const auto events = parse_in_pieces(body, cuts);
    ASSERT_TRUE(events == whole) << "feeds of " << size << " bytes";
  }
}

INSTANTIATE_TEST_SUITE_P(Servers, RecordedStream,
                         ::testing::Values("vllm_stream.txt", "ollama_stream.txt", "llamacpp_stream.txt"));

TEST(SseParser, JoinsDataLinesWithNewlinesAndKeepsTheEventType) {
  SseParser parser;
  std::vector<SseEvent> events;
  ASSERT_EQ(parser.feed("event: error\ndata: {\"a\":\ndata:1}\n\n", events), SseError::none);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "error");
  EXPECT_EQ(events[0].data, "{\"a\":\n1}");
}

TEST(SseParser, AcceptsBareCarriageReturnsSplitBeforeTheirLineFeed) {
  SseParser parser;
  std::vector<SseEvent> events;
  ASSERT_EQ(parser.feed("data: one\r", events), SseError::none);
  ASSERT_EQ(parser.feed("\n\r", events), SseError::none);  // CRLF across feeds, then a bare CR: the empty line
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "one");
  ASSERT_EQ(parser.feed("data: two\r\r", events), SseError::none);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].data, "two");
}

TEST(SseParser, CommentsAndUnknownFieldsDispatchNothing) {
  SseParser parser;
  std::vector<SseEvent> events;
  ASSERT_EQ(parser.feed(": ping\n\nid: 7\nretry: 10\n\n", events), SseError::none);
  EXPECT_TRUE(events.empty());
}

TEST(SseParser, ReadsLlamaCppErrorLinesAsErrorEvents) {
  SseParser parser;
  std::vector<SseEvent> events;
  ASSERT_EQ(parser.feed("error: {\"code\":500,\"message\":\"boom\"}\n\n", events), SseError::none);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "error");
  const auto chunk = parse_chunk(events[0].data);
  ASSERT_TRUE(chunk.has_value());
  EXPECT_EQ(chunk->error_message.value_or(""), "boom");
}

TEST(SseParser, AnUnterminatedEventIsNotDispatched) {
  SseParser parser;
  std::vector<SseEvent> events;
  ASSERT_EQ(parser.feed("data: half", events), SseError::none);
  EXPECT_TRUE(events.empty());
  EXPECT_FALSE(parser.finished_cleanly());
}

TEST(SseParser, RefusesAnEndlessLine) {
  SseParser parser(16);
  std::vector<SseEvent> events;
  EXPECT_EQ(parser.feed("data: 0123456789", events), SseError::none);
  EXPECT_EQ(parser.feed("abcdef", events), SseError::line_too_long);
  EXPECT_EQ(parser.feed("\n\n", events), SseError::line_too_long);
  EXPECT_TRUE(events.empty());
}

// Found by the fuzz target's bound check: data lines without the empty line that ends an event used to
// accumulate without limit, each line being short.
TEST(SseParser, RefusesAnEndlessEvent) {
  SseParser parser(16);
  std::vector<SseEvent> events;
  EXPECT_EQ(parser.feed("data: 0123\ndata: 4567\n", events), SseError::none);
  EXPECT_EQ(parser.feed("data: 89ab\ndata: cdef\n", events), SseError::event_too_long);
  EXPECT_EQ(parser.feed("\n", events), SseError::event_too_long);
  EXPECT_TRUE(events.empty());
}

TEST(SseParser, AnEventOfExactlyTheLimitIsDispatched) {
  SseParser parser(16);
  std::vector<SseEvent> events;
  // Joined data "0123456\n0123456" plus the pending line feed: 16 bytes.
  EXPECT_EQ(parser.feed("data: 0123456\ndata: 0123456\n\n", events), SseError::none);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "0123456\n0123456");
}

}  // namespace
}  // namespace llamachat::backends::openai
