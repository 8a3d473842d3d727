#include "chat/backend.hpp"

#include <gtest/gtest.h>

#include "support/run_async.hpp"

namespace llamachat::chat {
namespace {
namespace net = boost::asio;

net::awaitable<bool> feed(EventSink& sink, std::vector<std::string> pieces) {
  bool all = true;
  for (const auto& p : pieces) all = (co_await sink.on_delta(p)) && all;
  co_return all;
}

TEST(AccumulatingSink, KeepsEveryDeltaInOrder) {
  AccumulatingSink sink;
  EXPECT_TRUE(test::run_async(feed(sink, {"Hel", "lo", "", ", ", "w\xC3\xB6rld"})));
  EXPECT_EQ(sink.text(), "Hello, w\xC3\xB6rld");
}

TEST(AccumulatingSink, StartsEmpty) {
  AccumulatingSink sink;
  EXPECT_EQ(sink.text(), "");
}

TEST(AccumulatingSink, TakeMovesTheText) {
  AccumulatingSink sink;
  test::run_async(feed(sink, {"abc"}));
  EXPECT_EQ(sink.take(), "abc");
  test::run_async(feed(sink, {"d"}));
  EXPECT_EQ(sink.text().back(), 'd');
}

TEST(ChatTypes, Defaults) {
  const ChatRequest r;
  EXPECT_FALSE(r.system.has_value());
  EXPECT_TRUE(r.messages.empty());
  EXPECT_FALSE(r.stream);
  EXPECT_EQ(r.cancel, nullptr);
  EXPECT_FALSE(r.deadline.has_value());
  const Message m;
  EXPECT_EQ(m.role, Role::user);
  const Error e;
  EXPECT_EQ(e.kind, ErrorKind::upstream_failure);
  EXPECT_FALSE(e.retry_after_seconds.has_value());
  const std::string prompt = kDefaultSystemPrompt;
  EXPECT_NE(prompt.find("Respond ONLY with the assistant's direct reply"), std::string::npos);
}

}  // namespace
}  // namespace llamachat::chat
