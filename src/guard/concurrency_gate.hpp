#pragma once
// A cap on concurrent upstream calls with a short bounded FIFO queue. Callers on any worker thread (each
// with its own io_context) share one gate: the count and the queue are guarded by a mutex held only for
// bookkeeping, and a queued caller sleeps on a timer of its own executor until a permit is handed to it
// or its wait is over. No busy waiting, no lock across I/O.
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>

namespace llamachat::guard {

struct GateLimits {
  std::size_t max_concurrent = 64;              // permits; 0 = no cap
  std::size_t queue_length = 32;                // callers that may wait for one; 0 = refuse at once when all are out
  std::chrono::milliseconds queue_wait{2'000};  // longest wait in the queue
};

class ConcurrencyGate : public std::enable_shared_from_this<ConcurrencyGate> {
 public:
  // A permit; returned to the gate when destroyed (handed to the longest-waiting caller, if any).
  class Permit {
   public:
    Permit() = default;
    explicit Permit(std::shared_ptr<ConcurrencyGate> gate) noexcept : gate_(std::move(gate)) {}
    Permit(Permit&&) noexcept = default;
    Permit& operator=(Permit&& other) noexcept;
    ~Permit();
    explicit operator bool() const noexcept { return gate_ != nullptr; }

   private:
    std::shared_ptr<ConcurrencyGate> gate_;
  };

  static std::shared_ptr<ConcurrencyGate> create(GateLimits limits);

  // A permit at once when one is free and nobody waits; else a place in the queue, when there is one, until
  // a permit is handed over or queue_wait is over. An empty Permit means refused (queue full or wait over).
  boost::asio::awaitable<Permit> acquire();
  // A permit at once when one is free and nobody waits, else an empty Permit; never waits. The hot path
  // tries this first, and awaits acquire() only when it fails (no coroutine frame in the common case).
  Permit try_acquire();

  std::size_t in_use() const;
  std::size_t waiting() const;
  const GateLimits& limits() const noexcept { return limits_; }

 private:
  struct Waiter;
  explicit ConcurrencyGate(GateLimits limits) : limits_(limits) {}
  void release() noexcept;
  // A permit is free and nobody waits for one (or there is no cap). Called with mutex_ held.
  bool permit_free_locked() const noexcept {
    return limits_.max_concurrent == 0 || (in_use_ < limits_.max_concurrent && queue_.empty());
  }

  GateLimits limits_;
  mutable std::mutex mutex_;
  std::size_t in_use_ = 0;
  std::deque<std::shared_ptr<Waiter>> queue_;
};

}  // namespace llamachat::guard
