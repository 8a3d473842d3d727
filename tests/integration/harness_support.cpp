#include "harness.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstdlib>
#include <thread>

namespace llamachat::test {
namespace net = boost::asio;
namespace bhttp = boost::beast::http;

std::map<std::string, std::string> base_environment() {
  // Deliberately minimal: no HOME, no AWS variables, no proxies from the developer's shell.
  std::map<std::string, std::string> env;
  env["PATH"] = std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin";
  env["AWS_EC2_METADATA_DISABLED"] = "true";
  env["AWS_CONFIG_FILE"] = "/nonexistent/llamachat-test-config";
  env["AWS_SHARED_CREDENTIALS_FILE"] = "/nonexistent/llamachat-test-credentials";
  env["LLAMACHAT_OFFLINE_DELAY_MS"] = "0";  // the offline backend's demo pacing would only slow the tests
  // `make tsan` runs every service with several worker threads, whatever the machine's CPU count.
  if (const char* threads = std::getenv("LLAMACHAT_THREADS")) env["LLAMACHAT_THREADS"] = threads;
  return env;
}

Service::Service(std::map<std::string, std::string> env, std::vector<std::string> args) {
  args.insert(args.begin(), {"--host", "127.0.0.1", "--port", "0"});
  process = std::make_unique<ChildProcess>(LLAMACHAT_BINARY, std::move(args), std::move(env));
  port = wait_for_port(*process);
}

Emulator::Emulator(std::vector<std::string> args) {
  args.insert(args.begin(), {"--host", "127.0.0.1", "--port", "0"});
  process = std::make_unique<ChildProcess>(LLAMACHAT_EMULATOR_BINARY, std::move(args));
  port = wait_for_port(*process);
}

std::map<std::string, std::string> Emulator::bedrock_environment(const std::string& model_id) const {
  auto env = base_environment();
  env["AWS_REGION"] = "us-east-1";
  env["BEDROCK_MODEL_ID"] = model_id;
  env["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"] = "http://127.0.0.1:" + std::to_string(port);
  env["AWS_ACCESS_KEY_ID"] = kTestAccessKeyId;
  env["AWS_SECRET_ACCESS_KEY"] = kTestSecretAccessKey;
  return env;
}

HttpResult HttpResult::from(const bhttp::response<bhttp::string_body>& res) {
  HttpResult out;
  out.status = res.result_int();
  out.body = res.body();
  for (const auto& field : res) out.headers[std::string(field.name_string())] = std::string(field.value());
  return out;
}

std::string HttpResult::header(const std::string& name) const {
  for (const auto& [k, v] : headers)
    if (boost::beast::iequals(k, name)) return v;
  return {};
}

boost::json::value HttpResult::json() const { return boost::json::parse(body); }

HttpResult http_request(std::uint16_t port, const std::string& method, const std::string& target,
                        const std::string& body, const std::map<std::string, std::string>& headers) {
  net::io_context ctx;
  net::ip::tcp::socket socket(ctx);
  socket.connect({net::ip::make_address("127.0.0.1"), port});
  bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(method), target, 11};
  req.set(bhttp::field::host, "127.0.0.1");
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = body;
  if (!body.empty() || method == "POST") req.prepare_payload();
  bhttp::write(socket, req);
  boost::beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  bhttp::read(socket, buffer, parser);
  return HttpResult::from(parser.get());
}

HttpResult post_chat(std::uint16_t port, const std::string& json_body, const std::string& content_type) {
  return http_request(port, "POST", "/chat", json_body, {{"Content-Type", content_type}});
}

std::string raw_exchange(std::uint16_t port, const std::string& bytes, std::chrono::milliseconds read_for) {
  net::io_context ctx;
  net::ip::tcp::socket socket(ctx);
  socket.connect({net::ip::make_address("127.0.0.1"), port});
  net::write(socket, net::buffer(bytes));
  std::string out;
  const auto end = std::chrono::steady_clock::now() + read_for;
  socket.non_blocking(true);
  char buf[8192];
  while (std::chrono::steady_clock::now() < end) {
    boost::system::error_code ec;
    const std::size_t n = socket.read_some(net::buffer(buf), ec);
    if (ec == net::error::would_block) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      continue;
    }
    if (ec) break;  // closed by the server
    out.append(buf, n);
  }
  return out;
}

std::vector<SseEvent> parse_sse(const std::string& body) {
  std::vector<SseEvent> events;
  std::size_t pos = 0;
  while (pos < body.size()) {
    const std::size_t end = body.find("\n\n", pos);
    if (end == std::string::npos) break;
    const std::string frame = body.substr(pos, end - pos);
    pos = end + 2;
    SseEvent event;
    std::size_t line_start = 0;
    while (line_start <= frame.size()) {
      std::size_t line_end = frame.find('\n', line_start);
      if (line_end == std::string::npos) line_end = frame.size();
      const std::string line = frame.substr(line_start, line_end - line_start);
      if (line.rfind("event: ", 0) == 0)
        event.name = line.substr(7);
      else if (line.rfind("data: ", 0) == 0)
        event.data = line.substr(6);
      else if (line.rfind(":", 0) == 0)
        event.comment = true;
      line_start = line_end + 1;
    }
    events.push_back(event);
  }
  return events;
}

}  // namespace llamachat::test

namespace llamachat::test {

struct RawClient::Impl {
  net::io_context ctx;
  net::ip::tcp::socket socket{ctx};
  std::string received;
};

RawClient::RawClient(std::uint16_t port, const std::string& request_bytes, int receive_buffer)
    : impl_(std::make_unique<Impl>()) {
  if (receive_buffer > 0) {
    impl_->socket.open(net::ip::tcp::v4());
    impl_->socket.set_option(net::socket_base::receive_buffer_size(receive_buffer));
  }
  impl_->socket.connect({net::ip::make_address("127.0.0.1"), port});
  net::write(impl_->socket, net::buffer(request_bytes));
  impl_->socket.non_blocking(true);
}

RawClient::~RawClient() = default;

std::string RawClient::read_until(const std::string& needle, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  char buf[8192];
  std::size_t searched = 0;  // bytes already known not to start a match, so each byte is scanned once
  while (impl_->received.find(needle, searched) == std::string::npos && std::chrono::steady_clock::now() < end) {
    searched = impl_->received.size() >= needle.size() ? impl_->received.size() - needle.size() + 1 : 0;
    boost::system::error_code ec;
    const std::size_t n = impl_->socket.read_some(net::buffer(buf), ec);
    if (ec == net::error::would_block) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      continue;
    }
    if (ec) break;
    impl_->received.append(buf, n);
  }
  return impl_->received;
}

void RawClient::close() {
  boost::system::error_code ignored;  // closing is all we want; errors do not matter here
  // SO_LINGER 0: the close is a reset, which the server reads as the client gone at once. A plain
  // close reads as EOF, the same as a half-close, and shows only when a later write fails.
  impl_->socket.set_option(net::socket_base::linger(true, 0), ignored);
  impl_->socket.close(ignored);
}

std::string chat_request_bytes(const std::string& json_body) {
  return "POST /chat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(json_body.size()) + "\r\n\r\n" + json_body;
}

boost::json::array emulator_requests(std::uint16_t emulator_port) {
  const auto log = http_request(emulator_port, "GET", "/_emulator/requests").json();
  return log.is_array() ? log.as_array() : log.at("requests").as_array();
}

}  // namespace llamachat::test
