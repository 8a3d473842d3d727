#include "http/client/pool.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

namespace llamachat::http {
namespace {

using SteadyClock = std::chrono::steady_clock;

// A pooled connection idle for less than this is reused without peeking at its socket first.
constexpr auto kPeekAfterIdle = std::chrono::milliseconds(1000);

// True when an idle pooled socket still looks usable: no EOF and no unexpected bytes waiting.
bool idle_socket_usable(ClientConnection& c) noexcept {
  if (!c.tcp().socket().is_open()) return false;
  char byte = 0;
  const auto n = ::recv(c.tcp().socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n >= 0) return false;  // 0: the server closed it; >0: bytes nobody asked for
  return errno == EAGAIN || errno == EWOULDBLOCK;
}

}  // namespace

std::unique_ptr<ClientConnection> Pool::take(const std::string& origin) {
  auto it = idle_.find(origin);
  if (it == idle_.end()) return nullptr;
  auto& list = it->second;
  const auto now = SteadyClock::now();
  // Oldest first: drop the ones idle too long (the server has likely timed them out).
  const auto fresh =
      std::find_if(list.begin(), list.end(), [&](const auto& c) { return now - c->idle_since <= idle_timeout_; });
  list.erase(list.begin(), fresh);
  while (!list.empty()) {
    auto c = std::move(list.back());  // most recently used first: the likeliest to be alive
    list.pop_back();
    // The liveness peek is a system call; under load connections come back within milliseconds, and a server
    // that closes one that soon is rare and covered by the transparent retry on a fresh connection.
    const bool recent = now - c->idle_since < kPeekAfterIdle;
    if (recent ? c->tcp().socket().is_open() : idle_socket_usable(*c)) return c;
  }
  return nullptr;
}

void Pool::give_back(std::unique_ptr<ClientConnection> connection) {
  if (shut_down_ || !connection || !connection->reusable) return;
  const ResponseParser* parser = connection->parser ? &*connection->parser : nullptr;
  if (!parser || !parser->is_done() || !parser->keep_alive() || connection->buffer.size() != 0) return;
  auto& list = idle_[connection->pool_key];
  if (list.size() >= max_idle_per_origin_) return;  // dropping closes it
  // An idle pooled connection keeps a small buffer (thousands may be pooled or waiting).
  if (connection->buffer.capacity() > kPieceSize / 4) connection->buffer.shrink_to_fit();
  connection->idle_since = SteadyClock::now();
  list.push_back(std::move(connection));
}

std::unique_ptr<char[]> Pool::take_piece() {
  if (spare_pieces_.empty()) return std::unique_ptr<char[]>(new char[kPieceSize]);
  auto piece = std::move(spare_pieces_.back());
  spare_pieces_.pop_back();
  return piece;
}

void Pool::give_back_piece(std::unique_ptr<char[]> piece) {
  if (!shut_down_ && spare_pieces_.size() < kMaxSparePieces) spare_pieces_.push_back(std::move(piece));
}

void Pool::shut_down() {
  shut_down_ = true;
  idle_.clear();
}

}  // namespace llamachat::http
