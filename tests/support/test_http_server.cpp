#include "support/test_http_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <thread>

namespace llamachat::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using boost::system::error_code;

constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);

// The TLS stream object exists for plain connections too; `tls` says which layer carries HTTP.
struct ServerConnection {
  ServerConnection(asio::ip::tcp::socket socket, ssl::context& context) : stream(std::move(socket), context) {}
  beast::tcp_stream& tcp() noexcept { return stream.next_layer(); }

  ssl::stream<beast::tcp_stream> stream;
  bool tls = false;
  beast::flat_buffer buffer;
};

template <typename Op>
auto on_stream(ServerConnection& c, Op&& op) {
  return c.tls ? op(c.stream) : op(c.tcp());
}

class Exchange final : public TestExchange {
 public:
  Exchange(ServerConnection& connection, TestRequest request, std::size_t connection_number, std::size_t request_number)
      : connection_(connection),
        request_(std::move(request)),
        connection_number_(connection_number),
        request_number_(request_number) {}

  const TestRequest& request() const noexcept override { return request_; }
  std::size_t connection_number() const noexcept override { return connection_number_; }
  std::size_t request_number() const noexcept override { return request_number_; }

  asio::awaitable<void> respond(TestResponse response) override {
    if (!request_.keep_alive()) response.keep_alive(false);
    if (!response.chunked()) response.prepare_payload();
    keep_alive_ = response.keep_alive();
    responded_ = true;
    const auto write_response = [&](auto& s) { return bhttp::async_write(s, response, nothrow); };
    auto [ec, n] = co_await on_stream(connection_, write_response);
    if (ec) throw boost::system::system_error(ec, "test server write");
  }

  asio::awaitable<void> write(std::string_view bytes) override {
    raw_ = true;
    const auto write_bytes = [&](auto& s) {
      return asio::async_write(s, asio::buffer(bytes.data(), bytes.size()), nothrow);
    };
    auto [ec, n] = co_await on_stream(connection_, write_bytes);
    if (ec) throw boost::system::system_error(ec, "test server write");
  }

  asio::awaitable<void> sleep(std::chrono::milliseconds duration) override {
    asio::steady_timer timer(co_await asio::this_coro::executor, duration);
    co_await timer.async_wait(nothrow);
  }

  asio::awaitable<void> stall() override {
    asio::steady_timer timer(co_await asio::this_coro::executor, asio::steady_timer::time_point::max());
    co_await timer.async_wait(nothrow);
  }

  void keep_open() noexcept override { keep_open_ = true; }

  void close() noexcept override { close_ = true; }
  void reset() noexcept override { close_ = reset_ = true; }

  bool keep_going() const noexcept {
    if (close_ || !request_.keep_alive()) return false;
    if (raw_) return keep_open_;
    return responded_ && keep_alive_;
  }
  bool abrupt_close() const noexcept { return close_; }
  bool reset_close() const noexcept { return reset_; }

 private:
  ServerConnection& connection_;
  TestRequest request_;
  std::size_t connection_number_;
  std::size_t request_number_;
  bool responded_ = false;
  bool raw_ = false;
  bool keep_open_ = false;
  bool keep_alive_ = false;
  bool close_ = false;
  bool reset_ = false;
};

asio::awaitable<void> respond_simple(const SimpleHandler& handler, TestExchange& exchange) {
  co_await exchange.respond(handler(exchange.request()));
}

}  // namespace

struct TestHttpServer::State {
  State(ExchangeHandler h, std::optional<TestCertificate> cert, const std::string& bind_address)
      : handler(std::move(h)), tls(cert.has_value()), host(bind_address), acceptor(io) {
    if (cert) {
      ssl_context.use_certificate_chain(asio::buffer(cert->cert_pem));
      ssl_context.use_private_key(asio::buffer(cert->key_pem), ssl::context::pem);
    }
    const tcp::endpoint endpoint(asio::ip::make_address(bind_address), 0);
    acceptor.open(endpoint.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen();
    port = acceptor.local_endpoint().port();
    asio::co_spawn(io, accept_loop(), asio::detached);
    thread = std::thread([this] { io.run(); });
  }

  ~State() {
    io.stop();
    if (thread.joinable()) thread.join();
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(nothrow);
      if (ec == asio::error::operation_aborted) co_return;
      if (ec) continue;  // e.g. EMFILE: keep serving the connections we have
      const std::size_t number = ++accepted;
      asio::co_spawn(io, session(std::move(socket), number), asio::detached);
    }
  }

