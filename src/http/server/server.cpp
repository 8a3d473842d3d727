#include "http/server/server.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/read_size.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <mutex>
#include <optional>
#include <random>
#include <system_error>
#include <thread>
#include <unordered_set>

#include "util/log.hpp"

namespace llamachat::http {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using net::use_awaitable;
using SteadyClock = std::chrono::steady_clock;
constexpr auto as_tuple_awaitable = net::as_tuple(use_awaitable);
// First read of a request, and the read that watches for a disconnect: a typical request fits, and a
// larger one is read on in further pieces. Every open connection holds a buffer of at least this size,
// so it counts at ten thousand connections (4 KiB here cost 40 MB there).
constexpr std::size_t kReadChunk = 1024;

net::awaitable<void> Exchange::respond_with(unsigned status, std::span<const FieldView> fields, std::string body) {
  Response response{static_cast<bhttp::status>(status), request().version()};
  for (const auto& [name, value] : fields) response.set(name, value);
  response.body() = std::move(body);
  co_await respond(std::move(response));
}

Response json_error_response(unsigned status, std::string_view message, unsigned http_version) {
  Response res{static_cast<bhttp::status>(status), http_version};
  res.set(bhttp::field::content_type, "application/json; charset=utf-8");
  res.body() = "{\"error\":" + json_quote(message) + "}";
  return res;
}

namespace {

std::string make_request_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char hex[] = "0123456789abcdef";
  std::string id(16, '0');
  std::uint64_t v = rng();
  for (char& c : id) {
    c = hex[v & 0xf];
    v >>= 4;
  }
  return id;
}

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
  std::once_flag stop_once;

  Impl(ServerOptions o, Handler h) : options(std::move(o)), handler(std::move(h)) {}
  net::awaitable<void> accept_loop();
  void begin_shutdown();
};

namespace {

class Connection;

struct Worker {
  // One thread runs this context, and every socket and timer of a connection is used from that thread only
  // (other threads post; the acceptor on worker 0 only registers new sockets, which keeps its lock). So the
  // per-socket locks of Asio's reactor are off; its scheduler and registration locks stay.
  net::io_context ctx{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  std::optional<net::executor_work_guard<net::io_context::executor_type>> guard{ctx.get_executor()};
  std::thread thread;
  // Touched only on this worker's thread.
  std::unordered_set<Connection*> connections;
};

// Writes the status line and header fields of `response` into `out` (cleared first), followed by our own
// fields: X-Request-Id, Server, the connection disposition and the framing (Content-Length, or chunked
// transfer coding for a stream). Beast's serializer is not used on this path: it walks the message
// through layers of buffer views per write, which showed up as ~10 % of the CPU of a proxied chat.
// Fields that we set ourselves are skipped when the handler set them too.
void begin_head(std::string& out, unsigned version, unsigned status, std::string_view reason) {
  out.clear();
  out += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  char code[8];
  const auto end = std::to_chars(code, code + sizeof code, status).ptr;
  out.append(code, end);
  out += ' ';
  out += reason;
  out += "\r\n";
}

// Fields that the server writes itself; a handler's own copy is dropped.
bool is_server_field(std::string_view name) {
  return beast::iequals(name, "connection") || beast::iequals(name, "content-length") ||
         beast::iequals(name, "transfer-encoding") || beast::iequals(name, "server") ||
         beast::iequals(name, "x-request-id");
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out += name;
  out += ": ";
  out += value;
  out += "\r\n";
}

void end_head(std::string& out, unsigned version, std::string_view request_id, bool keep_alive,
              std::optional<std::size_t> content_length, bool chunked) {
  out += "X-Request-Id: ";
  out += request_id;
  out += "\r\nServer: llamachat\r\n";
  if (version == 10) {
    if (keep_alive) out += "Connection: keep-alive\r\n";
  } else if (!keep_alive) {
    out += "Connection: close\r\n";
  }
  if (chunked) out += "Transfer-Encoding: chunked\r\n";
  if (content_length) {
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, *content_length).ptr;
    out += "Content-Length: ";
    out.append(digits, end);
    out += "\r\n";
  }
  out += "\r\n";
}

void write_response_head(std::string& out, const Response& response, std::string_view request_id, bool keep_alive,
                         std::optional<std::size_t> content_length, bool chunked) {
  const unsigned version = response.version();
  begin_head(out, version, response.result_int(), response.reason());
  for (const auto& field : response.base())
    if (!is_server_field(field.name_string())) append_field(out, field.name_string(), field.value());
  end_head(out, version, request_id, keep_alive, content_length, chunked);
}

// 1xx, 204 and 304 responses carry neither a body nor Content-Length (RFC 9110 §8.6, §15.3.5, §15.4.5).
bool status_has_body(unsigned status) { return status >= 200 && status != 204 && status != 304; }

class Connection final : public Exchange {
 public:
  Connection(Server::Impl& server, tcp::socket socket)
      : server_(server), socket_(std::move(socket)), watch_timer_(socket_.get_executor()) {}

