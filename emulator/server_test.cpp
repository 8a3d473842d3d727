// The emulator in-process on 127.0.0.1:0, driven by a raw Beast client that signs with our SigV4 signer (itself
// pinned by the official vectors); streams are checked with our event-stream decoder. sdk_interop_test.cpp
// cross-checks the same server against the official AWS SDK.
#include "server.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <thread>

#include "aws/event_stream/decoder.hpp"
#include "aws/sigv4/signer.hpp"
#include "support/eventually.hpp"
#include "support/test_tls.hpp"
#include "util/base64.hpp"
#include "util/percent_encoding.hpp"
#include "util/strings.hpp"

namespace llamachat::emulator {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
namespace es = aws::event_stream;
using tcp = net::ip::tcp;

constexpr std::string_view kProfile = "us.meta.llama3-3-70b-instruct-v1:0";
constexpr std::string_view kBaseModel = "meta.llama3-3-70b-instruct-v1:0";
constexpr std::string_view kBedrockNs = ":http://internal.amazon.com/coral/com.amazon.bedrock/";
constexpr std::string_view kCoralNs = ":http://internal.amazon.com/coral/com.amazon.coral.service/";

struct Reply {
  unsigned status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  boost::system::error_code error;  // transport or HTTP parse failure
  std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
  json::value json() const { return json::parse(body); }
};

struct Req {
  std::string method = "POST";
  std::string target;
  std::string body;
  std::vector<aws::sigv4::Header> headers{{"content-type", "application/json"}, {"accept", "application/json"}};
  bool sign = true;
  aws::Credentials credentials{std::string(kDefaultAccessKeyId), std::string(kDefaultSecretAccessKey)};
  std::string region = "us-east-1";
  std::optional<std::chrono::system_clock::time_point> time;
  std::function<void(std::vector<aws::sigv4::Header>&)> tamper;  // applied after signing
  std::optional<std::string> sent_body;                          // sent instead of the signed body
};

std::string model_target(std::string_view model_id, std::string_view op) {
  return "/model/" + util::percent_encode(model_id) + "/" + std::string(op);
}

std::string prompt_body(std::string_view user_text) {
  json::object body;
  body["prompt"] = "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n" + std::string(user_text) +
                   "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n";
  body["max_gen_len"] = 256;
  return json::serialize(body);
}

std::string converse_body(std::string_view user_text) {
  json::object block;
  block["text"] = user_text;
  json::object message;
  message["role"] = "user";
  message["content"] = json::array{block};
  json::object body;
  body["messages"] = json::array{message};
  return json::serialize(body);
}

// One keep-alive HTTP/1.1 connection over plain TCP.
class Client {
 public:
  explicit Client(std::uint16_t port) : port_(port), socket_(io_) {
    socket_.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  }

  void write(const Req& r) {
    std::vector<aws::sigv4::Header> headers = r.headers;
    headers.push_back({"host", "127.0.0.1:" + std::to_string(port_)});
    if (r.sign) {
      aws::sigv4::Request sreq;
      sreq.method = r.method;
      sreq.path = r.target.substr(0, r.target.find('?'));
      if (const auto q = r.target.find('?'); q != std::string::npos) sreq.query = r.target.substr(q + 1);
      sreq.headers = headers;
      sreq.payload = r.body;
      aws::sigv4::SigningParams params;
      params.time = r.time.value_or(std::chrono::system_clock::now());
      params.region = r.region;
      params.service = "bedrock";
      const auto signed_ = aws::sigv4::sign(sreq, r.credentials, params);
      for (const auto& h : signed_.headers_to_add) headers.push_back(h);
    }
    if (r.tamper) r.tamper(headers);
    http::request<http::string_body> req{http::string_to_verb(r.method), r.target, 11};
    for (const auto& h : headers) req.insert(h.name, h.value);
    req.body() = r.sent_body.value_or(r.body);
    req.prepare_payload();
    http::write(socket_, req);
  }

  Reply read() {
    Reply out;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    http::read(socket_, buffer_, parser, out.error);
    if (parser.is_header_done()) {
      const auto& res = parser.get();
      out.status = res.result_int();
      for (const auto& f : res.base()) {
        out.headers[util::to_lower(std::string(f.name_string()))] = std::string(f.value());
      }
      out.body = res.body();
    }
    return out;
  }

  Reply send(const Req& r) {
    write(r);
    return read();
  }

