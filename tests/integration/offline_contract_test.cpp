// The /chat contract and the HTTP server's behaviour, end to end over loopback, with the offline backend.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <thread>

#include "harness.hpp"

namespace llamachat::test {
namespace {

class OfflineService : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { service_ = new Service(); }
  static void TearDownTestSuite() {
    delete service_;
    service_ = nullptr;
  }
  static std::uint16_t port() { return service_->port; }
  static Service* service_;
};
Service* OfflineService::service_ = nullptr;

std::string error_of(const HttpResult& r) { return std::string(r.json().at("error").as_string()); }

TEST_F(OfflineService, ChatRepliesWithJsonAndMarksOffline) {
  const auto r = post_chat(port(), R"({"message":"Hello"})");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.header("Content-Type"), "application/json; charset=utf-8");
  EXPECT_EQ(r.header("X-Llamachat-Backend"), "offline");
  EXPECT_EQ(r.header("X-Request-Id").size(), 16u);
  const std::string reply(r.json().at("reply").as_string());
  EXPECT_NE(reply.find("You said: \"Hello\""), std::string::npos) << reply;
  EXPECT_NE(reply.find("AWS_REGION"), std::string::npos) << "offline reply must name the variables to set";
}

TEST_F(OfflineService, ReplyIsDeterministic) {
  EXPECT_EQ(post_chat(port(), R"({"message":"same"})").body, post_chat(port(), R"({"message":"same"})").body);
}

TEST_F(OfflineService, MessageIsTrimmedLikeTheOriginal) {
  const auto r = post_chat(port(), R"({"message":"  padded  "})");
  ASSERT_EQ(r.status, 200u);
  EXPECT_NE(std::string(r.json().at("reply").as_string()).find("\"padded\""), std::string::npos);
}

TEST_F(OfflineService, CharsetParameterIsJson) {
  EXPECT_EQ(post_chat(port(), R"({"message":"hi"})", "application/json; charset=utf-8").status, 200u);
  EXPECT_EQ(post_chat(port(), R"({"message":"hi"})", "Application/JSON").status, 200u);
}

struct BadBody {
  const char* name;
  const char* content_type;
  const char* body;
  const char* error_contains;
};

class BadChatBodies : public OfflineService, public ::testing::WithParamInterface<BadBody> {};

TEST_P(BadChatBodies, AnswerJson400ThatSaysWhatIsWrong) {
  const BadBody& c = GetParam();
  const auto r = post_chat(port(), c.body, c.content_type);
  EXPECT_EQ(r.status, 400u) << r.body;
  EXPECT_EQ(r.header("Content-Type"), "application/json; charset=utf-8");
  EXPECT_FALSE(r.header("X-Request-Id").empty());
  EXPECT_NE(error_of(r).find(c.error_contains), std::string::npos) << error_of(r);
}

INSTANTIATE_TEST_SUITE_P(
    Contract, BadChatBodies,
    ::testing::Values(BadBody{"NotJson", "application/json", "{message: hello", "not valid JSON"},
                      BadBody{"EmptyBody", "application/json", "", "not valid JSON"},
                      BadBody{"NotAnObject", "application/json", "[\"Hello\"]", "must be a JSON object"},
                      BadBody{"StringBody", "application/json", "\"Hello\"", "must be a JSON object"},
                      BadBody{"NoMessage", "application/json", "{\"msg\":\"Hello\"}", "missing \"message\""},
                      BadBody{"NumberMessage", "application/json", "{\"message\":42}", "must be a string"},
                      BadBody{"NullMessage", "application/json", "{\"message\":null}", "must be a string"},
                      BadBody{"ObjectMessage", "application/json", "{\"message\":{}}", "must be a string"},
                      BadBody{"BlankMessage", "application/json", "{\"message\":\"   \"}", "Message cannot be empty."},
                      BadBody{"EmptyMessage", "application/json", "{\"message\":\"\"}", "Message cannot be empty."},
                      BadBody{"TextPlain", "text/plain", "{\"message\":\"Hello\"}", "Content-Type: application/json"},
                      BadBody{"FormEncoded", "application/x-www-form-urlencoded", "message=Hello", "Content-Type"},
                      BadBody{"NoContentType", "", "{\"message\":\"Hello\"}", "no Content-Type"},
                      BadBody{"InvalidUtf8", "application/json", "{\"message\":\"\xff\xfe\"}", "not valid JSON"},
                      BadBody{"StreamNotBool", "application/json", "{\"message\":\"hi\",\"stream\":\"yes\"}",
                              "\"stream\""}),
    [](const auto& info) { return std::string(info.param.name); });

