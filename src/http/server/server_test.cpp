#include "http/server/server.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <future>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace llamachat::http {
namespace {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

// Safety net only: a broken server makes a read fail after this long instead of hanging the suite.
constexpr auto kSafety = 20s;

net::awaitable<void> sleep_for(std::chrono::milliseconds d) {
  net::steady_timer timer(co_await net::this_coro::executor, d);
  co_await timer.async_wait(net::as_tuple(net::use_awaitable));
}

// A Server on 127.0.0.1:<any>, run on its own thread; stopped and joined on destruction.
class RunningServer {
 public:
  explicit RunningServer(Handler handler, ServerLimits limits = {}, unsigned threads = 1)
      : server_(ServerOptions{"127.0.0.1", 0, threads, limits}, std::move(handler)) {
    server_.listen();
    thread_ = std::thread([this] {
      server_.run();
      returned_.set_value();
    });
  }
  ~RunningServer() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  std::uint16_t port() const { return server_.port(); }
  Server& server() { return server_; }
  // Waits for run() to return (bounded by the safety net); true when it did.
  bool wait_returned() {
    if (joined_) return true;
    if (returned_future_.wait_for(kSafety) != std::future_status::ready) return false;
    thread_.join();
    joined_ = true;
    return true;
  }

 private:
  Server server_;
  std::promise<void> returned_;
  std::future<void> returned_future_ = returned_.get_future();
  std::thread thread_;
  bool joined_ = false;
};

// A blocking test client on one TCP connection.
class Client {
 public:
  explicit Client(std::uint16_t port) : socket_(ctx_) {
    socket_.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    timeval tv{static_cast<time_t>(kSafety.count()), 0};
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  void send(std::string_view bytes) { net::write(socket_, net::buffer(bytes)); }
  void send(Request req) {
    req.prepare_payload();
    bhttp::write(socket_, req);
  }
  Response read() {
    Response res;
    bhttp::read(socket_, buffer_, res);
    return res;
  }
  Response read_head_response() {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.skip(true);
    bhttp::read(socket_, buffer_, parser);
    return parser.release();
  }
  // Everything until the server closes the connection (or the safety timeout).
  std::string read_to_end() {
    std::string out(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    buffer_.consume(buffer_.size());
    boost::system::error_code ec;
    char chunk[4096];
    for (;;) {
      const std::size_t n = socket_.read_some(net::buffer(chunk), ec);
      if (ec) break;
      out.append(chunk, n);
    }
    last_error_ = ec;
    return out;
  }
  boost::system::error_code last_error() const { return last_error_; }
  void close() {
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }
  // Leaves at once: SO_LINGER 0 makes the close a reset, which the server reads as the client gone
  // (a plain close reads as a half-close until a write fails).
  void reset() {
    boost::system::error_code ignored;
    socket_.set_option(net::socket_base::linger(true, 0), ignored);
    socket_.close(ignored);
  }
  // Says "no more requests" but keeps reading (shutdown(SHUT_WR)).
  void half_close() { socket_.shutdown(tcp::socket::shutdown_send); }
  tcp::socket& socket() { return socket_; }

 private:
  net::io_context ctx_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
  boost::system::error_code last_error_;
};

Request get(std::string target, unsigned version = 11) {
  Request req{bhttp::verb::get, target, version};
  req.set(bhttp::field::host, "localhost");
  return req;
}

Response text(unsigned status, std::string body) {
  Response res{static_cast<bhttp::status>(status), 11};
  res.set(bhttp::field::content_type, "text/plain");
  res.body() = std::move(body);
  return res;
}

bool is_request_id(std::string_view id) {
  return id.size() == 16 && id.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

Handler echo_handler() {
  return [](Exchange& ex) -> net::awaitable<void> {
    const Request& req = ex.request();
    co_await ex.respond(
        text(200, std::string(req.method_string()) + " " + std::string(req.target()) + " " + req.body()));
  };
}

// --- pure helpers ---

TEST(JsonQuote, EscapesWhatJsonRequires) {
  EXPECT_EQ(json_quote(""), "\"\"");
  EXPECT_EQ(json_quote("plain"), "\"plain\"");
  EXPECT_EQ(json_quote("q\"b\\n\nr\rt\t"), "\"q\\\"b\\\\n\\nr\\rt\\t\"");
  EXPECT_EQ(json_quote(std::string("\x00\x01\x1f", 3)), "\"\\u0000\\u0001\\u001f\"");
  EXPECT_EQ(json_quote("caf\xC3\xA9 / \x7f"), "\"caf\xC3\xA9 / \x7f\"");
}

TEST(JsonQuote, EveryControlCharacterIsEscaped) {
  for (int c = 0; c < 0x20; ++c) {
    const std::string quoted = json_quote(std::string(1, static_cast<char>(c)));
    EXPECT_EQ(quoted.find_first_of(std::string("\0\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f"
                                               "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f",
                                               32)),
              std::string::npos)
        << c;
    EXPECT_EQ(quoted.front(), '"');
    EXPECT_EQ(quoted.back(), '"');
    EXPECT_EQ(quoted[1], '\\') << c;
  }
}

TEST(JsonErrorResponse, Shape) {
  const Response res = json_error_response(404, "no \"route\"", 10);
  EXPECT_EQ(res.result_int(), 404u);
  EXPECT_EQ(res.version(), 10u);
  EXPECT_EQ(res[bhttp::field::content_type], "application/json; charset=utf-8");
  EXPECT_EQ(res.body(), R"({"error":"no \"route\""})");
}

// --- the running server ---

TEST(Server, ListenOnPortZeroPicksAPort) {
  RunningServer s(echo_handler());
  EXPECT_NE(s.port(), 0);
}

TEST(Server, ListenOnATakenPortThrows) {
  RunningServer s(echo_handler());
  Server second(ServerOptions{"127.0.0.1", s.port(), 1, {}}, echo_handler());
  try {
    second.listen();
    FAIL() << "listen() on a taken port must throw";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find(std::to_string(s.port())), std::string::npos) << e.what();
  }
}

TEST(Server, ListenOnAnInvalidAddressThrows) {
  Server server(ServerOptions{"not-an-address", 0, 1, {}}, echo_handler());
  EXPECT_THROW(server.listen(), std::system_error);
}

TEST(Server, RespondSendsTheResponseWithRequestIdAndServer) {
  RunningServer s(echo_handler());
  Client c(s.port());
  Request req{bhttp::verb::post, "/echo?x=1", 11};
  req.set(bhttp::field::host, "localhost");
  req.body() = "payload";
  c.send(req);
  const Response res = c.read();
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res.body(), "POST /echo?x=1 payload");
  EXPECT_EQ(res[bhttp::field::server], "llamachat");
  EXPECT_EQ(res[bhttp::field::content_type], "text/plain");
  EXPECT_EQ(res[bhttp::field::content_length], "22");
  EXPECT_TRUE(is_request_id(res["X-Request-Id"])) << res["X-Request-Id"];
  EXPECT_TRUE(res.keep_alive());
}

TEST(Server, RespondWithWritesTheFieldsAndDropsTheServersOwn) {
  RunningServer s([](Exchange& ex) -> net::awaitable<void> {
    const std::array<FieldView, 4> fields{{{"Content-Type", "application/json"},
                                           {"X-Custom", "yes"},
                                           {"Content-Length", "999"},
                                           {"X-Request-Id", "forged"}}};
    co_await ex.respond_with(201, fields, "{\"ok\":true}");
  });
  Client c(s.port());
  c.send(get("/"));
  const Response res = c.read();
  EXPECT_EQ(res.result_int(), 201u);
  EXPECT_EQ(res.reason(), "Created");
  EXPECT_EQ(res[bhttp::field::content_type], "application/json");
  EXPECT_EQ(res["X-Custom"], "yes");
  EXPECT_EQ(res[bhttp::field::content_length], "11");
  EXPECT_TRUE(is_request_id(res["X-Request-Id"]));
  EXPECT_EQ(res[bhttp::field::server], "llamachat");
  EXPECT_EQ(res.body(), "{\"ok\":true}");
  c.send(get("/again"));  // the connection stays usable
  EXPECT_EQ(c.read().result_int(), 201u);
}

TEST(Server, RespondWithToHeadSendsTheLengthButNoBody) {
  RunningServer s([](Exchange& ex) -> net::awaitable<void> {
    const std::array<FieldView, 1> fields{{{"Content-Type", "text/plain"}}};
    co_await ex.respond_with(200, fields, "twelve bytes");
  });
  Client c(s.port());
  Request head = get("/");
  head.method(bhttp::verb::head);
  c.send(head);
  const Response res = c.read_head_response();
  EXPECT_EQ(res[bhttp::field::content_length], "12");
  EXPECT_TRUE(res.body().empty());
  c.send(get("/"));
  EXPECT_EQ(c.read().body(), "twelve bytes");
}

TEST(Server, KeepAliveServesSeveralRequestsOnOneConnection) {
  RunningServer s(echo_handler());
  Client c(s.port());
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    c.send(get("/n" + std::to_string(i)));
    const Response res = c.read();
    EXPECT_EQ(res.body(), "GET /n" + std::to_string(i) + " ");
    ids.emplace_back(res["X-Request-Id"]);
  }
  EXPECT_NE(ids[0], ids[1]);
  EXPECT_NE(ids[1], ids[2]);
}