  // Reads the response head and at least `min_body` bytes of the body, then closes the connection.
  Reply read_head_then_close(std::size_t min_body) {
    Reply out;
    http::response_parser<http::buffer_body> parser;
    char buf[256];
    std::string body;
    http::read_header(socket_, buffer_, parser, out.error);
    out.status = parser.get().result_int();
    while (!out.error && body.size() < min_body && !parser.is_done()) {
      parser.get().body().data = buf;
      parser.get().body().size = sizeof buf;
      http::read_some(socket_, buffer_, parser, out.error);
      if (out.error == http::error::need_buffer) out.error = {};
      body.append(buf, sizeof buf - parser.get().body().size);
    }
    out.body = body;
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    return out;
  }

 private:
  std::uint16_t port_;
  net::io_context io_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
};

Reply get(std::uint16_t port, const std::string& target) {
  Client c(port);
  Req r;
  r.method = "GET";
  r.target = target;
  r.sign = false;
  r.headers.clear();
  return c.send(r);
}

Reply post_unsigned(std::uint16_t port, const std::string& target, const std::string& body) {
  Client c(port);
  Req r;
  r.target = target;
  r.body = body;
  r.sign = false;
  return c.send(r);
}

// Waits (bounded) until `condition` holds; returns its last value.
using test::eventually;

std::vector<es::Message> decode(const std::string& body, boost::system::error_code& ec) {
  es::Decoder decoder;
  std::vector<es::Message> out;
  decoder.feed(body, out, ec);
  if (!ec) ec = decoder.finish();
  return out;
}

std::string event_type(const es::Message& m) { return std::string(m.string_header(":event-type").value_or("")); }

// The model chunk inside an InvokeModelWithResponseStream `chunk` event.
json::value invoke_chunk(const es::Message& m) {
  const auto part = json::parse(m.payload);
  const auto bytes = util::base64_decode(part.at("bytes").as_string());
  if (!bytes) throw std::runtime_error("chunk bytes are not base64");
  return json::parse(*bytes);
}

class EmulatorTest : public ::testing::Test {
 protected:
  void start(Config config = {}) { server_ = std::make_unique<ThreadedServer>(std::move(config)); }
  void SetUp() override { start(); }
  std::uint16_t port() const { return server_->port(); }
  Reply invoke(std::string_view user_text, std::string_view model = kProfile) {
    Client c(port());
    Req r;
    r.target = model_target(model, "invoke");
    r.body = prompt_body(user_text);
    return c.send(r);
  }
  Reply call(std::string_view op, std::string body, std::string_view model = kProfile) {
    Client c(port());
    Req r;
    r.target = model_target(model, op);
    r.body = std::move(body);
    return c.send(r);
  }
  void script(const std::string& json_body) {
    const Reply r = post_unsigned(port(), "/_emulator/script", json_body);
    ASSERT_EQ(r.status, 200u) << r.body;
  }
  std::unique_ptr<ThreadedServer> server_;
};

// ---- Signatures ----

TEST_F(EmulatorTest, SignedInvokeIsAnsweredInLlamaShape) {
  const Reply r = invoke("Hello there");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.header("content-type"), "application/json");
  EXPECT_FALSE(r.header("x-amzn-requestid").empty());
  const auto body = r.json().as_object();
  EXPECT_EQ(body.at("generation").as_string(), "Emulated reply: Hello there");
  EXPECT_EQ(body.at("stop_reason").as_string(), "stop");
  EXPECT_EQ(std::to_string(body.at("prompt_token_count").as_int64()), r.header("x-amzn-bedrock-input-token-count"));
  EXPECT_EQ(std::to_string(body.at("generation_token_count").as_int64()),
            r.header("x-amzn-bedrock-output-token-count"));
  EXPECT_EQ(body.at("generation_token_count").as_int64(), 4);  // "Emulated" " reply:" " Hello" " there"
  const auto log = server_->state().requests();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_TRUE(log[0].verified);
  EXPECT_EQ(log[0].model_id, kProfile);  // percent-decoded from %3A
  EXPECT_EQ(log[0].operation, "invoke");
}

TEST_F(EmulatorTest, TamperedSignatureIsRefused) {
  Client c(port());
  Req r;
  r.target = model_target(kProfile, "invoke");
  r.body = prompt_body("hi");
  r.tamper = [](std::vector<aws::sigv4::Header>& headers) {
    for (auto& h : headers)
      if (h.name == "content-type") h.value = "application/json; charset=utf-8";  // signed header changed
  };
  const Reply reply = c.send(r);
  EXPECT_EQ(reply.status, 403u);
  EXPECT_EQ(reply.header("x-amzn-errortype"), "InvalidSignatureException" + std::string(kCoralNs));
  EXPECT_EQ(reply.header("content-type"), "application/json");
  EXPECT_FALSE(reply.header("x-amzn-requestid").empty());
  EXPECT_TRUE(reply.json().at("message").as_string().starts_with(
      "The request signature we calculated does not match the signature you provided."));
  EXPECT_EQ(server_->state().stats().signature_failures, 1u);
  EXPECT_FALSE(server_->state().requests().at(0).verified);
}

