// Connector: TLS context, host verification, resolve, connect, CONNECT tunnel, handshake, I/O errors.
#include "http/client/connector.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <map>
#include <mutex>

#include "http/client/proxy_config.hpp"

namespace llamachat::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using boost::system::error_code;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);

bool is_ip_literal(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

std::string bracketed(const std::string& host) { return host.find(':') != std::string::npos ? "[" + host + "]" : host; }

// The reason text of an error, without the library decorations asio adds to OpenSSL codes.
std::string reason(const error_code& ec) {
  if (ec.category() == asio::error::get_ssl_category()) {
    if (const char* text = ERR_reason_error_string(static_cast<unsigned long>(ec.value()))) return text;
  }
  if (ec == asio::ssl::error::stream_truncated) return "connection closed without TLS close_notify";
  return ec.message();
}

// Host verification that reports a mismatch through the verify result, so the handshake error can
// say "hostname mismatch" rather than a bare "certificate verify failed".
class VerifyHost {
 public:
  VerifyHost(const std::string& host, bool ip)
      : check_(host), mismatch_(ip ? X509_V_ERR_IP_ADDRESS_MISMATCH : X509_V_ERR_HOSTNAME_MISMATCH) {}
  bool operator()(bool preverified, ssl::verify_context& context) {
    if (!preverified) return false;
    if (check_(preverified, context)) return true;
    X509_STORE_CTX_set_error(context.native_handle(), mismatch_);
    return false;
  }

 private:
  ssl::host_name_verification check_;
  int mismatch_;
};

// Loading a trust store costs tens of milliseconds (OpenSSL decodes every certificate of the bundle), so
// one verifying context per CA bundle path (empty = system store) is shared by every Client alive: an
// SSL_CTX is reference-counted and safe to use from several threads once configured.
std::shared_ptr<ssl::context> shared_tls_context(const std::string& ca_bundle_path) {
  static std::mutex mutex;
  static std::map<std::string, std::weak_ptr<ssl::context>> contexts;
  std::lock_guard lock(mutex);
  auto& slot = contexts[ca_bundle_path];
  if (auto existing = slot.lock()) return existing;
  auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
  context->set_verify_mode(ssl::verify_peer);
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  error_code ec;
  if (ca_bundle_path.empty()) {
    context->set_default_verify_paths(ec);
    if (ec) fail(ClientErrorKind::tls, "cannot load the system trust store: " + reason(ec));
  } else {
    context->load_verify_file(ca_bundle_path, ec);
    if (ec) fail(ClientErrorKind::tls, "cannot load CA bundle " + ca_bundle_path + ": " + reason(ec));
  }
  slot = context;
  return context;
}

}  // namespace

ClientConnection::ClientConnection(const asio::any_io_executor& executor, ssl::context* tls_context) {
  if (tls_context) {
    tls_stream.emplace(executor, *tls_context);
  } else {
    plain.emplace(executor);
  }
}

void fail(ClientErrorKind kind, const std::string& message) { throw ClientError(kind, message); }

bool is_peer_closed(const error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == asio::error::connection_aborted ||
         ec == asio::ssl::error::stream_truncated || ec == bhttp::error::partial_message;
}

[[noreturn]] void fail_io(const error_code& ec, std::string_view phase, const std::string& origin) {
  const std::string where = std::string(phase) + " " + origin;
  if (ec == beast::error::timeout) fail(ClientErrorKind::timeout, "timeout while " + where);
  if (is_peer_closed(ec)) fail(ClientErrorKind::closed, "connection closed by peer while " + where + ": " + reason(ec));
  if (ec == bhttp::error::body_limit) fail(ClientErrorKind::protocol, "response body too large while " + where);
  if (ec == bhttp::error::header_limit) fail(ClientErrorKind::protocol, "response header too large while " + where);
  if (ec.category() == bhttp::make_error_code(bhttp::error::bad_version).category()) {
    fail(ClientErrorKind::protocol, "malformed HTTP response while " + where + ": " + ec.message());
  }
  fail(ClientErrorKind::closed, "I/O error while " + where + ": " + reason(ec));
}

Connector::Connector(asio::any_io_executor executor, const ClientOptions& options)
    : executor_(std::move(executor)), options_(options) {
  if (!options_.ca_bundle_path.empty()) tls_context_ = shared_tls_context(options_.ca_bundle_path);
}

ssl::context& Connector::verifying_context() {
  if (!tls_context_) tls_context_ = shared_tls_context(options_.ca_bundle_path);
  return *tls_context_;
}

asio::awaitable<tcp::resolver::results_type> Connector::resolve(const std::string& host, std::uint16_t port,
                                                                Deadline deadline, ClientErrorKind kind,
                                                                const std::string& what) {
  error_code literal_ec;
  const auto address = asio::ip::make_address(host, literal_ec);
  if (!literal_ec) {
    co_return tcp::resolver::results_type::create(tcp::endpoint(address, port), host, std::to_string(port));
  }
  // getaddrinfo runs on asio's resolver thread and cannot be interrupted: cancelling only takes effect
  // once it returns. So we wait on a timer that either the resolve completion or the deadline ends,
  // and abandon a resolve still running at the deadline. The state is shared with the completion
  // handler, which may run after this frame is gone.
  struct Pending {
    explicit Pending(const asio::any_io_executor& ex) : resolver(ex), wake(ex) {}
    tcp::resolver resolver;
    asio::steady_timer wake;
    bool done = false;
    error_code ec;
    tcp::resolver::results_type results;
  };
  auto pending = std::make_shared<Pending>(executor_);
  pending->wake.expires_at(deadline);
  pending->resolver.async_resolve(host, std::to_string(port),
                                  [pending](const error_code& ec, tcp::resolver::results_type results) {
                                    pending->done = true;
                                    pending->ec = ec;
                                    pending->results = std::move(results);
                                    pending->wake.cancel();
                                  });
  co_await pending->wake.async_wait(nothrow);
  if (!pending->done) {
    pending->resolver.cancel();
    fail(ClientErrorKind::timeout, "timeout while resolving " + what);
  }
  if (pending->ec) fail(kind, "cannot resolve " + what + ": " + reason(pending->ec));
  co_return pending->results;
}

