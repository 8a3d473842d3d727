// Client: connection pool, connect (direct or through a CONNECT proxy), TLS, request/response I/O.
#include "http/client/client.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <unordered_map>

#include "http/client/proxy_config.hpp"

namespace llamachat::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using boost::system::error_code;
using SteadyClock = std::chrono::steady_clock;

constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kPieceSize = 16 * 1024;
constexpr std::uint32_t kHeaderLimit = 64 * 1024;
// A pooled connection idle for less than this is reused without peeking at its socket first (take_idle).
constexpr auto kPeekAfterIdle = std::chrono::milliseconds(1000);

// Reads one response. Header fields are kept as offsets into one string, both owned by the connection
// and reused from response to response (Beast's message type allocates once per field, six times for a
// Bedrock reply); body bytes are copied straight into the caller's piece buffer, as
// beast::http::buffer_body would (need_buffer when the piece is full).
class ResponseParser final : public bhttp::basic_parser<false> {
 public:
  struct FieldRef {
    std::uint32_t at, name_size, value_size;
  };
  ResponseParser(std::string& text, std::vector<FieldRef>& fields) : text_(text), fields_(fields) {
    text_.clear();
    fields_.clear();
  }
  unsigned status() const noexcept { return status_; }
  // The first field of that name, compared case-insensitively; empty when absent.
  std::string_view field(std::string_view name) const noexcept {
    for (const FieldRef& f : fields_)
      if (beast::iequals(name_of(f), name)) return value_of(f);
    return {};
  }
  HeaderList field_list() const {
    HeaderList out;
    out.reserve(fields_.size());
    for (const FieldRef& f : fields_) out.emplace_back(name_of(f), value_of(f));
    return out;
  }
  // Where the next body bytes go; piece_left() is the room that remains after a read.
  void set_piece(char* data, std::size_t size) noexcept {
    piece_ = data;
    piece_left_ = size;
  }
  std::size_t piece_left() const noexcept { return piece_left_; }

 private:
  std::string_view name_of(const FieldRef& f) const noexcept { return {text_.data() + f.at, f.name_size}; }
  std::string_view value_of(const FieldRef& f) const noexcept {
    return {text_.data() + f.at + f.name_size, f.value_size};
  }
  void on_request_impl(bhttp::verb, beast::string_view, beast::string_view, int, error_code& ec) override {
    ec = bhttp::error::bad_method;  // never called: this is a response parser
  }
  void on_response_impl(int code, beast::string_view, int, error_code&) override {
    status_ = static_cast<unsigned>(code);
  }
  void on_field_impl(bhttp::field, beast::string_view name, beast::string_view value, error_code&) override {
    fields_.push_back({static_cast<std::uint32_t>(text_.size()), static_cast<std::uint32_t>(name.size()),
                       static_cast<std::uint32_t>(value.size())});
    text_.append(name);
    text_.append(value);
  }
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) override {}
  std::size_t on_body_impl(beast::string_view body, error_code& ec) override { return take_body(body, ec); }
  void on_chunk_header_impl(std::uint64_t, beast::string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, beast::string_view body, error_code& ec) override {
    return take_body(body, ec);
  }
  void on_finish_impl(error_code&) override {}
  std::size_t take_body(beast::string_view body, error_code& ec) {
    const std::size_t n = std::min(body.size(), piece_left_);
    if (n > 0) std::memcpy(piece_, body.data(), n);
    piece_ += n;
    piece_left_ -= n;
    if (n < body.size()) ec = bhttp::error::need_buffer;
    return n;
  }

  std::string& text_;
  std::vector<FieldRef>& fields_;
  unsigned status_ = 0;
  char* piece_ = nullptr;
  std::size_t piece_left_ = 0;
};
using Parser = ResponseParser;

// One upstream connection: a TLS stream over TCP for https:// origins, a bare TCP stream otherwise (a TLS
// stream object costs two 17 KiB record buffers even when unused, which adds up over thousands of
// connections). `tls` says whether the HTTP bytes travel on the TLS layer (set once the handshake is done).
struct Connection {
  Connection(const asio::any_io_executor& executor, ssl::context* tls_context) {
    if (tls_context) {
      tls_stream.emplace(executor, *tls_context);
    } else {
      plain.emplace(executor);
    }
  }
  beast::tcp_stream& tcp() noexcept { return tls_stream ? tls_stream->next_layer() : *plain; }