std::string message_body_of_size(std::size_t total) {
  const std::string prefix = R"({"message":")";
  const std::string suffix = R"("})";
  return prefix + std::string(total - prefix.size() - suffix.size(), 'a') + suffix;
}

TEST_F(OfflineService, BodyOfExactlyOneMebibyteIsAccepted) {
  const auto r = post_chat(port(), message_body_of_size(1024 * 1024));
  EXPECT_EQ(r.status, 200u) << r.body.substr(0, 200);
}

TEST_F(OfflineService, BodyOverOneMebibyteIs413) {
  const auto r = post_chat(port(), message_body_of_size(1024 * 1024 + 1));
  EXPECT_EQ(r.status, 413u);
  EXPECT_NE(error_of(r).find("1048576"), std::string::npos) << r.body;
}

TEST_F(OfflineService, ChunkedBodyOverLimitIs413) {
  std::string raw =
      "POST /chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string chunk(512 * 1024, 'a');
  for (int i = 0; i < 3; ++i) {
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
    raw += size + chunk + "\r\n";
  }
  raw += "0\r\n\r\n";
  const std::string out = raw_exchange(port(), raw);
  EXPECT_EQ(out.rfind("HTTP/1.1 413", 0), 0u) << out.substr(0, 200);
}

TEST_F(OfflineService, WrongMethodIs405WithAllow) {
  const auto r = http_request(port(), "GET", "/chat");
  EXPECT_EQ(r.status, 405u);
  EXPECT_EQ(r.header("Allow"), "POST");
  EXPECT_NE(error_of(r).find("use POST"), std::string::npos);
  EXPECT_EQ(http_request(port(), "DELETE", "/").status, 405u);
}

TEST_F(OfflineService, UnknownPathIsJson404) {
  const auto r = http_request(port(), "GET", "/nope?x=1");
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(error_of(r), "no route for GET /nope");
}

