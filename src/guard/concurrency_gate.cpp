#include "guard/concurrency_gate.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace llamachat::guard {
namespace net = boost::asio;

// A queued caller. `granted` is written under the gate's mutex; the timer is touched only on its own
// executor (the releasing thread posts the wake-up there).
struct ConcurrencyGate::Waiter {
  explicit Waiter(const net::any_io_executor& executor) : timer(executor) {}
  net::steady_timer timer;
  bool granted = false;
};

ConcurrencyGate::Permit& ConcurrencyGate::Permit::operator=(Permit&& other) noexcept {
  if (this != &other) {
    if (gate_) gate_->release();
    gate_ = std::move(other.gate_);
  }
  return *this;
}

ConcurrencyGate::Permit::~Permit() {
  if (gate_) gate_->release();
}

std::shared_ptr<ConcurrencyGate> ConcurrencyGate::create(GateLimits limits) {
  return std::shared_ptr<ConcurrencyGate>(new ConcurrencyGate(limits));
}

ConcurrencyGate::Permit ConcurrencyGate::try_acquire() {
  std::lock_guard lock(mutex_);
  if (permit_free_locked()) {
    ++in_use_;
    return Permit(shared_from_this());
  }
  return Permit();
}

net::awaitable<ConcurrencyGate::Permit> ConcurrencyGate::acquire() {
  const auto executor = co_await net::this_coro::executor;
  std::shared_ptr<Waiter> waiter;
  {
    std::lock_guard lock(mutex_);
    if (permit_free_locked()) {
      ++in_use_;
      co_return Permit(shared_from_this());
    }
    if (queue_.size() >= limits_.queue_length || limits_.queue_wait.count() == 0) co_return Permit();
    waiter = std::make_shared<Waiter>(executor);
    waiter->timer.expires_after(limits_.queue_wait);
    queue_.push_back(waiter);
  }
  // Woken by release() (which cancels the timer) or by the end of the wait; `granted` says which.
  co_await waiter->timer.async_wait(net::as_tuple(net::use_awaitable));
  std::lock_guard lock(mutex_);
  if (waiter->granted) co_return Permit(shared_from_this());
  queue_.erase(std::find(queue_.begin(), queue_.end(), waiter));
  co_return Permit();
}

void ConcurrencyGate::release() noexcept {
  std::shared_ptr<Waiter> next;
  {
    std::lock_guard lock(mutex_);
    if (queue_.empty()) {
      --in_use_;
      return;
    }
    // The permit passes to the longest waiter: in_use_ stays as it is.
    next = std::move(queue_.front());
    queue_.pop_front();
    next->granted = true;
  }
  // The waiter moves into the wake-up, so that its timer is destroyed on its own thread, never on this one
  // after that thread's io_context is gone.
  const auto executor = next->timer.get_executor();
  net::post(executor, [waiter = std::move(next)] { waiter->timer.cancel(); });
}

std::size_t ConcurrencyGate::in_use() const {
  std::lock_guard lock(mutex_);
  return in_use_;
}

std::size_t ConcurrencyGate::waiting() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

}  // namespace llamachat::guard