  std::optional<ssl::stream<beast::tcp_stream>> tls_stream;
  std::optional<beast::tcp_stream> plain;
  bool tls = false;
  beast::flat_buffer buffer;
  // The response being read, emplaced per response; its field storage lives here and keeps its capacity.
  std::optional<Parser> parser;
  std::string field_text;
  std::vector<Parser::FieldRef> field_refs;
  Parser& new_parser() { return parser.emplace(field_text, field_refs); }
  std::string pool_key;
  SteadyClock::time_point idle_since{};
};

// Runs `op(stream)` on the layer that carries HTTP: the TLS stream or the bare TCP stream. Both branches
// return the same awaitable type, so this is a plain function, not a coroutine.
template <typename Op>
auto on_stream(Connection& c, Op&& op) {
  return c.tls ? op(*c.tls_stream) : op(c.tcp());
}

[[noreturn]] void fail(ClientErrorKind kind, const std::string& message) { throw ClientError(kind, message); }

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

// Errors that mean "the peer went away": on a reused connection before any reply byte they make the
// request eligible for one transparent retry on a fresh connection.
bool is_peer_closed(const error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == asio::error::connection_aborted ||
         ec == asio::ssl::error::stream_truncated || ec == bhttp::error::partial_message;
}

// Maps an I/O failure during `phase` ("reading the response header from", ...) to a ClientError.
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

// A plain loop: string_view::find_first_of calls memchr once per character (docs/performance.md).
bool has_line_break(std::string_view s) {
  for (const char c : s)
    if (c == '\r' || c == '\n') return true;
  return false;
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

// True when an idle pooled socket still looks usable: no EOF and no unexpected bytes waiting.
bool idle_socket_usable(Connection& c) noexcept {
  if (!c.tcp().socket().is_open()) return false;
  char byte = 0;
  const auto n = ::recv(c.tcp().socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n >= 0) return false;  // 0: the server closed it; >0: bytes nobody asked for
  return errno == EAGAIN || errno == EWOULDBLOCK;
}

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

// Everything a Client owns. A public type (Client::Impl is private) so the stream and the free
// coroutines below can hold it; Client::Impl merely derives from it.
struct ClientCore {
  ClientCore(asio::any_io_executor ex, ClientOptions opts) : executor(std::move(ex)), options(std::move(opts)) {
    // An explicit CA bundle is loaded now, so that a wrong path fails at construction; the system store
    // waits for the first https:// connection (a client of http:// endpoints never needs it).
    if (!options.ca_bundle_path.empty()) tls_context = shared_tls_context(options.ca_bundle_path);
  }

  ssl::context& verifying_context() {
    if (!tls_context) tls_context = shared_tls_context(options.ca_bundle_path);
    return *tls_context;
  }

  // Body read buffers are recycled: allocating and zeroing 16 KiB per response is avoidable hot-path work.
  std::unique_ptr<char[]> take_piece() {
    if (spare_pieces.empty()) return std::unique_ptr<char[]>(new char[kPieceSize]);
    auto piece = std::move(spare_pieces.back());
    spare_pieces.pop_back();
    return piece;
  }
  void give_back_piece(std::unique_ptr<char[]> piece) {
    if (!shut_down && spare_pieces.size() < kMaxSparePieces) spare_pieces.push_back(std::move(piece));
  }

  std::unique_ptr<Connection> take_idle(const std::string& key);
  void give_back(std::unique_ptr<Connection> connection);
  asio::awaitable<tcp::resolver::results_type> resolve(const std::string& host, std::uint16_t port,
                                                       SteadyClock::time_point deadline, ClientErrorKind kind,
                                                       const std::string& what);
  asio::awaitable<std::unique_ptr<Connection>> connect(const Url& url, SteadyClock::time_point deadline);
  asio::awaitable<void> tunnel(Connection& c, const Url& url, SteadyClock::time_point deadline);
  asio::awaitable<void> handshake(Connection& c, const Url& url, SteadyClock::time_point deadline);

  static constexpr std::size_t kMaxSparePieces = 16;

  asio::any_io_executor executor;
  ClientOptions options;
  std::shared_ptr<ssl::context> tls_context;  // null until needed (see the constructor)
  std::vector<std::unique_ptr<char[]>> spare_pieces;
  std::unordered_map<std::string, std::vector<std::unique_ptr<Connection>>> idle;
  ClientStats stats;
  bool shut_down = false;
};

}  // namespace