TEST_F(EmulatorTest, TamperedBodyIsRefused) {
  Client c(port());
  Req r;
  r.target = model_target(kProfile, "invoke");
  r.body = prompt_body("signed text");
  r.sent_body = prompt_body("other text!");  // same length, different bytes
  const Reply reply = c.send(r);
  EXPECT_EQ(reply.status, 403u);
  EXPECT_EQ(reply.header("x-amzn-errortype"), "InvalidSignatureException" + std::string(kCoralNs));
}

TEST_F(EmulatorTest, WrongSecretUnknownKeyAndMissingAuth) {
  {
    Client c(port());
    Req r;
    r.target = model_target(kProfile, "invoke");
    r.body = prompt_body("hi");
    r.credentials.secret_access_key = "not-the-secret";
    const Reply reply = c.send(r);
    EXPECT_EQ(reply.status, 403u);
    EXPECT_EQ(reply.header("x-amzn-errortype"), "InvalidSignatureException" + std::string(kCoralNs));
  }
  {
    Client c(port());
    Req r;
    r.target = model_target(kProfile, "invoke");
    r.body = prompt_body("hi");
    r.credentials.access_key_id = "AKIDUNKNOWN";
    const Reply reply = c.send(r);
    EXPECT_EQ(reply.status, 403u);
    EXPECT_EQ(reply.header("x-amzn-errortype"), "UnrecognizedClientException" + std::string(kCoralNs));
    EXPECT_EQ(reply.json().at("message").as_string(), "The security token included in the request is invalid.");
  }
  {
    Client c(port());
    Req r;
    r.target = model_target(kProfile, "invoke");
    r.body = prompt_body("hi");
    r.sign = false;
    const Reply reply = c.send(r);
    EXPECT_EQ(reply.status, 403u);
    EXPECT_EQ(reply.header("x-amzn-errortype"), "MissingAuthenticationTokenException" + std::string(kCoralNs));
  }
  EXPECT_EQ(server_->state().stats().signature_failures, 3u);
}

TEST_F(EmulatorTest, WrongRegionOrServiceScopeIsRefused) {
  Client c(port());
  Req r;
  r.target = model_target(kProfile, "invoke");
  r.body = prompt_body("hi");
  r.region = "eu-west-1";
  const Reply reply = c.send(r);
  EXPECT_EQ(reply.status, 403u);
  EXPECT_EQ(reply.header("x-amzn-errortype"), "InvalidSignatureException" + std::string(kCoralNs));
}

TEST_F(EmulatorTest, StaleSignatureIsExpired) {
  Client c(port());
  Req r;
  r.target = model_target(kProfile, "invoke");
  r.body = prompt_body("hi");
  r.time = std::chrono::system_clock::now() - std::chrono::minutes(20);
  const Reply reply = c.send(r);
  EXPECT_EQ(reply.status, 403u);
  EXPECT_EQ(reply.header("x-amzn-errortype"), "InvalidSignatureException" + std::string(kCoralNs));
  EXPECT_TRUE(reply.json().at("message").as_string().starts_with("Signature expired: "));
}

TEST_F(EmulatorTest, ServerClockIsAnInput) {
  Config config;
  config.clock = [] { return std::chrono::system_clock::now() + std::chrono::hours(1); };
  start(config);
  const Reply reply = invoke("hi");
  EXPECT_EQ(reply.status, 403u);
  EXPECT_TRUE(reply.json().at("message").as_string().starts_with("Signature expired: "));
}

TEST_F(EmulatorTest, SignedSessionTokenIsAccepted) {
  Client c(port());
  Req r;
  r.target = model_target(kProfile, "invoke");
  r.body = prompt_body("with token");
  r.credentials.session_token = "FQoGZXIvYXdzEXAMPLETOKEN";
  const Reply reply = c.send(r);
  EXPECT_EQ(reply.status, 200u) << reply.body;
  const auto log = server_->state().requests();
  bool redacted = false;
  for (const auto& [name, value] : log.at(0).headers) {
    if (name == "x-amz-security-token") redacted = value == "<redacted>";
    if (name == "authorization") {
      EXPECT_NE(value.find("Signature=<redacted>"), std::string::npos);
    }
  }
  EXPECT_TRUE(redacted);
}

TEST_F(EmulatorTest, NoVerifyAcceptsUnsignedRequests) {
  Config config;
  config.verify_signatures = false;
  start(config);
  const Reply reply = post_unsigned(port(), model_target(kProfile, "invoke"), prompt_body("unsigned"));
  EXPECT_EQ(reply.status, 200u);
  EXPECT_FALSE(server_->state().requests().at(0).verified);
}

