#include "http/client/response_stream.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/read.hpp>

namespace llamachat::http {
namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using boost::system::error_code;

namespace {
constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kPieceSize = Pool::kPieceSize;
}  // namespace

ConnectionStream::ConnectionStream(std::shared_ptr<Pool> pool, std::unique_ptr<ClientConnection> connection,
                                   std::string origin, std::chrono::steady_clock::time_point deadline,
                                   std::size_t max_body_bytes, util::CancelSignal* cancel)
    : pool_(std::move(pool)),
      connection_(std::move(connection)),
      parser_(&*connection_->parser),
      origin_(std::move(origin)),
      deadline_(deadline),
      max_body_bytes_(max_body_bytes),
      piece_(pool_->take_piece()),
      status_(parser_->status()) {
  on_cancel_ = util::on_cancel(cancel, [this] { close(); });
}

ConnectionStream::~ConnectionStream() {
  on_cancel_.reset();
  pool_->give_back_piece(std::move(piece_));
  pool_->give_back(std::move(connection_));
}

// Copied out of the parser only when asked for: most callers look up one field, or none.
const HeaderList& ConnectionStream::headers() const noexcept {
  if (!headers_copied_) {
    headers_ = parser_->field_list();
    headers_copied_ = true;
  }
  return headers_;
}

asio::awaitable<std::string_view> ConnectionStream::read_some() {
  if (closed_) fail(ClientErrorKind::closed, "response stream from " + origin_ + " was closed");
  if (failed_) fail(ClientErrorKind::closed, "response stream from " + origin_ + " failed earlier");
  while (!parser_->is_done()) {
    // A body that needs a second read is a long one (an event stream): from then on read up to a whole
    // piece per system call instead of the few hundred bytes the header read left room for.
    if (++reads_ == 2 && connection_->buffer.capacity() < kPieceSize) connection_->buffer.reserve(kPieceSize);
    parser_->set_piece(piece_.get(), kPieceSize);
    connection_->tcp().expires_at(deadline_);
    const auto read_some = [&](auto& s) { return bhttp::async_read_some(s, connection_->buffer, *parser_, nothrow); };
    auto [ec, consumed] = co_await on_stream(*connection_, read_some);
    if (closed_) fail(ClientErrorKind::closed, "response stream from " + origin_ + " was closed");
    if (ec == bhttp::error::need_buffer) ec = {};  // the piece buffer is full: hand it out
    if (ec) failed(ec);
    drain_buffered();
    const std::size_t got = kPieceSize - parser_->piece_left();
    if (got > 0) co_return std::string_view(piece_.get(), got);
  }
  co_return std::string_view{};
}

asio::awaitable<std::string> ConnectionStream::read_all() {
  const std::size_t limit = max_body_bytes_;
  if (const auto length = parser_->content_length(); length && *length > limit) {
    too_large(limit);
  }
  std::string body;
  for (;;) {
    const auto piece = co_await read_some();
    if (piece.empty()) break;
    if (body.size() + piece.size() > limit) too_large(limit);
    body.append(piece);
  }
  co_return body;
}

void ConnectionStream::close() noexcept {
  closed_ = true;
  if (connection_) {
    // Closing the socket completes a pending read with operation_aborted; read_some() then reports
    // `closed`. The connection is never pooled again.
    connection_->reusable = false;
    connection_->tcp().close();
  }
}

// A read hands over one chunk of a chunked body; the next chunks of an event stream are often buffered
// already. Parse them into the piece now, without another read, so that the consumer gets the burst at
// once (and writes it to its client in one go). Stops at an incomplete chunk or a full piece.
void ConnectionStream::drain_buffered() {
  while (!parser_->is_done() && parser_->piece_left() > 0 && connection_->buffer.size() > 0) {
    error_code ec;
    const std::size_t used = parser_->put(connection_->buffer.data(), ec);
    connection_->buffer.consume(used);
    if (ec == bhttp::error::need_more || ec == bhttp::error::need_buffer) break;
    if (ec) failed(ec);
    if (used == 0) break;
  }
}

void ConnectionStream::failed(const error_code& ec) {
  failed_ = true;
  connection_->reusable = false;
  fail_io(ec, "reading the response body from", origin_);
}

void ConnectionStream::too_large(std::size_t limit) {
  failed_ = true;
  connection_->reusable = false;
  connection_->tcp().close();
  fail(ClientErrorKind::protocol,
       "response body from " + origin_ + " exceeds the limit of " + std::to_string(limit) + " bytes");
}

}  // namespace llamachat::http
