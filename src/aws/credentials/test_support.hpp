#pragma once
// TEST-ONLY helpers shared by the *_test.cpp files of this folder (header-only, never in the library).
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "aws/credentials/provider.hpp"
#include "support/environment.hpp"
#include "support/run_async.hpp"
#include "support/temp_dir.hpp"
#include "support/text.hpp"

namespace llamachat::aws::credentials::testing {

using test::map_environment;
using test::TempDir;

// The CredentialsError that p->get() throws; a test failure when it returns credentials instead.
inline CredentialsError get_error(const std::shared_ptr<Provider>& p) {
  try {
    test::run_async(p->get());
  } catch (const CredentialsError& e) {
    return e;
  }
  ADD_FAILURE() << "expected a CredentialsError";
  return CredentialsError("(none)");
}

// A manually driven wall clock, safe to read from any thread.
class ManualClock {
 public:
  explicit ManualClock(std::chrono::system_clock::time_point start) : ticks_(start.time_since_epoch().count()) {}
  std::chrono::system_clock::time_point now() const {
    return std::chrono::system_clock::time_point(std::chrono::system_clock::duration(ticks_.load()));
  }
  void advance(std::chrono::system_clock::duration d) { ticks_ += d.count(); }
  util::Clock clock() {
    return [this] { return now(); };
  }

 private:
  std::atomic<std::chrono::system_clock::rep> ticks_;
};

// A provider that counts its fetches, can be held at a gate (asynchronously, on its caller's executor),
// and produces credentials (or throws) through a callback given the 1-based fetch number. A closed gate
// opens by itself after a generous fail-safe so that a broken test fails its assertions instead of hanging.
class GatedProvider final : public Provider {
 public:
  using Produce = std::function<Credentials(int fetch_number)>;
  explicit GatedProvider(Produce produce, bool open = true, std::string name = "gated")
      : produce_(std::move(produce)), open_(open), name_(std::move(name)) {}

  std::string name() const override { return name_; }
  boost::asio::awaitable<Credentials> get() override {
    const int n = ++fetches_;
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
    const auto fail_safe = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!open_.load() && std::chrono::steady_clock::now() < fail_safe) {
      timer.expires_after(std::chrono::milliseconds(1));
      co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    }
    ++completed_;
    co_return produce_(n);
  }

  void open() { open_ = true; }
  void close() { open_ = false; }
  int fetches() const { return fetches_.load(); }
  int completed() const { return completed_.load(); }

 private:
  Produce produce_;
  std::atomic<bool> open_;
  std::string name_;
  std::atomic<int> fetches_{0};
  std::atomic<int> completed_{0};
};

// Thread-safe log of what a test server saw.
template <typename T>
class Recorder {
 public:
  void add(T item) {
    std::lock_guard lock(mutex_);
    items_.push_back(std::move(item));
  }
  std::vector<T> items() const {
    std::lock_guard lock(mutex_);
    return items_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<T> items_;
};

}  // namespace llamachat::aws::credentials::testing