TEST_F(OfflineService, PageIsServedFromTheBinary) {
  const auto r = http_request(port(), "GET", "/");
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(r.header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(r.body.find("id=\"log\""), std::string::npos);
  EXPECT_NE(r.body.find("id=\"send\""), std::string::npos);
  EXPECT_NE(r.body.find("rel=\"icon\""), std::string::npos);
  const std::string csp = r.header("Content-Security-Policy");
  for (const char* directive : {"default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
                                "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"})
    EXPECT_NE(csp.find(directive), std::string::npos) << directive << " in " << csp;
  EXPECT_EQ(csp.find("unsafe"), std::string::npos) << csp;
  EXPECT_EQ(r.header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(r.header("Referrer-Policy"), "no-referrer");
  EXPECT_EQ(r.header("Cache-Control"), "no-cache");
  EXPECT_EQ(r.header("X-Llamachat-Backend"), "offline");
  for (const char* asset : {"/app.js", "/markdown.js", "/style.css", "/favicon.svg", "/favicon.ico"}) {
    const auto a = http_request(port(), "GET", asset);
    EXPECT_EQ(a.status, 200u) << asset;
    EXPECT_FALSE(a.body.empty()) << asset;
    EXPECT_EQ(a.header("X-Content-Type-Options"), "nosniff") << asset;
  }
  const auto js = http_request(port(), "GET", "/markdown.js");
  EXPECT_NE(js.body.find("textContent"), std::string::npos);
  EXPECT_EQ(js.body.find("innerHTML"), std::string::npos) << "model text must never be inserted as HTML";
}

// Over the wire: gzip when accepted, a strong ETag per representation, 304 on If-None-Match, and versioned
// URLs (as the page names its assets) cached for long.
TEST_F(OfflineService, AssetsAreCompressedValidatedAndVersioned) {
  const auto plain = http_request(port(), "GET", "/app.js");
  const auto gzipped = http_request(port(), "GET", "/app.js", "", {{"Accept-Encoding", "gzip, deflate"}});
  ASSERT_EQ(gzipped.status, 200u);
  EXPECT_EQ(gzipped.header("Content-Encoding"), "gzip");
  EXPECT_EQ(gzipped.header("Vary"), "Accept-Encoding");
  ASSERT_GE(gzipped.body.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(gzipped.body[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(gzipped.body[1]), 0x8b);
  EXPECT_LT(gzipped.body.size(), plain.body.size());
  EXPECT_EQ(plain.header("Content-Encoding"), "");
  const std::string etag = gzipped.header("ETag");
  ASSERT_FALSE(etag.empty());
  EXPECT_NE(etag, plain.header("ETag"));
  const auto again = http_request(port(), "GET", "/app.js", "", {{"Accept-Encoding", "gzip"}, {"If-None-Match", etag}});
  EXPECT_EQ(again.status, 304u);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(again.header("ETag"), etag);
  EXPECT_EQ(http_request(port(), "GET", "/app.js", "", {{"If-None-Match", "\"other\""}}).status, 200u);

  const std::string page = http_request(port(), "GET", "/").body;
  const std::size_t at = page.find("/app.js?v=");
  ASSERT_NE(at, std::string::npos) << page;
  const auto versioned = http_request(port(), "GET", page.substr(at, page.find('"', at) - at));
  EXPECT_EQ(versioned.status, 200u);
  EXPECT_EQ(versioned.header("Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(versioned.body, plain.body);
}

TEST_F(OfflineService, HeadReturnsHeadersOnly) {
  const std::string out = raw_exchange(port(), "HEAD /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(out.rfind("HTTP/1.1 200", 0), 0u) << out;
  EXPECT_EQ(out.substr(out.find("\r\n\r\n") + 4), "");
}

TEST_F(OfflineService, HealthzAnswersWithoutTheBackend) {
  const auto r = http_request(port(), "GET", "/healthz");
  ASSERT_EQ(r.status, 200u);
  const auto j = r.json();
  EXPECT_EQ(j.at("status").as_string(), "ok");
  EXPECT_EQ(j.at("backend").as_string(), "offline");
  EXPECT_TRUE(j.at("offline").as_bool());
}

TEST_F(OfflineService, KeepAliveAndPipelinedRequestsAnswerInOrder) {
  const std::string one =
      "POST /chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
      "17\r\n\r\n{\"message\":\"one\"}";
  const std::string two =
      "POST /chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
      "17\r\n\r\n{\"message\":\"two\"}";
  const std::string three = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  const std::string out = raw_exchange(port(), one + two + three);
  const auto a = out.find("You said: \\\"one\\\"");
  const auto b = out.find("You said: \\\"two\\\"");
  const auto c = out.find("\"status\":\"ok\"");
  ASSERT_NE(a, std::string::npos) << out;
  ASSERT_NE(b, std::string::npos) << out;
  ASSERT_NE(c, std::string::npos) << out;
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
}

TEST_F(OfflineService, MalformedRequestLineIsJson400) {
  const std::string out = raw_exchange(port(), "BLAH\x01 / HTTP/1.1\r\n\r\n");
  EXPECT_EQ(out.rfind("HTTP/1.1 400", 0), 0u) << out;
  EXPECT_NE(out.find("malformed HTTP request"), std::string::npos) << out;
}

TEST_F(OfflineService, OversizedHeaderIs431) {
  const std::string out =
      raw_exchange(port(), "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n");
  EXPECT_EQ(out.rfind("HTTP/1.1 431", 0), 0u) << out.substr(0, 100);
}

TEST_F(OfflineService, StreamingRepliesWithServerSentEvents) {
  const auto r = post_chat(port(), R"({"message":"stream me","stream":true})");
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(r.header("Content-Type"), "text/event-stream; charset=utf-8");
  EXPECT_EQ(r.header("Cache-Control"), "no-cache");
  EXPECT_EQ(r.header("X-Accel-Buffering"), "no");
  const auto events = parse_sse(r.body);
  ASSERT_GE(events.size(), 3u) << r.body;
  std::string assembled;
  for (std::size_t i = 0; i + 1 < events.size(); ++i) {
    ASSERT_EQ(events[i].name, "delta") << r.body;
    assembled += boost::json::parse(events[i].data).at("delta").as_string();
  }
  ASSERT_EQ(events.back().name, "done");
  const auto done = boost::json::parse(events.back().data);
  EXPECT_EQ(done.at("reply").as_string(), assembled.substr(0, assembled.find_last_not_of(' ') + 1));
  EXPECT_EQ(done.at("stop_reason").as_string(), "stop");
  EXPECT_TRUE(done.at("usage").is_object());
}

TEST_F(OfflineService, AcceptEventStreamAloneStreams) {
  const auto r = http_request(port(), "POST", "/chat", R"({"message":"hi"})",
                              {{"Content-Type", "application/json"}, {"Accept", "text/event-stream"}});
  EXPECT_EQ(r.header("Content-Type"), "text/event-stream; charset=utf-8");
}

TEST(SlowClients, StalledHeaderIsCutAtTheHeaderTimeout) {
  Service service(base_environment(), {"--header-timeout-ms", "300"});
  const std::string out = raw_exchange(service.port, "POST /chat HTTP/1.1\r\nHost: x\r\n", std::chrono::seconds(5));
  EXPECT_EQ(out.rfind("HTTP/1.1 408", 0), 0u) << out;
}

TEST(SlowClients, StalledBodyIsCutAtTheBodyTimeout) {
  Service service(base_environment(), {"--body-timeout-ms", "300"});
  const std::string out = raw_exchange(
      service.port,
      "POST /chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"mes",
      std::chrono::seconds(5));
  EXPECT_EQ(out.rfind("HTTP/1.1 408", 0), 0u) << out;
  EXPECT_NE(out.find("timed out reading the request body"), std::string::npos);
}

TEST(Startup, IncompleteBedrockConfigurationStartsAndAnswers500) {
  auto env = base_environment();
  env["LLAMACHAT_BACKEND"] = "bedrock";
  Service service(env);
  const auto r = post_chat(service.port, R"({"message":"Hello"})");
  EXPECT_EQ(r.status, 500u);
  EXPECT_EQ(error_of(r).rfind("Configuration error: Missing AWS_REGION", 0), 0u) << r.body;
  EXPECT_EQ(http_request(service.port, "GET", "/healthz").status, 200u);
}

TEST(Startup, MissingModelIdAnswers500) {
  auto env = base_environment();
  env["AWS_REGION"] = "us-east-2";
  Service service(env);
  const auto r = post_chat(service.port, R"({"message":"Hello"})");
  EXPECT_EQ(r.status, 500u);
  EXPECT_EQ(error_of(r).rfind("Configuration error: Missing BEDROCK_MODEL_ID", 0), 0u) << r.body;
}

TEST(Startup, OfflineBannerIsLoudAndNamesTheVariables) {
  Service service;
  const std::string log = service.process->output();
  EXPECT_NE(log.find("OFFLINE MODE"), std::string::npos) << log;
  EXPECT_NE(log.find("AWS_REGION"), std::string::npos);
  EXPECT_NE(log.find("BEDROCK_MODEL_ID"), std::string::npos);
}

TEST(Startup, HelpListsEveryVariable) {
  ChildProcess help(LLAMACHAT_BINARY, {"--help"}, base_environment());
  ASSERT_TRUE(help.wait_for_line("Usage").has_value());
  help.stop(0);
  const std::string out = help.output();
  for (const char* name : {"PORT", "LLAMACHAT_HOST", "LLAMACHAT_BACKEND", "AWS_REGION", "AWS_DEFAULT_REGION",
                           "BEDROCK_MODEL_ID", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "AWS_ENDPOINT_URL", "AWS_CA_BUNDLE",
                           "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"})
    EXPECT_NE(out.find(name), std::string::npos) << name;
}

TEST(Startup, BadPortIsRejectedClearly) {
  ChildProcess bad(LLAMACHAT_BINARY, {"--port", "70000"}, base_environment());
  EXPECT_EQ(bad.stop(0, std::chrono::seconds(5)), 2);
  EXPECT_NE(bad.output().find("invalid port '70000'"), std::string::npos) << bad.output();
}

TEST(Shutdown, SigtermDrainsAndExitsZero) {
  Service service;
  EXPECT_EQ(post_chat(service.port, R"({"message":"bye"})").status, 200u);
  EXPECT_EQ(service.process->stop(SIGTERM), 0) << service.process->output();
}

}  // namespace
}  // namespace llamachat::test

namespace llamachat::test {
namespace {

// The environment the kernel gave the running image (after its re-execution), NUL-separated.
std::string exec_environment(const Service& service) {
  std::ifstream in("/proc/" + std::to_string(service.process->pid()) + "/environ", std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(MallocTuning, TheServiceRunsWithTheLargerMallocCache) {
  Service tuned;
  EXPECT_NE(exec_environment(tuned).find(std::string("GLIBC_TUNABLES=glibc.malloc.tcache_count=") + std::to_string(64) +
                                         '\0'),
            std::string::npos);
  EXPECT_EQ(post_chat(tuned.port, R"({"message":"Hello"})").status, 200u);
}

TEST(MallocTuning, OffMeansNoReExecution) {
  auto env = base_environment();
  env["LLAMACHAT_MALLOC_TUNING"] = "off";
  Service plain(env);
  EXPECT_EQ(exec_environment(plain).find("tcache_count"), std::string::npos);
  EXPECT_EQ(post_chat(plain.port, R"({"message":"Hello"})").status, 200u);
}

TEST(MallocTuning, TheOperatorsOwnTunablesAreKept) {
  auto env = base_environment();
  env["GLIBC_TUNABLES"] = "glibc.malloc.tcache_count=16";
  Service own(env);
  const std::string environ = exec_environment(own);
  EXPECT_NE(environ.find(std::string("GLIBC_TUNABLES=glibc.malloc.tcache_count=16") + '\0'), std::string::npos);
  EXPECT_EQ(environ.find("tcache_count=64"), std::string::npos);
}

}  // namespace
}  // namespace llamachat::test
