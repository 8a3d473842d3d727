#pragma once
// The one place where an upstream call listens for its client's disconnect. Everything the call does
// while the client may leave - opening the request, reading the reply, waiting before a retry - is
// aimed at by exactly one link at a time, and the link's destructor removes the hook it installed, so
// no hook outlives what it points at.
#include <boost/asio/steady_timer.hpp>
#include <memory>

#include "chat/cancellation.hpp"
#include "http/client/client.hpp"

namespace llamachat::backends::upstream {

class CancelLink {
 public:
  // `signal` may be null (nobody can cancel the call).
  explicit CancelLink(std::shared_ptr<chat::CancelSignal> signal) noexcept : signal_(std::move(signal)) {}
  ~CancelLink();
  CancelLink(const CancelLink&) = delete;
  CancelLink& operator=(const CancelLink&) = delete;

  bool cancelled() const noexcept { return signal_ && signal_->emitted(); }

  // Each aims the link at one operation, replacing the previous target; when the client is already gone
  // the operation is stopped at once.
  // Until its response head arrives, a disconnect aborts the request (it gets an AbortSignal).
  void aim_at(http::ClientRequest& request);
  // While its body is read, a disconnect closes the response.
  void aim_at(http::ResponseStream& response);
  // While the call waits before a retry, a disconnect ends the wait.
  void aim_at(boost::asio::steady_timer& timer);

 private:
  std::shared_ptr<chat::CancelSignal> signal_;
};

}  // namespace llamachat::backends::upstream
