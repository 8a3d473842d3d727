// Client against real loopback servers: plain and TLS, pooling, failures, streaming, proxies.
#include "http/client/client.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <thread>

#include "support/connect_proxy.hpp"
#include "support/run_async.hpp"
#include "support/test_http_server.hpp"
#include "support/test_tls.hpp"

namespace llamachat::http {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using namespace std::chrono_literals;
using test::TestExchange;
using test::TestHttpServer;
using test::TestRequest;
using test::TestResponse;
using test::text_response;

std::chrono::steady_clock::time_point in(std::chrono::milliseconds ms) { return std::chrono::steady_clock::now() + ms; }

Url url(const std::string& text) {
  auto parsed = Url::parse(text);
  if (!parsed) throw std::invalid_argument("bad test URL " + text);
  return *parsed;
}

ClientRequest get(std::string target = "/") {
  ClientRequest request;
  request.target = std::move(target);
  return request;
}

// Sends GET `target` and, when `bodies` is set, appends the reply's body. For requests spawned side by side: a
// free coroutine with explicit parameters (docs/decisions/0003-gcc12-coroutine-rules.md, rule 3).
asio::awaitable<void> fetch_body(Client* client, Url origin, std::string target, std::vector<std::string>* bodies) {
  auto response = co_await client->send(origin, get(std::move(target)), in(5s));
  if (bodies) bodies->push_back(std::move(response.body));
}

// Waits (bounded) until `done` holds; for handing control between the test and a server thread.
template <typename Predicate>
bool wait_until(Predicate done, std::chrono::milliseconds limit = 5s) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

class ClientTest : public ::testing::Test {
 protected:
  template <typename T>
  T run(asio::awaitable<T> task) {
    return test::run_async(io_, std::move(task));
  }

  // Runs `task` and returns the ClientError it must throw.
  template <typename T>
  ClientError error_of(asio::awaitable<T> task) {
    try {
      test::run_async(io_, std::move(task));
    } catch (const ClientError& e) {
      return e;
    }
    ADD_FAILURE() << "expected a ClientError";
    return ClientError(ClientErrorKind::protocol, "<no error>");
  }

  ClientOptions trusting(const test::TestCa& ca) {
    ClientOptions options;
    options.ca_bundle_path = ca.ca_cert_path();
    return options;
  }

