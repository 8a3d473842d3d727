// Connection: one request at a time per connection (keep-alive, pipelining), limits, timeouts, the
// disconnect watch and the one write path of responses.
#include "http/server/connection.hpp"

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/read_size.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <system_error>

#include "http/server/request_checks.hpp"
#include "http/server/response_head.hpp"
#include "observe/metrics.hpp"
#include "observe/request_id.hpp"
#include "util/log.hpp"

namespace llamachat::http {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr auto as_tuple_awaitable = net::as_tuple(net::use_awaitable);
// First read of a request, and the read that watches for a disconnect: a typical request fits, and a
// larger one is read on in further pieces. Every open connection holds a buffer of at least this size,
// so it counts at ten thousand connections (4 KiB here cost 40 MB there).
constexpr std::size_t kReadChunk = 1024;

// What a connection is doing. Whether a watch read is pending (watching_) and why an operation was
// cancelled (timed_out_) are facts about pending operations, not phases.
enum class Phase : std::uint8_t {
  awaiting_request,       // idle between requests: shutdown closes it
  reading_request,        // header and body, within their timeouts
  handling,               // the handler runs and has sent nothing yet
  responded,              // a whole response was written
  streaming,              // a chunked response is under way
  streaming_until_close,  // an HTTP/1.0 stream: its body ends when the connection closes
  client_gone,            // the client left or a write failed: nothing more is written
};

// How the connection goes on after the current response.
enum class After : std::uint8_t {
  keep_alive,
  close,
  linger_then_close,  // an error was answered before the request was read: linger before closing
};

// Whether a whole response goes out, and with its body.
enum class Send : std::uint8_t { nothing, head_only, head_and_body };

}  // namespace

class Connection final : public Exchange {
 public:
  Connection(const ServerState& server, tcp::socket socket)
      : server_(server), socket_(std::move(socket)), watch_timer_(socket_.get_executor()) {
    beast::error_code ec;  // a socket reset before this point has no peer: the address stays unspecified
    const auto endpoint = socket_.remote_endpoint(ec);
    if (!ec) peer_ = endpoint.address();
  }

