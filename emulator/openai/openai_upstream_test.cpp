// The OpenAI-compatible test upstream's fault closes and its counters, over real loopback sockets.
#include "openai/openai_upstream.hpp"
#include "support/eventually.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/parse.hpp>
#include <chrono>
#include <functional>
#include <string>
#include <thread>

namespace llamachat::emulator::openai {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;

std::string chat_request(const std::string& user_text, bool stream) {
  const std::string body = R"({"model":"llama-3.3-70b-test","stream":)" + std::string(stream ? "true" : "false") +
                           R"(,"messages":[{"role":"user","content":")" + user_text + R"("}]})";
  return "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
         "Content-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

struct Connection {
  explicit Connection(std::uint16_t port) : socket(io) {
    socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  }
  void send(const std::string& bytes) { net::write(socket, net::buffer(bytes)); }
  // Everything until the upstream closes the connection, and how it closed.
  std::string read_to_end(boost::system::error_code& ec) {
    std::string data;
    net::read(socket, net::dynamic_buffer(data), ec);
    return data;
  }
  std::string read_some() {
    char buf[4096];
    const std::size_t n = socket.read_some(net::buffer(buf));
    return std::string(buf, n);
  }
  net::io_context io;
  tcp::socket socket;
};

using test::eventually;

TEST(OpenAiUpstream, DropClosesWithAFinAndResetWithARst) {
  OpenAiUpstream upstream;
  boost::system::error_code dropped, reset;
  Connection a(upstream.port());
  a.send(chat_request("[[emulate:drop]]", false));
  EXPECT_EQ(a.read_to_end(dropped), "");
  EXPECT_EQ(dropped, net::error::eof);
  Connection b(upstream.port());
  b.send(chat_request("[[emulate:reset]]", false));
  EXPECT_EQ(b.read_to_end(reset), "");
  EXPECT_EQ(reset, net::error::connection_reset);
}

TEST(OpenAiUpstream, StatsCountOpenConnectionsAndResponsesInProgress) {
  OpenAiUpstream upstream;
  auto stalled = std::make_unique<Connection>(upstream.port());
  stalled->send(chat_request("a b c [[emulate:stall@1]]", true));
  EXPECT_NE(stalled->read_some().find("200 OK"), std::string::npos);
  ASSERT_TRUE(eventually([&] { return upstream.responses_in_progress() == 1; }));

  Connection asking(upstream.port());
  asking.send("GET /_emulator/stats HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  boost::system::error_code ec;
  const std::string reply = asking.read_to_end(ec);
  const auto stats = boost::json::parse(reply.substr(reply.find("\r\n\r\n") + 4)).as_object();
  EXPECT_EQ(stats.at("responses_in_progress").to_number<std::size_t>(), 1u);
  EXPECT_EQ(stats.at("open_connections").to_number<std::size_t>(), 2u);  // the stalled one and the one asking
  EXPECT_EQ(stats.at("chat_requests").to_number<std::size_t>(), 1u);     // the stats request is not recorded

  stalled.reset();  // the client leaves: the stalled stream ends and its connection closes
  EXPECT_TRUE(eventually([&] { return upstream.responses_in_progress() == 0; }));
  EXPECT_TRUE(eventually([&] { return upstream.open_connections() == 0; }));
  EXPECT_EQ(upstream.closed_by_client(), 1u);
}

}  // namespace
}  // namespace llamachat::emulator::openai
