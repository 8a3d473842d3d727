#pragma once
// HTTP/1.1 client for upstream calls (Bedrock, STS, container and instance metadata endpoints).
//
// Contract:
// - One Client per worker thread (per io_context); it is not thread-safe. It keeps a keep-alive pool
//   of connections per origin (scheme, host, port); a pooled connection found broken when reused is
//   replaced once, transparently, before any byte of the reply is seen.
// - https:// origins use TLS with SNI, certificate and host-name verification against the system trust
//   store or ClientOptions::ca_bundle_path. http:// is plain TCP.
// - HTTPS_PROXY-style proxies are used through a CONNECT tunnel unless the host matches no_proxy.
// - Failures throw ClientError with a specific, secret-free message that names the origin.
// - Every operation honours the deadline passed in; connect additionally honours connect_timeout.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/cancel_signal.hpp"

namespace llamachat::http {

struct Url {
  std::string scheme;  // "http" or "https"
  std::string host;    // without brackets for IPv6
  std::uint16_t port = 0;
  std::string path;  // path and query as written, "" when absent

  bool tls() const noexcept { return scheme == "https"; }
  // "host" or "host:port" when the port is not the scheme's default; IPv6 hosts in brackets.
  std::string host_header() const;
  // "https://host:port"
  std::string origin() const;
  // Accepts http(s)://host[:port][/path]; returns nullopt for anything else.
  static std::optional<Url> parse(std::string_view text);
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// Case-insensitive lookup; empty when absent.
std::string_view find_header(const HeaderList& headers, std::string_view name) noexcept;

struct ClientOptions {
  std::chrono::milliseconds connect_timeout{3000};
  std::string ca_bundle_path;         // PEM file; empty = system trust store
  std::optional<Url> proxy;           // CONNECT proxy for https:// origins (and http:// when set)
  std::vector<std::string> no_proxy;  // host names / suffixes (".example.com") / "*" that bypass the proxy
  // Idle keep-alive connections kept per origin (per worker). Above this many concurrent requests, each
  // further one opens (and then drops) a connection of its own, a TLS handshake per request against the
  // real service (figures: docs/performance.md). Idle ones close after idle_timeout.
  std::size_t max_idle_per_origin = 256;
  std::chrono::seconds idle_timeout{50};          // pooled connections older than this are not reused
  std::size_t max_body_bytes = 32 * 1024 * 1024;  // for buffered send()
};

struct ClientRequest {
  // Optional. Emitting it closes the connection the request uses (also the one under the ResponseStream
  // that open() returned), so a pending open()/send()/read fails at once with ClientErrorKind::closed; used
  // when the service's own client disconnects while Bedrock is still generating. Emit it on the thread
  // of the Client.
  std::shared_ptr<util::CancelSignal> cancel;
  std::string method = "GET";
  std::string target = "/";  // path and query exactly as sent on the wire
  HeaderList headers;        // Host is added when absent
  std::string body;
};

struct ClientResponse {
  unsigned status = 0;
  HeaderList headers;
  std::string body;
  std::string_view header(std::string_view name) const noexcept { return find_header(headers, name); }
};

enum class ClientErrorKind {
  resolve,   // DNS failure
  connect,   // TCP connect refused / unreachable / connect timeout
  tls,       // handshake failure, untrusted certificate, host-name mismatch
  proxy,     // proxy refused the CONNECT or is unreachable
  timeout,   // the deadline passed
  closed,    // the peer closed or reset the connection, or the stream was closed locally
  protocol,  // not HTTP, header too large, body too large
};

class ClientError : public std::runtime_error {
 public:
  ClientError(ClientErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ClientErrorKind kind() const noexcept { return kind_; }

 private:
  ClientErrorKind kind_;
};

// A response whose body is read piece by piece (event streams).
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;
  virtual unsigned status() const noexcept = 0;
  virtual const HeaderList& headers() const noexcept = 0;
  virtual std::string_view header(std::string_view name) const noexcept { return find_header(headers(), name); }
  // The next piece of the body, valid until the next call; empty at the end of the body.
  // Throws ClientError (timeout at the deadline, closed after close()).
  virtual boost::asio::awaitable<std::string_view> read_some() = 0;
  // Reads the rest of the body (bounded by max_body_bytes).
  virtual boost::asio::awaitable<std::string> read_all() = 0;
  // Closes the connection now; a pending read_some() fails with ClientErrorKind::closed. Must be called
  // from the stream's executor. The connection goes back to the pool only when the body was fully read.
  virtual void close() noexcept = 0;
};

struct ClientStats {
  std::size_t connections_opened = 0;
  std::size_t connections_reused = 0;
};

class Client {
 public:
  Client(boost::asio::any_io_executor executor, ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends a request and reads the whole reply.
  boost::asio::awaitable<ClientResponse> send(const Url& origin, ClientRequest request,
                                              std::chrono::steady_clock::time_point deadline);
  // Sends a request and returns once the response header has arrived.
  boost::asio::awaitable<std::unique_ptr<ResponseStream>> open(const Url& origin, ClientRequest request,
                                                               std::chrono::steady_clock::time_point deadline);
  ClientStats stats() const noexcept;
  const ClientOptions& options() const noexcept;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace llamachat::http