  const Request& request() const noexcept override { return request_; }
  const std::string& request_id() const noexcept override { return request_id_; }
  bool client_gone() const noexcept override { return gone_; }
  bool idle() const noexcept { return idle_; }
  void cancel_io() noexcept {
    beast::error_code ignored;  // cancelling on a socket that may already be closed
    socket_.cancel(ignored);
  }
  // Called by the worker's sweep (see sweep_timeouts): cancels the pending read or write whose deadline
  // has passed; the operation then completes with operation_aborted and `timed_out_` says why.
  void expire_if_due(SteadyClock::time_point now) noexcept {
    if (deadline_ > now) return;
    deadline_ = SteadyClock::time_point::max();
    timed_out_ = true;
    cancel_io();
  }

  net::awaitable<void> run() {
    const ServerLimits& limits = server_.options.limits;
    bool first = true;
    for (;;) {
      idle_ = true;
      if (server_.stopping.load()) break;
      // Phase 1: wait for the first byte of the next request (keep-alive idle time).
      if (buffer_.size() == 0) {
        arm_deadline(first ? limits.header_timeout : limits.keep_alive_timeout);
        auto [ec, n] = co_await socket_.async_read_some(buffer_.prepare(kReadChunk), as_tuple_awaitable);
        disarm_deadline();
        if (ec) break;  // EOF, reset, idle timeout, shutdown: nothing was received, close quietly
        buffer_.commit(n);
      }
      first = false;
      idle_ = false;
      // Phase 2: the header, within header_timeout.
      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
      parser.body_limit(limits.max_body_bytes);
      const beast::error_code hec = co_await read_into(parser, false, limits.header_timeout);
      if (hec) {
        co_await reject_unreadable(hec, "header", parser.get().target());
        break;
      }
      keep_alive_ = parser.get().keep_alive();
      if (auto length = parser.content_length(); length && *length > limits.max_body_bytes) {
        keep_alive_ = false;
        co_await send_plain(early_error(parser.get().target(), 413,
                                        "request body exceeds " + std::to_string(limits.max_body_bytes) + " bytes",
                                        parser.get().version()));
        break;
      }
      if (beast::iequals(parser.get()[bhttp::field::expect], "100-continue") && !parser.is_done()) {
        static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        const bool sent = co_await write_all(net::buffer(kContinue));
        if (!sent) break;
      }
      // Phase 3: the body, within body_timeout.
      const beast::error_code bec = co_await read_into(parser, true, limits.body_timeout);
      if (bec) {
        co_await reject_unreadable(bec, "body", parser.get().target());
        break;
      }
      request_ = parser.release();
      request_id_ = make_request_id();
      responded_ = false;
      streaming_ = false;
      if (server_.stopping.load()) keep_alive_ = false;
      bool failed = false;
      try {
        co_await server_.handler(*this);
      } catch (const std::exception& e) {
        util::log_error("request " + request_id_ + " failed: " + e.what());
        failed = true;
      }
      if (failed) {
        if (!responded_ && !streaming_) {
          co_await respond(
              json_error_response(500, "internal error (request id " + request_id_ + ")", request_.version()));
        } else {
          keep_alive_ = false;  // a half-written response cannot be completed
        }
      }
      if (!responded_ && !gone_) {
        keep_alive_ = false;
        co_await respond(json_error_response(500, "internal error: handler sent no response", request_.version()));
      }
      on_gone_ = nullptr;  // the request is over; a disconnect from now on concerns nobody
      if (!keep_alive_ || gone_) break;
      // A pipelined request already buffered goes first; otherwise a disconnect watch still pending
      // becomes the wait for the next request: the same read, so no cancellation and no second read to
      // start (see watch_client).
      if (watching_ && buffer_.size() > 0) co_await stop_watching();
      if (watching_) {
        idle_ = true;
        if (server_.stopping.load()) break;
        arm_deadline(limits.keep_alive_timeout);
        co_await wait_for_watch();
        disarm_deadline();
        if (buffer_.size() == 0) break;  // EOF, reset, idle timeout or shutdown: close quietly
      }
    }
    co_await stop_watching();
    beast::error_code ignored;  // best effort: the peer may already be gone
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    if (linger_) co_await linger();
    socket_.close(ignored);
  }