  const Request& request() const noexcept override { return request_; }
  const std::string& request_id() const noexcept override { return request_id_; }
  bool client_gone() const noexcept override { return phase_ == Phase::client_gone; }
  net::ip::address peer_address() const noexcept override { return peer_; }
  bool peer_finished_sending() const noexcept override { return peer_finished_sending_; }
  bool interrupted() const noexcept override { return interrupted_; }
  // End of the shutdown drain: a request still in progress is told to stop (its disconnect signal), and
  // interrupted() tells the handler that its client is still there for a final error.
  void interrupt() noexcept {
    const bool in_progress =
        phase_ == Phase::handling || phase_ == Phase::streaming || phase_ == Phase::streaming_until_close;
    if (!in_progress || !gone_signal_ || interrupted_) return;
    interrupted_ = true;
    gone_signal_->emit();
  }
  bool idle() const noexcept { return phase_ == Phase::awaiting_request; }
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
    const ServerLimits& limits = server_.limits;
    bool first = true;
    for (;;) {
      phase_ = Phase::awaiting_request;
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
      phase_ = Phase::reading_request;
      // Phase 2: the header, within header_timeout.
      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
      parser.body_limit(limits.max_body_bytes);
      const beast::error_code hec = co_await read_into(parser, false, limits.header_timeout);
      if (hec) {
        co_await reject_unreadable(hec, "header", parser.get().target());
        break;
      }
      if (auto refusal = refuse_head(parser.get().base(), limits.max_header_fields)) {
        co_await reject(json_error_response(refusal->status, refusal->message));
        break;
      }
      if (auto origin = origin_form_of(parser.get().target())) parser.get().target(*origin);
      after_ = parser.get().keep_alive() ? After::keep_alive : After::close;
      if (auto length = parser.content_length(); length && *length > limits.max_body_bytes) {
        co_await reject(early_error(parser.get().target(), 413,
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
      record_.reset();
      record_.started = SteadyClock::now();
      finished_ = false;
      interrupted_ = false;
      observe::assign_request_id(request_id_, request_["X-Request-Id"]);
      phase_ = Phase::handling;
      if (server_.stopping.load()) close_after();
      bool failed = false;
      try {
        co_await server_.handler(*this);
      } catch (const std::exception& e) {
        util::log_error("request " + request_id_ + " failed: " + e.what());
        failed = true;
      }
      if (failed) {
        if (phase_ == Phase::handling) {
          co_await respond(
              json_error_response(500, "internal error (request id " + request_id_ + ")", request_.version()));
        } else {
          close_after();  // a half-written response cannot be completed
        }
      }
      if (phase_ == Phase::handling) {
        close_after();
        co_await respond(json_error_response(500, "internal error: handler sent no response", request_.version()));
      }
      finish_request();
      gone_signal_.reset();  // the request is over; a disconnect from now on concerns nobody
      if (after_ != After::keep_alive || phase_ == Phase::client_gone) break;
      // A pipelined request already buffered goes first; otherwise a disconnect watch still pending
      // becomes the wait for the next request: the same read, so no cancellation and no second read to
      // start (see watch_client).
      if (watching_ && buffer_.size() > 0) co_await stop_watching();
      if (watching_) {
        phase_ = Phase::awaiting_request;
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
    if (after_ == After::linger_then_close) co_await linger();
    socket_.close(ignored);
  }

  // After run() failed with an exception: no read may still refer to this connection when it goes.
  net::awaitable<void> abandon() {
    co_await stop_watching();
    beast::error_code ignored;  // the socket may already be closed
    socket_.close(ignored);
  }

  // respond() and respond_with() write the head now and return the coroutine that sends it with the body
  // (one coroutine frame per response).
  net::awaitable<void> respond(Response response) override {
    const Send send = prepare_whole(response.version(), response.result_int(), response.reason(), response.base(),
                                    response.body().size(), request_.method() == bhttp::verb::head);
    return write_whole(send, std::move(response.body()));
  }

  net::awaitable<void> respond_with(unsigned status, std::span<const FieldView> fields, std::string body) override {
    const Send send =
        prepare_whole(request_.version(), status, {}, fields, body.size(), request_.method() == bhttp::verb::head);
    return write_whole(send, std::move(body));
  }

  net::awaitable<bool> begin_stream(Response head) override {
    if (phase_ == Phase::client_gone) co_return false;
    if (server_.stopping.load()) close_after();
    // HTTP/1.0 has no chunked coding: the body ends when the connection closes.
    const bool chunked = head.version() != 10;
    phase_ = chunked ? Phase::streaming : Phase::streaming_until_close;
    if (!chunked) close_after();
    record_.status = head.result_int();
    record_.streamed = true;
    observe::metrics().stream_opened();
    const ResponseHead response_head{head.version(), head.result_int(),
                                     head.reason(),  request_id_,
                                     keep_alive(),   chunked ? BodyFraming::chunked : BodyFraming::until_close};
    write_response_head(head_, response_head, head.base());
    const bool ok = co_await write_all(net::buffer(head_));
    co_return ok;
  }

  net::awaitable<bool> write_chunk(std::string_view data) override {
    if (phase_ == Phase::client_gone) co_return false;
    if (data.empty()) co_return true;  // an empty chunk would end the body
    if (phase_ == Phase::streaming_until_close) {
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
    finish_request();
    if (phase_ != Phase::streaming) co_return;
    static constexpr std::string_view kLastChunk = "0\r\n\r\n";
    co_await write_all(net::buffer(kLastChunk));
  }

  std::shared_ptr<util::CancelSignal> watch_client() override {
    if (!gone_signal_) gone_signal_ = std::make_shared<util::CancelSignal>();
    if (phase_ == Phase::client_gone) {
      gone_signal_->emit();
    } else if (!watching_ && !peer_finished_sending_) {
      watching_ = true;
      // A plain completion handler rather than a coroutine: this runs on every chat request. run() never
      // returns while it is pending (stop_watching), so `this` outlives it.
      socket_.async_read_some(buffer_.prepare(kReadChunk),
                              [this](const beast::error_code& ec, std::size_t n) { on_watch_complete(ec, n); });
    }
    return gone_signal_;
  }

 private:
  // Feeds the parser from the buffer and the socket until it has the header (whole = false) or the
  // whole message, within `timeout`. Bytes after the message (a pipelined request) stay in the buffer.
  net::awaitable<beast::error_code> read_into(bhttp::request_parser<bhttp::string_body>& parser, bool whole,
                                              std::chrono::milliseconds timeout) {
    parser.eager(whole);
    arm_deadline(timeout);
    // Beast applies its header limit to the part of the head it has not yet taken, so a head read in
    // pieces could pass it by the length of the pieces taken before; the limit is counted here instead.
    const std::size_t head_limit = server_.limits.max_header_bytes;
    std::size_t head_taken = 0;  // header phase: the bytes of the head the parser has taken
    beast::error_code ec;
    for (;;) {
      if (whole ? parser.is_done() : parser.is_header_done()) break;
      if (buffer_.size() > 0) {
        const std::size_t used = parser.put(buffer_.data(), ec);
        if (!whole && !ec && has_obs_fold(std::string_view(static_cast<const char*>(buffer_.data().data()), used))) {
          ec = bhttp::error::bad_field;  // Beast would join the lines; refused instead
          break;
        }
        if (!whole && ec == bhttp::error::bad_version)
          names_other_version_ =
              names_an_http_version(std::string_view(static_cast<const char*>(buffer_.data().data()), buffer_.size()));
        buffer_.consume(used);
        if (!whole) head_taken += used;
        if (ec == bhttp::error::need_more) {
          ec = {};
          if (!whole && head_taken + buffer_.size() >= head_limit) {
            ec = bhttp::error::header_limit;  // the first head_limit bytes hold no end of the head
            break;
          }
          // What stays unparsed in the body phase is a chunk-size line (with its extensions) or the
          // trailer section, never body data: bound it like a header, or an endless one grows the buffer.
          if (whole && buffer_.size() > head_limit) {
            ec = make_error_code(std::errc::message_size);
            break;
          }
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
    if (!ec && !whole && head_taken > head_limit) ec = bhttp::error::header_limit;
    disarm_deadline();
    co_return ec;
  }

  // Writes every byte of `buffers` within write_timeout; false (and the client counts as gone) otherwise.
  template <typename Buffers>
  net::awaitable<bool> write_all(Buffers buffers) {
    arm_deadline(server_.limits.write_timeout);
    auto [ec, n] = co_await net::async_write(socket_, buffers, as_tuple_awaitable);
    disarm_deadline();
    if (ec) mark_gone();
    co_return !ec;
  }

  // The read that watches the connection while the handler works: data is the next pipelined request
  // (kept in the buffer). EOF after a whole request is a half-close (shutdown(SHUT_WR)): the client sent
  // all it will send and still reads, so the answer goes out and then the connection closes. A full
  // close also reads as EOF; it shows when a write fails, which marks the client gone (write_all). A
  // read error (a reset) means the client left. Cancellation (operation_aborted) says nothing.
  void on_watch_complete(const beast::error_code& ec, std::size_t n) {
    watching_ = false;
    if (!ec) {
      buffer_.commit(n);
    } else if (ec == net::error::eof) {
      peer_finished_sending_ = true;
      close_after();
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

  bool keep_alive() const noexcept { return after_ == After::keep_alive; }
  void close_after() noexcept {
    if (after_ == After::keep_alive) after_ = After::close;
  }

  void mark_gone() {
    if (phase_ == Phase::client_gone) return;
    phase_ = Phase::client_gone;
    close_after();
    if (gone_signal_) gone_signal_->emit();
  }

  // The server's own answer to a request refused before the handler: in the shape of the API under
  // the request's path (ServerOptions::early_error), else the plain JSON error.
  Response early_error(std::string_view target, unsigned status, std::string_view message, unsigned version) const {
    const auto& render = server_.early_error;
    return render ? render(target, status, message, version) : json_error_response(status, message, version);
  }

  // Answers a request that could not be read, when an answer still makes sense.
  net::awaitable<void> reject_unreadable(beast::error_code ec, std::string_view phase, std::string_view target) {
    const auto& limits = server_.limits;
    if (ec == bhttp::error::body_limit) {
      co_await reject(
          early_error(target, 413, "request body exceeds " + std::to_string(limits.max_body_bytes) + " bytes", 11));
    } else if (ec == bhttp::error::bad_version && names_other_version_) {
      // Beast takes HTTP/1.0 and HTTP/1.1 only: an HTTP/2 preface ("PRI * HTTP/2.0") or HTTP/1.2 ends
      // here; a request line without a version (HTTP/0.9) or with a broken one is a plain 400.
      co_await reject(json_error_response(505, "HTTP version not supported; send HTTP/1.1"));
    } else if (ec == std::errc::message_size) {
      co_await reject(json_error_response(400, "a chunk-size line or the trailer section exceeds " +
                                                   std::to_string(limits.max_header_bytes) + " bytes"));
    } else if (ec == bhttp::error::header_limit) {
      co_await reject(
          json_error_response(431, "request header exceeds " + std::to_string(limits.max_header_bytes) + " bytes"));
    } else if (ec == beast::error::timeout) {
      co_await reject(json_error_response(408, "timed out reading the request " + std::string(phase)));
    } else if (ec == bhttp::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset ||
               ec == net::error::operation_aborted || ec == bhttp::error::partial_message) {
      // The client went away mid-request: nobody to answer.
    } else {
      co_await reject(json_error_response(400, "malformed HTTP request: " + ec.message()));
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

  // Writes the head of a whole response into head_ (see response_head.hpp) and says what goes out. This
  // and write_whole are the one path of every whole response.
  template <typename Fields>
  Send prepare_whole(unsigned version, unsigned status, std::string_view reason, const Fields& fields,
                     std::size_t body_size, bool head_request) {
    if (phase_ == Phase::client_gone) return Send::nothing;
    if (phase_ == Phase::handling) {
      phase_ = Phase::responded;
      record_.status = status;
    }
    if (server_.stopping.load()) close_after();  // draining: this is the connection's last response
    const ResponseHead head{version, status, reason, request_id_, keep_alive(), BodyFraming::content_length, body_size};
    write_response_head(head_, head, fields);
    return status_has_body(status) && !head_request ? Send::head_and_body : Send::head_only;
  }

  net::awaitable<void> write_whole(Send send, std::string body) {
    finish_request();
    if (send == Send::nothing) co_return;
    const std::array<net::const_buffer, 2> buffers{
        net::buffer(head_), send == Send::head_and_body ? net::buffer(body) : net::const_buffer()};
    co_await write_all(buffers);
  }

  // Answers a request that could not be read (with a request id of its own), then lingers and closes.
  net::awaitable<void> reject(Response response) {
    after_ = After::linger_then_close;
    request_ = {};
    record_.reset();
    record_.started = SteadyClock::now();
    record_.status = response.result_int();
    finished_ = false;
    observe::assign_request_id(request_id_, {});
    const Send send = prepare_whole(response.version(), response.result_int(), response.reason(), response.base(),
                                    response.body().size(), false);
    co_await write_whole(send, std::move(response.body()));
  }

  // The request is over: its metrics and log line, once. Called before the last write of the response
  // (so that a client that has read the response sees it counted; the duration excludes that write), and
  // after the handler for requests that did not get that far. A client that left before any response
  // counts as status 499 (the convention of nginx for "client closed request").
  void finish_request() {
    if (finished_) return;
    finished_ = true;
    record_.duration = std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - record_.started);
    if (record_.status == 0 && phase_ == Phase::client_gone) record_.status = 499;
    observe::Metrics& metrics = observe::metrics();
    if (record_.streamed) metrics.stream_closed();
    metrics.record_request(record_);
    if (server_.on_request_done) server_.on_request_done(*this);
  }

  const ServerState& server_;
  tcp::socket socket_;
  net::ip::address peer_;  // unspecified when the socket had no peer at accept time
  beast::flat_buffer buffer_;
  Request request_;
  std::string request_id_;
  std::string head_;  // the response head being written; its capacity is reused across responses
  SteadyClock::time_point deadline_ = SteadyClock::time_point::max();
  Phase phase_ = Phase::awaiting_request;
  After after_ = After::keep_alive;
  bool timed_out_ = false;                           // the pending operation was cancelled by the deadline sweep
  bool interrupted_ = false;                         // see interrupt()
  bool finished_ = true;                             // the current request's record was taken (finish_request)
  bool watching_ = false;                            // the disconnect watch's read is pending
  bool names_other_version_ = false;                 // the request line refused for its version names one (505)
  bool peer_finished_sending_ = false;               // the watch read EOF: no further request will come
  std::shared_ptr<util::CancelSignal> gone_signal_;  // the current request's, created by watch_client
  net::steady_timer watch_timer_;
};

net::awaitable<void> serve_connection(const ServerState& server, ConnectionSet& live, tcp::socket socket) {
  Connection connection(server, std::move(socket));
  live.insert(&connection);
  bool failed = false;
  try {
    co_await connection.run();
  } catch (const std::exception& e) {
    util::log_warn(std::string("connection ended with an error: ") + e.what());
    failed = true;
  }
  if (failed) co_await connection.abandon();
  live.erase(&connection);
  server.open_count.fetch_sub(1);
}

void expire_due(const ConnectionSet& live, SteadyClock::time_point now) noexcept {
  for (Connection* c : live) c->expire_if_due(now);
}

void close_idle(const ConnectionSet& live) noexcept {
  for (Connection* c : live)
    if (c->idle()) c->cancel_io();
}

void interrupt_in_flight(const ConnectionSet& live) noexcept {
  // Emitting a signal runs its subscribers, which only cancel operations: the set does not change here.
  for (Connection* c : live) c->interrupt();
}

}  // namespace llamachat::http
