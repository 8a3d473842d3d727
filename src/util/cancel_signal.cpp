#include "util/cancel_signal.hpp"

#include <utility>

namespace llamachat::util {

CancelSignal::~CancelSignal() {
  for (Node* n = head_; n != nullptr;) {
    Node* next = n->next;
    n->signal = nullptr;
    n->prev = n->next = nullptr;
    n = next;
  }
}

void CancelSignal::emit() {
  if (emitted_) return;
  emitted_ = true;
  // Always take the current head: a callback may unsubscribe any other node, so no iterator survives it.
  while (Node* n = head_) {
    unlink(*n);
    std::function<void()> callback = std::move(n->callback);
    n->callback = nullptr;
    if (callback) callback();
  }
}

CancelSignal::Subscription CancelSignal::subscribe(std::function<void()> callback) {
  Subscription subscription;
  if (emitted_) {
    if (callback) callback();
    return subscription;
  }
  subscription.node_.callback = std::move(callback);
  link(subscription.node_);
  return subscription;
}

void CancelSignal::link(Node& node) noexcept {
  node.signal = this;
  node.prev = tail_;
  node.next = nullptr;
  if (tail_) {
    tail_->next = &node;
  } else {
    head_ = &node;
  }
  tail_ = &node;
}

void CancelSignal::unlink(Node& node) noexcept {
  (node.prev ? node.prev->next : head_) = node.next;
  (node.next ? node.next->prev : tail_) = node.prev;
  node.signal = nullptr;
  node.prev = node.next = nullptr;
}

// `to` takes the place of `from` in the list (a Subscription was moved).
void CancelSignal::replace(Node& from, Node& to) noexcept {
  to.signal = this;
  to.prev = from.prev;
  to.next = from.next;
  (to.prev ? to.prev->next : head_) = &to;
  (to.next ? to.next->prev : tail_) = &to;
  from.signal = nullptr;
  from.prev = from.next = nullptr;
}

CancelSignal::Subscription::Subscription(Subscription&& other) noexcept {
  node_.callback = std::move(other.node_.callback);
  other.node_.callback = nullptr;
  if (CancelSignal* signal = other.node_.signal) signal->replace(other.node_, node_);
}

CancelSignal::Subscription& CancelSignal::Subscription::operator=(Subscription&& other) noexcept {
  if (this == &other) return *this;
  reset();
  node_.callback = std::move(other.node_.callback);
  other.node_.callback = nullptr;
  if (CancelSignal* signal = other.node_.signal) signal->replace(other.node_, node_);
  return *this;
}

void CancelSignal::Subscription::reset() noexcept {
  if (CancelSignal* signal = node_.signal) signal->unlink(node_);
  node_.callback = nullptr;
}

CancelSignal::Subscription on_cancel(CancelSignal* signal, std::function<void()> callback) {
  return signal ? signal->subscribe(std::move(callback)) : CancelSignal::Subscription{};
}

}  // namespace llamachat::util