struct Client::Impl : ClientCore {
  using ClientCore::ClientCore;
};

namespace {

std::unique_ptr<Connection> ClientCore::take_idle(const std::string& key) {
  auto it = idle.find(key);
  if (it == idle.end()) return nullptr;
  auto& list = it->second;
  const auto now = SteadyClock::now();
  // Oldest first: drop the ones idle too long (the server has likely timed them out).
  const auto fresh = std::find_if(list.begin(), list.end(),
                                  [&](const auto& c) { return now - c->idle_since <= options.idle_timeout; });
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

void ClientCore::give_back(std::unique_ptr<Connection> connection) {
  if (shut_down) return;
  auto& list = idle[connection->pool_key];
  if (list.size() >= options.max_idle_per_origin) return;  // dropping closes it
  connection->idle_since = SteadyClock::now();
  list.push_back(std::move(connection));
}

asio::awaitable<tcp::resolver::results_type> ClientCore::resolve(const std::string& host, std::uint16_t port,
                                                                 SteadyClock::time_point deadline, ClientErrorKind kind,
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
  auto pending = std::make_shared<Pending>(executor);
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

asio::awaitable<std::unique_ptr<Connection>> ClientCore::connect(const Url& url, SteadyClock::time_point deadline) {
  const std::string origin = url.origin();
  const bool use_proxy = options.proxy && !bypasses_proxy(options.no_proxy, url.host);
  const Url& target = use_proxy ? *options.proxy : url;
  const std::string what = use_proxy ? "proxy " + target.origin() + " (for " + origin + ")" : origin;
  const auto kind = use_proxy ? ClientErrorKind::proxy : ClientErrorKind::connect;

  const auto endpoints = co_await resolve(target.host, target.port, deadline,
                                          use_proxy ? ClientErrorKind::proxy : ClientErrorKind::resolve, what);

  auto c = std::make_unique<Connection>(executor, url.tls() ? &verifying_context() : nullptr);
  c->pool_key = origin;
  const auto connect_deadline = std::min(deadline, SteadyClock::now() + options.connect_timeout);
  c->tcp().expires_at(connect_deadline);
  auto [ec, endpoint] = co_await c->tcp().async_connect(endpoints, nothrow);
  if (ec == beast::error::timeout) {
    if (connect_deadline < deadline) {
      fail(kind, "connect to " + what + " timed out after " + std::to_string(options.connect_timeout.count()) + " ms");
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

asio::awaitable<void> ClientCore::tunnel(Connection& c, const Url& url, SteadyClock::time_point deadline) {
  const std::string proxy = options.proxy->origin();
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

asio::awaitable<void> ClientCore::handshake(Connection& c, const Url& url, SteadyClock::time_point deadline) {
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

class Stream final : public ResponseStream {
 public:
  // reusable: false when the request itself asked the server to close the connection.
  Stream(std::shared_ptr<ClientCore> impl, std::unique_ptr<Connection> connection, std::string origin,
         SteadyClock::time_point deadline, bool reusable)
      : impl_(std::move(impl)),
        connection_(std::move(connection)),
        parser_(&*connection_->parser),
        origin_(std::move(origin)),
        deadline_(deadline),
        piece_(impl_->take_piece()),
        reusable_(reusable) {
    status_ = parser_->status();
  }

  ~Stream() override {
    impl_->give_back_piece(std::move(piece_));
    if (connection_ && reusable_ && !closed_ && !failed_ && parser_->is_done() && parser_->keep_alive() &&
        connection_->buffer.size() == 0) {
      // An idle pooled connection keeps a small buffer (thousands may be pooled or waiting).
      if (connection_->buffer.capacity() > kPieceSize / 4) connection_->buffer.shrink_to_fit();
      impl_->give_back(std::move(connection_));
    }
  }

  unsigned status() const noexcept override { return status_; }
  // Copied out of the parser only when asked for: most callers look up one field, or none.
  const HeaderList& headers() const noexcept override {
    if (!headers_copied_) {
      headers_ = parser_->field_list();
      headers_copied_ = true;
    }
    return headers_;
  }
  std::string_view header(std::string_view name) const noexcept override { return parser_->field(name); }

  asio::awaitable<std::string_view> read_some() override {
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
      if (ec) {
        failed_ = true;
        fail_io(ec, "reading the response body from", origin_);
      }
      drain_buffered();
      const std::size_t got = kPieceSize - parser_->piece_left();
      if (got > 0) co_return std::string_view(piece_.get(), got);
    }
    co_return std::string_view{};
  }

  asio::awaitable<std::string> read_all() override {
    const std::size_t limit = impl_->options.max_body_bytes;
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

  void close() noexcept override {
    closed_ = true;
    if (connection_) {
      // Closing the socket completes a pending read with operation_aborted; read_some() then reports
      // `closed`. The connection is never pooled again.
      connection_->tcp().close();
    }
  }

 private:
  // A read hands over one chunk of a chunked body; the next chunks of an event stream are often buffered
  // already. Parse them into the piece now, without another read, so that the consumer gets the burst at
  // once (and writes it to its client in one go). Stops at an incomplete chunk or a full piece.
  void drain_buffered() {
    while (!parser_->is_done() && parser_->piece_left() > 0 && connection_->buffer.size() > 0) {
      error_code ec;
      const std::size_t used = parser_->put(connection_->buffer.data(), ec);
      connection_->buffer.consume(used);
      if (ec == bhttp::error::need_more || ec == bhttp::error::need_buffer) break;
      if (ec) {
        failed_ = true;
        fail_io(ec, "reading the response body from", origin_);
      }
      if (used == 0) break;
    }
  }

  [[noreturn]] void too_large(std::size_t limit) {
    failed_ = true;
    connection_->tcp().close();
    fail(ClientErrorKind::protocol,
         "response body from " + origin_ + " exceeds the limit of " + std::to_string(limit) + " bytes");
  }

  std::shared_ptr<ClientCore> impl_;
  std::unique_ptr<Connection> connection_;
  Parser* parser_;  // lives in connection_, which this stream owns
  std::string origin_;
  SteadyClock::time_point deadline_;
  std::unique_ptr<char[]> piece_;
  unsigned status_ = 0;
  std::size_t reads_ = 0;
  mutable HeaderList headers_;
  mutable bool headers_copied_ = false;
  bool reusable_;
  bool closed_ = false;
  bool failed_ = false;
};

// A request as it goes on the wire: the head is serialised once, here, and written together with the
// body in one gather write (Beast's serializer walks its buffer views on every write; see
// docs/performance.md).
struct WireRequest {
  std::string head;
  std::string body;
  bool keep_alive = true;  // false when the caller asked for Connection: close
  bool head_method = false;
};

WireRequest build_request(const Url& url, ClientRequest&& in) {
  if (in.method.empty() || has_line_break(in.method) || in.method.find(' ') != std::string::npos || in.target.empty() ||
      has_line_break(in.target) || in.target.find(' ') != std::string::npos) {
    fail(ClientErrorKind::protocol, "invalid request line for " + url.origin());
  }
  WireRequest out;
  out.head_method = in.method == "HEAD";
  std::string& head = out.head;
  head.reserve(256 + in.target.size() + in.headers.size() * 48);
  head += in.method;
  head += ' ';
  head += in.target;
  head += " HTTP/1.1\r\n";
  bool has_host = false;
  for (const auto& [name, value] : in.headers) {
    if (name.empty() || has_line_break(name) || has_line_break(value)) {
      fail(ClientErrorKind::protocol, "invalid header field in request to " + url.origin());
    }
    // The framing is ours to write.
    if (beast::iequals(name, "content-length") || beast::iequals(name, "transfer-encoding")) continue;
    if (beast::iequals(name, "host")) has_host = true;
    if (beast::iequals(name, "connection") && bhttp::token_list(value).exists("close")) out.keep_alive = false;
    head += name;
    head += ": ";
    head += value;
    head += "\r\n";
  }
  if (!has_host) {
    head += "Host: ";
    head += url.host_header();
    head += "\r\n";
  }
  // As RFC 9110 §8.6 asks: a length for any body, and 0 for methods that expect one.
  if (!in.body.empty() || in.method == "POST" || in.method == "PUT" || in.method == "PATCH" || in.method == "OPTIONS") {
    head += "Content-Length: ";
    head += std::to_string(in.body.size());
    head += "\r\n";
  }
  head += "\r\n";
  out.body = std::move(in.body);
  return out;
}

asio::awaitable<std::unique_ptr<ResponseStream>> open_stream(std::shared_ptr<ClientCore> impl, Url url,
                                                             ClientRequest in, SteadyClock::time_point deadline) {
  if (url.scheme != "http" && url.scheme != "https") {
    fail(ClientErrorKind::protocol, "unsupported URL scheme \"" + url.scheme + "\"");
  }
  const std::string origin = url.origin();
  const std::shared_ptr<AbortSignal> abort = in.abort;
  const WireRequest request = build_request(url, std::move(in));
  const bool head = request.head_method;
  const std::array<asio::const_buffer, 2> request_buffers{asio::buffer(request.head), asio::buffer(request.body)};

  for (int attempt = 0;; ++attempt) {
    // The retry (attempt 1) never takes a pooled connection: a fresh one is the whole point.
    std::unique_ptr<Connection> c = attempt == 0 ? impl->take_idle(origin) : nullptr;
    const bool reused = c != nullptr;
    if (reused) {
      ++impl->stats.connections_reused;
    } else {
      c = co_await impl->connect(url, deadline);
      ++impl->stats.connections_opened;
    }
    // While this attempt owns `c`, an abort closes it; the closer is removed before `c` goes away.
    struct CloserReset {
      AbortSignal* signal;
      ~CloserReset() {
        if (signal) signal->set_closer(nullptr);
      }
    } closer_reset{abort.get()};
    if (abort) {
      if (abort->aborted()) fail(ClientErrorKind::closed, "request to " + origin + " was aborted");
      abort->set_closer([conn = c.get()] { conn->tcp().close(); });
    }

    c->tcp().expires_at(deadline);
    const auto write_request = [&](auto& s) { return asio::async_write(s, request_buffers, nothrow); };
    auto [wec, written] = co_await on_stream(*c, write_request);
    if (wec) {
      if (reused && wec != beast::error::timeout) continue;
      fail_io(wec, "writing the request to", origin);
    }

    Parser* parser = &c->new_parser();
    for (;;) {
      parser->header_limit(kHeaderLimit);
      parser->body_limit(boost::none);  // streams are unbounded; read_all() applies max_body_bytes
      if (head) parser->skip(true);
      const auto read_header = [&](auto& s) { return bhttp::async_read_header(s, c->buffer, *parser, nothrow); };
      auto [rec, read] = co_await on_stream(*c, read_header);
      if (abort && abort->aborted()) fail(ClientErrorKind::closed, "request to " + origin + " was aborted");
      if (rec) {
        if (reused && !parser->got_some() && c->buffer.size() == 0 && is_peer_closed(rec)) break;
        fail_io(rec, "reading the response header from", origin);
      }
      // Interim 1xx replies (other than 101, which we never ask for) precede the real one.
      const unsigned status = parser->status();
      if (status >= 100 && status < 200 && status != 101) {
        parser = &c->new_parser();
        continue;
      }
      co_return std::make_unique<Stream>(std::move(impl), std::move(c), origin, deadline, request.keep_alive);
    }
  }
}

asio::awaitable<ClientResponse> send_request(std::shared_ptr<ClientCore> impl, Url url, ClientRequest in,
                                             SteadyClock::time_point deadline) {
  auto stream = co_await open_stream(std::move(impl), std::move(url), std::move(in), deadline);
  ClientResponse response;
  response.status = stream->status();
  response.headers = stream->headers();
  response.body = co_await stream->read_all();
  co_return response;
}

}  // namespace

Client::Client(asio::any_io_executor executor, ClientOptions options)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(options))) {}

Client::~Client() {
  // Streams still open keep the Impl alive; they must not pool into a client that is gone.
  impl_->shut_down = true;
  impl_->idle.clear();
}

// send() and open() are plain functions returning the coroutine, so the arguments are copied now, not
// when the caller first awaits (a temporary Url would be gone by then).
asio::awaitable<ClientResponse> Client::send(const Url& origin, ClientRequest request,
                                             std::chrono::steady_clock::time_point deadline) {
  return send_request(impl_, origin, std::move(request), deadline);
}

asio::awaitable<std::unique_ptr<ResponseStream>> Client::open(const Url& origin, ClientRequest request,
                                                              std::chrono::steady_clock::time_point deadline) {
  return open_stream(impl_, origin, std::move(request), deadline);
}

ClientStats Client::stats() const noexcept { return impl_->stats; }

const ClientOptions& Client::options() const noexcept { return impl_->options; }

}  // namespace llamachat::http
