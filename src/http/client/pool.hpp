#pragma once
// The keep-alive pool of one Client: idle connections per origin, and the recycled body buffers. Internal
// to the client. The one place that decides whether a connection may be used again is give_back().
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "http/client/connector.hpp"

namespace llamachat::http {

class Pool {
 public:
  // Body bytes are handed out in pieces of this size.
  static constexpr std::size_t kPieceSize = 16 * 1024;

  Pool(std::size_t max_idle_per_origin, std::chrono::seconds idle_timeout)
      : max_idle_per_origin_(max_idle_per_origin), idle_timeout_(idle_timeout) {}

  // An idle connection to `origin` that still looks usable, most recently used first; null when none.
  std::unique_ptr<ClientConnection> take(const std::string& origin);
  // Keeps `connection` for the next request to its origin when its last response was read completely,
  // both sides allow keep-alive, nothing unexpected is buffered and there is room; otherwise drops
  // (closes) it.
  void give_back(std::unique_ptr<ClientConnection> connection);

  // Body read buffers are recycled: allocating and zeroing 16 KiB per response is avoidable hot-path work.
  std::unique_ptr<char[]> take_piece();
  void give_back_piece(std::unique_ptr<char[]> piece);

  // The Client is gone: drops the idle connections and refuses everything given back from now on
  // (streams that outlive their client still give back).
  void shut_down();

 private:
  static constexpr std::size_t kMaxSparePieces = 16;

  std::size_t max_idle_per_origin_;
  std::chrono::seconds idle_timeout_;
  std::unordered_map<std::string, std::vector<std::unique_ptr<ClientConnection>>> idle_;
  std::vector<std::unique_ptr<char[]>> spare_pieces_;
  bool shut_down_ = false;
};

}  // namespace llamachat::http