  // After run() failed with an exception: no read may still refer to this connection when it goes.
  net::awaitable<void> abandon() {
    co_await stop_watching();
    beast::error_code ignored;  // the socket may already be closed
    socket_.close(ignored);
  }

  net::awaitable<void> respond(Response response) override {
    responded_ = true;
    if (gone_) co_return;
    if (server_.stopping.load()) keep_alive_ = false;  // draining: this is the connection's last response
    const unsigned status = response.result_int();
    const bool has_body = status_has_body(status);
    const bool send_body = has_body && request_.method() != bhttp::verb::head;
    write_response_head(head_, response, request_id_, keep_alive_,
                        has_body ? std::optional<std::size_t>(response.body().size()) : std::nullopt, false);
    const std::array<net::const_buffer, 2> buffers{net::buffer(head_),
                                                   send_body ? net::buffer(response.body()) : net::const_buffer()};
    co_await write_all(buffers);
  }

  net::awaitable<void> respond_with(unsigned status, std::span<const FieldView> fields, std::string body) override {
    responded_ = true;
    if (gone_) co_return;
    if (server_.stopping.load()) keep_alive_ = false;
    const unsigned version = request_.version();
    const bool has_body = status_has_body(status);
    const bool send_body = has_body && request_.method() != bhttp::verb::head;
    begin_head(head_, version, status, bhttp::obsolete_reason(static_cast<bhttp::status>(status)));
    for (const auto& [name, value] : fields)
      if (!is_server_field(name)) append_field(head_, name, value);
    end_head(head_, version, request_id_, keep_alive_,
             has_body ? std::optional<std::size_t>(body.size()) : std::nullopt, false);
    const std::array<net::const_buffer, 2> buffers{net::buffer(head_),
                                                   send_body ? net::buffer(body) : net::const_buffer()};
    co_await write_all(buffers);
  }

  net::awaitable<bool> begin_stream(Response head) override {
    responded_ = true;
    streaming_ = true;
    if (gone_) co_return false;
    if (server_.stopping.load()) keep_alive_ = false;
    // HTTP/1.0 has no chunked coding: the body ends when the connection closes.
    chunked_ = head.version() != 10;
    if (!chunked_) keep_alive_ = false;
    write_response_head(head_, head, request_id_, keep_alive_, std::nullopt, chunked_);
    const bool ok = co_await write_all(net::buffer(head_));
    co_return ok;
  }

