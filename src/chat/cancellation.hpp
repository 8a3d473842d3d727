#pragma once
// A one-shot "the client went away" signal, owned by the connection's thread (no locking).
// The API layer emits it; a backend installs a hook that aborts its upstream I/O at once.
#include <functional>
#include <memory>

namespace llamachat::chat {

class CancelSignal {
 public:
  void emit() {
    if (emitted_) return;
    emitted_ = true;
    if (auto hook = std::move(hook_)) {
      hook_ = nullptr;
      hook();
    }
  }
  bool emitted() const noexcept { return emitted_; }
  // Installs the hook (replacing any earlier one); runs it at once if the signal was already emitted.
  void on_emit(std::function<void()> hook) {
    if (emitted_) {
      if (hook) hook();
      return;
    }
    hook_ = std::move(hook);
  }
  void clear_hook() noexcept { hook_ = nullptr; }

 private:
  bool emitted_ = false;
  std::function<void()> hook_;
};

}  // namespace llamachat::chat