  asio::io_context io_;
};

// ---------------------------------------------------------------------------------------------- basics

TEST_F(ClientTest, GetAndPostCarryMethodTargetHeadersAndBodies) {
  TestHttpServer server([](const TestRequest& request) {
    auto response = text_response(std::string(request.method_string()) + " " + std::string(request.target()) +
                                  " host=" + std::string(request[bhttp::field::host]) +
                                  " x=" + std::string(request["X-Test"]) + " body=" + request.body());
    response.set("X-Reply", "yes");
    return response;
  });
  Client client(io_.get_executor(), {});
  const auto origin = url(server.url());

  ClientRequest post;
  post.method = "POST";
  post.target = "/model/m/invoke?x=1";
  post.headers = {{"X-Test", "42"}, {"Content-Type", "application/json"}};
  post.body = R"({"prompt":"hi"})";
  auto reply = run(client.send(origin, post, in(5s)));
  EXPECT_EQ(reply.status, 200u);
  EXPECT_EQ(reply.body, "POST /model/m/invoke?x=1 host=127.0.0.1:" + std::to_string(server.port()) +
                            R"( x=42 body={"prompt":"hi"})");
  EXPECT_EQ(reply.header("x-reply"), "yes");
  EXPECT_EQ(reply.header("content-length"), std::to_string(reply.body.size()));

  auto plain_get = run(client.send(origin, get("/ping"), in(5s)));
  EXPECT_EQ(plain_get.body, "GET /ping host=127.0.0.1:" + std::to_string(server.port()) + " x= body=");
}

TEST_F(ClientTest, NonSuccessStatusIsAResponseNotAnError) {
  TestHttpServer server([](const TestRequest&) { return text_response(R"({"message":"nope"})", 403); });
  Client client(io_.get_executor(), {});
  auto reply = run(client.send(url(server.url()), get(), in(5s)));
  EXPECT_EQ(reply.status, 403u);
  EXPECT_EQ(reply.body, R"({"message":"nope"})");
}

TEST_F(ClientTest, ReadsChunkedAndContentLengthBodies) {
  TestHttpServer server([](TestExchange& ex) -> asio::awaitable<void> {
    if (ex.request().target() == "/chunked") {
      co_await ex.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
      co_await ex.write("5\r\nhello\r\n");
      co_await ex.write("1;ext=1\r\n \r\n6\r\nworld!\r\n0\r\nX-Trailer: t\r\n\r\n");
    } else {
      co_await ex.write("HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nhello");
      co_await ex.write(" world!");
    }
  });
  Client client(io_.get_executor(), {});
  EXPECT_EQ(run(client.send(url(server.url()), get("/chunked"), in(5s))).body, "hello world!");
  EXPECT_EQ(run(client.send(url(server.url()), get("/length"), in(5s))).body, "hello world!");
}

TEST_F(ClientTest, Ipv6LiteralHost) {
  std::unique_ptr<TestHttpServer> server;
  try {
    server = std::make_unique<TestHttpServer>(
        [](const TestRequest& r) { return text_response(std::string(r[bhttp::field::host])); }, std::nullopt, "::1");
  } catch (const std::exception& e) {
    GTEST_SKIP() << "no IPv6 loopback here: " << e.what();
  }
  Client client(io_.get_executor(), {});
  const auto origin = url(server->url());
  EXPECT_EQ(origin.host, "::1");
  auto reply = run(client.send(origin, get(), in(5s)));
  EXPECT_EQ(reply.body, "[::1]:" + std::to_string(server->port()));
}

TEST_F(ClientTest, ResponseBodyOverLimitIsAProtocolError) {
  TestHttpServer server([](TestExchange& ex) -> asio::awaitable<void> {
    if (ex.request().target() == "/length") {
      co_await ex.respond(text_response(std::string(2000, 'x')));
    } else {
      co_await ex.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
      for (int i = 0; i < 4; ++i) co_await ex.write("1f4\r\n" + std::string(500, 'y') + "\r\n");
      co_await ex.write("0\r\n\r\n");
    }
  });
  ClientOptions options;
  options.max_body_bytes = 1000;
  Client client(io_.get_executor(), options);
  for (const char* target : {"/length", "/chunked"}) {
    auto error = error_of(client.send(url(server.url()), get(target), in(5s)));
    EXPECT_EQ(error.kind(), ClientErrorKind::protocol) << target;
    EXPECT_NE(std::string(error.what()).find("exceeds the limit of 1000 bytes"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find(server.url()), std::string::npos) << error.what();
  }
  // Exactly at the limit is fine.
  options.max_body_bytes = 2000;
  Client roomy(io_.get_executor(), options);
  EXPECT_EQ(run(roomy.send(url(server.url()), get("/chunked"), in(5s))).body.size(), 2000u);
}

TEST_F(ClientTest, ServerClosingWithoutReplyOnFreshConnectionIsClosedError) {
  TestHttpServer server([](TestExchange& ex) -> asio::awaitable<void> {
    ex.close();
    co_return;
  });
  Client client(io_.get_executor(), {});
  auto error = error_of(client.send(url(server.url()), get(), in(5s)));
  EXPECT_EQ(error.kind(), ClientErrorKind::closed) << error.what();
  EXPECT_NE(std::string(error.what()).find("reading the response header from " + server.url()), std::string::npos)
      << error.what();
  EXPECT_EQ(client.stats().connections_opened, 1u);  // no retry on a fresh connection
}

TEST_F(ClientTest, GarbageReplyIsAProtocolError) {
  TestHttpServer server(
      [](TestExchange& ex) -> asio::awaitable<void> { co_await ex.write("SSH-2.0-OpenSSH\r\n\r\n"); });
  Client client(io_.get_executor(), {});
  auto error = error_of(client.send(url(server.url()), get(), in(5s)));
  EXPECT_EQ(error.kind(), ClientErrorKind::protocol) << error.what();
}

TEST_F(ClientTest, ConnectionRefusedIsConnectError) {
  std::uint16_t port = 0;
  {
    TestHttpServer gone([](const TestRequest&) { return text_response(""); });
    port = gone.port();
  }  // closed: nothing listens on the port now
  Client client(io_.get_executor(), {});
  auto error = error_of(client.send(url("http://127.0.0.1:" + std::to_string(port)), get(), in(5s)));
  EXPECT_EQ(error.kind(), ClientErrorKind::connect) << error.what();
  EXPECT_NE(std::string(error.what()).find("http://127.0.0.1:" + std::to_string(port)), std::string::npos);
}

// --------------------------------------------------------------------------------------------------- TLS

class TlsTest : public ClientTest {
 protected:
  test::TestCa ca_;
};

TEST_F(TlsTest, TrustedCertificateForTheRightHostPasses) {
  TestHttpServer server([](const TestRequest&) { return text_response("secure"); },
                        ca_.issue({"localhost", "127.0.0.1"}));
  Client client(io_.get_executor(), trusting(ca_));
  EXPECT_EQ(run(client.send(url(server.url("localhost")), get(), in(5s))).body, "secure");  // DNS SAN
  EXPECT_EQ(run(client.send(url(server.url("127.0.0.1")), get(), in(5s))).body, "secure");  // IP SAN
  EXPECT_EQ(server.tls_handshakes(), 2u);                                                   // two origins, two pools
}

TEST_F(TlsTest, WrongHostNameIsRefused) {
  TestHttpServer server([](const TestRequest&) { return text_response("secure"); }, ca_.issue({"other.example"}));
  Client client(io_.get_executor(), trusting(ca_));
  const std::string origin = server.url("localhost");
  auto error = error_of(client.send(url(origin), get(), in(5s)));
  EXPECT_EQ(error.kind(), ClientErrorKind::tls);
  EXPECT_EQ(std::string(error.what()),
            "tls handshake with " + origin + " failed: certificate verify failed (hostname mismatch)");

  auto by_ip = error_of(client.send(url(server.url("127.0.0.1")), get(), in(5s)));
  EXPECT_EQ(by_ip.kind(), ClientErrorKind::tls);
  EXPECT_NE(std::string(by_ip.what()).find("(IP address mismatch)"), std::string::npos) << by_ip.what();
  EXPECT_EQ(server.requests_received(), 0u);
}

TEST_F(TlsTest, UntrustedCertificatesAreRefused) {
  test::TestCa other_ca("some other CA");
  TestHttpServer foreign([](const TestRequest&) { return text_response("x"); }, other_ca.issue({"localhost"}));
  TestHttpServer self_signed([](const TestRequest&) { return text_response("x"); }, ca_.self_signed({"localhost"}));
  Client client(io_.get_executor(), trusting(ca_));

  const std::string foreign_origin = foreign.url("localhost");
  auto error = error_of(client.send(url(foreign_origin), get(), in(5s)));
  EXPECT_EQ(error.kind(), ClientErrorKind::tls);
  EXPECT_EQ(std::string(error.what()), "tls handshake with " + foreign_origin +
                                           " failed: certificate verify failed (unable to get local issuer "
                                           "certificate)");

  auto self = error_of(client.send(url(self_signed.url("localhost")), get(), in(5s)));
  EXPECT_EQ(self.kind(), ClientErrorKind::tls);
  EXPECT_NE(std::string(self.what()).find("certificate verify failed (self"), std::string::npos) << self.what();

  // The system trust store does not know the test CA either.
  Client system_store(io_.get_executor(), {});
  auto system = error_of(system_store.send(url(foreign_origin), get(), in(5s)));
  EXPECT_EQ(system.kind(), ClientErrorKind::tls) << system.what();
  EXPECT_EQ(foreign.requests_received() + self_signed.requests_received(), 0u);
}

TEST_F(TlsTest, PlainHttpServerOnHttpsOriginIsATlsError) {
  TestHttpServer plain([](const TestRequest&) { return text_response("x"); });
  Client client(io_.get_executor(), trusting(ca_));
  auto error = error_of(client.send(url("https://127.0.0.1:" + std::to_string(plain.port())), get(), in(5s)));
  EXPECT_EQ(error.kind(), ClientErrorKind::tls) << error.what();
}

TEST(ClientOptionsTest, MissingCaBundleFailsAtConstruction) {
  asio::io_context io;
  ClientOptions options;
  options.ca_bundle_path = "/nonexistent/ca.pem";
  try {
    Client client(io.get_executor(), options);
    FAIL() << "constructed";
  } catch (const ClientError& e) {
    EXPECT_EQ(e.kind(), ClientErrorKind::tls);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/ca.pem"), std::string::npos);
  }
}

// -------------------------------------------------------------------------------------------------- pool

TEST_F(TlsTest, SequentialRequestsReuseOneConnection) {
  TestHttpServer server([](const TestRequest& r) { return text_response(std::string(r.target())); },
                        ca_.issue({"localhost"}));
  Client client(io_.get_executor(), trusting(ca_));
  const auto origin = url(server.url("localhost"));
  EXPECT_EQ(run(client.send(origin, get("/1"), in(5s))).body, "/1");
  EXPECT_EQ(run(client.send(origin, get("/2"), in(5s))).body, "/2");
  EXPECT_EQ(server.tls_handshakes(), 1u);
  EXPECT_EQ(server.connections_accepted(), 1u);
  EXPECT_EQ(client.stats().connections_opened, 1u);
  EXPECT_EQ(client.stats().connections_reused, 1u);
}

TEST_F(TlsTest, ConcurrentRequestsEachTakeAConnectionThenBothArePooled) {
  TestHttpServer server([](const TestRequest& r) { return text_response(std::string(r.target())); },
                        ca_.issue({"localhost"}));
  Client client(io_.get_executor(), trusting(ca_));
  const auto origin = url(server.url("localhost"));
  std::vector<std::string> bodies;
  const auto fetch = [&](std::string target) { return fetch_body(&client, origin, std::move(target), &bodies); };
  asio::co_spawn(io_, fetch("/a"), asio::detached);
  asio::co_spawn(io_, fetch("/b"), asio::detached);
  io_.run();
  std::sort(bodies.begin(), bodies.end());
  EXPECT_EQ(bodies, (std::vector<std::string>{"/a", "/b"}));
  EXPECT_EQ(server.tls_handshakes(), 2u);
  EXPECT_EQ(client.stats().connections_opened, 2u);

  // Both went back to the pool: two more concurrent requests open nothing new.
  io_.restart();
  asio::co_spawn(io_, fetch("/c"), asio::detached);
  asio::co_spawn(io_, fetch("/d"), asio::detached);
  io_.run();
  EXPECT_EQ(bodies.size(), 4u);
  EXPECT_EQ(server.tls_handshakes(), 2u);
  EXPECT_EQ(client.stats().connections_reused, 2u);
}

TEST_F(ClientTest, PoolKeepsAtMostMaxIdlePerOrigin) {
  TestHttpServer server([](const TestRequest&) { return text_response("ok"); });
  ClientOptions options;
  options.max_idle_per_origin = 1;
  Client client(io_.get_executor(), options);
  const auto origin = url(server.url());
  const auto fetch = [&] { return fetch_body(&client, origin, "/", nullptr); };
  asio::co_spawn(io_, fetch(), asio::detached);
  asio::co_spawn(io_, fetch(), asio::detached);
  io_.run();
  EXPECT_EQ(client.stats().connections_opened, 2u);
  run(fetch());
  run(fetch());
  EXPECT_EQ(client.stats().connections_opened, 2u);
  EXPECT_EQ(client.stats().connections_reused, 2u);
  io_.restart();
  asio::co_spawn(io_, fetch(), asio::detached);
  asio::co_spawn(io_, fetch(), asio::detached);
  io_.run();
  EXPECT_EQ(client.stats().connections_opened, 3u);  // only one was kept idle
}

TEST_F(ClientTest, IdleTimeoutExpiresPooledConnections) {
  TestHttpServer server([](const TestRequest&) { return text_response("ok"); });
  ClientOptions options;
  options.idle_timeout = 0s;
  Client client(io_.get_executor(), options);
  const auto origin = url(server.url());
  run(client.send(origin, get(), in(5s)));
  std::this_thread::sleep_for(5ms);  // make "idle longer than 0 s" true
  run(client.send(origin, get(), in(5s)));
  EXPECT_EQ(client.stats().connections_opened, 2u);
  EXPECT_EQ(client.stats().connections_reused, 0u);
}

TEST_F(ClientTest, ConnectionCloseFromServerIsHonoured) {
  TestHttpServer server([](const TestRequest&) {
    auto response = text_response("bye");
    response.keep_alive(false);
    return response;
  });
  Client client(io_.get_executor(), {});
  const auto origin = url(server.url());
  run(client.send(origin, get(), in(5s)));
  run(client.send(origin, get(), in(5s)));
  EXPECT_EQ(server.connections_accepted(), 2u);
  EXPECT_EQ(client.stats().connections_opened, 2u);
  EXPECT_EQ(client.stats().connections_reused, 0u);
}

TEST_F(ClientTest, RequestAskingToCloseIsNotPooled) {
  TestHttpServer server([](const TestRequest&) { return text_response("ok"); });
  Client client(io_.get_executor(), {});
  const auto origin = url(server.url());
  ClientRequest closing = get();
  closing.headers = {{"Connection", "close"}};
  run(client.send(origin, closing, in(5s)));
  run(client.send(origin, get(), in(5s)));
  EXPECT_EQ(client.stats().connections_opened, 2u);
  EXPECT_EQ(client.stats().connections_reused, 0u);
}

TEST_F(TlsTest, StalePooledConnectionClosedWhileIdleIsReplacedTransparently) {
  // The server answers, then drops the connection (no Connection: close): the client pools a dead socket.
  TestHttpServer server(
      [](TestExchange& ex) -> asio::awaitable<void> {
        co_await ex.respond(text_response("n" + std::to_string(ex.connection_number())));
        ex.close();
      },
      ca_.issue({"localhost"}));
  Client client(io_.get_executor(), trusting(ca_));
  const auto origin = url(server.url("localhost"));
  EXPECT_EQ(run(client.send(origin, get(), in(5s))).body, "n1");
  ASSERT_TRUE(wait_until([&] { return server.connections_accepted() == 1; }));
  std::this_thread::sleep_for(20ms);  // let the server's close reach us (either way the request must succeed)
  EXPECT_EQ(run(client.send(origin, get(), in(5s))).body, "n2");
  EXPECT_EQ(server.tls_handshakes(), 2u);
  EXPECT_EQ(client.stats().connections_opened, 2u);
}

TEST_F(ClientTest, ReusedConnectionDroppedBeforeReplyIsRetriedOnceOnAFreshOne) {
  // Connection 1 answers its first request, then reads the second and closes without a reply: the
  // client only learns the connection was dead after writing to it.
  TestHttpServer server([](TestExchange& ex) -> asio::awaitable<void> {
    if (ex.connection_number() == 1 && ex.request_number() == 2) {
      ex.close();
      co_return;
    }
    co_await ex.respond(text_response("c" + std::to_string(ex.connection_number()) + " " + ex.request().body()));
  });
  Client client(io_.get_executor(), {});
  const auto origin = url(server.url());
  EXPECT_EQ(run(client.send(origin, get(), in(5s))).body, "c1 ");
  ClientRequest post;
  post.method = "POST";
  post.body = "payload";
  EXPECT_EQ(run(client.send(origin, post, in(5s))).body, "c2 payload");
  EXPECT_EQ(client.stats().connections_opened, 2u);
  EXPECT_EQ(client.stats().connections_reused, 1u);
  EXPECT_EQ(server.requests_received(), 3u);
}

TEST_F(ClientTest, RetryHappensOnlyOnce) {
  // Every connection closes on its second request; with one connection pooled, the retry runs on a
  // fresh connection whose first request succeeds. If the fresh one failed too, the error surfaces.
  TestHttpServer server([](TestExchange& ex) -> asio::awaitable<void> {
    if (ex.connection_number() >= 2) {
      ex.close();
      co_return;
    }
    if (ex.request_number() == 2) {
      ex.close();
      co_return;
    }
    co_await ex.respond(text_response("ok"));
  });
  Client client(io_.get_executor(), {});
  const auto origin = url(server.url());
  run(client.send(origin, get(), in(5s)));
  auto error = error_of(client.send(origin, get(), in(5s)));
  EXPECT_EQ(error.kind(), ClientErrorKind::closed) << error.what();
  EXPECT_EQ(server.connections_accepted(), 2u);
}

// ------------------------------------------------------------------------------------ timeouts, deadline

// A listener whose accept queue is full: further SYNs are dropped, so connect() never completes.
class BlackHole {
 public:
  BlackHole() {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), length) != 0 || ::listen(listener_, 0) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error("black hole listener");
    }
    port_ = ntohs(address.sin_port);
    for (int i = 0; i < 3; ++i) {  // fill the queue; these connects may themselves never finish
      const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      ::fcntl(fd, F_SETFL, O_NONBLOCK);
      [[maybe_unused]] const int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
      fillers_.push_back(fd);
    }
    std::this_thread::sleep_for(20ms);  // let the handshakes of the fillers settle in the queue
  }
  ~BlackHole() {
    for (int fd : fillers_) ::close(fd);
    ::close(listener_);
  }
  std::uint16_t port() const { return port_; }

 private:
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::vector<int> fillers_;
};

