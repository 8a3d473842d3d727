#include "chat/stop_sequences.hpp"

#include <gtest/gtest.h>

#include <optional>

#include "support/run_async.hpp"

namespace llamachat::chat {
namespace {
namespace net = boost::asio;

// Feeds `deltas` to a cutter, then flushes unless a stop was seen; returns everything emitted.
std::string cut(std::vector<std::string> stops, const std::vector<std::string>& deltas) {
  StopCutter cutter(std::move(stops));
  std::string out;
  for (const auto& d : deltas) out += cutter.feed(d);
  out += cutter.flush();
  return out;
}

TEST(StopCutter, NoStopStringsPassesEverythingThrough) {
  StopCutter cutter({});
  EXPECT_EQ(cutter.feed("Hello, "), "Hello, ");
  EXPECT_EQ(cutter.feed("world"), "world");
  EXPECT_EQ(cutter.flush(), "");
  EXPECT_FALSE(cutter.stopped());
}

TEST(StopCutter, NoMatchFlushesTheWholeReply) {
  EXPECT_EQ(cut({"STOP"}, {"a reply with ST", "ARS; SO: ST", "O", "RE not ST"}),
            "a reply with STARS; SO: STORE not ST");
  EXPECT_EQ(cut({"END"}, {"nothing to cut, EN"}), "nothing to cut, EN");
  EXPECT_EQ(cut({"END"}, {"E", "N"}), "EN");
}

TEST(StopCutter, StopStringSplitAtEverySplitPoint) {
  const std::string reply = "The answer is 42.\n\nUser: next question";
  const std::string stop = "\n\nUser:";
  const std::string expected = "The answer is 42.";
  const std::size_t at = reply.find(stop);
  // Every way of cutting the reply into two or three deltas around (and inside) the stop string.
  for (std::size_t i = 0; i <= reply.size(); ++i) {
    EXPECT_EQ(cut({stop}, {reply.substr(0, i), reply.substr(i)}), expected) << "split at " << i;
    for (std::size_t j = i; j <= std::min(reply.size(), at + stop.size() + 1); ++j) {
      EXPECT_EQ(cut({stop}, {reply.substr(0, i), reply.substr(i, j - i), reply.substr(j)}), expected)
          << "splits at " << i << ", " << j;
    }
  }
  // One byte per delta.
  std::vector<std::string> bytes;
  for (const char c : reply) bytes.emplace_back(1, c);
  EXPECT_EQ(cut({stop}, bytes), expected);
}

TEST(StopCutter, EmitsTextAsSoonAsItCannotBeginAStop) {
  StopCutter cutter({"<END>"});
  EXPECT_EQ(cutter.feed("abc <"), "abc ");  // "<" may begin "<END>"
  EXPECT_EQ(cutter.feed("E"), "");
  EXPECT_EQ(cutter.feed("x"), "<Ex");  // it did not
  EXPECT_EQ(cutter.feed("y <EN"), "y ");
  EXPECT_EQ(cutter.feed("D> tail"), "");
  EXPECT_TRUE(cutter.stopped());
  EXPECT_EQ(cutter.feed("more"), "");
  EXPECT_EQ(cutter.flush(), "");
}

TEST(StopCutter, StopAtTheVeryStart) {
  EXPECT_EQ(cut({"Hello"}, {"Hello world"}), "");
  EXPECT_EQ(cut({"Hello"}, {"He", "llo world"}), "");
  StopCutter cutter({"x"});
  EXPECT_EQ(cutter.feed("x"), "");
  EXPECT_TRUE(cutter.stopped());
}

TEST(StopCutter, SeveralStopStringsTheFirstCompletedWins) {
  EXPECT_EQ(cut({"world", "lo"}, {"Hello world"}), "Hel");
  EXPECT_EQ(cut({"lo", "world"}, {"Hel", "lo world"}), "Hel");
  // "c" completes before "abcd" could: the reply stops at "c", whatever the split.
  EXPECT_EQ(cut({"abcd", "c"}, {"xabcd"}), "xab");
  EXPECT_EQ(cut({"abcd", "c"}, {"xa", "b", "cd"}), "xab");
  // Both complete at the same byte: the longer one (earlier start) wins.
  EXPECT_EQ(cut({"d", "bcd"}, {"abcde"}), "a");
  EXPECT_EQ(cut({"bcd", "d"}, {"ab", "cde"}), "a");
}

TEST(StopCutter, OverlappingPrefixesAreHeldUntilResolved) {
  // "aab" must be found although "aa" first looks like a failed match of "aab".
  EXPECT_EQ(cut({"aab"}, {"xa", "a", "aab!"}), "xaa");
  EXPECT_EQ(cut({"abab"}, {"ab", "aab", "ab"}), "aba");
}

TEST(StopCutter, EmptyStopStringsAreIgnored) {
  EXPECT_EQ(cut({""}, {"Hello"}), "Hello");
  EXPECT_EQ(cut({"", "l"}, {"Hello"}), "He");
  StopCutter cutter({""});
  EXPECT_EQ(cutter.feed("abc"), "abc");
  EXPECT_FALSE(cutter.stopped());
}

TEST(StopCutter, NeverSplitsAUtf8CodePoint) {
  // "Zoë" with the two bytes of "ë" in separate deltas: nothing half-encoded is emitted.
  StopCutter cutter({"STOP"});
  EXPECT_EQ(cutter.feed("Zo\xC3"), "Zo");
  EXPECT_EQ(cutter.feed("\xAB!"), "\xC3\xAB!");
  // A four-byte emoji split three ways.
  EXPECT_EQ(cutter.feed("\xF0\x9F"), "");
  EXPECT_EQ(cutter.feed("\x98"), "");
  EXPECT_EQ(cutter.feed("\x80 ok"), "\xF0\x9F\x98\x80 ok");
  EXPECT_FALSE(cutter.stopped());
}

TEST(StopCutter, MultibyteStopStrings) {
  const std::string reply = "答案是四十二。用户：下一个";
  const std::string stop = "用户：";
  for (std::size_t i = 0; i <= reply.size(); ++i)
    EXPECT_EQ(cut({stop}, {reply.substr(0, i), reply.substr(i)}), "答案是四十二。") << "split at " << i;
}

// Records deltas; refuses from the n-th on when asked.
class RecordingSink final : public EventSink {
 public:
  net::awaitable<bool> on_delta(std::string_view text) override {
    deltas.emplace_back(text);
    co_return !(refuse_from && deltas.size() >= *refuse_from);
  }
  std::vector<std::string> deltas;
  std::optional<std::size_t> refuse_from;
};

net::awaitable<std::vector<bool>> deliver(StopCuttingSink& sink, std::vector<std::string> deltas, bool finish) {
  std::vector<bool> results;
  for (const auto& d : deltas) {
    const bool ok = co_await sink.on_delta(d);
    results.push_back(ok);
  }
  if (finish) {
    const bool ok = co_await sink.finish();
    results.push_back(ok);
  }
  co_return results;
}

TEST(StopCuttingSink, ForwardsTheCutTextAndAsksTheBackendToStop) {
  RecordingSink inner;
  StopCuttingSink sink(inner, {"###"});
  const auto results = test::run_async(deliver(sink, {"one ", "two #", "## three"}, false));
  EXPECT_EQ(results, (std::vector<bool>{true, true, false}));
  EXPECT_EQ(inner.deltas, (std::vector<std::string>{"one ", "two "}));
  EXPECT_TRUE(sink.stopped());
}

TEST(StopCuttingSink, FinishDeliversHeldBackText) {
  RecordingSink inner;
  StopCuttingSink sink(inner, {"###"});
  const auto results = test::run_async(deliver(sink, {"one ", "two ##"}, true));
  EXPECT_EQ(results, (std::vector<bool>{true, true, true}));
  EXPECT_EQ(inner.deltas, (std::vector<std::string>{"one ", "two ", "##"}));
  EXPECT_FALSE(sink.stopped());
}

TEST(StopCuttingSink, NothingHeldMeansNoExtraDelta) {
  RecordingSink inner;
  StopCuttingSink sink(inner, {"###"});
  test::run_async(deliver(sink, {"plain"}, true));
  EXPECT_EQ(inner.deltas, (std::vector<std::string>{"plain"}));
}

TEST(StopCuttingSink, AGoneClientStillEndsTheCall) {
  RecordingSink inner;
  inner.refuse_from = 1;
  StopCuttingSink sink(inner, {"###"});
  const auto results = test::run_async(deliver(sink, {"one "}, false));
  EXPECT_EQ(results, (std::vector<bool>{false}));
  EXPECT_FALSE(sink.stopped());
}

TEST(StopCuttingSink, StopInTheFirstDeltaSendsNothing) {
  RecordingSink inner;
  StopCuttingSink sink(inner, {"Sure"});
  const auto results = test::run_async(deliver(sink, {"Sure, here", " it is"}, false));
  EXPECT_EQ(results, (std::vector<bool>{false, false}));
  EXPECT_TRUE(inner.deltas.empty());
}

}  // namespace
}  // namespace llamachat::chat