// ---- Shapes and reply variants ----

TEST_F(EmulatorTest, EachShapeCarriesTheText) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> shapes = {
      {"generation", {"generation"}},
      {"completion", {"completion"}},
      {"text", {"text"}},
      {"choices", {"choices", "0", "message", "content", "0", "text"}},
      {"messages", {"messages", "0", "content", "0", "text"}},
      {"converse", {"output", "message", "content", "0", "text"}},
  };
  for (const auto& [shape, path] : shapes) {
    const Reply r = invoke("shape test [[emulate:shape=" + shape + "]]");
    ASSERT_EQ(r.status, 200u) << shape;
    json::value v = r.json();
    const json::value* at = &v;
    for (const auto& key : path) {
      at = at->is_array() ? &at->as_array().at(std::stoul(key)) : &at->as_object().at(key);
    }
    EXPECT_EQ(at->as_string(), "Emulated reply: shape test") << shape;
  }
}

TEST_F(EmulatorTest, EmptyWhitespaceNonJsonAndWords) {
  EXPECT_EQ(invoke("[[emulate:empty]] x").json().at("generation").as_string(), "");
  const std::string blank(invoke("[[emulate:empty=whitespace]] x").json().at("generation").as_string());
  EXPECT_FALSE(blank.empty());
  EXPECT_EQ(blank.find_first_not_of(" \t\n"), std::string::npos);
  const Reply nonjson = invoke("[[emulate:nonjson]] x");
  EXPECT_EQ(nonjson.status, 200u);
  boost::system::error_code ec;
  json::parse(nonjson.body, ec);
  EXPECT_TRUE(ec);
  const Reply words = invoke("[[emulate:words=500]] long");
  EXPECT_EQ(words.json().at("generation_token_count").as_int64(), 503);
  EXPECT_TRUE(words.json().at("generation").as_string().ends_with(" word499 word500"));
}

TEST_F(EmulatorTest, ConverseReply) {
  const Reply r = call("converse", converse_body("How are you?"));
  ASSERT_EQ(r.status, 200u) << r.body;
  const auto body = r.json();
  EXPECT_EQ(body.at("output").at("message").at("role").as_string(), "assistant");
  EXPECT_EQ(body.at("output").at("message").at("content").at(0).at("text").as_string(), "Emulated reply: How are you?");
  EXPECT_EQ(body.at("stopReason").as_string(), "end_turn");
  EXPECT_EQ(body.at("usage").at("outputTokens").as_int64(), 5);
}

// ---- Faults ----

struct FaultCase {
  std::string directive;
  unsigned status;
  std::string code;
};

TEST_F(EmulatorTest, EachFaultHasItsStatusCodeAndNamespace) {
  const std::vector<FaultCase> cases = {
      {"throttle", 429, "ThrottlingException"},        {"500", 500, "InternalServerException"},
      {"503", 503, "ServiceUnavailableException"},     {"access_denied", 403, "AccessDeniedException"},
      {"validation", 400, "ValidationException"},      {"on_demand", 400, "ValidationException"},
      {"not_found", 404, "ResourceNotFoundException"}, {"model_timeout", 408, "ModelTimeoutException"},
      {"model_error", 424, "ModelErrorException"},     {"quota", 400, "ServiceQuotaExceededException"},
      {"not_ready", 429, "ModelNotReadyException"},
  };
  for (const auto& c : cases) {
    for (const std::string_view op : {"invoke", "converse"}) {
      const std::string text = "fault [[emulate:" + c.directive + "]]";
      const Reply r = op == "invoke" ? invoke(text) : call(op, converse_body(text));
      EXPECT_EQ(r.status, c.status) << c.directive << " " << op;
      EXPECT_EQ(r.header("x-amzn-errortype"), c.code + std::string(kBedrockNs)) << c.directive;
      EXPECT_EQ(r.header("content-type"), "application/json");
      EXPECT_FALSE(r.header("x-amzn-requestid").empty());
      EXPECT_FALSE(r.json().at("message").as_string().empty()) << c.directive;
    }
  }
  EXPECT_EQ(invoke("[[emulate:throttle]]").json().at("message").as_string(),
            "Too many requests, please wait before trying again.");
  EXPECT_EQ(server_->state().stats().faults_injected, cases.size() * 2 + 1);
}

TEST_F(EmulatorTest, FaultsAlsoApplyToStreams) {
  const Reply r = call("invoke-with-response-stream", prompt_body("[[emulate:throttle]]"));
  EXPECT_EQ(r.status, 429u);
  EXPECT_EQ(r.header("x-amzn-errortype"), "ThrottlingException" + std::string(kBedrockNs));
}