  net::awaitable<bool> write_chunk(std::string_view data) override {
    if (gone_) co_return false;
    if (data.empty()) co_return true;  // an empty chunk would end the body
    if (!chunked_) {
      const bool ok = co_await write_all(net::buffer(data));
      co_return ok;
    }
    // chunk = size in hex, CRLF, data, CRLF (RFC 9112 §7.1)
    char size_line[20];
    const auto [end, ec] = std::to_chars(size_line, size_line + 16, data.size(), 16);
    end[0] = '\r';
    end[1] = '\n';
    const std::array<net::const_buffer, 3> buffers{
        net::buffer(size_line, static_cast<std::size_t>(end + 2 - size_line)), net::buffer(data),
        net::buffer("\r\n", 2)};
    const bool ok = co_await write_all(buffers);
    co_return ok;
  }

  net::awaitable<void> end_stream() override {
    if (gone_ || !chunked_) co_return;
    static constexpr std::string_view kLastChunk = "0\r\n\r\n";
    co_await write_all(net::buffer(kLastChunk));
  }

  void watch_client(std::function<void()> on_gone) override {
    on_gone_ = std::move(on_gone);
    if (gone_) {
      fire_gone();
      return;
    }
    if (watching_) return;  // already watching
    watching_ = true;
    // A plain completion handler rather than a coroutine: this runs on every chat request. run() never
    // returns while it is pending (stop_watching), so `this` outlives it.
    socket_.async_read_some(buffer_.prepare(kReadChunk),
                            [this](const beast::error_code& ec, std::size_t n) { on_watch_complete(ec, n); });
  }

 private:
  // Feeds the parser from the buffer and the socket until it has the header (whole = false) or the
  // whole message, within `timeout`. Bytes after the message (a pipelined request) stay in the buffer.
  net::awaitable<beast::error_code> read_into(bhttp::request_parser<bhttp::string_body>& parser, bool whole,
                                              std::chrono::milliseconds timeout) {
    parser.eager(whole);
    arm_deadline(timeout);
    beast::error_code ec;
    for (;;) {
      if (whole ? parser.is_done() : parser.is_header_done()) break;
      if (buffer_.size() > 0) {
        const std::size_t used = parser.put(buffer_.data(), ec);
        buffer_.consume(used);
        if (ec == bhttp::error::need_more) {
          ec = {};
        } else if (ec) {
          break;
        } else {
          continue;  // progress: check whether the wanted part is complete
        }
      }
      const std::size_t room = beast::read_size(buffer_, 64 * 1024);
      auto [rec, n] = co_await socket_.async_read_some(buffer_.prepare(room), as_tuple_awaitable);
      if (rec) {
        if (timed_out_) {
          ec = beast::error::timeout;
        } else if (rec == net::error::eof) {
          if (parser.got_some()) {
            parser.put_eof(ec);
            if (!ec) continue;
          } else {
            ec = bhttp::error::end_of_stream;
          }
        } else {
          ec = rec;
        }
        break;
      }
      buffer_.commit(n);
    }
    disarm_deadline();
    co_return ec;
  }

  // Writes every byte of `buffers` within write_timeout; false (and the client counts as gone) otherwise.
  template <typename Buffers>
  net::awaitable<bool> write_all(Buffers buffers) {
    arm_deadline(server_.options.limits.write_timeout);
    auto [ec, n] = co_await net::async_write(socket_, buffers, as_tuple_awaitable);
    disarm_deadline();
    if (ec) mark_gone();
    co_return !ec;
  }

  // The read that watches the connection while the handler works: data is the next pipelined request
  // (kept in the buffer); EOF or an error means the client went away. Cancellation (operation_aborted)
  // says nothing about the client.
  void on_watch_complete(const beast::error_code& ec, std::size_t n) {
    watching_ = false;
    if (!ec) {
      buffer_.commit(n);
    } else if (ec != net::error::operation_aborted) {
      mark_gone();
    }
    watch_timer_.cancel();  // wakes wait_for_watch
  }

  net::awaitable<void> wait_for_watch() {
    while (watching_) {
      watch_timer_.expires_at(net::steady_timer::time_point::max());
      co_await watch_timer_.async_wait(as_tuple_awaitable);
    }
  }

  net::awaitable<void> stop_watching() {
    if (!watching_) co_return;
    cancel_io();
    co_await wait_for_watch();
  }