// A listening socket that is never accepted from: TCP connects complete (the kernel queues them), then
// nothing is ever read or written.
class SilentListener {
 public:
  SilentListener() {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), length) != 0 || ::listen(listener_, 16) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error("silent listener");
    }
    port_ = ntohs(address.sin_port);
  }
  ~SilentListener() { ::close(listener_); }
  std::uint16_t port() const { return port_; }

 private:
  int listener_ = -1;
  std::uint16_t port_ = 0;
};

TEST_F(ClientTest, DeadlineAgainstAListenerThatNeverAnswersIsATimeout) {
  // The request is written into the kernel buffers; the reply never comes.
  SilentListener silent;
  Client client(io_.get_executor(), {});
  const std::string origin = "http://127.0.0.1:" + std::to_string(silent.port());
  auto error = error_of(client.send(url(origin), get(), in(200ms)));
  EXPECT_EQ(error.kind(), ClientErrorKind::timeout) << error.what();
  EXPECT_EQ(std::string(error.what()), "timeout while reading the response header from " + origin);
}

TEST_F(ClientTest, ConnectTimeoutIsAConnectError) {
  BlackHole hole;
  ClientOptions options;
  options.connect_timeout = 200ms;
  Client client(io_.get_executor(), options);
  const std::string origin = "http://127.0.0.1:" + std::to_string(hole.port());
  auto error = error_of(client.send(url(origin), get(), in(10s)));
  EXPECT_EQ(error.kind(), ClientErrorKind::connect) << error.what();
  EXPECT_EQ(std::string(error.what()), "connect to " + origin + " timed out after 200 ms");
}

