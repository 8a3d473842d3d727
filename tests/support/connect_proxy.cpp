#include "support/connect_proxy.hpp"

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <mutex>
#include <thread>

namespace llamachat::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using boost::system::error_code;

constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);

// Copies from one socket to the other; when either side ends, both sockets are closed so the other
// direction ends too.
asio::awaitable<void> pump(std::shared_ptr<tcp::socket> from, std::shared_ptr<tcp::socket> to) {
  std::vector<char> buffer(16 * 1024);
  for (;;) {
    auto [rec, n] = co_await from->async_read_some(asio::buffer(buffer), nothrow);
    if (rec) break;
    auto [wec, written] = co_await asio::async_write(*to, asio::buffer(buffer.data(), n), nothrow);
    if (wec) break;
  }
  error_code ignored;  // either side may already be closed
  from->close(ignored);
  to->close(ignored);
}

}  // namespace

struct ConnectProxy::State {
  State() : acceptor(io) {
    const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
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
      if (ec) continue;
      asio::co_spawn(io, serve(std::make_shared<tcp::socket>(std::move(socket))), asio::detached);
    }
  }

  asio::awaitable<void> reply(tcp::socket& client, unsigned status) {
    bhttp::response<bhttp::string_body> response{static_cast<bhttp::status>(status), 11};
    response.keep_alive(false);
    response.prepare_payload();
    co_await bhttp::async_write(client, response, nothrow);
    error_code ignored;  // the client may have gone already
    client.shutdown(tcp::socket::shutdown_send, ignored);
  }

  asio::awaitable<void> serve(std::shared_ptr<tcp::socket> client) {
    beast::flat_buffer buffer;
    bhttp::request_parser<bhttp::empty_body> parser;
    auto [ec, n] = co_await bhttp::async_read_header(*client, buffer, parser, nothrow);
    if (ec) co_return;
    const auto& request = parser.get();
    if (request.method() != bhttp::verb::connect) {
      co_await reply(*client, 405);
      co_return;
    }
    const std::string authority(request.target());
    {
      std::lock_guard lock(mutex);
      seen_targets.push_back(authority);
    }
    ++requests;
    if (const unsigned status = refuse_status.load(); status != 0) {
      co_await reply(*client, status);
      co_return;
    }
    const auto colon = authority.rfind(':');
    if (colon == std::string::npos) {
      co_await reply(*client, 400);
      co_return;
    }
    std::string host = authority.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
    tcp::resolver resolver(io);
    auto [rec, endpoints] = co_await resolver.async_resolve(host, authority.substr(colon + 1), nothrow);
    if (rec) {
      co_await reply(*client, 502);
      co_return;
    }
    auto upstream = std::make_shared<tcp::socket>(io);
    auto [cec, endpoint] = co_await asio::async_connect(*upstream, endpoints, nothrow);
    if (cec) {
      co_await reply(*client, 502);
      co_return;
    }
    const std::string_view established = "HTTP/1.1 200 Connection established\r\n\r\n";
    auto [wec, written] = co_await asio::async_write(*client, asio::buffer(established), nothrow);
    if (wec) co_return;
    ++tunnel_count;
    if (buffer.size() != 0) {  // bytes the client sent right behind the CONNECT header
      auto [fec, forwarded] = co_await asio::async_write(*upstream, buffer.data(), nothrow);
      if (fec) co_return;
    }
    asio::co_spawn(io, pump(upstream, client), asio::detached);
    co_await pump(client, upstream);
  }

  asio::io_context io;
  tcp::acceptor acceptor;
  std::uint16_t port = 0;
  std::atomic<unsigned> refuse_status{0};
  std::atomic<std::size_t> requests{0};
  std::atomic<std::size_t> tunnel_count{0};
  mutable std::mutex mutex;
  std::vector<std::string> seen_targets;
  std::thread thread;
};

ConnectProxy::ConnectProxy() : state_(std::make_unique<State>()) {}
ConnectProxy::~ConnectProxy() = default;

std::uint16_t ConnectProxy::port() const noexcept { return state_->port; }
std::string ConnectProxy::url() const { return "http://127.0.0.1:" + std::to_string(state_->port); }
void ConnectProxy::refuse_with(unsigned status) { state_->refuse_status.store(status); }
std::size_t ConnectProxy::connect_requests() const noexcept { return state_->requests.load(); }
std::size_t ConnectProxy::tunnels() const noexcept { return state_->tunnel_count.load(); }
std::vector<std::string> ConnectProxy::targets() const {
  std::lock_guard lock(state_->mutex);
  return state_->seen_targets;
}

}  // namespace llamachat::test
