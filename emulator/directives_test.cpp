#include "directives.hpp"

#include <gtest/gtest.h>

namespace llamachat::emulator {
namespace {

TEST(Directives, FaultsAndFlags) {
  Directives d;
  EXPECT_TRUE(apply_directive("throttle", d));
  EXPECT_EQ(d.fault, Fault::throttle);
  EXPECT_TRUE(apply_directive("503", d));
  EXPECT_EQ(d.fault, Fault::unavailable);  // the last fault wins
  EXPECT_TRUE(apply_directive("nonjson", d));
  EXPECT_TRUE(d.nonjson);
  EXPECT_TRUE(apply_directive("drop_mid_body", d));
  EXPECT_TRUE(d.drop_mid_body);
  EXPECT_FALSE(d.drop);
  EXPECT_EQ(d.applied, (std::vector<std::string>{"throttle", "503", "nonjson", "drop_mid_body"}));
}

TEST(Directives, ResetsAreAbortiveDrops) {
  Directives before_reply;
  EXPECT_TRUE(apply_directive("reset", before_reply));
  EXPECT_TRUE(before_reply.drop);
  EXPECT_TRUE(before_reply.reset);
  EXPECT_FALSE(before_reply.drop_mid_body);

  Directives mid_body;
  EXPECT_TRUE(apply_directive("reset_mid_body", mid_body));
  EXPECT_TRUE(mid_body.drop_mid_body);
  EXPECT_TRUE(mid_body.reset);
  EXPECT_FALSE(mid_body.drop);

  Directives orderly;
  EXPECT_TRUE(apply_directive("drop", orderly));
  EXPECT_FALSE(orderly.reset);  // a plain drop closes with a FIN
  EXPECT_FALSE(apply_directive("reset=1", orderly));
  EXPECT_FALSE(apply_directive("reset@2", orderly));
}

TEST(Directives, Values) {
  Directives d;
  EXPECT_TRUE(apply_directive("shape=choices", d));
  EXPECT_EQ(d.shape, Shape::choices);
  EXPECT_TRUE(apply_directive("slow=250", d));
  EXPECT_EQ(d.slow, std::chrono::milliseconds(250));
  EXPECT_TRUE(apply_directive("delay=5", d));
  EXPECT_EQ(d.delay, std::chrono::milliseconds(5));
  EXPECT_TRUE(apply_directive("chunk=7", d));
  EXPECT_EQ(d.chunk, 7u);
  EXPECT_TRUE(apply_directive("words=1000", d));
  EXPECT_EQ(d.words, 1000u);
  EXPECT_TRUE(apply_directive("empty=whitespace", d));
  EXPECT_TRUE(d.empty_whitespace);
}

TEST(Directives, PositionalStreamDirectives) {
  Directives d;
  EXPECT_TRUE(apply_directive("stall", d));
  EXPECT_EQ(d.stall_at, 1u);
  EXPECT_TRUE(apply_directive("stall@4", d));
  EXPECT_EQ(d.stall_at, 4u);
  EXPECT_TRUE(apply_directive("broken_frame@0", d));
  EXPECT_EQ(d.broken_frame_at, 0u);
  EXPECT_TRUE(apply_directive("stream_exception=ThrottlingException@3", d));
  EXPECT_EQ(d.stream_exception, "throttlingException");  // lowerCamelCase like the wire
  EXPECT_EQ(d.stream_exception_at, 3u);
  EXPECT_TRUE(apply_directive("stream_exception=modelStreamErrorException", d));
  EXPECT_EQ(d.stream_exception_at, 1u);
}

TEST(Directives, RejectsUnknownAndMalformed) {
  Directives d;
  for (const char* bad : {"throttel", "shape=xml", "slow=fast", "slow=", "chunk=0", "stall@x", "empty=yes",
                          "stream_exception=", "stream_exception=x@y", "words=-1"}) {
    EXPECT_FALSE(apply_directive(bad, d)) << bad;
  }
  EXPECT_EQ(d.unknown.size(), 10u);
  EXPECT_TRUE(d.applied.empty());
  EXPECT_EQ(d.fault, Fault::none);
}

TEST(Directives, ListSeparators) {
  Directives d;
  apply_directive_list(" shape=text,slow=10  500\n", d);
  EXPECT_EQ(d.shape, Shape::text);
  EXPECT_EQ(d.slow, std::chrono::milliseconds(10));
  EXPECT_EQ(d.fault, Fault::internal);
  EXPECT_EQ(d.applied.size(), 3u);
}

TEST(Directives, MarkersAreAppliedAndRemoved) {
  Directives d;
  const std::string rest = apply_markers("Hello [[emulate:throttle]] world[[emulate:shape=text, words=2]]!", d);
  EXPECT_EQ(rest, "Hello  world!");
  EXPECT_EQ(d.fault, Fault::throttle);
  EXPECT_EQ(d.shape, Shape::text);
  EXPECT_EQ(d.words, 2u);
}

TEST(Directives, UnterminatedMarkerIsText) {
  Directives d;
  EXPECT_EQ(apply_markers("a [[emulate:throttle", d), "a [[emulate:throttle");
  EXPECT_EQ(d.fault, Fault::none);
}

}  // namespace
}  // namespace llamachat::emulator