TEST_F(ClientTest, DeadlineDuringConnectIsATimeout) {
  BlackHole hole;
  Client client(io_.get_executor(), {});  // connect_timeout 3 s, longer than the deadline
  const std::string origin = "http://127.0.0.1:" + std::to_string(hole.port());
  auto error = error_of(client.send(url(origin), get(), in(200ms)));
  EXPECT_EQ(error.kind(), ClientErrorKind::timeout) << error.what();
  EXPECT_EQ(std::string(error.what()), "timeout while connecting to " + origin);
}

TEST_F(ClientTest, DeadlineWhileWaitingForTheHeaderIsATimeout) {
  TestHttpServer server([](TestExchange& ex) -> asio::awaitable<void> { co_await ex.stall(); });
  Client client(io_.get_executor(), {});
  auto error = error_of(client.send(url(server.url()), get(), in(200ms)));
  EXPECT_EQ(error.kind(), ClientErrorKind::timeout);
  EXPECT_EQ(std::string(error.what()), "timeout while reading the response header from " + server.url());
}

TEST_F(TlsTest, DeadlineDuringTlsHandshakeIsATimeout) {
  SilentListener silent;
  Client client(io_.get_executor(), trusting(ca_));
  const std::string origin = "https://127.0.0.1:" + std::to_string(silent.port());
  auto error = error_of(client.send(url(origin), get(), in(200ms)));
  EXPECT_EQ(error.kind(), ClientErrorKind::timeout) << error.what();
  EXPECT_EQ(std::string(error.what()), "timeout while tls handshake with " + origin);
}

