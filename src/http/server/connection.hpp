#pragma once
// One accepted connection of the server: reading requests, calling the handler, writing responses, the
// disconnect watch, limits and timeouts. The worker side (server.cpp) only starts connections, enforces
// their deadlines and closes the idle ones at shutdown, through the functions below.
#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstddef>
#include <unordered_set>

#include "http/server/server.hpp"

namespace llamachat::http {

// What every connection of a server shares; owned by the server, which outlives its connections.
struct ServerState {
  const ServerLimits& limits;
  const EarlyErrorRenderer& early_error;  // may be empty: json_error_response
  const Handler& handler;
  const RequestObserver& on_request_done;  // may be empty
  const std::atomic<bool>& stopping;       // set once on stop(): answer with Connection: close, take no more
  std::atomic<std::size_t>& open_count;    // decremented when a connection ends
};

class Connection;
// The connections of one worker; touched only on that worker's thread.
using ConnectionSet = std::unordered_set<Connection*>;

// Serves one accepted socket until the connection closes; it is in `live` meanwhile.
boost::asio::awaitable<void> serve_connection(const ServerState& server, ConnectionSet& live,
                                              boost::asio::ip::tcp::socket socket);
// Cancels the pending read or write of every connection in `live` whose deadline has passed.
void expire_due(const ConnectionSet& live, std::chrono::steady_clock::time_point now) noexcept;
// Closes the connections in `live` that wait for a next request (shutdown).
void close_idle(const ConnectionSet& live) noexcept;
// Interrupts the requests in progress in `live` (end of the shutdown drain): their disconnect signal is
// emitted while their clients stay connected, so that each gets a final error (Exchange::interrupted).
void interrupt_in_flight(const ConnectionSet& live) noexcept;

}  // namespace llamachat::http
