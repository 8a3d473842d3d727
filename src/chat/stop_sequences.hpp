#pragma once
// Cutting a reply at the first stop sequence, for upstreams that cannot do it themselves (the native
// Llama body on Bedrock has no stop parameter). Works on streamed deltas: a stop string split across
// deltas is still found, and text that may be the start of a stop string is held back until it is not.
#include <boost/asio/awaitable.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "chat/backend.hpp"

namespace llamachat::chat {

// Pure state machine. feed() returns the text that is now safe to emit (valid until the next call).
class StopCutter {
 public:
  explicit StopCutter(std::vector<std::string> stops);
  std::string_view feed(std::string_view delta);
  // At the end of the reply: the held-back text (never part of a stop string match).
  std::string_view flush();
  bool stopped() const noexcept;

 private:
  std::vector<std::string> stops_;
  std::string held_;
  std::string out_;
  bool stopped_ = false;
};

// EventSink decorator: forwards the cut text to `inner`. Once a stop string is seen it returns false, so
// the backend ends the upstream call (and returns ErrorKind::cancelled, which the caller turns into a
// normal completion with finish reason "stop" because stopped() is true). After a normal completion the
// caller must co_await finish() to deliver held-back text.
class StopCuttingSink final : public EventSink {
 public:
  StopCuttingSink(EventSink& inner, std::vector<std::string> stops);
  boost::asio::awaitable<bool> on_delta(std::string_view text) override;
  boost::asio::awaitable<bool> finish();
  bool stopped() const noexcept;

 private:
  EventSink& inner_;
  StopCutter cutter_;
};

}  // namespace llamachat::chat