TEST_F(EmulatorTest, OnDemandIsEnforcedForTheBaseModelId) {
  const Reply r = invoke("hi", kBaseModel);
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(r.header("x-amzn-errortype"), "ValidationException" + std::string(kBedrockNs));
  // docs/bedrock.md#model-ids: match on the substring, the apostrophe is U+2019.
  const std::string message(r.json().at("message").as_string());
  EXPECT_NE(message.find("on-demand throughput isn\xE2\x80\x99t supported"), std::string::npos);
  EXPECT_NE(message.find(kBaseModel), std::string::npos);
  EXPECT_EQ(invoke("hi", "emulator-on-demand-only").status, 400u);
  EXPECT_EQ(invoke("hi", kProfile).status, 200u);
}

TEST_F(EmulatorTest, OnDemandWorksInOhioAndCanBeSwitchedOff) {
  Config ohio;
  ohio.region = "us-east-2";
  start(ohio);
  Client c(port());
  Req r;
  r.target = model_target(kBaseModel, "invoke");
  r.body = prompt_body("hi");
  r.region = "us-east-2";
  EXPECT_EQ(c.send(r).status, 200u);

  Config relaxed;
  relaxed.strict_on_demand = false;
  start(relaxed);
  EXPECT_EQ(invoke("hi", kBaseModel).status, 200u);
}

TEST_F(EmulatorTest, RequestValidation) {
  Reply r = call("invoke", R"({"max_gen_len":10})");
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(r.header("x-amzn-errortype"), "ValidationException" + std::string(kBedrockNs));
  EXPECT_EQ(call("invoke", "not json").status, 400u);
  EXPECT_EQ(call("converse", R"({"inferenceConfig":{"maxTokens":5}})").status, 400u);
  EXPECT_EQ(call("converse-stream", R"({"messages":[]})").status, 400u);

  Client c(port());
  Req plain;
  plain.target = model_target(kProfile, "invoke");
  plain.body = prompt_body("hi");
  plain.headers = {{"content-type", "text/plain"}};
  r = c.send(plain);
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(r.header("x-amzn-errortype"), "ValidationException" + std::string(kBedrockNs));
}

TEST_F(EmulatorTest, UnknownRoutes) {
  const Reply r = post_unsigned(port(), "/model/x/unknown-op", "{}");
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(get(port(), "/").status, 404u);
}

TEST_F(EmulatorTest, SlowStillAnswers) {
  const Reply r = invoke("patience [[emulate:slow=30]]");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.json().at("generation").as_string(), "Emulated reply: patience");
}

TEST_F(EmulatorTest, DropClosesWithoutAReply) {
  const Reply r = invoke("[[emulate:drop]]");
  EXPECT_EQ(r.status, 0u);
  EXPECT_TRUE(r.error);
  EXPECT_EQ(server_->state().stats().dropped_connections, 1u);
}

TEST_F(EmulatorTest, DropMidBodySendsHalfABody) {
  const Reply r = invoke("[[emulate:drop_mid_body]] a fairly long reply so that half of it is a real cut");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.error, http::error::partial_message);
}

TEST_F(EmulatorTest, DropIsAnOrderlyCloseAndResetIsATcpReset) {
  const Reply dropped = invoke("[[emulate:drop]]");
  EXPECT_EQ(dropped.error, http::error::end_of_stream);
  const Reply reset = invoke("[[emulate:reset]]");
  EXPECT_EQ(reset.status, 0u);
  EXPECT_EQ(reset.error, net::error::connection_reset);
  EXPECT_EQ(server_->state().stats().dropped_connections, 2u);
}

TEST_F(EmulatorTest, ResetMidBodySendsHalfABodyThenAReset) {
  const Reply r = invoke("[[emulate:reset_mid_body]] a fairly long reply so that half of it is a real cut");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.error, net::error::connection_reset);
}

TEST_F(EmulatorTest, IdleTimeoutClosesAQuietKeepAliveConnection) {
  Config config;
  config.idle_timeout = std::chrono::milliseconds(50);
  start(config);
  Client c(port());
  Req r;
  r.target = model_target(kProfile, "invoke");
  r.body = prompt_body("then silence");
  EXPECT_EQ(c.send(r).status, 200u);
  const Reply after_idle = c.read();  // no second request: the emulator closes the connection
  EXPECT_EQ(after_idle.error, http::error::end_of_stream);
  ASSERT_TRUE(eventually([&] { return server_->state().stats().open_connections == 0; }));
}

TEST_F(EmulatorTest, ChunkedNonStreamBodyIsIntact) {
  const Reply r = invoke("pieces of three [[emulate:chunk=3]]");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.json().at("generation").as_string(), "Emulated reply: pieces of three");
}