TEST_F(ClientTest, DeadlineWhileTheBodyStallsIsATimeout) {
  TestHttpServer server([](TestExchange& ex) -> asio::awaitable<void> {
    co_await ex.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial");
    co_await ex.stall();
  });
  Client client(io_.get_executor(), {});
  auto error = error_of(client.send(url(server.url()), get(), in(200ms)));
  EXPECT_EQ(error.kind(), ClientErrorKind::timeout);
  EXPECT_EQ(std::string(error.what()), "timeout while reading the response body from " + server.url());
}

TEST_F(ClientTest, TruncatedBodyIsAClosedError) {
  TestHttpServer server([](TestExchange& ex) -> asio::awaitable<void> {
    co_await ex.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial");
    ex.close();
  });
  Client client(io_.get_executor(), {});
  auto error = error_of(client.send(url(server.url()), get(), in(5s)));
  EXPECT_EQ(error.kind(), ClientErrorKind::closed) << error.what();
}

// ------------------------------------------------------------------------------------------- streaming

TEST_F(TlsTest, StreamDeliversPiecesBeforeTheBodyEnds) {
  // The server sends the second chunk only after the client has received the first.
  std::atomic<bool> first_seen{false};
  TestHttpServer server(
      [&](TestExchange& ex) -> asio::awaitable<void> {
        co_await ex.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: x/stream\r\n\r\n");
        co_await ex.write("5\r\nfirst\r\n");
        for (int i = 0; i < 2500 && !first_seen.load(); ++i) co_await ex.sleep(2ms);
        co_await ex.write("6\r\nsecond\r\n0\r\n\r\n");
        ex.keep_open();
      },
      ca_.issue({"localhost"}));
  Client client(io_.get_executor(), trusting(ca_));
  const auto origin = url(server.url("localhost"));
  run([&]() -> asio::awaitable<void> {
    auto stream = co_await client.open(origin, get("/stream"), in(10s));
    EXPECT_EQ(stream->status(), 200u);
    EXPECT_EQ(stream->header("content-type"), "x/stream");
    EXPECT_EQ(co_await stream->read_some(), "first");
    first_seen = true;
    EXPECT_EQ(co_await stream->read_some(), "second");
    EXPECT_EQ(co_await stream->read_some(), "");
    EXPECT_EQ(co_await stream->read_some(), "");  // stays at the end
  }());
  // Fully read: the connection went back to the pool.
  EXPECT_EQ(run(client.send(origin, get(), in(5s))).status, 200u);
  EXPECT_EQ(client.stats().connections_reused, 1u);
  EXPECT_EQ(server.tls_handshakes(), 1u);
}

