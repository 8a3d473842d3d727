#include "chat/cancellation.hpp"

#include <gtest/gtest.h>

namespace llamachat::chat {
namespace {

TEST(CancelSignal, StartsNotEmitted) {
  CancelSignal s;
  EXPECT_FALSE(s.emitted());
}

TEST(CancelSignal, EmitRunsTheHookOnce) {
  CancelSignal s;
  int calls = 0;
  s.on_emit([&] { ++calls; });
  EXPECT_EQ(calls, 0);
  s.emit();
  EXPECT_TRUE(s.emitted());
  EXPECT_EQ(calls, 1);
  s.emit();
  EXPECT_EQ(calls, 1);
}

TEST(CancelSignal, HookInstalledAfterEmitRunsAtOnce) {
  CancelSignal s;
  s.emit();
  int calls = 0;
  s.on_emit([&] { ++calls; });
  EXPECT_EQ(calls, 1);
  s.emit();
  EXPECT_EQ(calls, 1);
}

TEST(CancelSignal, NewHookReplacesTheOldOne) {
  CancelSignal s;
  int first = 0, second = 0;
  s.on_emit([&] { ++first; });
  s.on_emit([&] { ++second; });
  s.emit();
  EXPECT_EQ(first, 0);
  EXPECT_EQ(second, 1);
}

TEST(CancelSignal, ClearedHookDoesNotRun) {
  CancelSignal s;
  int calls = 0;
  s.on_emit([&] { ++calls; });
  s.clear_hook();
  s.emit();
  EXPECT_TRUE(s.emitted());
  EXPECT_EQ(calls, 0);
}

TEST(CancelSignal, EmitWithoutHookAndNullHooks) {
  CancelSignal s;
  s.on_emit(nullptr);
  s.emit();
  EXPECT_TRUE(s.emitted());
  s.on_emit(nullptr);  // after emit: a null hook is ignored
  EXPECT_TRUE(s.emitted());
}

TEST(CancelSignal, HookMayInstallAnotherHookOrReemit) {
  CancelSignal s;
  int inner = 0;
  s.on_emit([&] {
    s.emit();                     // re-entrant emit is a no-op
    s.on_emit([&] { ++inner; });  // already emitted: runs at once
  });
  s.emit();
  EXPECT_EQ(inner, 1);
}

TEST(CancelSignal, HookIsReleasedAfterRunning) {
  CancelSignal s;
  auto token = std::make_shared<int>(0);
  std::weak_ptr<int> weak = token;
  s.on_emit([keep = std::move(token)] { ++*keep; });
  s.emit();
  EXPECT_TRUE(weak.expired()) << "captures of a fired hook must not outlive it";
}

}  // namespace
}  // namespace llamachat::chat
