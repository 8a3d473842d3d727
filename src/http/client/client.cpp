// Client: open() and the send loop. The pieces it drives: connector (connect, TLS, proxy tunnel, I/O
// errors), pool (idle connections, the one place that decides reuse), response_parser, response_stream and
// request_writer.
#include "http/client/client.hpp"

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>

#include "http/client/connector.hpp"
#include "http/client/pool.hpp"
#include "http/client/request_writer.hpp"
#include "http/client/response_stream.hpp"

namespace llamachat::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using SteadyClock = std::chrono::steady_clock;

namespace {
constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);
constexpr std::uint32_t kHeaderLimit = 64 * 1024;
}  // namespace

// Everything a Client owns. The coroutines hold it by shared_ptr, and every stream holds the pool, so a
// request or stream may outlive the Client object.
struct Client::Impl {
  Impl(asio::any_io_executor ex, ClientOptions opts)
      : options(std::move(opts)),
        connector(std::move(ex), options),
        pool(std::make_shared<Pool>(options.max_idle_per_origin, options.idle_timeout)) {}

  static asio::awaitable<std::unique_ptr<ResponseStream>> open(std::shared_ptr<Impl> self, Url url, ClientRequest in,
                                                               SteadyClock::time_point deadline);
  static asio::awaitable<ClientResponse> send(std::shared_ptr<Impl> self, Url url, ClientRequest in,
                                              SteadyClock::time_point deadline);

  ClientOptions options;
  Connector connector;  // refers to options
  std::shared_ptr<Pool> pool;
  ClientStats stats;
};

asio::awaitable<std::unique_ptr<ResponseStream>> Client::Impl::open(std::shared_ptr<Impl> self, Url url,
                                                                    ClientRequest in,
                                                                    SteadyClock::time_point deadline) {
  if (url.scheme != "http" && url.scheme != "https") {
    fail(ClientErrorKind::protocol, "unsupported URL scheme \"" + url.scheme + "\"");
  }
  const std::string origin = url.origin();
  auto written = write_request_head(in.method, in.target, in.headers, in.body.size(), url);
  if (const auto* error = std::get_if<RequestHeadError>(&written)) {
    fail(ClientErrorKind::protocol, *error == RequestHeadError::invalid_request_line
                                        ? "invalid request line for " + origin
                                        : "invalid header field in request to " + origin);
  }
  const RequestHead request = std::move(std::get<RequestHead>(written));
  const std::string body = std::move(in.body);
  util::CancelSignal* const cancel = in.cancel.get();
  const std::array<asio::const_buffer, 2> request_buffers{asio::buffer(request.text), asio::buffer(body)};

  for (int attempt = 0;; ++attempt) {
    // The retry (attempt 1) never takes a pooled connection: a fresh one is the whole point.
    std::unique_ptr<ClientConnection> c = attempt == 0 ? self->pool->take(origin) : nullptr;
    const bool reused = c != nullptr;
    if (reused) {
      ++self->stats.connections_reused;
    } else {
      c = co_await self->connector.connect(url, deadline);
      ++self->stats.connections_opened;
    }
    if (cancel && cancel->emitted()) fail(ClientErrorKind::closed, "request to " + origin + " was aborted");
    // While this attempt owns `c`, cancelling closes it; the subscription goes before `c` does.
    const auto close_on_cancel = util::on_cancel(cancel, [conn = c.get()] { conn->tcp().close(); });
    c->reusable = request.keep_alive;

    c->tcp().expires_at(deadline);
    const auto write_request = [&](auto& s) { return asio::async_write(s, request_buffers, nothrow); };
    auto [wec, sent] = co_await on_stream(*c, write_request);
    if (wec) {
      if (reused && wec != beast::error::timeout) continue;
      fail_io(wec, "writing the request to", origin);
    }

    ResponseParser* parser = &c->new_parser();
    for (;;) {
      parser->header_limit(kHeaderLimit);
      parser->body_limit(boost::none);  // streams are unbounded; read_all() applies max_body_bytes
      if (request.head_method) parser->skip(true);
      const auto read_header = [&](auto& s) { return bhttp::async_read_header(s, c->buffer, *parser, nothrow); };
      auto [rec, read] = co_await on_stream(*c, read_header);
      if (cancel && cancel->emitted()) fail(ClientErrorKind::closed, "request to " + origin + " was aborted");
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
      co_return std::make_unique<ConnectionStream>(self->pool, std::move(c), origin, deadline,
                                                   self->options.max_body_bytes, cancel);
    }
  }
}

asio::awaitable<ClientResponse> Client::Impl::send(std::shared_ptr<Impl> self, Url url, ClientRequest in,
                                                   SteadyClock::time_point deadline) {
  auto stream = co_await open(std::move(self), std::move(url), std::move(in), deadline);
  ClientResponse response;
  response.status = stream->status();
  response.headers = stream->headers();
  response.body = co_await stream->read_all();
  co_return response;
}

Client::Client(asio::any_io_executor executor, ClientOptions options)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(options))) {}

// Streams still open keep the pool alive; they must not pool into a client that is gone.
Client::~Client() { impl_->pool->shut_down(); }

// send() and open() are plain functions returning the coroutine, so the arguments are copied now, not
// when the caller first awaits (a temporary Url would be gone by then).
asio::awaitable<ClientResponse> Client::send(const Url& origin, ClientRequest request,
                                             std::chrono::steady_clock::time_point deadline) {
  return Impl::send(impl_, origin, std::move(request), deadline);
}

asio::awaitable<std::unique_ptr<ResponseStream>> Client::open(const Url& origin, ClientRequest request,
                                                              std::chrono::steady_clock::time_point deadline) {
  return Impl::open(impl_, origin, std::move(request), deadline);
}

ClientStats Client::stats() const noexcept { return impl_->stats; }

const ClientOptions& Client::options() const noexcept { return impl_->options; }

}  // namespace llamachat::http
