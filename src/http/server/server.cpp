#include "http/server/server.hpp"

#include <sys/socket.h>
#include <unistd.h>
#include <algorithm>
#include <atomic>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http.hpp>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <unordered_set>

#include "http/server/connection.hpp"
#include "util/log.hpp"

namespace llamachat::http {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using net::use_awaitable;
using SteadyClock = std::chrono::steady_clock;
constexpr auto as_tuple_awaitable = net::as_tuple(use_awaitable);

net::awaitable<void> Exchange::respond_with(unsigned status, std::span<const FieldView> fields, std::string body) {
  Response response{static_cast<bhttp::status>(status), request().version()};
  for (const auto& [name, value] : fields) response.set(name, value);
  response.body() = std::move(body);
  co_await respond(std::move(response));
}

Response json_error_response(unsigned status, std::string_view message, unsigned http_version) {
  Response res{static_cast<bhttp::status>(status), http_version};
  res.set(bhttp::field::content_type, "application/json; charset=utf-8");
  res.body() = util::json_error_body(message);
  return res;
}

namespace {

struct Worker;

}  // namespace

struct Server::Impl {
  ServerOptions options;
  Handler handler;
  std::vector<std::unique_ptr<Worker>> workers;
  std::optional<tcp::acceptor> acceptor;
  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> connections{0};
  std::atomic<std::size_t> next_worker{0};
  std::uint16_t bound_port = 0;
  tcp protocol = tcp::v4();  // of the listening address
  std::once_flag stop_once;

  ServerState state{options.limits, options.early_error, handler, options.on_request_done, stopping, connections};