// ---- Streams ----

std::string invoke_stream_text(const std::vector<es::Message>& messages, json::value* last = nullptr) {
  std::string text;
  for (const auto& m : messages) {
    EXPECT_EQ(event_type(m), "chunk");
    EXPECT_EQ(m.string_header(":message-type"), "event");
    EXPECT_EQ(m.string_header(":content-type"), "application/json");
    const auto chunk = invoke_chunk(m);
    text += std::string_view(chunk.at("generation").as_string());
    if (last) *last = chunk;
  }
  return text;
}

TEST_F(EmulatorTest, InvokeStreamDecodesToTheReply) {
  const Reply r = call("invoke-with-response-stream", prompt_body("Stream me please"));
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(r.header("content-type"), "application/vnd.amazon.eventstream");
  EXPECT_EQ(r.header("x-amzn-bedrock-content-type"), "application/json");
  EXPECT_EQ(r.header("transfer-encoding"), "chunked");
  boost::system::error_code ec;
  const auto messages = decode(r.body, ec);
  ASSERT_FALSE(ec) << ec.message();
  ASSERT_EQ(messages.size(), 6u);  // five words + the final chunk
  json::value last;
  EXPECT_EQ(invoke_stream_text(messages, &last), "Emulated reply: Stream me please");
  EXPECT_EQ(last.at("stop_reason").as_string(), "stop");
  EXPECT_EQ(last.at("amazon-bedrock-invocationMetrics").at("outputTokenCount").as_int64(), 5);
  EXPECT_TRUE(invoke_chunk(messages[0]).at("stop_reason").is_null());
  const auto stats = server_->state().stats();
  EXPECT_EQ(stats.streams_started, 1u);
  EXPECT_EQ(stats.streams_completed, 1u);
}

TEST_F(EmulatorTest, ConverseStreamEventSequence) {
  const Reply r = call("converse-stream", converse_body("Tell me more"));
  ASSERT_EQ(r.status, 200u);
  boost::system::error_code ec;
  const auto messages = decode(r.body, ec);
  ASSERT_FALSE(ec) << ec.message();
  std::vector<std::string> types;
  std::string text;
  for (const auto& m : messages) {
    types.push_back(event_type(m));
    const auto payload = json::parse(m.payload);
    if (types.back() == "contentBlockDelta") text += std::string_view(payload.at("delta").at("text").as_string());
    if (types.back() == "messageStop") {
      EXPECT_EQ(payload.at("stopReason").as_string(), "end_turn");
    }
    if (types.back() == "metadata") {
      EXPECT_EQ(payload.at("usage").at("outputTokens").as_int64(), 5);
    }
  }
  EXPECT_EQ(text, "Emulated reply: Tell me more");
  const std::vector<std::string> expected = {"messageStart",      "contentBlockDelta", "contentBlockDelta",
                                             "contentBlockDelta", "contentBlockDelta", "contentBlockDelta",
                                             "contentBlockStop",  "messageStop",       "metadata"};
  EXPECT_EQ(types, expected);
}

