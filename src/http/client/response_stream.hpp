#pragma once
// The ResponseStream that Client::open returns: reads the body of one response in pieces from a
// connection it owns, and gives the connection back to its pool when it goes. Internal to the client.
#include <chrono>
#include <memory>
#include <string>

#include "http/client/client.hpp"
#include "http/client/connector.hpp"
#include "http/client/pool.hpp"
#include "util/cancel_signal.hpp"

namespace llamachat::http {

class ConnectionStream final : public ResponseStream {
 public:
  // `connection` holds the parsed response head. An emitted `cancel` (may be null) closes the stream.
  ConnectionStream(std::shared_ptr<Pool> pool, std::unique_ptr<ClientConnection> connection, std::string origin,
                   std::chrono::steady_clock::time_point deadline, std::size_t max_body_bytes,
                   util::CancelSignal* cancel);
  ~ConnectionStream() override;

  unsigned status() const noexcept override { return status_; }
  const HeaderList& headers() const noexcept override;
  std::string_view header(std::string_view name) const noexcept override { return parser_->field(name); }
  boost::asio::awaitable<std::string_view> read_some() override;
  boost::asio::awaitable<std::string> read_all() override;
  void close() noexcept override;

 private:
  void drain_buffered();
  [[noreturn]] void failed(const boost::system::error_code& ec);
  [[noreturn]] void too_large(std::size_t limit);

  std::shared_ptr<Pool> pool_;
  std::unique_ptr<ClientConnection> connection_;
  ResponseParser* parser_;  // lives in connection_, which this stream owns
  std::string origin_;
  std::chrono::steady_clock::time_point deadline_;
  std::size_t max_body_bytes_;
  std::unique_ptr<char[]> piece_;
  unsigned status_ = 0;
  std::size_t reads_ = 0;
  mutable HeaderList headers_;
  mutable bool headers_copied_ = false;
  bool closed_ = false;
  bool failed_ = false;
  util::CancelSignal::Subscription on_cancel_;
};

}  // namespace llamachat::http
