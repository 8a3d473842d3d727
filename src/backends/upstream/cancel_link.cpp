#include "backends/upstream/cancel_link.hpp"

namespace llamachat::backends::upstream {

CancelLink::~CancelLink() {
  if (signal_) signal_->clear_hook();
}

void CancelLink::aim_at(http::ClientRequest& request) {
  request.abort = std::make_shared<http::AbortSignal>();
  if (signal_) signal_->on_emit([abort = request.abort] { abort->abort(); });
}

void CancelLink::aim_at(http::ResponseStream& response) {
  if (signal_) signal_->on_emit([stream = &response] { stream->close(); });
}

void CancelLink::aim_at(boost::asio::steady_timer& timer) {
  if (signal_) signal_->on_emit([&timer] { timer.cancel(); });
}

}  // namespace llamachat::backends::upstream
