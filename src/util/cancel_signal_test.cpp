#include "util/cancel_signal.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace llamachat::util {
namespace {

TEST(CancelSignal, StartsNotEmitted) {
  CancelSignal s;
  EXPECT_FALSE(s.emitted());
}

TEST(CancelSignal, EmitRunsEverySubscriberOnceInOrder) {
  CancelSignal s;
  std::string calls;
  auto a = s.subscribe([&] { calls += 'a'; });
  auto b = s.subscribe([&] { calls += 'b'; });
  auto c = s.subscribe([&] { calls += 'c'; });
  EXPECT_TRUE(a.subscribed());
  EXPECT_EQ(calls, "");
  s.emit();
  EXPECT_TRUE(s.emitted());
  EXPECT_EQ(calls, "abc");
  EXPECT_FALSE(a.subscribed()) << "a subscription that fired is spent";
  s.emit();
  EXPECT_EQ(calls, "abc");
}

TEST(CancelSignal, SubscribingAfterEmitRunsAtOnce) {
  CancelSignal s;
  s.emit();
  int calls = 0;
  auto sub = s.subscribe([&] { ++calls; });
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(sub.subscribed());
  s.emit();
  EXPECT_EQ(calls, 1);
}

TEST(CancelSignal, DroppedSubscriptionDoesNotRun) {
  CancelSignal s;
  int kept = 0, dropped = 0;
  auto keep = s.subscribe([&] { ++kept; });
  {
    auto drop = s.subscribe([&] { ++dropped; });
  }
  auto reset = s.subscribe([&] { ++dropped; });
  reset.reset();
  EXPECT_FALSE(reset.subscribed());
  s.emit();
  EXPECT_EQ(kept, 1);
  EXPECT_EQ(dropped, 0);
}

// The state a subscriber captures dies with its subscription: emitting afterwards must not touch it.
// Under AddressSanitizer a call into the freed object would be a heap-use-after-free.
TEST(CancelSignal, SubscriptionDroppedEarlyCannotFireIntoFreedMemory) {
  struct Upstream {
    int closes = 0;
    CancelSignal::Subscription on_cancel;
  };
  CancelSignal s;
  auto upstream = std::make_unique<Upstream>();
  Upstream* raw = upstream.get();
  upstream->on_cancel = s.subscribe([raw] { ++raw->closes; });
  int survivor = 0;
  auto other = s.subscribe([&] { ++survivor; });
  upstream.reset();  // frees the object the first callback points into
  s.emit();
  EXPECT_EQ(survivor, 1);
}

TEST(CancelSignal, CallbackMayUnsubscribeALaterSubscriber) {
  CancelSignal s;
  std::optional<CancelSignal::Subscription> later;
  int later_calls = 0;
  auto first = s.subscribe([&] { later.reset(); });
  later.emplace(s.subscribe([&] { ++later_calls; }));
  s.emit();
  EXPECT_EQ(later_calls, 0);
}

TEST(CancelSignal, CallbackMayDestroyItsOwnSubscription) {
  CancelSignal s;
  auto holder = std::make_unique<CancelSignal::Subscription>();
  auto captured = std::make_shared<int>(0);
  std::weak_ptr<int> weak = captured;
  int after = 0;
  *holder = s.subscribe([&holder, keep = std::move(captured)] {
    ++*keep;
    holder.reset();  // destroys the subscription whose callback is running
  });
  auto next = s.subscribe([&] { ++after; });
  s.emit();
  EXPECT_EQ(holder, nullptr);
  EXPECT_EQ(after, 1);
  EXPECT_TRUE(weak.expired()) << "captures of a fired callback must not outlive it";
}

TEST(CancelSignal, CallbackMaySubscribeOrEmitAgain) {
  CancelSignal s;
  int inner = 0;
  CancelSignal::Subscription nested;
  auto outer = s.subscribe([&] {
    s.emit();                                // re-entrant emit is a no-op
    nested = s.subscribe([&] { ++inner; });  // already emitted: runs at once
  });
  s.emit();
  EXPECT_EQ(inner, 1);
  EXPECT_FALSE(nested.subscribed());
}

TEST(CancelSignal, MovedSubscriptionKeepsItsPlaceAndMovedFromIsEmpty) {
  CancelSignal s;
  std::string calls;
  auto a = s.subscribe([&] { calls += 'a'; });
  auto b = s.subscribe([&] { calls += 'b'; });
  auto c = s.subscribe([&] { calls += 'c'; });
  CancelSignal::Subscription moved = std::move(b);
  EXPECT_FALSE(b.subscribed());  // NOLINT(bugprone-use-after-move): the moved-from state is the contract
  EXPECT_TRUE(moved.subscribed());
  std::vector<CancelSignal::Subscription> held;
  held.push_back(std::move(a));
  held.push_back(std::move(c));  // may reallocate: the first element moves again
  s.emit();
  EXPECT_EQ(calls, "abc");
}

TEST(CancelSignal, MoveAssignmentUnsubscribesTheTarget) {
  CancelSignal s;
  int old_calls = 0, new_calls = 0;
  auto sub = s.subscribe([&] { ++old_calls; });
  sub = s.subscribe([&] { ++new_calls; });
  s.emit();
  EXPECT_EQ(old_calls, 0);
  EXPECT_EQ(new_calls, 1);
}

TEST(CancelSignal, SubscriptionMayOutliveItsSignal) {
  CancelSignal::Subscription sub;
  {
    CancelSignal s;
    sub = s.subscribe([] {});
    EXPECT_TRUE(sub.subscribed());
  }
  EXPECT_FALSE(sub.subscribed());
  sub.reset();  // no access to the destroyed signal
}

TEST(CancelSignal, NullCallbackIsIgnored) {
  CancelSignal s;
  auto sub = s.subscribe(nullptr);
  s.emit();
  EXPECT_TRUE(s.emitted());
  auto late = s.subscribe(nullptr);
  EXPECT_FALSE(late.subscribed());
}

TEST(CancelSignal, OnCancelWithoutASignalIsAnEmptySubscription) {
  int calls = 0;
  auto none = on_cancel(nullptr, [&] { ++calls; });
  EXPECT_FALSE(none.subscribed());
  CancelSignal s;
  auto some = on_cancel(&s, [&] { ++calls; });
  EXPECT_TRUE(some.subscribed());
  s.emit();
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace llamachat::util