TEST(Server, PipelinedRequestsAreAnsweredInOrder) {
  RunningServer s(echo_handler());
  Client c(s.port());
  c.send(
      "GET /first HTTP/1.1\r\nHost: x\r\n\r\n"
      "POST /second HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
      "GET /third HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(c.read().body(), "GET /first ");
  EXPECT_EQ(c.read().body(), "POST /second abc");
  EXPECT_EQ(c.read().body(), "GET /third ");
}

TEST(Server, ConnectionCloseIsHonoured) {
  RunningServer s(echo_handler());
  Client c(s.port());
  c.send("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const std::string raw = c.read_to_end();
  EXPECT_EQ(raw.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << raw;
  EXPECT_NE(raw.find("Connection: close"), std::string::npos) << raw;
  EXPECT_TRUE(raw.ends_with("GET / ")) << raw;
}

TEST(Server, Http10ClosesAfterTheResponse) {
  RunningServer s(echo_handler());
  Client c(s.port());
  c.send("GET /old HTTP/1.0\r\n\r\n");
  const std::string raw = c.read_to_end();
  EXPECT_NE(raw.find(" 200 OK\r\n"), std::string::npos) << raw;
  EXPECT_NE(raw.find("Connection: close\r\n"), std::string::npos) << raw;
  EXPECT_TRUE(raw.ends_with("GET /old ")) << raw;
  EXPECT_EQ(c.last_error(), net::error::eof);
}

TEST(Server, StreamingResponseIsChunked) {
  RunningServer s([](Exchange& ex) -> net::awaitable<void> {
    Response head{bhttp::status::ok, 11};
    head.set(bhttp::field::content_type, "text/event-stream");
    head.body() = "ignored";
    const bool started = co_await ex.begin_stream(std::move(head));
    if (!started) co_return;
    co_await ex.write_chunk("event: a\n\n");
    co_await ex.write_chunk("");  // must not end the body
    co_await ex.write_chunk("event: b\n\n");
    co_await ex.end_stream();
  });
  Client c(s.port());
  c.send(get("/stream"));
  const Response res = c.read();
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_TRUE(res.chunked());
  EXPECT_EQ(res[bhttp::field::content_type], "text/event-stream");
  EXPECT_TRUE(is_request_id(res["X-Request-Id"]));
  EXPECT_EQ(res.body(), "event: a\n\nevent: b\n\n");
  // The connection stays usable after a complete chunked response.
  c.send(get("/again"));
  EXPECT_EQ(c.read().result_int(), 200u);
}

TEST(Server, StreamingRawFraming) {
  RunningServer s([](Exchange& ex) -> net::awaitable<void> {
    co_await ex.begin_stream(Response{bhttp::status::ok, 11});
    co_await ex.write_chunk("hello");
    co_await ex.end_stream();
  });
  Client c(s.port());
  c.send("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const std::string raw = c.read_to_end();
  EXPECT_NE(raw.find("Transfer-Encoding: chunked\r\n"), std::string::npos) << raw;
  EXPECT_TRUE(raw.ends_with("\r\n\r\n5\r\nhello\r\n0\r\n\r\n")) << raw;
}

TEST(Server, HandlerThatThrowsGets500WithRequestId) {
  RunningServer s([](Exchange&) -> net::awaitable<void> {
    throw std::runtime_error("secret detail");
    co_return;
  });
  Client c(s.port());
  c.send(get("/boom"));
  const Response res = c.read();
  EXPECT_EQ(res.result_int(), 500u);
  EXPECT_EQ(res[bhttp::field::content_type], "application/json; charset=utf-8");
  const std::string id(res["X-Request-Id"]);
  ASSERT_TRUE(is_request_id(id));
  EXPECT_EQ(res.body(), "{\"error\":\"internal error (request id " + id + ")\"}");
  EXPECT_EQ(res.body().find("secret detail"), std::string::npos) << "exception text must not leak to clients";
  // The connection survives a handler failure that happened before any byte was sent.
  c.send(get("/again"));
  EXPECT_EQ(c.read().result_int(), 500u);
}

TEST(Server, HandlerThatThrowsMidStreamClosesTheConnection) {
  RunningServer s([](Exchange& ex) -> net::awaitable<void> {
    co_await ex.begin_stream(Response{bhttp::status::ok, 11});
    co_await ex.write_chunk("partial");
    throw std::runtime_error("mid-stream");
  });
  Client c(s.port());
  c.send(get("/"));
  const std::string raw = c.read_to_end();
  EXPECT_NE(raw.find("7\r\npartial\r\n"), std::string::npos) << raw;
  EXPECT_FALSE(raw.ends_with("0\r\n\r\n")) << "an aborted stream must not look complete: " << raw;
  EXPECT_NE(c.last_error(), net::error::would_block) << "the server must close the connection";
}

TEST(Server, HandlerWithoutResponseGets500) {
  RunningServer s([](Exchange&) -> net::awaitable<void> { co_return; });
  Client c(s.port());
  c.send(get("/silent"));
  const Response res = c.read();
  EXPECT_EQ(res.result_int(), 500u);
  EXPECT_NE(res.body().find("handler sent no response"), std::string::npos) << res.body();
  EXPECT_FALSE(res.keep_alive());
}

TEST(Server, HeadSendsHeadersWithoutBody) {
  RunningServer s([](Exchange& ex) -> net::awaitable<void> { co_await ex.respond(text(200, "hello")); });
  Client c(s.port());
  c.send("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n");
  const Response head = c.read_head_response();
  EXPECT_EQ(head.result_int(), 200u);
  EXPECT_EQ(head[bhttp::field::content_length], "5");
  // The next bytes on the connection are the next response, not a body.
  c.send("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const std::string raw = c.read_to_end();
  EXPECT_EQ(raw.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << raw;
  EXPECT_TRUE(raw.ends_with("\r\n\r\nhello")) << raw;
}

TEST(Server, WatchClientFiresWhenTheClientLeaves) {
  std::promise<std::pair<bool, bool>> result;  // (hook fired, client_gone)
  RunningServer s([&result](Exchange& ex) -> net::awaitable<void> {
    bool fired = false;
    const auto gone = ex.watch_client();
    const auto subscription = gone->subscribe([&fired] { fired = true; });
    for (int i = 0; i < 2000 && !fired; ++i) co_await sleep_for(10ms);
    result.set_value({fired, ex.client_gone()});
    co_await ex.respond(text(200, "too late"));
  });
  {
    Client c(s.port());
    c.send(get("/slow"));
    c.reset();
  }
  auto future = result.get_future();
  ASSERT_EQ(future.wait_for(kSafety), std::future_status::ready);
  const auto [fired, gone] = future.get();
  EXPECT_TRUE(fired);
  EXPECT_TRUE(gone);
}

TEST(Server, HalfClosedClientGetsItsWholeAnswerThenTheConnectionCloses) {
  std::promise<bool> gone_before_answer;
  std::atomic<bool> half_closed{false};
  RunningServer s([&](Exchange& ex) -> net::awaitable<void> {
    const auto gone = ex.watch_client();
    // Answers only after the client's FIN is in the server's socket; the pauses after it let the
    // watch's read complete with EOF (the state that lost the answer before).
    while (!half_closed.load()) co_await sleep_for(1ms);
    for (int i = 0; i < 5; ++i) co_await sleep_for(1ms);
    gone_before_answer.set_value(ex.client_gone());
    co_await ex.respond(text(200, "answer"));
  });
  Client c(s.port());
  c.send(get("/slow"));
  c.half_close();
  half_closed.store(true);
  const std::string raw = c.read_to_end();
  EXPECT_EQ(raw.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << raw;
  EXPECT_TRUE(raw.ends_with("\r\n\r\nanswer")) << raw;
  EXPECT_NE(raw.find("Connection: close"), std::string::npos) << raw;
  EXPECT_EQ(c.last_error(), net::error::eof);
  EXPECT_FALSE(gone_before_answer.get_future().get());
}

TEST(Server, HalfClosedClientGetsAWholeStream) {
  RunningServer s([](Exchange& ex) -> net::awaitable<void> {
    ex.watch_client();
    const bool started = co_await ex.begin_stream(text(200, ""));
    for (int i = 0; started && i < 50; ++i) {
      co_await sleep_for(2ms);
      const bool ok = co_await ex.write_chunk("part" + std::to_string(i) + ";");
      if (!ok) break;
    }
    co_await ex.end_stream();
  });
  Client c(s.port());
  c.send(get("/stream"));
  c.half_close();
  const std::string raw = c.read_to_end();
  EXPECT_NE(raw.find("part0;"), std::string::npos) << raw;
  EXPECT_NE(raw.find("part49;"), std::string::npos) << raw;
  EXPECT_TRUE(raw.ends_with("0\r\n\r\n")) << raw;
}

TEST(Server, HeaderLimitCountsEveryByteOfTheHead) {
  RunningServer s(echo_handler());
  const auto head_of_size = [](std::size_t size) {
    const std::string start = "GET /x HTTP/1.1\r\nHost: x\r\nX-Pad: ";
    return start + std::string(size - start.size() - 4, 'p') + "\r\n\r\n";
  };
  {
    Client c(s.port());
    c.send(head_of_size(16384));
    EXPECT_EQ(c.read().result_int(), 200u);
  }
  Client c(s.port());
  c.send(head_of_size(16385));
  const std::string raw = c.read_to_end();
  EXPECT_EQ(raw.rfind("HTTP/1.1 431 ", 0), 0u) << raw;
}

TEST(Server, EndlessChunkExtensionIsRefusedWithBoundedBuffering) {
  ServerLimits limits;
  limits.max_header_bytes = 1024;
  RunningServer s(echo_handler(), limits);
  Client c(s.port());
  c.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10;ext=");
  boost::system::error_code ec;
  const std::string filler(4096, 'e');
  // The server answers after about 1 KiB more; the rest of this write may then be refused.
  for (int i = 0; i < 64 && !ec; ++i) net::write(c.socket(), net::buffer(filler), ec);
  const std::string raw = c.read_to_end();
  EXPECT_EQ(raw.rfind("HTTP/1.1 400 ", 0), 0u) << raw;
  EXPECT_NE(raw.find("a chunk-size line or the trailer section exceeds 1024 bytes"), std::string::npos) << raw;
}

TEST(Server, TransferEncodingNotEndingInChunkedIs400AndTheRestIsNotServed) {
  RunningServer s(echo_handler());
  Client c(s.port());
  c.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string raw = c.read_to_end();
  EXPECT_EQ(raw.rfind("HTTP/1.1 400 ", 0), 0u) << raw;
  EXPECT_EQ(raw.find("smuggled"), std::string::npos) << raw;
  EXPECT_EQ(raw.find("HTTP/1.1", 1), std::string::npos) << raw;
}

TEST(Server, Http2PrefaceIs505AndObsFoldIs400) {
  RunningServer s(echo_handler());
  {
    Client c(s.port());
    c.send("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    const std::string raw = c.read_to_end();
    EXPECT_EQ(raw.rfind("HTTP/1.1 505 ", 0), 0u) << raw;
  }
  Client c(s.port());
  c.send("GET / HTTP/1.1\r\nHost: x\r\nX-A: one\r\n two\r\n\r\n");
  const std::string raw = c.read_to_end();
  EXPECT_EQ(raw.rfind("HTTP/1.1 400 ", 0), 0u) << raw;
}

TEST(Server, AbsoluteFormTargetIsRoutedOnItsPath) {
  RunningServer s(echo_handler());
  Client c(s.port());
  c.send("GET http://example.com:80/healthz?x=1 HTTP/1.1\r\nHost: example.com\r\n\r\n");
  EXPECT_EQ(c.read().body(), "GET /healthz?x=1 ");
}

TEST(Server, WatchClientAfterRespondingIsHarmless) {
  RunningServer s([](Exchange& ex) -> net::awaitable<void> {
    const auto first = ex.watch_client();
    const auto second = ex.watch_client();  // the same signal, no second watcher
    EXPECT_EQ(first, second);
    co_await ex.respond(text(200, ex.client_gone() ? "gone" : "here"));
  });
  Client c(s.port());
  for (int i = 0; i < 3; ++i) {
    c.send(get("/"));
    EXPECT_EQ(c.read().body(), "here");
  }
}

TEST(Server, PipelinedRequestSurvivesWatching) {
  // Bytes of the next request that arrive while the handler watches the client are kept.
  RunningServer s([](Exchange& ex) -> net::awaitable<void> {
    ex.watch_client();
    co_await sleep_for(50ms);
    co_await ex.respond(text(200, std::string(ex.request().target())));
  });
  Client c(s.port());
  c.send(get("/one"));
  std::this_thread::sleep_for(10ms);  // ordering aid only; the test holds without it
  c.send(get("/two"));
  EXPECT_EQ(c.read().body(), "/one");
  EXPECT_EQ(c.read().body(), "/two");
}

TEST(Server, RequestsPipelinedInOneWriteWhileWatchingAreAnsweredInOrder) {
  // The second and third requests are already buffered when the first one's handler starts watching: the
  // watch must not become the wait for a request that has arrived.
  RunningServer s([](Exchange& ex) -> net::awaitable<void> {
    ex.watch_client();
    co_await ex.respond(text(200, std::string(ex.request().target())));
  });
  Client c(s.port());
  c.send(
      "GET /one HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\n\r\nGET /three HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(c.read().body(), "/one");
  EXPECT_EQ(c.read().body(), "/two");
  EXPECT_EQ(c.read().body(), "/three");
}

TEST(Server, IdleTimeoutAfterAWatchedRequestClosesTheConnection) {
  // After a watched request the pending watch read is the keep-alive wait; the idle limit still applies.
  ServerLimits limits;
  limits.keep_alive_timeout = 100ms;
  RunningServer s(
      [](Exchange& ex) -> net::awaitable<void> {
        ex.watch_client();
        co_await ex.respond(text(200, "ok"));
      },
      limits);
  Client c(s.port());
  c.send(get("/"));
  EXPECT_EQ(c.read().body(), "ok");
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(c.read_to_end(), "");  // the server closes without a word
  EXPECT_EQ(c.last_error(), net::error::eof);
  EXPECT_LT(std::chrono::steady_clock::now() - start, kSafety);
}

TEST(Server, BodyOverContentLengthLimitIs413) {
  ServerLimits limits;
  limits.max_body_bytes = 100;
  std::atomic<int> calls{0};
  RunningServer s(
      [&calls](Exchange& ex) -> net::awaitable<void> {
        ++calls;
        co_await ex.respond(text(200, "ok"));
      },
      limits);
  Client c(s.port());
  c.send("POST /chat HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n");
  const std::string raw = c.read_to_end();
  EXPECT_EQ(raw.rfind("HTTP/1.1 413 ", 0), 0u) << raw;
  EXPECT_NE(raw.find("request body exceeds 100 bytes"), std::string::npos) << raw;
  EXPECT_EQ(calls.load(), 0);
}

TEST(Server, BodyAtTheLimitIsAccepted) {
  ServerLimits limits;
  limits.max_body_bytes = 100;
  RunningServer s(
      [](Exchange& ex) -> net::awaitable<void> {
        co_await ex.respond(text(200, std::to_string(ex.request().body().size())));
      },
      limits);
  Client c(s.port());
  Request req{bhttp::verb::post, "/", 11};
  req.set(bhttp::field::host, "x");
  req.body() = std::string(100, 'a');
  c.send(req);
  EXPECT_EQ(c.read().body(), "100");
}

TEST(Server, ChunkedBodyOverLimitIs413) {
  ServerLimits limits;
  limits.max_body_bytes = 10;
  RunningServer s(echo_handler(), limits);
  Client c(s.port());
  c.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n");
  const std::string raw = c.read_to_end();
  EXPECT_EQ(raw.rfind("HTTP/1.1 413 ", 0), 0u) << raw;
}

TEST(Server, HeaderOverLimitIs431) {
  ServerLimits limits;
  limits.max_header_bytes = 1024;
  RunningServer s(echo_handler(), limits);
  Client c(s.port());
  c.send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(2000, 'h') + "\r\n\r\n");
  const std::string raw = c.read_to_end();
  EXPECT_EQ(raw.rfind("HTTP/1.1 431 ", 0), 0u) << raw;
  EXPECT_NE(raw.find("request header exceeds 1024 bytes"), std::string::npos) << raw;
}

TEST(Server, MalformedRequestIs400) {
  RunningServer s(echo_handler());
  Client c(s.port());
  c.send("THIS IS NOT HTTP\r\n\r\n");
  const std::string raw = c.read_to_end();
  EXPECT_EQ(raw.rfind("HTTP/1.1 400 ", 0), 0u) << raw;
  EXPECT_NE(raw.find("malformed HTTP request"), std::string::npos) << raw;
  EXPECT_NE(raw.find("Connection: close"), std::string::npos) << raw;
}

TEST(Server, BadContentLengthIs400) {
  RunningServer s(echo_handler());
  Client c(s.port());
  c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n");
  const std::string raw = c.read_to_end();
  EXPECT_EQ(raw.rfind("HTTP/1.1 400 ", 0), 0u) << raw;
}

// A client too slow with its header or body gets a 408 before the close (regression: beast::tcp_stream
// closes the socket when its own expiry fires, which once swallowed the 408).
TEST(Server, SlowHeaderIs408) {
  ServerLimits limits;
  limits.header_timeout = 200ms;
  RunningServer s(echo_handler(), limits);
  Client c(s.port());
  c.send("GET / HTTP/1.1\r\nHost: x\r\n");  // never finished
  const std::string raw = c.read_to_end();
  EXPECT_EQ(raw.rfind("HTTP/1.1 408 ", 0), 0u) << raw;
  EXPECT_NE(raw.find("timed out reading the request header"), std::string::npos) << raw;
}

TEST(Server, SlowBodyIs408) {
  ServerLimits limits;
  limits.body_timeout = 200ms;
  RunningServer s(echo_handler(), limits);
  Client c(s.port());
  c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
  const std::string raw = c.read_to_end();
  EXPECT_EQ(raw.rfind("HTTP/1.1 408 ", 0), 0u) << raw;
  EXPECT_NE(raw.find("timed out reading the request body"), std::string::npos) << raw;
}

TEST(Server, ClientClosingMidBodyGetsNoAnswer) {
  std::atomic<int> calls{0};
  RunningServer s([&calls](Exchange& ex) -> net::awaitable<void> {
    ++calls;
    co_await ex.respond(text(200, "x"));
  });
  {
    Client c(s.port());
    c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
    c.socket().shutdown(tcp::socket::shutdown_send);
    EXPECT_EQ(c.read_to_end(), "");
  }
  EXPECT_EQ(calls.load(), 0);
}

TEST(Server, ExpectContinue) {
  RunningServer s(echo_handler());
  Client c(s.port());
  c.send("POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
  char buf[25];
  net::read(c.socket(), net::buffer(buf));
  EXPECT_EQ(std::string_view(buf, sizeof buf), "HTTP/1.1 100 Continue\r\n\r\n");
  c.send("hello");
  EXPECT_EQ(c.read().body(), "POST /up hello");
}

// A response finished while the server drains says "Connection: close", since the server closes the
// connection right after it (RFC 9112 §9.6). Regression: keep-alive was decided before the handler ran.
TEST(Server, StopDrainsInFlightRequests) {
  std::promise<void> started;
  RunningServer s([&started](Exchange& ex) -> net::awaitable<void> {
    started.set_value();
    co_await sleep_for(300ms);
    co_await ex.respond(text(200, "finished"));
  });
  Client c(s.port());
  c.send(get("/slow"));
  ASSERT_EQ(started.get_future().wait_for(kSafety), std::future_status::ready);
  s.server().stop();
  const Response res = c.read();
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res.body(), "finished");
  EXPECT_FALSE(res.keep_alive()) << "a draining server closes connections after their response";
  EXPECT_TRUE(s.wait_returned()) << "run() must return once the in-flight request is done";
}

TEST(Server, StopClosesIdleConnectionsAndStopsAccepting) {
  ServerLimits limits;
  limits.shutdown_grace = 60s;  // idle connections must not hold the shutdown for the grace period
  RunningServer s(echo_handler(), limits);
  const auto port = s.port();
  Client idle(port);
  idle.send(get("/"));
  EXPECT_EQ(idle.read().result_int(), 200u);
  s.server().stop();
  s.server().stop();  // idempotent
  EXPECT_EQ(idle.read_to_end(), "");
  ASSERT_TRUE(s.wait_returned());
  net::io_context ctx;
  tcp::socket late(ctx);
  boost::system::error_code ec;
  late.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), ec);
  EXPECT_TRUE(ec) << "the listening socket must be closed after stop()";
}

TEST(Server, MaxConnectionsRefusesTheExtraConnection) {
  ServerLimits limits;
  limits.max_connections = 1;
  RunningServer s(echo_handler(), limits);
  Client first(s.port());
  first.send(get("/"));
  EXPECT_EQ(first.read().result_int(), 200u);
  Client second(s.port());
  second.send(get("/"));
  EXPECT_EQ(second.read_to_end(), "");
  // The first connection is unaffected.
  first.send(get("/again"));
  EXPECT_EQ(first.read().body(), "GET /again ");
}

TEST(Server, SeveralWorkerThreadsServeConcurrentConnections) {
  std::mutex mutex;
  std::set<std::thread::id> threads;
  RunningServer s(
      [&](Exchange& ex) -> net::awaitable<void> {
        {
          std::lock_guard lock(mutex);
          threads.insert(std::this_thread::get_id());
        }
        co_await ex.respond(text(200, "ok"));
      },
      ServerLimits{}, 2);
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 4; ++i) clients.push_back(std::make_unique<Client>(s.port()));
  for (auto& c : clients) c->send(get("/"));
  for (auto& c : clients) EXPECT_EQ(c->read().body(), "ok");
  std::lock_guard lock(mutex);
  EXPECT_EQ(threads.size(), 2u) << "connections are spread over the worker threads";
}

}  // namespace
}  // namespace llamachat::http