  // Keeps the open-connection gauge for the whole of a session, however it ends.
  struct OpenConnection {
    explicit OpenConnection(std::atomic<std::size_t>& gauge) : gauge_(gauge) { ++gauge_; }
    ~OpenConnection() { --gauge_; }
    OpenConnection(const OpenConnection&) = delete;
    OpenConnection& operator=(const OpenConnection&) = delete;
    std::atomic<std::size_t>& gauge_;
  };

  asio::awaitable<void> session(tcp::socket socket, std::size_t connection_number) {
    const OpenConnection counted(open);
    ServerConnection c(std::move(socket), ssl_context);
    bool reset = false;
    if (tls) {
      auto [ec] = co_await c.stream.async_handshake(ssl::stream_base::server, nothrow);
      if (ec) {
        ++handshake_failures;
        co_return;
      }
      ++handshakes;
      c.tls = true;
    }
    for (std::size_t request_number = 1;; ++request_number) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.body_limit(64 * 1024 * 1024);
      const auto read_request = [&](auto& s) { return bhttp::async_read(s, c.buffer, parser, nothrow); };
      auto [ec, n] = co_await on_stream(c, read_request);
      if (ec) break;  // the client closed or sent garbage: end the session
      ++requests;
      Exchange exchange(c, parser.release(), connection_number, request_number);
      try {
        co_await handler(exchange);
      } catch (const std::exception&) {
        break;  // a handler failure (often the client going away) ends the connection
      }
      if (exchange.abrupt_close()) {
        reset = exchange.reset_close();
        break;
      }
      if (!exchange.keep_going()) {
        error_code ignored;  // the client may already be gone
        c.tcp().socket().shutdown(tcp::socket::shutdown_send, ignored);
        break;
      }
    }
    error_code ignored;  // closing a socket the peer reset is fine
    if (reset) c.tcp().socket().set_option(asio::socket_base::linger(true, 0), ignored);  // RST on close
    c.tcp().socket().close(ignored);
  }

  ExchangeHandler handler;
  bool tls;
  std::string host;
  ssl::context ssl_context{ssl::context::tls_server};  // outlives the io_context and its connections
  std::atomic<std::size_t> open{0};                    // outlives the io_context, whose destruction ends the sessions
  asio::io_context io;
  tcp::acceptor acceptor;
  std::uint16_t port = 0;
  std::atomic<std::size_t> accepted{0};
  std::atomic<std::size_t> handshakes{0};
  std::atomic<std::size_t> handshake_failures{0};
  std::atomic<std::size_t> requests{0};
  std::thread thread;
};

TestHttpServer::TestHttpServer(SimpleHandler handler, std::optional<TestCertificate> tls,
                               const std::string& bind_address)
    : TestHttpServer(
          ExchangeHandler([h = std::move(handler)](TestExchange& exchange) { return respond_simple(h, exchange); }),
          std::move(tls), bind_address) {}

TestHttpServer::TestHttpServer(ExchangeHandler handler, std::optional<TestCertificate> tls,
                               const std::string& bind_address)
    : state_(std::make_unique<State>(std::move(handler), std::move(tls), bind_address)) {}

TestHttpServer::~TestHttpServer() = default;

std::uint16_t TestHttpServer::port() const noexcept { return state_->port; }
bool TestHttpServer::tls() const noexcept { return state_->tls; }
std::string TestHttpServer::url(const std::string& host_in) const {
  const std::string& host = host_in.empty() ? state_->host : host_in;
  const std::string shown = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return std::string(state_->tls ? "https://" : "http://") + shown + ":" + std::to_string(state_->port);
}
std::size_t TestHttpServer::connections_accepted() const noexcept { return state_->accepted.load(); }
std::size_t TestHttpServer::open_connections() const noexcept { return state_->open.load(); }
std::size_t TestHttpServer::tls_handshakes() const noexcept { return state_->handshakes.load(); }
std::size_t TestHttpServer::tls_handshake_failures() const noexcept { return state_->handshake_failures.load(); }
std::size_t TestHttpServer::requests_received() const noexcept { return state_->requests.load(); }

TestResponse text_response(std::string body, unsigned status) {
  TestResponse response{static_cast<bhttp::status>(status), 11};
  response.set(bhttp::field::content_type, "text/plain");
  response.body() = std::move(body);
  return response;
}

}  // namespace llamachat::test