  Impl(ServerOptions o, Handler h) : options(std::move(o)), handler(std::move(h)) {}
  net::awaitable<void> accept_loop();
  void hand_over(Worker& worker, int descriptor);
  net::awaitable<void> pause_after_accept_error();
  void begin_shutdown();
  net::awaitable<void> drain(std::chrono::steady_clock::time_point deadline);
  net::awaitable<void> wait_for_connections(std::chrono::steady_clock::time_point until);
};

namespace {

struct Worker {
  // One thread runs this context, and every socket and timer of a connection is used from that thread only
  // (other threads only post: the acceptor hands over raw descriptors, see hand_over). So the per-socket
  // locks of Asio's reactor are off; its scheduler and registration locks stay.
  net::io_context ctx{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  std::optional<net::executor_work_guard<net::io_context::executor_type>> guard{ctx.get_executor()};
  std::thread thread;
  // Touched only on this worker's thread.
  ConnectionSet connections;
};

// The shortest limit decides how often a worker looks for expired deadlines: a tenth of it, between 5 ms
// and 250 ms. A deadline is thus enforced at most that late (10 s header timeout: by 10.25 s).
std::chrono::milliseconds sweep_period(const ServerLimits& limits) {
  const auto shortest =
      std::min({limits.header_timeout, limits.body_timeout, limits.keep_alive_timeout, limits.write_timeout});
  return std::clamp(shortest / 10, std::chrono::milliseconds(5), std::chrono::milliseconds(250));
}

// Enforces the deadlines of every connection of one worker, on the worker's thread.
net::awaitable<void> sweep_timeouts(Worker& worker, std::chrono::milliseconds period) {
  net::steady_timer timer(worker.ctx);
  for (;;) {
    timer.expires_after(period);
    auto [ec] = co_await timer.async_wait(as_tuple_awaitable);
    util::flush_thread_log();  // this worker's request log lines (util/log.hpp)
    if (ec) co_return;
    const auto now = SteadyClock::now();
    // expire_due only cancels; completions run later, so the set does not change during the loop.
    expire_due(worker.connections, now);
  }
}

}  // namespace

// Hands an accepted descriptor to its worker. The socket object is created and registered with the
// worker's reactor on the worker's own thread: its io_context runs without per-descriptor locks (see Worker),
// so registering it from the accepting thread would race with the worker reusing a closed socket's reactor
// state (ThreadSanitizer reports exactly that). The post itself is ordered by the scheduler's lock.
void Server::Impl::hand_over(Worker& worker, int descriptor) {
  net::post(worker.ctx, [this, &worker, descriptor] {
    beast::error_code ec;
    tcp::socket socket(worker.ctx);
    socket.assign(protocol, descriptor, ec);
    if (ec) {
      ::close(descriptor);
      connections.fetch_sub(1);
      util::log_warn("accept: cannot register a connection: " + ec.message());
      return;
    }
    beast::error_code ignored;  // latency over throughput for chat replies; failure is harmless
    socket.set_option(tcp::no_delay(true), ignored);
    net::co_spawn(worker.ctx, serve_connection(state, worker.connections, std::move(socket)), net::detached);
  });
}

// Out of file descriptors and similar: the accept loop backs off briefly instead of spinning.
net::awaitable<void> Server::Impl::pause_after_accept_error() {
  net::steady_timer pause(acceptor->get_executor(), std::chrono::milliseconds(50));
  co_await pause.async_wait(as_tuple_awaitable);
}

// Waits until the listening socket is readable, then takes every pending connection with accept4 (the
// listener is non-blocking), so that no socket object of another worker is touched on this thread.
net::awaitable<void> Server::Impl::accept_loop() {
  for (;;) {
    auto [ec] = co_await acceptor->async_wait(tcp::acceptor::wait_read, as_tuple_awaitable);
    if (ec || stopping.load()) {
      if (ec == net::error::operation_aborted || stopping.load()) co_return;
      util::log_warn("accept failed: " + ec.message());
      co_await pause_after_accept_error();
      continue;
    }
    for (;;) {
      const int descriptor = ::accept4(acceptor->native_handle(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (descriptor < 0) {
        const int error = errno;
        if (error == EAGAIN || error == EWOULDBLOCK) break;
        if (error == EINTR || error == ECONNABORTED) continue;
        util::log_warn("accept failed: " + std::system_category().message(error));
        co_await pause_after_accept_error();
        break;
      }
      if (connections.load() >= options.limits.max_connections) {
        ::close(descriptor);  // refusing: the client sees a closed connection
        continue;
      }
      connections.fetch_add(1);
      hand_over(*workers[next_worker.fetch_add(1) % workers.size()], descriptor);
    }
  }
}

void Server::Impl::begin_shutdown() {
  stopping.store(true);
  net::post(workers[0]->ctx, [this] {
    beast::error_code ignored;  // the acceptor may already be closed
    if (acceptor) acceptor->close(ignored);
  });
  for (auto& worker : workers) {
    net::post(worker->ctx, [w = worker.get()] { close_idle(w->connections); });
  }
  // Drain: wait for in-flight requests up to the grace period; then interrupt the rest (each client gets a
  // final error) and give them a short while to write it; then stop every worker.
  const auto deadline = std::chrono::steady_clock::now() + options.limits.shutdown_grace;
  net::co_spawn(workers[0]->ctx, drain(deadline), net::detached);
}

net::awaitable<void> Server::Impl::wait_for_connections(std::chrono::steady_clock::time_point until) {
  net::steady_timer timer(co_await net::this_coro::executor);
  while (connections.load() > 0 && std::chrono::steady_clock::now() < until) {
    timer.expires_after(std::chrono::milliseconds(20));
    co_await timer.async_wait(as_tuple_awaitable);
  }
}

net::awaitable<void> Server::Impl::drain(std::chrono::steady_clock::time_point deadline) {
  // A final error event is a small local write: a second is plenty, and the wait is bounded for a
  // client that stopped reading.
  constexpr std::chrono::milliseconds kFinalWrite{1000};
  co_await wait_for_connections(deadline);
  if (connections.load() > 0) {
    util::log_warn("shutdown: drain timeout over; interrupting " + std::to_string(connections.load()) +
                   " connection(s)");
    for (auto& worker : workers) net::post(worker->ctx, [w = worker.get()] { interrupt_in_flight(w->connections); });
    co_await wait_for_connections(std::chrono::steady_clock::now() + kFinalWrite);
  }
  if (connections.load() > 0)
    util::log_warn("shutdown: closing " + std::to_string(connections.load()) + " connection(s)");
  for (auto& worker : workers) {
    worker->guard.reset();
    worker->ctx.stop();
  }
}

Server::Server(ServerOptions options, Handler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {
  unsigned n = impl_->options.threads ? impl_->options.threads : std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 0; i < n; ++i) impl_->workers.push_back(std::make_unique<Worker>());
}

Server::~Server() {
  for (auto& worker : impl_->workers) {
    worker->guard.reset();
    worker->ctx.stop();
    if (worker->thread.joinable()) worker->thread.join();
  }
}

void Server::listen() {
  auto& ctx = impl_->workers[0]->ctx;
  boost::system::error_code ec;
  const auto address = net::ip::make_address(impl_->options.host, ec);
  if (ec) throw std::system_error(ec, "invalid listen address '" + impl_->options.host + "'");
  tcp::endpoint endpoint{address, impl_->options.port};
  impl_->acceptor.emplace(ctx);
  impl_->acceptor->open(endpoint.protocol());
  impl_->acceptor->set_option(net::socket_base::reuse_address(true));
  impl_->acceptor->bind(endpoint, ec);
  if (ec)
    throw std::system_error(ec, "cannot listen on " + impl_->options.host + ":" + std::to_string(impl_->options.port));
  impl_->acceptor->listen(net::socket_base::max_listen_connections);
  impl_->acceptor->native_non_blocking(true);  // accept_loop takes connections until EAGAIN
  impl_->bound_port = impl_->acceptor->local_endpoint().port();
  impl_->protocol = endpoint.protocol();
}

std::uint16_t Server::port() const noexcept { return impl_->bound_port; }

void Server::run() {
  const auto period = sweep_period(impl_->options.limits);
  for (auto& worker : impl_->workers) net::co_spawn(worker->ctx, sweep_timeouts(*worker, period), net::detached);
  net::co_spawn(impl_->workers[0]->ctx, impl_->accept_loop(), net::detached);
  for (std::size_t i = 1; i < impl_->workers.size(); ++i) {
    Worker* w = impl_->workers[i].get();
    w->thread = std::thread([w] {
      w->ctx.run();
      util::flush_thread_log();
    });
  }
  impl_->workers[0]->ctx.run();
  util::flush_thread_log();
  for (std::size_t i = 1; i < impl_->workers.size(); ++i)
    if (impl_->workers[i]->thread.joinable()) impl_->workers[i]->thread.join();
}

void Server::stop() {
  std::call_once(impl_->stop_once, [this] { impl_->begin_shutdown(); });
}

}  // namespace llamachat::http
