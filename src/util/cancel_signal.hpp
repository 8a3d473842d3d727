#pragma once
// A one-shot "stop now" signal with any number of subscribers, for one thread (no locking).
//
// The HTTP server emits it when a client disconnects; the layers in between (the API endpoint, a
// backend's retry wait, the HTTP client's upstream connection) subscribe to stop their own work. A
// subscription is an RAII object: destroying it unsubscribes, so a callback can never run after the
// state it captures is gone.
//
// Contract:
// - emit() runs every current callback once, in subscription order, and marks the signal emitted; later
//   emits do nothing. subscribe() on an emitted signal runs the callback at once and returns an empty
//   subscription.
// - During emit() a callback may unsubscribe itself or others (destroy their Subscription), subscribe
//   anew (runs at once) or emit again (no-op). A callback is moved out of its subscription before it
//   runs, so destroying that subscription from inside the callback is safe.
// - A Subscription may outlive its signal: the signal detaches its subscriptions when destroyed. The
//   signal itself must outlive a running emit().
#include <functional>

namespace llamachat::util {

class CancelSignal {
 public:
  class Subscription;

  CancelSignal() = default;
  ~CancelSignal();
  CancelSignal(const CancelSignal&) = delete;
  CancelSignal& operator=(const CancelSignal&) = delete;

  void emit();
  bool emitted() const noexcept { return emitted_; }
  [[nodiscard]] Subscription subscribe(std::function<void()> callback);

  // Linked into the signal's list while subscribed; lives inside a Subscription.
  struct Node {
    CancelSignal* signal = nullptr;
    Node* prev = nullptr;
    Node* next = nullptr;
    std::function<void()> callback;
  };

 private:
  void link(Node& node) noexcept;
  void unlink(Node& node) noexcept;
  void replace(Node& from, Node& to) noexcept;

  Node* head_ = nullptr;
  Node* tail_ = nullptr;
  bool emitted_ = false;
};

// Move-only. Empty (subscribed() false) when default-constructed, moved from, after its callback ran, or
// when its signal is gone.
class CancelSignal::Subscription {
 public:
  Subscription() = default;
  Subscription(Subscription&& other) noexcept;
  Subscription& operator=(Subscription&& other) noexcept;
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;
  ~Subscription() { reset(); }

  bool subscribed() const noexcept { return node_.signal != nullptr; }
  // Unsubscribes now; the callback will not run.
  void reset() noexcept;

 private:
  friend class CancelSignal;
  Node node_;
};

// `signal->subscribe(callback)`, or an empty subscription when there is no signal (an optional one).
[[nodiscard]] CancelSignal::Subscription on_cancel(CancelSignal* signal, std::function<void()> callback);

}  // namespace llamachat::util
