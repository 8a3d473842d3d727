#pragma once
// The seam between the API layer and the model providers.
//
// A Backend streams a reply into an EventSink: zero or more text deltas, then it returns either a
// Completion or an Error. Non-streaming callers use an accumulating sink. A Backend is shared by all
// connections and all worker threads; implementations must be safe to call concurrently and keep any
// per-thread state (connection pools) keyed by the executor they are called on.
#include <boost/asio/awaitable.hpp>
#include <string>
#include <string_view>
#include <variant>

#include "chat/error.hpp"
#include "chat/types.hpp"

namespace llamachat::chat {

class EventSink {
 public:
  virtual ~EventSink() = default;
  // Delivers one piece of reply text. Awaiting it is the backpressure: a streaming sink completes
  // once the bytes are written to the client or queued within a small bounded buffer (so that the
  // deltas of one upstream read can go out in one write), and waits while that buffer is full. Returns
  // false when the client is gone, after which the backend must stop reading upstream and return
  // ErrorKind::cancelled.
  virtual boost::asio::awaitable<bool> on_delta(std::string_view text) = 0;
};

using Outcome = std::variant<Completion, Error>;

struct BackendInfo {
  std::string name;   // "offline", "bedrock"
  std::string model;  // model id or "offline"
  bool offline = false;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual BackendInfo info() const = 0;
  // Never throws for upstream or input problems: those are returned as Error. Throws only for bugs.
  virtual boost::asio::awaitable<Outcome> stream(ChatRequest request, EventSink& sink) = 0;
};

// Sink that keeps the whole reply; used for non-streaming replies.
class AccumulatingSink final : public EventSink {
 public:
  boost::asio::awaitable<bool> on_delta(std::string_view text) override {
    text_.append(text);
    co_return true;
  }
  const std::string& text() const noexcept { return text_; }
  std::string take() noexcept { return std::move(text_); }

 private:
  std::string text_;
};

}  // namespace llamachat::chat
