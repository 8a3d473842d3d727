#include "backends/offline/offline_backend.hpp"

#include <gtest/gtest.h>

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <string>
#include <vector>

#include "support/run_async.hpp"

namespace llamachat::backends::offline {
namespace {
namespace net = boost::asio;

// Records every delta; can refuse from the n-th delta on (a client that went away), or emit the
// request's cancel signal after the n-th delta.
class RecordingSink final : public chat::EventSink {
 public:
  net::awaitable<bool> on_delta(std::string_view text) override {
    deltas.emplace_back(text);
    if (cancel_after && deltas.size() == *cancel_after && cancel) cancel->emit();
    // Emitted after this delta, once the backend waits before the next word.
    if (cancel_while_pausing_after && deltas.size() == *cancel_while_pausing_after && cancel) {
      const auto executor = co_await net::this_coro::executor;
      auto emit = [signal = cancel] { signal->emit(); };  // named: decision 0003
      net::post(executor, std::move(emit));
    }
    co_return !(refuse_from && deltas.size() >= *refuse_from);
  }
  std::string text() const {
    std::string out;
    for (const auto& d : deltas) out += d;
    return out;
  }
  std::vector<std::string> deltas;
  std::optional<std::size_t> refuse_from;
  std::optional<std::size_t> cancel_after;
  std::optional<std::size_t> cancel_while_pausing_after;
  std::shared_ptr<chat::CancelSignal> cancel;
};

chat::ChatRequest request_for(std::vector<chat::Message> messages) {
  chat::ChatRequest r;
  r.system = chat::kDefaultSystemPrompt;
  r.messages = std::move(messages);
  return r;
}

std::string quoted_echo(const std::string& reply) {
  const std::string open = "You said: \"";
  const auto begin = reply.find(open);
  const auto end = reply.find("\". ");
  if (begin == std::string::npos || end == std::string::npos) return "<no echo>";
  return reply.substr(begin + open.size(), end - begin - open.size());
}

TEST(OfflineReply, EchoesTheLastUserMessage) {
  const std::string reply = offline_reply(request_for({{chat::Role::user, "first"},
                                                       {chat::Role::assistant, "answer"},
                                                       {chat::Role::user, "second question"},
                                                       {chat::Role::assistant, "trailing assistant"}}));
  EXPECT_EQ(quoted_echo(reply), "second question");
  EXPECT_EQ(reply.rfind("[offline] ", 0), 0u) << reply;
}

TEST(OfflineReply, IsDeterministic) {
  const auto r = request_for({{chat::Role::user, "Hello"}});
  EXPECT_EQ(offline_reply(r), offline_reply(r));
  EXPECT_NE(offline_reply(r), offline_reply(request_for({{chat::Role::user, "Bye"}})));
}

TEST(OfflineReply, SaysHowToReachBedrock) {
  const std::string reply = offline_reply(request_for({{chat::Role::user, "Hello"}}));
  EXPECT_NE(reply.find("AWS_REGION"), std::string::npos) << reply;
  EXPECT_NE(reply.find("BEDROCK_MODEL_ID"), std::string::npos) << reply;
  EXPECT_NE(reply.find("offline"), std::string::npos) << reply;
}

TEST(OfflineReply, NoUserMessageEchoesNothing) {
  EXPECT_EQ(quoted_echo(offline_reply(request_for({}))), "");
  EXPECT_EQ(quoted_echo(offline_reply(request_for({{chat::Role::assistant, "hi"}}))), "");
}

TEST(OfflineReply, ShortInputIsEchoedWhole) {
  const std::string text(200, 'a');
  EXPECT_EQ(quoted_echo(offline_reply(request_for({{chat::Role::user, text}}))), text);
}

TEST(OfflineReply, LongInputIsTruncated) {
  const std::string text(500, 'b');
  EXPECT_EQ(quoted_echo(offline_reply(request_for({{chat::Role::user, text}}))), std::string(200, 'b') + "...");
}

TEST(OfflineReply, TruncationKeepsUtf8CharactersWhole) {
  // 199 ASCII bytes, then "é" (C3 A9) straddling the 200-byte limit.
  const std::string text = std::string(199, 'c') + "\xC3\xA9" + std::string(50, 'd');
  EXPECT_EQ(quoted_echo(offline_reply(request_for({{chat::Role::user, text}}))), std::string(199, 'c') + "...");
  // A 3-byte character ending exactly at the limit stays.
  const std::string snow = std::string(197, 'e') + "\xE2\x98\x83" + "tail";
  EXPECT_EQ(quoted_echo(offline_reply(request_for({{chat::Role::user, snow}}))),
            std::string(197, 'e') + "\xE2\x98\x83...");
}

TEST(OfflineReply, ShowsTheFactsInTheSystemPrompt) {
  auto request = request_for({{chat::Role::user, "What is my name?"}});
  request.system = std::string(chat::kDefaultSystemPrompt) + "\n\nYou are talking to Zoë. The user likes blue.";
  const std::string reply = offline_reply(request);
  EXPECT_NE(reply.find("I remember that you are Zoë and that you like blue. "), std::string::npos) << reply;
  request.system = "You are talking to Zoë.";
  EXPECT_NE(offline_reply(request).find("I remember that you are Zoë. "), std::string::npos);
  request.system = "The user likes blue.";
  EXPECT_NE(offline_reply(request).find("I remember that you like blue. "), std::string::npos);
  request.system = chat::kDefaultSystemPrompt;
  EXPECT_EQ(offline_reply(request).find("I remember"), std::string::npos);
}

TEST(OfflineReply, CountsTheUserTurnsOfTheConversation) {
  const auto one = offline_reply(request_for({{chat::Role::user, "Hi"}}));
  EXPECT_EQ(one.find("This is message"), std::string::npos);
  const auto three = offline_reply(request_for({{chat::Role::user, "a"},
                                                {chat::Role::assistant, "b"},
                                                {chat::Role::user, "c"},
                                                {chat::Role::assistant, "d"},
                                                {chat::Role::user, "e"}}));
  EXPECT_NE(three.find("This is message 3 of our conversation. "), std::string::npos) << three;
  EXPECT_EQ(quoted_echo(three), "e");
}

TEST(OfflineBackend, Info) {
  const OfflineBackend backend;
  const chat::BackendInfo info = backend.info();
  EXPECT_EQ(info.name, "offline");
  EXPECT_EQ(info.model, "offline");
  EXPECT_TRUE(info.offline);
}

TEST(OfflineBackend, StreamsWordsThatConcatenateToTheReply) {
  OfflineBackend backend;
  const auto request = request_for({{chat::Role::user, "Hello there, model"}});
  RecordingSink sink;
  const chat::Outcome outcome = test::run_async(backend.stream(request, sink));
  ASSERT_TRUE(std::holds_alternative<chat::Completion>(outcome));
  EXPECT_GT(sink.deltas.size(), 5u);
  EXPECT_EQ(sink.text(), offline_reply(request));
  for (std::size_t i = 0; i + 1 < sink.deltas.size(); ++i) {
    EXPECT_FALSE(sink.deltas[i].empty());
    EXPECT_EQ(sink.deltas[i].back(), ' ') << "each piece is a word with its trailing space: " << sink.deltas[i];
  }
  const auto& completion = std::get<chat::Completion>(outcome);
  EXPECT_EQ(completion.stop_reason, "stop");
  ASSERT_TRUE(completion.usage.has_value());
  EXPECT_EQ(completion.usage->output_tokens, sink.deltas.size());
  EXPECT_EQ(completion.usage->input_tokens, 3u);  // "Hello there, model" is three words
}

TEST(OfflineBackend, InputUsageCountsEveryMessage) {
  OfflineBackend backend;
  RecordingSink sink;
  const auto request = request_for(
      {{chat::Role::user, "one two"}, {chat::Role::assistant, "three"}, {chat::Role::user, "four five six"}});
  const chat::Outcome outcome = test::run_async(backend.stream(request, sink));
  ASSERT_TRUE(std::holds_alternative<chat::Completion>(outcome));
  EXPECT_EQ(std::get<chat::Completion>(outcome).usage->input_tokens, 6u);
}

TEST(OfflineBackend, DelayBetweenWordsStillDeliversEverything) {
  OfflineBackend backend(OfflineOptions{std::chrono::milliseconds(1)});
  RecordingSink sink;
  const auto request = request_for({{chat::Role::user, "Hi"}});
  const chat::Outcome outcome = test::run_async(backend.stream(request, sink));
  ASSERT_TRUE(std::holds_alternative<chat::Completion>(outcome));
  EXPECT_EQ(sink.text(), offline_reply(request));
}

TEST(OfflineBackend, StopsWhenTheSinkRefuses) {
  OfflineBackend backend;
  RecordingSink sink;
  sink.refuse_from = 3;
  const chat::Outcome outcome = test::run_async(backend.stream(request_for({{chat::Role::user, "Hi"}}), sink));
  ASSERT_TRUE(std::holds_alternative<chat::Error>(outcome));
  EXPECT_EQ(std::get<chat::Error>(outcome).kind, chat::ErrorKind::cancelled);
  EXPECT_EQ(sink.deltas.size(), 3u);  // nothing after the refused delta
}

TEST(OfflineBackend, StopsWhenCancelSignalWasEmitted) {
  OfflineBackend backend;
  auto request = request_for({{chat::Role::user, "Hi"}});
  request.cancel = std::make_shared<chat::CancelSignal>();
  RecordingSink sink;
  sink.cancel = request.cancel;
  sink.cancel_after = 2;
  const chat::Outcome outcome = test::run_async(backend.stream(request, sink));
  ASSERT_TRUE(std::holds_alternative<chat::Error>(outcome));
  EXPECT_EQ(std::get<chat::Error>(outcome).kind, chat::ErrorKind::cancelled);
  EXPECT_EQ(sink.deltas.size(), 2u);
}

TEST(OfflineBackend, CancelEndsThePauseBetweenWords) {
  // With an hour between words, only the cancel signal can end the wait.
  OfflineBackend backend(OfflineOptions{std::chrono::hours(1)});
  auto request = request_for({{chat::Role::user, "Hi"}});
  request.cancel = std::make_shared<chat::CancelSignal>();
  RecordingSink sink;
  sink.cancel = request.cancel;
  sink.cancel_while_pausing_after = 1;
  const chat::Outcome outcome = test::run_async(backend.stream(request, sink));
  ASSERT_TRUE(std::holds_alternative<chat::Error>(outcome));
  EXPECT_EQ(std::get<chat::Error>(outcome).kind, chat::ErrorKind::cancelled);
  EXPECT_EQ(sink.deltas.size(), 1u);
}

TEST(OfflineBackend, AlreadyCancelledSendsNothing) {
  OfflineBackend backend;
  auto request = request_for({{chat::Role::user, "Hi"}});
  request.cancel = std::make_shared<chat::CancelSignal>();
  request.cancel->emit();
  RecordingSink sink;
  const chat::Outcome outcome = test::run_async(backend.stream(request, sink));
  ASSERT_TRUE(std::holds_alternative<chat::Error>(outcome));
  EXPECT_EQ(std::get<chat::Error>(outcome).kind, chat::ErrorKind::cancelled);
  EXPECT_TRUE(sink.deltas.empty());
}

}  // namespace
}  // namespace llamachat::backends::offline