TEST_F(ClientTest, StreamWithContentLengthDeliversPiecesBeforeTheEnd) {
  std::atomic<bool> first_seen{false};
  TestHttpServer server([&](TestExchange& ex) -> asio::awaitable<void> {
    co_await ex.write("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello");
    for (int i = 0; i < 2500 && !first_seen.load(); ++i) co_await ex.sleep(2ms);
    co_await ex.write(" world");
  });
  Client client(io_.get_executor(), {});
  run([&]() -> asio::awaitable<void> {
    auto stream = co_await client.open(url(server.url()), get(), in(10s));
    EXPECT_EQ(co_await stream->read_some(), "hello");
    first_seen = true;
    EXPECT_EQ(co_await stream->read_all(), " world");
  }());
}

TEST_F(ClientTest, LargeBodiesArriveInBoundedPieces) {
  const std::string big(100 * 1024 + 7, 'z');
  TestHttpServer server([&](const TestRequest&) { return text_response(big); });
  Client client(io_.get_executor(), {});
  run([&]() -> asio::awaitable<void> {
    auto stream = co_await client.open(url(server.url()), get(), in(10s));
    std::string all;
    std::size_t pieces = 0;
    for (;;) {
      auto piece = co_await stream->read_some();
      if (piece.empty()) break;
      EXPECT_LE(piece.size(), 16u * 1024u);
      all.append(piece);
      ++pieces;
    }
    EXPECT_EQ(all, big);
    EXPECT_GE(pieces, 7u);
  }());
}

// Serves "/next" normally; anything else gets a header and one chunk, then nothing.
asio::awaitable<void> first_chunk_then_stall(TestExchange& ex) {
  if (ex.request().target() == "/next") {
    co_await ex.respond(text_response("next"));
    co_return;
  }
  co_await ex.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nbeg.\r\n");
  co_await ex.stall();
}

