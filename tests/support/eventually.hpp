#pragma once
// Polls `condition` every 5 ms until it holds (true) or 10 s have passed (false): for a state another
// thread or process reaches soon, where the test waits on the state itself, never on a fixed sleep.
#include <chrono>
#include <functional>
#include <thread>

namespace llamachat::test {

inline bool eventually(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

}  // namespace llamachat::test
