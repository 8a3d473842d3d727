#pragma once
// Process-level harness: the real llamachat and the real Bedrock emulator on 127.0.0.1:0, and plain
// blocking HTTP clients to talk to them.
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "support/child_process.hpp"

namespace llamachat::test {

inline constexpr const char* kTestAccessKeyId = "AKIDEXAMPLE";
inline constexpr const char* kTestSecretAccessKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

std::map<std::string, std::string> base_environment();

struct Service {
  explicit Service(std::map<std::string, std::string> env = base_environment(), std::vector<std::string> args = {});
  std::unique_ptr<ChildProcess> process;
  std::uint16_t port = 0;
};

struct Emulator {
  explicit Emulator(std::vector<std::string> args = {});
  // Environment for a llamachat that talks to this emulator with the test credentials.
  std::map<std::string, std::string> bedrock_environment(
      const std::string& model_id = "us.meta.llama3-3-70b-instruct-v1:0") const;
  std::unique_ptr<ChildProcess> process;
  std::uint16_t port = 0;
};

struct HttpResult {
  unsigned status = 0;
  std::map<std::string, std::string> headers;
  std::string body;
  std::string header(const std::string& name) const;
  boost::json::value json() const;
  static HttpResult from(const boost::beast::http::response<boost::beast::http::string_body>& res);
};

HttpResult http_request(std::uint16_t port, const std::string& method, const std::string& target,
                        const std::string& body = {}, const std::map<std::string, std::string>& headers = {});
HttpResult post_chat(std::uint16_t port, const std::string& json_body,
                     const std::string& content_type = "application/json");
// Writes raw bytes, then collects whatever arrives until the server closes or `read_for` passes.
std::string raw_exchange(std::uint16_t port, const std::string& bytes,
                         std::chrono::milliseconds read_for = std::chrono::milliseconds(2000));

struct SseEvent {
  std::string name;
  std::string data;
  bool comment = false;
};
std::vector<SseEvent> parse_sse(const std::string& body);

}  // namespace llamachat::test

namespace llamachat::test {

// A raw streaming client: sends one request, then reads the reply incrementally.
class RawClient {
 public:
  // receive_buffer > 0 fixes the socket's receive buffer (SO_RCVBUF, set before connecting, which also
  // turns off the kernel's autotuning for it): a reader that stops then holds only that much.
  RawClient(std::uint16_t port, const std::string& request_bytes, int receive_buffer = 0);
  ~RawClient();
  // Reads until the bytes received so far contain `needle` or the timeout passes; returns all bytes so far.
  std::string read_until(const std::string& needle, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Resets the connection (the client "goes away"; see harness_support.cpp).
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string chat_request_bytes(const std::string& json_body);

// The emulator's request log (GET /_emulator/requests), oldest first.
boost::json::array emulator_requests(std::uint16_t emulator_port);

}  // namespace llamachat::test