asio::awaitable<std::unique_ptr<ClientConnection>> Connector::connect(const Url& url,
                                                                      SteadyClock::time_point deadline) {
  const std::string origin = url.origin();
  const bool use_proxy = options_.proxy && !bypasses_proxy(options_.no_proxy, url.host);
  const Url& target = use_proxy ? *options_.proxy : url;
  const std::string what = use_proxy ? "proxy " + target.origin() + " (for " + origin + ")" : origin;
  const auto kind = use_proxy ? ClientErrorKind::proxy : ClientErrorKind::connect;

  const auto endpoints = co_await resolve(target.host, target.port, deadline,
                                          use_proxy ? ClientErrorKind::proxy : ClientErrorKind::resolve, what);

  auto c = std::make_unique<ClientConnection>(executor_, url.tls() ? &verifying_context() : nullptr);
  c->pool_key = origin;
  const auto connect_deadline = std::min(deadline, SteadyClock::now() + options_.connect_timeout);
  c->tcp().expires_at(connect_deadline);
  auto [ec, endpoint] = co_await c->tcp().async_connect(endpoints, nothrow);
  if (ec == beast::error::timeout) {
    if (connect_deadline < deadline) {
      fail(kind, "connect to " + what + " timed out after " + std::to_string(options_.connect_timeout.count()) + " ms");
    }
    fail(ClientErrorKind::timeout, "timeout while connecting to " + what);
  }
  if (ec) fail(kind, "cannot connect to " + what + ": " + reason(ec));
  error_code ignored;  // Nagle only delays small writes; failing to disable it is harmless.
  c->tcp().socket().set_option(tcp::no_delay(true), ignored);

  if (use_proxy) co_await tunnel(*c, url, deadline);
  if (url.tls()) co_await handshake(*c, url, deadline);
  co_return c;
}

asio::awaitable<void> Connector::tunnel(ClientConnection& c, const Url& url, SteadyClock::time_point deadline) {
  const std::string proxy = options_.proxy->origin();
  const std::string authority = bracketed(url.host) + ":" + std::to_string(url.port);
  bhttp::request<bhttp::empty_body> request{bhttp::verb::connect, authority, 11};
  request.set(bhttp::field::host, authority);
  c.tcp().expires_at(deadline);
  auto [wec, written] = co_await bhttp::async_write(c.tcp(), request, nothrow);
  if (wec) {
    if (wec == beast::error::timeout) fail(ClientErrorKind::timeout, "timeout while sending CONNECT to proxy " + proxy);
    fail(ClientErrorKind::proxy, "proxy " + proxy + " failed during CONNECT to " + authority + ": " + reason(wec));
  }
  bhttp::response_parser<bhttp::empty_body> parser;
  parser.skip(true);  // a reply to CONNECT has no body, whatever its header fields say
  auto [rec, read] = co_await bhttp::async_read_header(c.tcp(), c.buffer, parser, nothrow);
  if (rec) {
    if (rec == beast::error::timeout) {
      fail(ClientErrorKind::timeout, "timeout while waiting for proxy " + proxy + " to answer CONNECT");
    }
    fail(ClientErrorKind::proxy, "proxy " + proxy + " failed during CONNECT to " + authority + ": " + reason(rec));
  }
  const auto& reply = parser.get();
  if (reply.result_int() / 100 != 2) {
    fail(ClientErrorKind::proxy, "proxy " + proxy + " refused CONNECT to " + authority + ": " +
                                     std::to_string(reply.result_int()) + " " + std::string(reply.reason()));
  }
  // Nothing may follow the reply before we speak: the tunnel carries the origin's bytes only.
  if (c.buffer.size() != 0) {
    fail(ClientErrorKind::proxy, "proxy " + proxy + " sent unexpected bytes after accepting CONNECT");
  }
}

asio::awaitable<void> Connector::handshake(ClientConnection& c, const Url& url, SteadyClock::time_point deadline) {
  const std::string origin = url.origin();
  const bool ip = is_ip_literal(url.host);
  auto& stream = *c.tls_stream;
  SSL* native = stream.native_handle();
  // SNI carries host names only (RFC 6066 section 3), never IP literals.
  if (!ip && SSL_set_tlsext_host_name(native, url.host.c_str()) != 1) {
    fail(ClientErrorKind::tls, "tls handshake with " + origin + " failed: cannot set SNI");
  }
  stream.set_verify_mode(ssl::verify_peer);
  stream.set_verify_callback(VerifyHost(url.host, ip));
  c.tls = true;
  c.tcp().expires_at(deadline);
  auto [ec] = co_await stream.async_handshake(ssl::stream_base::client, nothrow);
  if (!ec) co_return;
  if (ec == beast::error::timeout) fail(ClientErrorKind::timeout, "timeout while tls handshake with " + origin);
  std::string message = "tls handshake with " + origin + " failed: " + reason(ec);
  const long verify = SSL_get_verify_result(native);
  if (verify != X509_V_OK) message += std::string(" (") + X509_verify_cert_error_string(verify) + ")";
  fail(ClientErrorKind::tls, message);
}

}  // namespace llamachat::http
