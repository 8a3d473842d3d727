#pragma once
// Opening upstream connections: the TLS context (shared per CA bundle), resolve, TCP connect, the CONNECT
// tunnel through a proxy, the TLS handshake with SNI and host-name verification, and the mapping of I/O
// failures to ClientError. Internal to the client.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/client/client.hpp"
#include "http/client/response_parser.hpp"

namespace llamachat::http {

// One upstream connection: a TLS stream over TCP for https:// origins, a bare TCP stream otherwise (a TLS
// stream object costs two 17 KiB record buffers even when unused, which adds up over thousands of
// connections). `tls` says whether the HTTP bytes travel on the TLS layer (set once the handshake is done).
struct ClientConnection {
  ClientConnection(const boost::asio::any_io_executor& executor, boost::asio::ssl::context* tls_context);
  boost::beast::tcp_stream& tcp() noexcept { return tls_stream ? tls_stream->next_layer() : *plain; }

  std::optional<boost::asio::ssl::stream<boost::beast::tcp_stream>> tls_stream;
  std::optional<boost::beast::tcp_stream> plain;
  bool tls = false;
  boost::beast::flat_buffer buffer;
  // The response being read, emplaced per response; its field storage lives here and keeps its capacity.
  std::optional<ResponseParser> parser;
  std::string field_text;
  std::vector<ResponseParser::FieldRef> field_refs;
  ResponseParser& new_parser() { return parser.emplace(field_text, field_refs); }
  std::string pool_key;  // the origin
  // Cleared when the exchange on it did not end cleanly (closed, failed, or the request asked for
  // Connection: close): the pool then refuses it (Pool::give_back).
  bool reusable = true;
  std::chrono::steady_clock::time_point idle_since{};
};

// Runs `op(stream)` on the layer that carries HTTP: the TLS stream or the bare TCP stream. Both branches
// return the same awaitable type, so this is a plain function, not a coroutine.
template <typename Op>
auto on_stream(ClientConnection& c, Op&& op) {
  return c.tls ? op(*c.tls_stream) : op(c.tcp());
}

[[noreturn]] void fail(ClientErrorKind kind, const std::string& message);
// Errors that mean "the peer went away": on a reused connection before any reply byte they make the
// request eligible for one transparent retry on a fresh connection.
bool is_peer_closed(const boost::system::error_code& ec);
// Maps an I/O failure during `phase` ("reading the response header from", ...) to a ClientError.
[[noreturn]] void fail_io(const boost::system::error_code& ec, std::string_view phase, const std::string& origin);

class Connector {
 public:
  // Loads an explicit CA bundle now, so that a wrong path fails at construction (ClientError tls); the
  // system store waits for the first https:// connection (a client of http:// endpoints never needs it).
  Connector(boost::asio::any_io_executor executor, const ClientOptions& options);

  // A connected connection to `url`'s origin, through the proxy unless no_proxy says otherwise, with the
  // TLS handshake done for https://. Throws ClientError.
  boost::asio::awaitable<std::unique_ptr<ClientConnection>> connect(const Url& url,
                                                                    std::chrono::steady_clock::time_point deadline);

 private:
  using Deadline = std::chrono::steady_clock::time_point;
  boost::asio::ssl::context& verifying_context();
  boost::asio::awaitable<boost::asio::ip::tcp::resolver::results_type> resolve(const std::string& host,
                                                                               std::uint16_t port, Deadline deadline,
                                                                               ClientErrorKind kind,
                                                                               const std::string& what);
  boost::asio::awaitable<void> tunnel(ClientConnection& c, const Url& url, Deadline deadline);
  boost::asio::awaitable<void> handshake(ClientConnection& c, const Url& url, Deadline deadline);

  boost::asio::any_io_executor executor_;
  const ClientOptions& options_;
  std::shared_ptr<boost::asio::ssl::context> tls_context_;  // null until needed (see the constructor)
};

}  // namespace llamachat::http