TEST_F(EmulatorTest, ChunkAndDelayKeepTheStreamIntact) {
  const Reply r = call("invoke-with-response-stream", prompt_body("tiny pieces [[emulate:chunk=5,delay=1]]"));
  ASSERT_EQ(r.status, 200u);
  boost::system::error_code ec;
  const auto messages = decode(r.body, ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(invoke_stream_text(messages), "Emulated reply: tiny pieces");
}

TEST_F(EmulatorTest, StreamShapeAndConfiguredChunkSize) {
  Config config;
  config.chunk_size = 1;
  start(config);
  const Reply r = call("invoke-with-response-stream", prompt_body("as text [[emulate:shape=text]]"));
  boost::system::error_code ec;
  const auto messages = decode(r.body, ec);
  ASSERT_FALSE(ec);
  std::string text;
  for (const auto& m : messages) text += std::string_view(invoke_chunk(m).at("text").as_string());
  EXPECT_EQ(text, "Emulated reply: as text");
}

TEST_F(EmulatorTest, InStreamException) {
  const Reply r = call("invoke-with-response-stream",
                       prompt_body("one two three [[emulate:stream_exception=throttlingException@2]]"));
  ASSERT_EQ(r.status, 200u);
  boost::system::error_code ec;
  const auto messages = decode(r.body, ec);
  ASSERT_FALSE(ec);
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(event_type(messages[0]), "chunk");
  EXPECT_EQ(event_type(messages[1]), "chunk");
  EXPECT_EQ(messages[2].string_header(":message-type"), "exception");
  EXPECT_EQ(messages[2].string_header(":exception-type"), "throttlingException");
  EXPECT_EQ(json::parse(messages[2].payload).at("message").as_string(),
            "Too many requests, please wait before trying again.");

  const Reply m = call("converse-stream", converse_body("x [[emulate:stream_exception=modelStreamErrorException@1]]"));
  const auto converse = decode(m.body, ec);
  ASSERT_EQ(converse.size(), 2u);
  EXPECT_EQ(converse[1].string_header(":exception-type"), "modelStreamErrorException");
  EXPECT_EQ(json::parse(converse[1].payload).at("originalStatusCode").as_int64(), 500);
}

TEST_F(EmulatorTest, BrokenFrameFailsTheCrcOfThatEvent) {
  const Reply r = call("invoke-with-response-stream", prompt_body("a b c [[emulate:broken_frame@2]]"));
  ASSERT_EQ(r.status, 200u);
  boost::system::error_code ec;
  const auto messages = decode(r.body, ec);
  EXPECT_EQ(ec, es::errc::message_crc_mismatch);
  EXPECT_EQ(messages.size(), 2u);
}

TEST_F(EmulatorTest, StallThenClientCloseIsCounted) {
  Client c(port());
  Req r;
  r.target = model_target(kProfile, "converse-stream");
  r.body = converse_body("stall here [[emulate:stall@2]]");
  c.write(r);
  const auto before = steady_now_ms();
  const Reply head = c.read_head_then_close(1);
  EXPECT_EQ(head.status, 200u);
  ASSERT_TRUE(eventually([&] { return server_->state().stats().streams_cancelled == 1; }));
  const auto stats = server_->state().stats();
  EXPECT_GE(stats.last_stream_closed_at_ms, before);
  EXPECT_EQ(stats.streams_completed, 0u);
  ASSERT_TRUE(eventually([&] { return server_->state().stats().open_connections == 0; }));
}

TEST_F(EmulatorTest, ClientCloseDuringSlowStreamIsCounted) {
  Client c(port());
  Req r;
  r.target = model_target(kProfile, "invoke-with-response-stream");
  r.body = prompt_body("[[emulate:words=100,delay=50]]");
  c.write(r);
  const Reply head = c.read_head_then_close(1);
  EXPECT_EQ(head.status, 200u);
  ASSERT_TRUE(eventually([&] { return server_->state().stats().streams_cancelled == 1; }));
}

TEST_F(EmulatorTest, DropMidStream) {
  const Reply r = call("invoke-with-response-stream", prompt_body("half a stream please [[emulate:drop_mid_body]]"));
  EXPECT_EQ(r.status, 200u);
  EXPECT_TRUE(r.error);
  boost::system::error_code ec;
  decode(r.body, ec);
  EXPECT_EQ(ec, es::errc::truncated_at_end_of_stream);
}

// ---- Control API ----

TEST_F(EmulatorTest, ScriptAppliesToTheFollowingRequestsInOrder) {
  script(R"({"next":["throttle", ["shape=text", "words=1"], ""]})");
  EXPECT_EQ(get(port(), "/_emulator/stats").json().at("script_pending").as_int64(), 3);
  EXPECT_EQ(invoke("one").status, 429u);
  EXPECT_EQ(invoke("two").json().at("text").as_string(), "Emulated reply: two word1");
  EXPECT_EQ(invoke("three").json().at("generation").as_string(), "Emulated reply: three");
  EXPECT_EQ(invoke("four").json().at("generation").as_string(), "Emulated reply: four");
  const auto log = server_->state().requests();
  ASSERT_EQ(log.size(), 4u);
  EXPECT_EQ(log[1].directives, (std::vector<std::string>{"shape=text", "words=1"}));
}

TEST_F(EmulatorTest, ScriptReplaceAndValidation) {
  script(R"({"next":["throttle","throttle"]})");
  script(R"({"next":["503"],"replace":true})");
  EXPECT_EQ(invoke("x").status, 503u);
  EXPECT_EQ(invoke("x").status, 200u);
  EXPECT_EQ(post_unsigned(port(), "/_emulator/script", R"({"next":["thrtl"]})").status, 400u);
  EXPECT_EQ(post_unsigned(port(), "/_emulator/script", R"({"nxt":[]})").status, 400u);
}

TEST_F(EmulatorTest, StatsRequestsAndReset) {
  ASSERT_EQ(invoke("logged").status, 200u);
  ASSERT_EQ(call("converse", converse_body("also logged")).status, 200u);
  const auto stats = get(port(), "/_emulator/stats").json();
  EXPECT_EQ(stats.at("requests").at("/model/us.meta.llama3-3-70b-instruct-v1%3A0/invoke").as_int64(), 1);
  EXPECT_EQ(stats.at("requests").at("/model/us.meta.llama3-3-70b-instruct-v1%3A0/converse").as_int64(), 1);
  EXPECT_EQ(stats.at("responses_by_status").at("200").as_int64(), 2);
  EXPECT_GE(stats.at("connections_accepted").as_int64(), 3);
  EXPECT_EQ(stats.at("signature_failures").as_int64(), 0);
  EXPECT_TRUE(stats.at("last_stream_closed_at_ms").is_null());

  const auto requests = get(port(), "/_emulator/requests").json().at("requests").as_array();
  ASSERT_EQ(requests.size(), 2u);
  const auto& first = requests[0].as_object();
  EXPECT_EQ(first.at("method").as_string(), "POST");
  EXPECT_EQ(first.at("target").as_string(), "/model/us.meta.llama3-3-70b-instruct-v1%3A0/invoke");
  EXPECT_TRUE(first.at("verified").as_bool());
  EXPECT_NE(first.at("body").as_string().find("logged"), json::string::npos);
  for (const auto& h : first.at("headers").as_array()) {
    if (h.at(0).as_string() == "Authorization" || h.at(0).as_string() == "authorization") {
      EXPECT_TRUE(h.at(1).as_string().ends_with("Signature=<redacted>"));
    }
  }

  EXPECT_EQ(post_unsigned(port(), "/_emulator/reset", "{}").status, 200u);
  EXPECT_EQ(server_->state().stats().requests_total, 0u);
  EXPECT_TRUE(server_->state().requests().empty());
}

TEST_F(EmulatorTest, KeepAliveServesManyRequestsOnOneConnection) {
  Client c(port());
  for (int i = 0; i < 5; ++i) {
    Req r;
    r.target = model_target(kProfile, i % 2 ? "invoke-with-response-stream" : "invoke");
    r.body = prompt_body("turn " + std::to_string(i));
    const Reply reply = c.send(r);
    ASSERT_EQ(reply.status, 200u) << i;
  }
  EXPECT_EQ(server_->state().stats().connections_accepted, 1u);
}

TEST_F(EmulatorTest, ManyConcurrentConnections) {
  std::vector<std::thread> threads;
  threads.reserve(16);
  std::atomic<int> ok{0};
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&, i] {
      Client c(port());
      Req r;
      r.target = model_target(kProfile, "converse-stream");
      r.body = converse_body("parallel " + std::to_string(i) + " [[emulate:delay=2]]");
      if (c.send(r).status == 200) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 16);
  EXPECT_EQ(server_->state().stats().streams_completed, 16u);
}

