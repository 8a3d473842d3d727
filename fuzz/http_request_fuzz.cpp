// Bytes from a client, through the server's own connection code (src/http/server: request reading,
// limits, keep-alive and pipelining) and the service's real routes (app::build_router with the offline
// backend: the page, /healthz, POST /chat, /v1/...). One input is everything one client sends on one
// connection, followed by a half-close; the harness reads until the server closes.
//
// The connection runs over a socketpair in one io_context, so no port, thread or timer is involved.
// Oracle: the server always closes (a run that does not finish is a hang), and everything it wrote is
// a sequence of well-formed HTTP/1.x responses.
#include <sys/socket.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/parse.hpp>
#include <chrono>
#include <cstdlib>
#include <memory>

#include "app/config.hpp"
#include "app/wiring.hpp"
#include "backends/offline/offline_backend.hpp"
#include "harness.hpp"
#include "http/server/connection.hpp"
#include "util/log.hpp"

namespace net = boost::asio;
namespace bhttp = boost::beast::http;
using llamachat::fuzz::expect;

namespace {

// The service as `llamachat` builds it with no configuration: the offline backend, default limits.
struct Service {
  llamachat::app::AppConfig config;
  llamachat::http::ServerOptions options = llamachat::app::server_options(config);
  llamachat::http::Handler handler =
      llamachat::app::build_router(config, std::make_shared<llamachat::backends::offline::OfflineBackend>());
  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> open_connections{0};
  llamachat::http::ServerState state{options.limits, options.early_error, handler, options.on_request_done,
                                     stopping,       open_connections};
};

Service& service() {
  static Service* const instance = [] {
    llamachat::util::set_log_level(llamachat::util::LogLevel::error);  // one log line per request is noise here
    return new Service;
  }();
  return *instance;
}

// A body labelled JSON is one JSON document in valid UTF-8 (Boost.JSON refuses invalid UTF-8 in strings):
// whatever bytes a request carried, an error that quotes them stays JSON (issue 14, defect 4).
void expect_json_body_is_json(const bhttp::response<bhttp::string_body>& response) {
  if (!response[bhttp::field::content_type].starts_with("application/json")) return;
  boost::system::error_code ec;
  (void)boost::json::parse(response.body(), ec);
  expect(!ec, "a body labelled application/json is not valid JSON in UTF-8");
}

// Parses the response at the start of `wire` and returns its length. Bodies are complete: chunked ones
// end with their last chunk, others have their Content-Length or run to the close. A response to HEAD
// announces a length but has no body; the harness does not track methods, so a head followed by nothing
// or by the next response ("HTTP/1.") is taken as one (the service's bodies never start with "HTTP/").
std::size_t parse_response(std::string_view wire) {
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(boost::none);
  boost::system::error_code ec;
  std::size_t used = parser.put(net::buffer(wire.data(), wire.size()), ec);
  expect(!ec && parser.is_header_done(), "the server wrote a malformed or truncated response head");
  const unsigned status = parser.get().result_int();
  expect(status >= 100 && status <= 599, "a response status out of range");
  if (parser.is_done()) {
    expect_json_body_is_json(parser.get());
    return used;
  }
  const std::string_view rest = wire.substr(used);
  if (!parser.chunked() && (rest.empty() || rest.starts_with("HTTP/1."))) return used;
  parser.eager(true);
  while (!parser.is_done() && used < wire.size()) {
    const std::size_t n = parser.put(net::buffer(wire.data() + used, wire.size() - used), ec);
    used += n;
    if (ec || n == 0) break;
  }
  if (!parser.is_done() && (!ec || ec == bhttp::error::need_more)) {
    ec = {};
    parser.put_eof(ec);  // close-delimited: complete; chunked or short of its length: an error
    used = wire.size();
  }
  expect(!ec && parser.is_done(), "the server wrote a malformed or truncated response body");
  expect_json_body_is_json(parser.get());
  return used;
}

// Everything the server wrote is complete HTTP/1.x responses, one after another.
void expect_well_formed_responses(std::string_view wire) {
  if (std::getenv("FUZZ_HTTP_SHOW_WIRE")) std::fprintf(stderr, "%.*s\n", static_cast<int>(wire.size()), wire.data());
  while (!wire.empty()) wire.remove_prefix(parse_response(wire));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Service& svc = service();
  net::io_context ioc;
  int fds[2];
  expect(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0, "socketpair failed");
  // The server's connection code takes a TCP socket; it only reads, writes and shuts down, which a
  // stream socketpair supports alike.
  net::ip::tcp::socket server_side(ioc);
  server_side.assign(net::ip::tcp::v4(), fds[0]);
  net::local::stream_protocol::socket client(ioc);
  client.assign(net::local::stream_protocol(), fds[1]);

  llamachat::http::ConnectionSet live;
  svc.open_connections.fetch_add(1);
  net::co_spawn(ioc, llamachat::http::serve_connection(svc.state, live, std::move(server_side)), net::detached);

  const auto on_written = [&client](boost::system::error_code, std::size_t) {
    boost::system::error_code ignored;
    client.shutdown(net::socket_base::shutdown_send, ignored);
  };
  net::async_write(client, net::buffer(data, size), on_written);
  std::string wire;
  bool closed = false;
  const auto on_read = [&closed](boost::system::error_code, std::size_t) { closed = true; };
  net::async_read(client, net::dynamic_buffer(wire, 64 << 20), on_read);

  // Nothing here waits on time (no timer is armed by the harness, the server's deadlines are enforced by
  // its workers, absent here): the loop ends when every operation has completed. The bound only turns a
  // hang into a finding instead of a libFuzzer timeout.
  ioc.run_for(std::chrono::seconds(20));
  expect(closed, "the server did not close the connection after the client's half-close (hang)");
  expect(live.empty(), "a connection outlived its socket");
  expect_well_formed_responses(wire);
  return 0;
}