// Opens a stream, reads the first piece, then closes it from another coroutine while read_some() waits.
void expect_close_aborts_pending_read(asio::io_context& io, Client& client, const Url& origin) {
  test::run_async(io, [&]() -> asio::awaitable<void> {
    auto stream = co_await client.open(origin, get(), in(30s));
    EXPECT_EQ(co_await stream->read_some(), "beg.");
    asio::steady_timer timer(co_await asio::this_coro::executor, 20ms);
    ResponseStream* raw = stream.get();
    timer.async_wait([raw](boost::system::error_code) { raw->close(); });
    try {
      co_await stream->read_some();
      ADD_FAILURE() << "read_some after close returned";
    } catch (const ClientError& e) {
      EXPECT_EQ(e.kind(), ClientErrorKind::closed);
      EXPECT_EQ(std::string(e.what()), "response stream from " + origin.origin() + " was closed");
    }
    try {
      co_await stream->read_some();
      ADD_FAILURE() << "read_some after close returned";
    } catch (const ClientError& e) {
      EXPECT_EQ(e.kind(), ClientErrorKind::closed);
    }
  }());
  // Closed, never pooled: the next request opens a new connection.
  EXPECT_EQ(test::run_async(io, client.send(origin, get("/next"), in(5s))).body, "next");
  EXPECT_EQ(client.stats().connections_opened, 2u);
  EXPECT_EQ(client.stats().connections_reused, 0u);
}

TEST_F(ClientTest, CloseAbortsAPendingRead) {
  TestHttpServer server(first_chunk_then_stall);
  Client client(io_.get_executor(), {});
  expect_close_aborts_pending_read(io_, client, url(server.url()));
}

TEST_F(TlsTest, CloseAbortsAPendingTlsRead) {
  TestHttpServer server(first_chunk_then_stall, ca_.issue({"localhost"}));
  Client client(io_.get_executor(), trusting(ca_));
  expect_close_aborts_pending_read(io_, client, url(server.url("localhost")));
}

// The cancel signal of a request closes its connection: first while the header is awaited, then under the
// stream that open() returned. The server never answers (or stalls), so only the signal can end the waits.
TEST_F(ClientTest, CancelSignalAbortsARequestWaitingForItsHeader) {
  SilentListener silent;
  Client client(io_.get_executor(), {});
  const std::string origin = "http://127.0.0.1:" + std::to_string(silent.port());
  auto cancel = std::make_shared<util::CancelSignal>();
  ClientRequest request = get();
  request.cancel = cancel;
  asio::steady_timer timer(io_, 20ms);
  timer.async_wait([cancel](boost::system::error_code) { cancel->emit(); });
  auto error = error_of(client.send(url(origin), std::move(request), in(30s)));
  EXPECT_EQ(error.kind(), ClientErrorKind::closed) << error.what();
  EXPECT_EQ(std::string(error.what()), "request to " + origin + " was aborted");
}

TEST_F(ClientTest, CancelSignalClosesTheStreamOfAResponse) {
  TestHttpServer server(first_chunk_then_stall);
  Client client(io_.get_executor(), {});
  const auto origin = url(server.url());
  auto cancel = std::make_shared<util::CancelSignal>();
  run([&]() -> asio::awaitable<void> {
    ClientRequest request = get();
    request.cancel = cancel;
    auto stream = co_await client.open(origin, std::move(request), in(30s));
    EXPECT_EQ(co_await stream->read_some(), "beg.");
    asio::steady_timer timer(co_await asio::this_coro::executor, 20ms);
    timer.async_wait([cancel](boost::system::error_code) { cancel->emit(); });
    try {
      co_await stream->read_some();
      ADD_FAILURE() << "read_some after cancel returned";
    } catch (const ClientError& e) {
      EXPECT_EQ(e.kind(), ClientErrorKind::closed);
    }
  }());
  EXPECT_EQ(run(client.send(origin, get("/next"), in(5s))).body, "next");
  EXPECT_EQ(client.stats().connections_opened, 2u) << "a cancelled connection is never pooled";
}

TEST_F(ClientTest, AlreadyEmittedCancelSignalFailsAtOnce) {
  TestHttpServer server([](const TestRequest&) { return text_response("unwanted"); });
  Client client(io_.get_executor(), {});
  ClientRequest request = get();
  request.cancel = std::make_shared<util::CancelSignal>();
  request.cancel->emit();
  auto error = error_of(client.send(url(server.url()), std::move(request), in(5s)));
  EXPECT_EQ(error.kind(), ClientErrorKind::closed) << error.what();
}

TEST_F(ClientTest, PartlyReadStreamIsNotPooled) {
  TestHttpServer server([](const TestRequest&) { return text_response(std::string(40000, 'p')); });
  Client client(io_.get_executor(), {});
  const auto origin = url(server.url());
  run([&]() -> asio::awaitable<void> {
    auto stream = co_await client.open(origin, get(), in(5s));
    EXPECT_FALSE((co_await stream->read_some()).empty());
  }());
  EXPECT_EQ(run(client.send(origin, get(), in(5s))).body.size(), 40000u);
  EXPECT_EQ(client.stats().connections_opened, 2u);
  EXPECT_EQ(client.stats().connections_reused, 0u);
}