  // One deadline per connection, for the one read or write that has one at a time; the worker's sweep
  // enforces it. Setting it costs a clock read, where a timer per operation would cost a timer-queue
  // insertion and removal (and often a timerfd system call) on every read and write.
  void arm_deadline(std::chrono::milliseconds timeout) {
    timed_out_ = false;
    deadline_ = SteadyClock::now() + timeout;
  }
  void disarm_deadline() noexcept { deadline_ = SteadyClock::time_point::max(); }

  void mark_gone() {
    if (gone_) return;
    gone_ = true;
    keep_alive_ = false;
    fire_gone();
  }

  void fire_gone() {
    if (auto hook = std::move(on_gone_)) {
      on_gone_ = nullptr;
      hook();
    }
  }

  Response early_error(std::string_view target, unsigned status, std::string_view message, unsigned version) const {
    const auto& render = server_.options.early_error;
    return render ? render(target, status, message, version) : json_error_response(status, message, version);
  }

  // Answers a request that could not be read, when an answer still makes sense.
  net::awaitable<void> reject_unreadable(beast::error_code ec, std::string_view phase, std::string_view target = {}) {
    keep_alive_ = false;
    const auto& limits = server_.options.limits;
    if (ec == bhttp::error::body_limit) {
      co_await send_plain(
          early_error(target, 413, "request body exceeds " + std::to_string(limits.max_body_bytes) + " bytes", 11));
    } else if (ec == bhttp::error::header_limit) {
      co_await send_plain(
          json_error_response(431, "request header exceeds " + std::to_string(limits.max_header_bytes) + " bytes"));
    } else if (ec == beast::error::timeout) {
      co_await send_plain(json_error_response(408, "timed out reading the request " + std::string(phase)));
    } else if (ec == bhttp::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset ||
               ec == net::error::operation_aborted || ec == bhttp::error::partial_message) {
      // The client went away mid-request: nobody to answer.
    } else {
      co_await send_plain(json_error_response(400, "malformed HTTP request: " + ec.message()));
    }
  }

  // Lingering close (as nginx does): after an early error answer the client may still be sending the
  // request body. Closing with unread bytes would reset the connection and could destroy our answer in
  // the client's receive buffer, so read and discard for a bounded time and size first.
  net::awaitable<void> linger() {
    constexpr std::size_t kMaxDiscard = 8 * 1024 * 1024;
    std::array<char, 8192> discard;
    std::size_t total = 0;
    arm_deadline(std::chrono::seconds(2));
    while (total < kMaxDiscard) {
      auto [ec, n] = co_await socket_.async_read_some(net::buffer(discard), as_tuple_awaitable);
      if (ec) break;  // EOF (the client is done), timeout or reset: stop lingering
      total += n;
    }
    disarm_deadline();
  }

  net::awaitable<void> send_plain(Response response) {
    linger_ = true;
    keep_alive_ = false;
    request_id_ = make_request_id();
    write_response_head(head_, response, request_id_, false, response.body().size(), false);
    const std::array<net::const_buffer, 2> buffers{net::buffer(head_), net::buffer(response.body())};
    co_await write_all(buffers);
  }

  Server::Impl& server_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
  Request request_;
  std::string request_id_;
  std::string head_;  // the response head being written; its capacity is reused across responses
  SteadyClock::time_point deadline_ = SteadyClock::time_point::max();
  bool timed_out_ = false;
  bool keep_alive_ = true;
  bool responded_ = false;
  bool streaming_ = false;
  bool chunked_ = true;
  bool idle_ = true;
  bool gone_ = false;
  bool watching_ = false;  // the disconnect watch's read is pending
  std::function<void()> on_gone_;
  net::steady_timer watch_timer_;
  bool linger_ = false;  // an error was answered before the request was read: linger before closing
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
    if (ec) co_return;
    const auto now = SteadyClock::now();
    // expire_if_due only cancels; completions run later, so the set does not change during the loop.
    for (Connection* c : worker.connections) c->expire_if_due(now);
  }
}

