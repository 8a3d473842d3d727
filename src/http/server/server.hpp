#pragma once
// The HTTP/1.1 server: a fixed pool of worker threads, each running its own io_context, and one
// coroutine per connection. Keep-alive and pipelining are safe (one request at a time per connection,
// bytes of the next request stay buffered). Header and body limits and per-phase timeouts protect
// against slow or hostile clients. Everything on a connection runs on one worker thread, so handlers
// need no locks for per-connection state.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "http/server/response_head.hpp"
#include "observe/request_record.hpp"
#include "util/cancel_signal.hpp"
#include "util/json_text.hpp"

namespace llamachat::http {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

// Every limit and timeout of the server, in one place; config fills it from flags/environment.
struct ServerLimits {
  std::size_t max_header_bytes = 16 * 1024;              // request line + fields + blank line; also bounds
                                                         // each chunk-size line and the trailer section
  std::size_t max_header_fields = 100;                   // more fields: 431
  std::size_t max_body_bytes = 1024 * 1024;              // a body of exactly this size is accepted
  std::chrono::milliseconds header_timeout{10'000};      // first byte to end of header
  std::chrono::milliseconds body_timeout{30'000};        // end of header to end of body
  std::chrono::milliseconds keep_alive_timeout{60'000};  // idle between requests on one connection
  std::chrono::milliseconds write_timeout{30'000};       // one write to a slow reader
  // On SIGTERM, in-flight requests get this long; then each is interrupted (a stream ends with an error
  // event). Keep it below the platform's stop timeout (ECS stopTimeout: 30 s by default).
  std::chrono::milliseconds shutdown_grace{10'000};
  std::size_t max_connections = 20'000;  // beyond this, new connections are closed at once
};

// Renders the server's own answer to a request it refuses before the handler runs (413 above the body
// limit), given the request target, so that an API under a path prefix answers in its own error shape.
using EarlyErrorRenderer =
    std::function<Response(std::string_view target, unsigned status, std::string_view message, unsigned http_version)>;

class Exchange;
// Called on the connection's thread when a request's response is complete (or the client left), with
// its record filled in; for metrics and the request log line. Must not throw.
using RequestObserver = std::function<void(const Exchange&)>;

struct ServerOptions {
  std::string host = "0.0.0.0";
  std::uint16_t port = 8080;  // 0 = any free port; see Server::port()
  unsigned threads = 0;       // 0 = hardware concurrency
  ServerLimits limits;
  EarlyErrorRenderer early_error;   // unset: json_error_response
  RequestObserver on_request_done;  // may be empty
};

// One request/response exchange, handed to the handler. Not thread-safe; lives on the connection's thread.
class Exchange {
 public:
  virtual ~Exchange() = default;
  virtual const Request& request() const noexcept = 0;
  virtual const std::string& request_id() const noexcept = 0;
  // Sends a complete response. Adds X-Request-Id, Server and keep-alive headers.
  virtual boost::asio::awaitable<void> respond(Response response) = 0;
  // The same as respond() with a Response of this status, these fields and this body, for the hot paths:
  // the server writes the fields as they are, without a Response (whose fields cost one allocation each).
  // The default builds the Response; `fields` must stay valid until the awaitable completes.
  virtual boost::asio::awaitable<void> respond_with(unsigned status, std::span<const FieldView> fields,
                                                    std::string body);
  // Starts a chunked streaming response (status and headers of `head`; its body is ignored).
  // Returns false when the client is already gone.
  virtual boost::asio::awaitable<bool> begin_stream(Response head) = 0;
  // Writes one chunk and waits until the socket took it (backpressure). False when the client is gone.
  virtual boost::asio::awaitable<bool> write_chunk(std::string_view data) = 0;
  virtual boost::asio::awaitable<void> end_stream() = 0;
  // Starts watching the connection for a client disconnect while the handler works and returns the
  // request's disconnect signal: it is emitted, on this thread, when the client goes away (at once if it
  // already has). Every call during one request returns the same signal.
  virtual std::shared_ptr<util::CancelSignal> watch_client() = 0;
  virtual bool client_gone() const noexcept = 0;
  // The client sent end of file after its request: a half-close (it still reads) or a full close (it
  // left); only a write tells them apart, so a stream probes (api::SseStream).
  virtual bool peer_finished_sending() const noexcept { return false; }
  // The address of the TCP peer (a proxy's when there is one); unspecified when not known.
  virtual boost::asio::ip::address peer_address() const noexcept { return {}; }
  // The server is shutting down and interrupted this request at the end of its drain: the disconnect
  // signal was emitted, but the client is still there and should get a final error.
  virtual bool interrupted() const noexcept { return false; }

  // What this request did so far (route, status, tokens, ...): the layers that know a part fill it in.
  observe::RequestRecord& record() noexcept { return record_; }
  const observe::RequestRecord& record() const noexcept { return record_; }

 protected:
  observe::RequestRecord record_;
};

using Handler = std::function<boost::asio::awaitable<void>(Exchange&)>;

// Builds a JSON error response `{"error": message}` (the one error body shape of the server itself).
Response json_error_response(unsigned status, std::string_view message, unsigned http_version = 11);
// Escapes a string as a JSON string literal (with quotes); see util/json_text.hpp.
using util::append_json_quoted;
using util::json_quote;

class Server {
 public:
  Server(ServerOptions options, Handler handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens; throws std::system_error with a clear message when the address is taken.
  void listen();
  std::uint16_t port() const noexcept;
  // Runs the workers until stop() completes; call after listen(). Blocks.
  void run();
  // Stops accepting, closes idle connections, lets in-flight requests finish within shutdown_grace,
  // then stops the workers. Thread-safe; may be called from a signal handler thread.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace llamachat::http
