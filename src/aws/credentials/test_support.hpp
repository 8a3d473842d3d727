#pragma once
// TEST-ONLY helpers shared by the *_test.cpp files of this folder (header-only, never in the library).
#include <stdlib.h>
#include <sys/stat.h>

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "aws/credentials/provider.hpp"

namespace llamachat::aws::credentials::testing {

// An Environment over a fixed map (never the real process environment).
inline Environment map_environment(std::map<std::string, std::string> vars) {
  auto shared = std::make_shared<const std::map<std::string, std::string>>(std::move(vars));
  return [shared](std::string_view name) -> std::optional<std::string> {
    auto it = shared->find(std::string(name));
    if (it == shared->end()) return std::nullopt;
    return it->second;
  };
}

// A private directory under the system temp dir, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "llamachat-creds-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const noexcept { return path_; }
  // Writes `name` (relative) with `content`; returns its full path as a string.
  std::string write(const std::string& name, const std::string& content, bool executable = false) const {
    const std::filesystem::path p = path_ / name;
    {
      std::ofstream out(p, std::ios::binary | std::ios::trunc);
      out << content;
    }
    if (executable) ::chmod(p.c_str(), 0700);
    return p.string();
  }

 private:
  std::filesystem::path path_;
};

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