net::awaitable<void> run_connection(Server::Impl& server, Worker& worker, tcp::socket socket) {
  Connection connection(server, std::move(socket));
  worker.connections.insert(&connection);
  bool failed = false;
  try {
    co_await connection.run();
  } catch (const std::exception& e) {
    util::log_warn(std::string("connection ended with an error: ") + e.what());
    failed = true;
  }
  if (failed) co_await connection.abandon();
  worker.connections.erase(&connection);
  server.connections.fetch_sub(1);
}

}  // namespace

net::awaitable<void> Server::Impl::accept_loop() {
  for (;;) {
    Worker& worker = *workers[next_worker.fetch_add(1) % workers.size()];
    auto [ec, socket] = co_await acceptor->async_accept(worker.ctx, as_tuple_awaitable);
    if (ec) {
      if (ec == net::error::operation_aborted || stopping.load()) co_return;
      util::log_warn("accept failed: " + ec.message());
      // Out of file descriptors and similar: back off briefly instead of spinning.
      net::steady_timer pause(acceptor->get_executor(), std::chrono::milliseconds(50));
      co_await pause.async_wait(as_tuple_awaitable);
      continue;
    }
    if (connections.load() >= options.limits.max_connections) {
      beast::error_code ignored;  // refusing: the client sees a closed connection
      socket.close(ignored);
      continue;
    }
    connections.fetch_add(1);
    beast::error_code ignored;  // latency over throughput for chat replies; failure is harmless
    socket.set_option(tcp::no_delay(true), ignored);
    net::co_spawn(worker.ctx, run_connection(*this, worker, std::move(socket)), net::detached);
  }
}

void Server::Impl::begin_shutdown() {
  stopping.store(true);
  net::post(workers[0]->ctx, [this] {
    beast::error_code ignored;  // the acceptor may already be closed
    if (acceptor) acceptor->close(ignored);
  });
  for (auto& worker : workers) {
    net::post(worker->ctx, [w = worker.get()] {
      for (Connection* c : w->connections)
        if (c->idle()) c->cancel_io();
    });
  }
  // Drain: wait for in-flight requests up to the grace period, then stop every worker.
  auto deadline = std::chrono::steady_clock::now() + options.limits.shutdown_grace;
  net::co_spawn(
      workers[0]->ctx,
      [this, deadline]() -> net::awaitable<void> {
        net::steady_timer timer(co_await net::this_coro::executor);
        while (connections.load() > 0 && std::chrono::steady_clock::now() < deadline) {
          timer.expires_after(std::chrono::milliseconds(20));
          co_await timer.async_wait(as_tuple_awaitable);
        }
        if (connections.load() > 0)
          util::log_warn("shutdown grace period over; closing " + std::to_string(connections.load()) +
                         " connection(s)");
        for (auto& worker : workers) {
          worker->guard.reset();
          worker->ctx.stop();
        }
      },
      net::detached);
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
  impl_->bound_port = impl_->acceptor->local_endpoint().port();
}

std::uint16_t Server::port() const noexcept { return impl_->bound_port; }

void Server::run() {
  const auto period = sweep_period(impl_->options.limits);
  for (auto& worker : impl_->workers) net::co_spawn(worker->ctx, sweep_timeouts(*worker, period), net::detached);
  net::co_spawn(impl_->workers[0]->ctx, impl_->accept_loop(), net::detached);
  for (std::size_t i = 1; i < impl_->workers.size(); ++i) {
    Worker* w = impl_->workers[i].get();
    w->thread = std::thread([w] { w->ctx.run(); });
  }
  impl_->workers[0]->ctx.run();
  for (std::size_t i = 1; i < impl_->workers.size(); ++i)
    if (impl_->workers[i]->thread.joinable()) impl_->workers[i]->thread.join();
}

void Server::stop() {
  std::call_once(impl_->stop_once, [this] { impl_->begin_shutdown(); });
}

}  // namespace llamachat::http
