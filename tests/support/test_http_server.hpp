#pragma once
// An in-process HTTP/1.1 server (Boost.Beast) for tests, optionally over TLS, listening on 127.0.0.1:0
// and running on its own thread with its own io_context.
//
// Two kinds of handler:
// - SimpleHandler: request -> response. Content-Length is filled in by prepare_payload(); keep-alive
//   follows the request (and a "Connection: close" you put on the response).
// - ExchangeHandler: a coroutine given a TestExchange, for everything else: raw bytes (hand-written
//   chunked framing, truncated bodies), pauses between pieces, stalls, abrupt closes, behaving
//   differently per connection or per request on it.
//
//   llamachat::test::TestHttpServer server([](const TestRequest& r) {
//     TestResponse res{boost::beast::http::status::ok, 11};
//     res.body() = "hello";
//     return res;
//   });
//   server.url();              // "http://127.0.0.1:<port>"
//   server.connections_accepted();
//
// Handlers run on the server thread; counters are atomic and may be read from any thread. The
// destructor stops the thread and drops every connection (stalled handlers included).
#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "support/test_tls.hpp"

namespace llamachat::test {

using TestRequest = boost::beast::http::request<boost::beast::http::string_body>;
using TestResponse = boost::beast::http::response<boost::beast::http::string_body>;

// One request received on one connection. Valid only during the handler call.
class TestExchange {
 public:
  virtual ~TestExchange() = default;
  virtual const TestRequest& request() const noexcept = 0;
  // 1-based number of the connection in accept order, and of this request on its connection.
  virtual std::size_t connection_number() const noexcept = 0;
  virtual std::size_t request_number() const noexcept = 0;

  // Sends a whole response; sets Content-Length unless the response is chunked. When the request and
  // response allow keep-alive, the server waits for the next request on the connection after the handler.
  virtual boost::asio::awaitable<void> respond(TestResponse response) = 0;
  // Writes raw bytes on the connection (through TLS when on). After a handler that used write() and
  // not respond(), the connection is closed (send side shut down) unless keep_open() was called.
  virtual boost::asio::awaitable<void> write(std::string_view bytes) = 0;
  // Declares that the raw bytes written form one complete response, so the server reads the next
  // request on this connection after the handler, as with respond().
  virtual void keep_open() noexcept = 0;
  virtual boost::asio::awaitable<void> sleep(std::chrono::milliseconds duration) = 0;
  // Waits until the server is destroyed: a peer that never answers.
  virtual boost::asio::awaitable<void> stall() = 0;
  // Closes the TCP connection abruptly once the handler returns (no TLS close_notify, no response
  // unless one was already sent): a server dropping an idle or busy connection.
  virtual void close() noexcept = 0;
  // As close(), but with a TCP reset (RST) instead of a FIN: a peer that crashed or a middlebox that gave up.
  virtual void reset() noexcept = 0;
};

using SimpleHandler = std::function<TestResponse(const TestRequest&)>;
using ExchangeHandler = std::function<boost::asio::awaitable<void>(TestExchange&)>;

class TestHttpServer {
 public:
  // tls: the server certificate (e.g. from TestCa::issue) or nullopt for plain HTTP.
  // bind_address: a loopback literal, "127.0.0.1" or "::1"; the port is always chosen by the kernel.
  explicit TestHttpServer(SimpleHandler handler, std::optional<TestCertificate> tls = std::nullopt,
                          const std::string& bind_address = "127.0.0.1");
  explicit TestHttpServer(ExchangeHandler handler, std::optional<TestCertificate> tls = std::nullopt,
                          const std::string& bind_address = "127.0.0.1");
  ~TestHttpServer();
  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  std::uint16_t port() const noexcept;
  bool tls() const noexcept;
  // "http(s)://<host>:<port>"; host defaults to the bind address (bracketed when IPv6); pass
  // "localhost" to exercise name-based verification.
  std::string url(const std::string& host = "") const;

  std::size_t connections_accepted() const noexcept;
  std::size_t open_connections() const noexcept;  // accepted and not yet closed by either side
  std::size_t tls_handshakes() const noexcept;    // completed successfully
  std::size_t tls_handshake_failures() const noexcept;
  std::size_t requests_received() const noexcept;  // complete requests read

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Convenience for a fixed 200 response with `body` (Content-Type text/plain).
TestResponse text_response(std::string body, unsigned status = 200);

}  // namespace llamachat::test
