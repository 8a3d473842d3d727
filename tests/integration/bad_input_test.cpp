// The bad-input corpus of the HTTP surface (docs/security.md): raw bytes sent over a loopback socket to
// the real llamachat (offline backend), and for each the exact status line of the first answer and
// whether the server closes the connection after it. A connection expected to stay open must answer a
// second request on it; one expected to close must reach EOF with nothing more (no smuggled request is
// answered). Every read ends at a complete answer or at the server's close: no sleeps.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <string>
#include <utility>
#include <vector>

#include "harness.hpp"

namespace llamachat::test {
namespace {
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr std::string_view kFffd = "\xEF\xBF\xBD";

struct Case {
  const char* name;
  std::string bytes;
  std::string status_line;  // e.g. "HTTP/1.1 400 Bad Request"
  bool closes;
  std::string body_has = {};  // when set: the first answer's body contains this
};

std::string repeat(std::string_view piece, std::size_t times) {
  std::string out;
  for (std::size_t i = 0; i < times; ++i) out += piece;
  return out;
}

std::string post_chat_chunked(std::string_view framing) {
  return "POST /chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
         std::string(framing);
}

std::string post_chat(std::string_view body, std::string_view extra_fields = "") {
  return "POST /chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + std::string(extra_fields) +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

// A GET /healthz whose head is exactly `size` bytes, padded by one field.
std::string get_of_head_size(std::size_t size) {
  const std::string start = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: ";
  const std::string end = "\r\n\r\n";
  return start + std::string(size - start.size() - end.size(), 'p') + end;
}

const std::string kSmuggled = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
const std::string kValidChat = R"({"message":"hi"})";

std::vector<Case> corpus() {
  std::vector<Case> cases = {
      // Limits of the head (defect 6: the limit counts every byte of it).
      {"head_at_limit", get_of_head_size(16384), "HTTP/1.1 200 OK", false},
      {"head_over_limit", get_of_head_size(16385), "HTTP/1.1 431 Request Header Fields Too Large", true},
      {"one_huge_field", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(100000, 'a') + "\r\n\r\n",
       "HTTP/1.1 431 Request Header Fields Too Large", true},
      {"fields_at_count_limit", "GET /healthz HTTP/1.1\r\n" + repeat("A: b\r\n", 100) + "\r\n", "HTTP/1.1 200 OK",
       false},
      {"too_many_fields", "GET /healthz HTTP/1.1\r\n" + repeat("A: b\r\n", 101) + "\r\n",
       "HTTP/1.1 431 Request Header Fields Too Large", true},
      // Syntax of the head.
      {"obs_fold", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: one\r\n two\r\n\r\n", "HTTP/1.1 400 Bad Request", true},
      {"nul_in_field", std::string("GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n", 39),
       "HTTP/1.1 400 Bad Request", true},
      {"bare_cr_in_field", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n", "HTTP/1.1 400 Bad Request", true},
      {"bare_lf_line_ends", "GET /healthz HTTP/1.1\nHost: x\n\n", "HTTP/1.1 400 Bad Request", true},
      {"space_before_colon", "GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
       "HTTP/1.1 400 Bad Request", true},
      {"invalid_utf8_in_field_value", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: \xff\xfe\r\n\r\n", "HTTP/1.1 200 OK",
       false},
      {"http09_request_line", "GET /healthz\r\n\r\n", "HTTP/1.1 400 Bad Request", true},
      {"http2_preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "HTTP/1.1 505 HTTP Version Not Supported", true},
      {"http_1_2", "GET /healthz HTTP/1.2\r\nHost: x\r\n\r\n", "HTTP/1.1 505 HTTP Version Not Supported", true},
      // Targets (defect 5: absolute form; defect 4: what is echoed is valid UTF-8).
      {"absolute_form", "GET http://example.com/healthz HTTP/1.1\r\nHost: example.com\r\n\r\n", "HTTP/1.1 200 OK",
       false},
      {"absolute_form_https_upper", "GET HTTPS://example.com:8443/healthz HTTP/1.1\r\nHost: example.com\r\n\r\n",
       "HTTP/1.1 200 OK", false},
      {"invalid_utf8_in_target", "GET /no\xff\xc3/where HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 404 Not Found", false,
       "/no" + std::string(kFffd) + std::string(kFffd) + "/where"},
      {"invalid_utf8_in_content_type",
       "POST /chat HTTP/1.1\r\nHost: x\r\nContent-Type: text/\xff\r\nContent-Length: 16\r\n\r\n" + kValidChat,
       "HTTP/1.1 400 Bad Request", false, "text/" + std::string(kFffd)},
      {"invalid_utf8_in_body", post_chat("{\"message\":\"\xff\"}"), "HTTP/1.1 400 Bad Request", false},
      // JSON bodies (defect 7 and the depth limit).
      {"duplicate_json_key", post_chat(R"({"message":"a","message":"b"})"), "HTTP/1.1 400 Bad Request", false, "twice"},
      {"deep_json", post_chat(R"({"message":"x","deep":)" + std::string(1000, '[') + std::string(1000, ']') + "}"),
       "HTTP/1.1 400 Bad Request", false, "levels deep"},
      {"huge_number", post_chat(R"({"message":"x","n":1e99999,"m":)" + std::string(500, '9') + "}"), "HTTP/1.1 200 OK",
       false},
      // Chunked abuse (defect 1: every part of the framing is bounded).
      {"chunked_valid", post_chat_chunked("10\r\n{\"message\":\"hi\"}\r\n0\r\n\r\n"), "HTTP/1.1 200 OK", false},
      {"chunk_size_not_hex", post_chat_chunked("zz\r\n{}\r\n0\r\n\r\n"), "HTTP/1.1 400 Bad Request", true},
      {"chunk_size_overflow", post_chat_chunked("1" + std::string(20, '0') + "\r\nx\r\n0\r\n\r\n"),
       "HTTP/1.1 400 Bad Request", true},
      {"chunk_missing_crlf", post_chat_chunked("10\r\n{\"message\":\"hi\"}XX0\r\n\r\n"), "HTTP/1.1 400 Bad Request",
       true},
      {"chunk_extension_ok", post_chat_chunked("10;name=value\r\n{\"message\":\"hi\"}\r\n0\r\n\r\n"), "HTTP/1.1 200 OK",
       false},
      {"endless_chunk_extension", post_chat_chunked("10;ext=" + std::string(200000, 'e')), "HTTP/1.1 400 Bad Request",
       true, "chunk-size line or the trailer section"},
      {"endless_trailer", post_chat_chunked("10\r\n{\"message\":\"hi\"}\r\n0\r\nX-T: " + std::string(200000, 't')),
       "HTTP/1.1 400 Bad Request", true, "chunk-size line or the trailer section"},
      {"chunked_over_body_limit", post_chat_chunked("200000\r\n"), "HTTP/1.1 413 Payload Too Large", true},
      // Smuggling (defect 2): the bytes after a refused head are never served.
      {"te_gzip_then_request", "POST /chat HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n" + kSmuggled,
       "HTTP/1.1 400 Bad Request", true},
      {"te_identity_with_cl",
       "POST /chat HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\nContent-Length: " +
           std::to_string(kSmuggled.size()) + "\r\n\r\n" + kSmuggled,
       "HTTP/1.1 400 Bad Request", true},
      {"cl_then_te",
       "POST /chat HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       "HTTP/1.1 400 Bad Request", true},
      {"te_then_cl",
       "POST /chat HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
       "HTTP/1.1 400 Bad Request", true},
      {"te_chunked_identity",
       post_chat_chunked("").replace(post_chat_chunked("").find("chunked"), 7, "chunked, identity") + "0\r\n\r\n",
       "HTTP/1.1 400 Bad Request", true},
      {"te_gzip_chunked",
       post_chat_chunked("").replace(post_chat_chunked("").find("chunked"), 7, "gzip, chunked") + "0\r\n\r\n",
       "HTTP/1.1 501 Not Implemented", true},
      {"te_Chunked_capitalised",
       post_chat_chunked("").replace(post_chat_chunked("").find("chunked"), 7, "Chunked") +
           "10\r\n{\"message\":\"hi\"}\r\n0\r\n\r\n",
       "HTTP/1.1 200 OK", false},
      {"te_with_whitespace",
       post_chat_chunked("").replace(post_chat_chunked("").find("chunked"), 7, " \tchunked \t") +
           "10\r\n{\"message\":\"hi\"}\r\n0\r\n\r\n",
       "HTTP/1.1 200 OK", false},
      {"te_twice",
       "POST /chat HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       "HTTP/1.1 400 Bad Request", true},
      {"te_gzip_then_te_chunked",
       "POST /chat HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       "HTTP/1.1 501 Not Implemented", true},
      {"te_in_http10", "POST /chat HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       "HTTP/1.1 400 Bad Request", true},
      {"cl_twice_same", post_chat(kValidChat, "Content-Length: 16\r\n"), "HTTP/1.1 400 Bad Request", true},
      {"cl_list", "POST /chat HTTP/1.1\r\nHost: x\r\nContent-Length: 16, 16\r\n\r\n" + kValidChat,
       "HTTP/1.1 400 Bad Request", true},
      {"cl_conflicting", post_chat(kValidChat, "Content-Length: 3\r\n"), "HTTP/1.1 400 Bad Request", true},
      {"cl_negative", "POST /chat HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", "HTTP/1.1 400 Bad Request", true},
      {"cl_huge", "POST /chat HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n",
       "HTTP/1.1 400 Bad Request", true},
      // Pipelining: two requests in one write, both answered in order (the second is checked below).
      {"pipelined", kSmuggled + kSmuggled, "HTTP/1.1 200 OK", false},
  };
  return cases;
}

// One connection with a receive timeout as a safety net only (a broken server fails the test instead
// of hanging it).
class Connection {
 public:
  explicit Connection(std::uint16_t port) : socket_(ctx_) {
    socket_.connect({net::ip::make_address("127.0.0.1"), port});
    timeval tv{20, 0};
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  // Writes what the server takes; a server that closes early may refuse the rest (that is allowed).
  void send(const std::string& bytes) {
    boost::system::error_code ignored;
    net::write(socket_, net::buffer(bytes), ignored);
  }
  // Reads one whole response (Content-Length framed, as every answer in the corpus is); empty on EOF.
  std::string read_response() {
    for (;;) {
      const std::size_t head_end = pending_.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        std::size_t length = 0;
        const std::size_t cl = pending_.find("Content-Length: ");
        if (cl != std::string::npos && cl < head_end) length = std::stoul(pending_.substr(cl + 16));
        if (pending_.size() >= head_end + 4 + length) {
          std::string response = pending_.substr(0, head_end + 4 + length);
          pending_.erase(0, response.size());
          return response;
        }
      }
      if (!fill()) return {};
    }
  }
  void half_close() {
    boost::system::error_code ignored;  // the server may have reset the connection already
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
  }
  // Everything until the server closes.
  std::string read_to_end() {
    while (fill()) {
    }
    return std::exchange(pending_, {});
  }
  // True when the server closed (EOF or reset) with nothing more sent.
  bool closes_with_nothing_more() {
    while (fill()) {
    }
    return pending_.empty() && !timed_out_;
  }

 private:
  bool fill() {
    char buf[8192];
    boost::system::error_code ec;
    const std::size_t n = socket_.read_some(net::buffer(buf), ec);
    if (ec == net::error::would_block || ec == net::error::try_again) timed_out_ = true;
    if (ec) return false;
    pending_.append(buf, n);
    return true;
  }
  net::io_context ctx_;
  tcp::socket socket_;
  std::string pending_;
  bool timed_out_ = false;
};

TEST(BadInputCorpus, EachCaseGetsItsExactStatusAndConnectionFate) {
  Service service(base_environment(), {"--backend", "offline"});
  for (const Case& c : corpus()) {
    SCOPED_TRACE(c.name);
    Connection connection(service.port);
    connection.send(c.bytes);
    const std::string response = connection.read_response();
    ASSERT_FALSE(response.empty()) << "no answer";
    EXPECT_EQ(response.substr(0, response.find("\r\n")), c.status_line) << response.substr(0, 300);
    if (!c.body_has.empty()) {
      EXPECT_NE(response.find(c.body_has), std::string::npos) << response;
    }
    const bool says_close = response.find("\r\nConnection: close\r\n") != std::string::npos;
    EXPECT_EQ(says_close, c.closes);
    if (c.closes) {
      // The server lingers, discarding what the client may still send, until the client's EOF.
      connection.half_close();
      EXPECT_TRUE(connection.closes_with_nothing_more());
    } else {
      // Pipelined bytes are already sent; otherwise ask again on the same connection.
      if (std::string_view(c.name) != "pipelined") connection.send(kSmuggled);
      const std::string second = connection.read_response();
      EXPECT_EQ(second.substr(0, second.find("\r\n")), "HTTP/1.1 200 OK") << "the connection stayed usable";
    }
  }
}

std::string chat_body(bool stream) {
  return std::string(R"({"message":"[[emulate:delay=50]] tell me a story")") + (stream ? R"(,"stream":true})" : "}");
}

// Defect 3: a client that sends its whole request and then shuts down its sending side still reads:
// it gets the whole answer, on the Bedrock path (the emulator answers after a delay, so the FIN is
// there first) and for a stream.
TEST(HalfClose, WholeReplyOnTheBedrockPath) {
  Emulator emulator;
  Service service(emulator.bedrock_environment());
  Connection connection(service.port);
  connection.send(chat_request_bytes(chat_body(false)));
  connection.half_close();
  const std::string raw = connection.read_to_end();
  EXPECT_EQ(raw.substr(0, raw.find("\r\n")), "HTTP/1.1 200 OK") << raw;
  EXPECT_NE(raw.find("\r\nConnection: close\r\n"), std::string::npos) << raw;
  EXPECT_NE(raw.find("{\"reply\":"), std::string::npos) << raw;
}

TEST(HalfClose, WholeStreamOnTheBedrockPath) {
  Emulator emulator;
  Service service(emulator.bedrock_environment());
  Connection connection(service.port);
  connection.send(chat_request_bytes(chat_body(true)));
  connection.half_close();
  const std::string raw = connection.read_to_end();
  EXPECT_EQ(raw.substr(0, raw.find("\r\n")), "HTTP/1.1 200 OK") << raw;
  EXPECT_NE(raw.find("event: delta"), std::string::npos) << raw;
  EXPECT_NE(raw.find("event: done"), std::string::npos) << raw;
  EXPECT_TRUE(raw.ends_with("0\r\n\r\n")) << raw;
}

// Defect 8: without credentials, a client learns the cause, the fix and its request id, and nothing of
// the server's files or providers; the log has the details, once per cause however many requests meet it.
TEST(NoCredentials, ClientsGetTheCauseAndRequestIdTheLogGetsTheDetailsOnce) {
  auto env = base_environment();
  env["AWS_REGION"] = "us-east-1";
  env["BEDROCK_MODEL_ID"] = "us.meta.llama3-3-70b-instruct-v1:0";
  Service service(env);
  for (int i = 0; i < 3; ++i) {
    const HttpResult r = test::post_chat(service.port, kValidChat);
    EXPECT_EQ(r.status, 502u) << r.body;
    const std::string id = r.header("X-Request-Id");
    ASSERT_FALSE(id.empty());
    EXPECT_NE(r.body.find("the server has no AWS credentials"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("its log has the details (request " + id + ")"), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find("/nonexistent"), std::string::npos) << r.body;  // the config file paths
    EXPECT_EQ(r.body.find("tried"), std::string::npos) << r.body;         // the providers' states
  }
  const std::string log = service.process->output();
  const std::string cause = "aws credentials unavailable";
  EXPECT_NE(log.find(cause), std::string::npos) << log;
  EXPECT_EQ(log.find(cause), log.rfind(cause)) << log;
  EXPECT_NE(log.find("/nonexistent/llamachat-test-config"), std::string::npos) << log;
}

}  // namespace
}  // namespace llamachat::test