TEST_F(EmulatorTest, BodyLimit) {
  Config config;
  config.max_body_bytes = 1000;
  start(config);
  const Reply r = call("invoke", prompt_body(std::string(2000, 'x')));
  EXPECT_EQ(r.status, 413u);
}

// ---- TLS ----

TEST_F(EmulatorTest, ServesHttpsWhenGivenACertificate) {
  test::TestCa ca;
  const test::TestCertificate certificate = ca.self_signed({"127.0.0.1"});
  Config config;
  config.tls_cert_file = certificate.cert_path;
  config.tls_key_file = certificate.key_path;
  start(config);
  EXPECT_TRUE(server_->endpoint().starts_with("https://127.0.0.1:"));

  net::io_context io;
  net::ssl::context ctx(net::ssl::context::tls_client);
  ctx.set_verify_mode(net::ssl::verify_none);
  beast::ssl_stream<tcp::socket> stream(io, ctx);
  stream.next_layer().connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port()));
  stream.handshake(net::ssl::stream_base::client);

  const std::string body = prompt_body("over tls");
  const std::string target = model_target(kProfile, "invoke");
  aws::sigv4::Request sreq;
  sreq.method = "POST";
  sreq.path = target;
  sreq.headers = {{"content-type", "application/json"}, {"host", "127.0.0.1:" + std::to_string(port())}};
  sreq.payload = body;
  const auto signed_ =
      aws::sigv4::sign(sreq, aws::Credentials{std::string(kDefaultAccessKeyId), std::string(kDefaultSecretAccessKey)},
                       aws::sigv4::SigningParams{std::chrono::system_clock::now(), "us-east-1", "bedrock"});
  http::request<http::string_body> req{http::verb::post, target, 11};
  for (const auto& h : sreq.headers) req.set(h.name, h.value);
  for (const auto& h : signed_.headers_to_add) req.set(h.name, h.value);
  req.body() = body;
  req.prepare_payload();
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res);
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(json::parse(res.body()).at("generation").as_string(), "Emulated reply: over tls");
  EXPECT_EQ(server_->state().stats().tls_handshakes, 1u);
}

}  // namespace
}  // namespace llamachat::emulator