TEST_F(ClientTest, StreamOutlivesTheClient) {
  TestHttpServer server([](const TestRequest&) { return text_response("still here"); });
  auto client = std::make_unique<Client>(io_.get_executor(), ClientOptions{});
  auto stream = run(client->open(url(server.url()), get(), in(5s)));
  client.reset();
  EXPECT_EQ(run(stream->read_all()), "still here");
  stream.reset();  // would return the connection to the pool of a destroyed client: must just close it
}

TEST_F(ClientTest, HeadResponseHasNoBody) {
  // Content-Length describes what a GET would carry; no body follows, and the server then stalls, so
  // a client waiting for 1234 bytes would time out.
  TestHttpServer server([](TestExchange& ex) -> asio::awaitable<void> {
    co_await ex.write("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n");
    co_await ex.stall();
  });
  Client client(io_.get_executor(), {});
  ClientRequest head = get();
  head.method = "HEAD";
  auto reply = run(client.send(url(server.url()), head, in(5s)));
  EXPECT_EQ(reply.status, 200u);
  EXPECT_EQ(reply.header("content-length"), "1234");
  EXPECT_EQ(reply.body, "");
}

// ---------------------------------------------------------------------------------------------- proxies

class ProxyTest : public TlsTest {
 protected:
  ClientOptions via_proxy() {
    auto options = trusting(ca_);
    options.proxy = url(proxy_.url());
    return options;
  }
  test::ConnectProxy proxy_;
};

TEST_F(ProxyTest, HttpsThroughConnectTunnel) {
  TestHttpServer server([](const TestRequest& r) { return text_response("via " + std::string(r.target())); },
                        ca_.issue({"localhost"}));
  Client client(io_.get_executor(), via_proxy());
  const auto origin = url(server.url("localhost"));
  EXPECT_EQ(run(client.send(origin, get("/t"), in(5s))).body, "via /t");
  EXPECT_EQ(run(client.send(origin, get("/u"), in(5s))).body, "via /u");  // pooled tunnel
  EXPECT_EQ(proxy_.tunnels(), 1u);
  EXPECT_EQ(proxy_.targets(), (std::vector<std::string>{"localhost:" + std::to_string(server.port())}));
  EXPECT_EQ(server.tls_handshakes(), 1u);
}

TEST_F(ProxyTest, PlainHttpThroughConnectTunnel) {
  TestHttpServer server([](const TestRequest&) { return text_response("plain via proxy"); });
  Client client(io_.get_executor(), via_proxy());
  EXPECT_EQ(run(client.send(url(server.url()), get(), in(5s))).body, "plain via proxy");
  EXPECT_EQ(proxy_.tunnels(), 1u);
}

TEST_F(ProxyTest, RefusedConnectIsAProxyError) {
  TestHttpServer server([](const TestRequest&) { return text_response("x"); }, ca_.issue({"localhost"}));
  proxy_.refuse_with(403);
  Client client(io_.get_executor(), via_proxy());
  const std::string authority = "localhost:" + std::to_string(server.port());
  auto error = error_of(client.send(url(server.url("localhost")), get(), in(5s)));
  EXPECT_EQ(error.kind(), ClientErrorKind::proxy);
  EXPECT_EQ(std::string(error.what()),
            "proxy " + url(proxy_.url()).origin() + " refused CONNECT to " + authority + ": 403 Forbidden");
  EXPECT_EQ(proxy_.tunnels(), 0u);
  EXPECT_EQ(server.connections_accepted(), 0u);
}

TEST_F(ProxyTest, UnreachableProxyIsAProxyError) {
  std::uint16_t dead_port = 0;
  {
    test::ConnectProxy gone;
    dead_port = gone.port();
  }
  TestHttpServer server([](const TestRequest&) { return text_response("x"); }, ca_.issue({"localhost"}));
  auto options = trusting(ca_);
  options.proxy = url("http://127.0.0.1:" + std::to_string(dead_port));
  Client client(io_.get_executor(), options);
  auto error = error_of(client.send(url(server.url("localhost")), get(), in(5s)));
  EXPECT_EQ(error.kind(), ClientErrorKind::proxy) << error.what();
  EXPECT_NE(std::string(error.what()).find("proxy http://127.0.0.1:" + std::to_string(dead_port)), std::string::npos);
}

TEST_F(ProxyTest, NoProxyHostsBypassTheProxy) {
  TestHttpServer server([](const TestRequest&) { return text_response("direct"); }, ca_.issue({"localhost"}));
  proxy_.refuse_with(403);  // would fail loudly if used
  auto options = via_proxy();
  options.no_proxy = {"example.com", "localhost"};
  Client client(io_.get_executor(), options);
  EXPECT_EQ(run(client.send(url(server.url("localhost")), get(), in(5s))).body, "direct");
  EXPECT_EQ(proxy_.connect_requests(), 0u);

  options.no_proxy = {"*"};
  Client everything_direct(io_.get_executor(), options);
  EXPECT_EQ(run(everything_direct.send(url(server.url("localhost")), get(), in(5s))).body, "direct");
  EXPECT_EQ(proxy_.connect_requests(), 0u);
}

}  // namespace
}  // namespace llamachat::http
