#include "backends/bedrock/bedrock_backend.hpp"

#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "aws/event_stream/encoder.hpp"
#include "backends/bedrock/prompt.hpp"
#include "backends/upstream/call_testing.hpp"
#include "support/environment.hpp"
#include "support/ports.hpp"
#include "support/run_async.hpp"
#include "support/test_http_server.hpp"
#include "util/base64.hpp"

namespace llamachat::backends::bedrock {
namespace {
namespace net = boost::asio;
namespace bhttp = boost::beast::http;
namespace json = boost::json;
namespace es = aws::event_stream;
using test::TestRequest;
using test::TestResponse;
using namespace std::chrono_literals;
using upstream::testing::expect_error;

constexpr const char* kModel = "us.meta.llama3-3-70b-instruct-v1:0";

// --- fake Bedrock replies ---

TestResponse json_reply(unsigned status, std::string body, std::string error_type = "") {
  TestResponse res{static_cast<bhttp::status>(status), 11};
  res.set(bhttp::field::content_type, "application/json");
  if (!error_type.empty())
    res.set("x-amzn-ErrorType", error_type + ":http://internal.amazon.com/coral/com.amazon.bedrock/");
  res.body() = std::move(body);
  return res;
}

es::Message event(std::string type, std::string payload) {
  return es::Message{{{":event-type", std::move(type)},
                      {":content-type", std::string("application/json")},
                      {":message-type", std::string("event")}},
                     std::move(payload)};
}

es::Message chunk(const std::string& llama_json) {
  return event("chunk", R"({"bytes":")" + util::base64_encode(llama_json) + R"("})");
}

es::Message exception(std::string type, std::string message) {
  return es::Message{{{":exception-type", std::move(type)},
                      {":content-type", std::string("application/json")},
                      {":message-type", std::string("exception")}},
                     R"({"message":")" + message + R"("})"};
}

TestResponse stream_reply(const std::vector<es::Message>& messages, std::string trailing_garbage = "") {
  TestResponse res{bhttp::status::ok, 11};
  res.set(bhttp::field::content_type, "application/vnd.amazon.eventstream");
  res.set("X-Amzn-Bedrock-Content-Type", "application/json");
  for (const auto& m : messages) res.body() += es::encode(m);
  res.body() += trailing_garbage;
  return res;
}

// --- test doubles ---

class RecordingSink final : public chat::EventSink {
 public:
  net::awaitable<bool> on_delta(std::string_view text) override {
    deltas.emplace_back(text);
    co_return !(refuse_from && deltas.size() >= *refuse_from);
  }
  std::string text() const {
    std::string out;
    for (const auto& d : deltas) out += d;
    return out;
  }
  std::vector<std::string> deltas;
  std::optional<std::size_t> refuse_from;
};

class FailingProvider final : public aws::credentials::Provider {
 public:
  std::string name() const override { return "failing"; }
  net::awaitable<aws::Credentials> get() override {
    throw aws::credentials::CredentialsError("no provider in the chain had credentials");
    co_return aws::Credentials{};
  }
};

// Every request the fake Bedrock saw (the handler runs on the server's thread).
struct Seen {
  std::mutex mutex;
  std::vector<TestRequest> requests;
  void add(const TestRequest& r) {
    std::lock_guard lock(mutex);
    requests.push_back(r);
  }
  TestRequest at(std::size_t i) {
    std::lock_guard lock(mutex);
    return requests.at(i);
  }
  std::size_t size() {
    std::lock_guard lock(mutex);
    return requests.size();
  }
};

class BedrockBackendTest : public ::testing::Test {
 protected:
  // 2015-08-30T12:36:00Z, so that the signature's date is known.
  static util::Clock fixed_clock() {
    return [] { return std::chrono::system_clock::time_point(std::chrono::seconds(1440938160)); };
  }

  std::unique_ptr<BedrockBackend> make_backend(const std::string& url, Api api = Api::invoke,
                                               std::shared_ptr<aws::credentials::Provider> provider = nullptr) {
    BedrockConfig config;
    config.region = "us-east-1";
    config.model_id = kModel;
    config.endpoint = *http::Url::parse(url);
    config.api = api;
    config.request_timeout = request_timeout;
    config.retry.max_attempts = 3;
    config.retry.max_backoff = 1ms;  // keep retries fast; the schedule itself is tested in aws/retry
    if (!provider)
      provider = aws::credentials::make_static_provider(
          aws::Credentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "", std::nullopt, "static"});
    return std::make_unique<BedrockBackend>(std::move(config), std::move(provider), fixed_clock());
  }

  chat::ChatRequest request(bool stream = false) {
    chat::ChatRequest r;
    r.system = chat::kDefaultSystemPrompt;
    r.messages = {{chat::Role::user, "Hello"}};
    r.request_id = "req1";
    r.stream = stream;
    r.cancel = std::make_shared<chat::CancelSignal>();
    return r;
  }

  chat::Outcome run(BedrockBackend& backend, chat::ChatRequest r) {
    auto outcome = test::run_async(ctx, backend.stream(std::move(r), sink));
    backend.shutdown();  // before the io_context its connections live on goes away
    return outcome;
  }

  chat::Completion expect_completion(const chat::Outcome& outcome) {
    if (auto* e = std::get_if<chat::Error>(&outcome)) {
      ADD_FAILURE() << "unexpected error: " << e->message;
      return {};
    }
    return std::get<chat::Completion>(outcome);
  }

  net::io_context ctx;
  RecordingSink sink;
  Seen seen;
  std::chrono::milliseconds request_timeout{20'000};
};

bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

TEST(BedrockDefaults, DefaultEndpoint) {
  const http::Url url = default_endpoint("eu-west-1");
  EXPECT_EQ(url.scheme, "https");
  EXPECT_EQ(url.host, "bedrock-runtime.eu-west-1.amazonaws.com");
  EXPECT_EQ(url.port, 443);
  EXPECT_EQ(url.path, "");
}

TEST_F(BedrockBackendTest, Info) {
  auto backend = make_backend("http://127.0.0.1:9");
  const auto info = backend->info();
  EXPECT_EQ(info.name, "bedrock");
  EXPECT_EQ(info.model, kModel);
  EXPECT_FALSE(info.offline);
  EXPECT_EQ(backend->config().region, "us-east-1");
}

TEST_F(BedrockBackendTest, InvokeModelRequestAndReply) {
  test::TestHttpServer server([&](const TestRequest& r) {
    seen.add(r);
    return json_reply(
        200,
        R"({"generation":"\n\nHi there!","prompt_token_count":25,"generation_token_count":4,"stop_reason":"stop"})");
  });
  auto backend = make_backend(server.url());
  const auto req = request();
  const chat::Completion done = expect_completion(run(*backend, req));
  EXPECT_EQ(sink.text(), "Hi there!");
  EXPECT_EQ(done.stop_reason, "stop");
  ASSERT_TRUE(done.usage.has_value());
  EXPECT_EQ(done.usage->input_tokens, 25u);
  EXPECT_EQ(done.usage->output_tokens, 4u);

  ASSERT_EQ(seen.size(), 1u);
  const TestRequest r = seen.at(0);
  EXPECT_EQ(r.method(), bhttp::verb::post);
  EXPECT_EQ(r.target(), "/model/us.meta.llama3-3-70b-instruct-v1%3A0/invoke");
  EXPECT_EQ(r[bhttp::field::content_type], "application/json");
  EXPECT_EQ(r[bhttp::field::accept], "application/json");
  EXPECT_EQ(r["x-amz-date"], "20150830T123600Z");
  EXPECT_EQ(r["x-amzn-trace-id"], "llamachat-req1");
  const std::string auth(r[bhttp::field::authorization]);
  EXPECT_EQ(auth.rfind("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/bedrock/aws4_request, ", 0), 0u)
      << auth;
  EXPECT_TRUE(contains(auth, "host")) << auth;
  EXPECT_FALSE(contains(auth, "wJalrXUtnFEMI")) << "the secret key must never be sent";
  EXPECT_EQ(r.count("x-amz-security-token"), 0u);
  const json::object body = json::parse(r.body()).as_object();
  EXPECT_EQ(body.at("prompt").as_string(), build_llama3_prompt(req));
  EXPECT_EQ(body.at("max_gen_len").as_int64(), 512);
}

TEST_F(BedrockBackendTest, EndpointPathPrefixIsKept) {
  test::TestHttpServer server([&](const TestRequest& r) {
    seen.add(r);
    return json_reply(200, R"({"generation":"ok"})");
  });
  auto backend = make_backend(server.url() + "/proxy/bedrock/");
  expect_completion(run(*backend, request()));
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen.at(0).target(), "/proxy/bedrock/model/us.meta.llama3-3-70b-instruct-v1%3A0/invoke");
}

TEST_F(BedrockBackendTest, ConverseRequestAndReply) {
  test::TestHttpServer server([&](const TestRequest& r) {
    seen.add(r);
    return json_reply(200, R"({"output":{"message":{"role":"assistant","content":[{"text":"Conversed."}]}},
        "stopReason":"end_turn","usage":{"inputTokens":9,"outputTokens":2,"totalTokens":11},"metrics":{"latencyMs":5}})");
  });
  auto backend = make_backend(server.url(), Api::converse);
  const chat::Completion done = expect_completion(run(*backend, request()));
  EXPECT_EQ(sink.text(), "Conversed.");
  EXPECT_EQ(done.stop_reason, "end_turn");
  ASSERT_TRUE(done.usage.has_value());
  EXPECT_EQ(done.usage->input_tokens, 9u);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen.at(0).target(), "/model/us.meta.llama3-3-70b-instruct-v1%3A0/converse");
  const json::object body = json::parse(seen.at(0).body()).as_object();
  EXPECT_EQ(body.at("messages"), json::parse(R"([{"role":"user","content":[{"text":"Hello"}]}])"));
}

TEST_F(BedrockBackendTest, AccessDeniedIsNotRetried) {
  test::TestHttpServer server([&](const TestRequest& r) {
    seen.add(r);
    return json_reply(403, R"({"message":"You don't have access to the model with the specified model ID."})",
                      "AccessDeniedException");
  });
  auto backend = make_backend(server.url());
  const chat::Error e = expect_error(run(*backend, request()));
  EXPECT_EQ(e.kind, chat::ErrorKind::access_denied);
  EXPECT_TRUE(contains(e.message, "bedrock:InvokeModel")) << e.message;
  EXPECT_EQ(seen.size(), 1u);
  EXPECT_TRUE(sink.deltas.empty());
}

TEST_F(BedrockBackendTest, ServiceUnavailableIsRetried) {
  test::TestHttpServer server([&](const TestRequest& r) {
    seen.add(r);
    if (seen.size() == 1) return json_reply(503, R"({"message":"busy"})", "ServiceUnavailableException");
    return json_reply(200, R"({"generation":"second time lucky"})");
  });
  auto backend = make_backend(server.url());
  expect_completion(run(*backend, request()));
  EXPECT_EQ(sink.text(), "second time lucky");
  EXPECT_EQ(seen.size(), 2u);
}

TEST_F(BedrockBackendTest, ThrottlingGivesUpAfterMaxAttempts) {
  test::TestHttpServer server([&](const TestRequest& r) {
    seen.add(r);
    return json_reply(429, R"({"message":"Too many requests, please wait before trying again."})",
                      "ThrottlingException");
  });
  auto backend = make_backend(server.url());
  const chat::Error e = expect_error(run(*backend, request()));
  EXPECT_EQ(e.kind, chat::ErrorKind::throttled);
  EXPECT_EQ(e.upstream_code, "ThrottlingException");
  EXPECT_TRUE(e.retry_after_seconds.has_value());
  EXPECT_EQ(seen.size(), 3u);
}

TEST_F(BedrockBackendTest, ServiceQuotaExceededIsNotRetried) {
  test::TestHttpServer server([&](const TestRequest& r) {
    seen.add(r);
    return json_reply(400, R"({"message":"quota"})", "ServiceQuotaExceededException");
  });
  auto backend = make_backend(server.url());
  EXPECT_EQ(expect_error(run(*backend, request())).kind, chat::ErrorKind::throttled);
  EXPECT_EQ(seen.size(), 1u);
}

TEST_F(BedrockBackendTest, UnusableReplyIsBadUpstreamResponse) {
  test::TestHttpServer server([&](const TestRequest& r) {
    seen.add(r);
    return json_reply(200, R"({"generation":"   "})");
  });
  auto backend = make_backend(server.url());
  const chat::Error e = expect_error(run(*backend, request()));
  EXPECT_EQ(e.kind, chat::ErrorKind::bad_upstream_response);
  EXPECT_TRUE(contains(e.message, "No valid text found")) << e.message;
  EXPECT_EQ(seen.size(), 1u);
}

TEST_F(BedrockBackendTest, NoCredentialsIsACredentialsError) {
  test::TestHttpServer server([&](const TestRequest& r) {
    seen.add(r);
    return json_reply(200, R"({"generation":"x"})");
  });
  auto backend = make_backend(server.url(), Api::invoke, std::make_shared<FailingProvider>());
  const chat::Error e = expect_error(run(*backend, request()));
  EXPECT_EQ(e.kind, chat::ErrorKind::credentials);
  // Clients get the cause in general terms; the chain's internals go to the log only (issue 14, defect 8).
  EXPECT_TRUE(contains(e.message, "the server has no AWS credentials")) << e.message;
  EXPECT_FALSE(contains(e.message, "no provider in the chain had credentials")) << e.message;
  EXPECT_EQ(seen.size(), 0u);
}

// The provider chain sits behind a cache: the message names the provider that supplied the refused
// credentials, not the wrapper the backend holds ("the chain provider").
TEST_F(BedrockBackendTest, RefusedCredentialsNameTheProviderThatSuppliedThem) {
  test::TestHttpServer server([&](const TestRequest& r) {
    seen.add(r);
    return json_reply(403, R"({"message":"The security token included in the request is invalid."})",
                      "UnrecognizedClientException");
  });
  const util::Environment env = test::map_environment(
      {{"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"}, {"AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}});
  auto chain = aws::credentials::make_caching_provider(
      aws::credentials::make_chain_provider({aws::credentials::make_environment_provider(env)}), fixed_clock());
  auto backend = make_backend(server.url(), Api::invoke, chain);
  const chat::Error e = expect_error(run(*backend, request()));
  EXPECT_EQ(e.kind, chat::ErrorKind::credentials);
  EXPECT_TRUE(contains(e.message, "supplied by the environment provider")) << e.message;
  EXPECT_FALSE(contains(e.message, "chain")) << e.message;
  EXPECT_EQ(seen.size(), 1u) << "refused credentials are not retried";
}

TEST_F(BedrockBackendTest, UnreachableEndpoint) {
  auto backend = make_backend("http://127.0.0.1:" + std::to_string(test::closed_loopback_port()));
  const chat::Error e = expect_error(run(*backend, request()));
  EXPECT_EQ(e.kind, chat::ErrorKind::upstream_unreachable);
  EXPECT_TRUE(contains(e.message, "127.0.0.1")) << e.message;
}

TEST_F(BedrockBackendTest, StalledUpstreamHitsTheDeadline) {
  test::TestHttpServer server([&](test::TestExchange& ex) -> net::awaitable<void> {
    seen.add(ex.request());
    co_await ex.stall();
  });
  request_timeout = 300ms;
  auto backend = make_backend(server.url());
  const chat::Error e = expect_error(run(*backend, request()));
  EXPECT_EQ(e.kind, chat::ErrorKind::deadline_exceeded);
  EXPECT_GE(seen.size(), 1u);
}

// A client that leaves while Bedrock is still generating (InvokeModel/Converse send their response head
// only at the end) aborts the upstream call at once. Regression: the cancel hook was installed only after
// the response head arrived, so the call ran on until the request deadline.
TEST_F(BedrockBackendTest, CancelWhileWaitingForTheResponseHead) {
  test::TestHttpServer server([&](test::TestExchange& ex) -> net::awaitable<void> {
    seen.add(ex.request());
    co_await ex.stall();
  });
  request_timeout = 3s;  // bounds the test should cancellation ever stop working
  auto backend = make_backend(server.url());
  auto r = request();
  upstream::testing::emit_when(ctx, r.cancel, [this] { return seen.size() > 0; });
  const chat::Error e = expect_error(run(*backend, r));
  EXPECT_EQ(e.kind, chat::ErrorKind::cancelled) << e.message;
  EXPECT_EQ(seen.size(), 1u) << "a cancelled request is never retried";
}

TEST_F(BedrockBackendTest, CancelWhileStreamingClosesTheUpstream) {
  test::TestHttpServer server([&](test::TestExchange& ex) -> net::awaitable<void> {
    seen.add(ex.request());
    const std::string frame = es::encode(chunk(R"({"generation":"first","stop_reason":null})"));
    std::ostringstream head;
    head << "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.amazon.eventstream\r\n"
         << "Transfer-Encoding: chunked\r\n\r\n"
         << std::hex << frame.size() << "\r\n";
    co_await ex.write(head.str() + frame + "\r\n");
    co_await ex.stall();  // the rest of the reply never comes
  });
  auto backend = make_backend(server.url());
  auto r = request(true);
  upstream::testing::emit_when(ctx, r.cancel, [this] { return !sink.deltas.empty(); });
  const chat::Error e = expect_error(run(*backend, r));
  EXPECT_EQ(e.kind, chat::ErrorKind::cancelled) << e.message;
  EXPECT_EQ(sink.deltas, std::vector<std::string>{"first"});
  EXPECT_EQ(seen.size(), 1u);
}

TEST_F(BedrockBackendTest, InvokeStreamDeliversDeltas) {
  test::TestHttpServer server([&](const TestRequest& r) {
    seen.add(r);
    return stream_reply(
        {chunk(R"({"generation":"Hel","prompt_token_count":12,"generation_token_count":1,"stop_reason":null})"),
         chunk(R"({"generation":"lo!","prompt_token_count":null,"generation_token_count":2,"stop_reason":null})"),
         chunk(R"({"generation":"","prompt_token_count":null,"generation_token_count":2,"stop_reason":"stop",)"
               R"("amazon-bedrock-invocationMetrics":{"inputTokenCount":12,"outputTokenCount":2,)"
               R"("invocationLatency":100,"firstByteLatency":50}})")});
  });
  auto backend = make_backend(server.url());
  const chat::Completion done = expect_completion(run(*backend, request(true)));
  EXPECT_EQ(sink.deltas, (std::vector<std::string>{"Hel", "lo!"}));
  EXPECT_EQ(done.stop_reason, "stop");
  ASSERT_TRUE(done.usage.has_value());
  EXPECT_EQ(done.usage->input_tokens, 12u);
  EXPECT_EQ(done.usage->output_tokens, 2u);
  ASSERT_EQ(seen.size(), 1u);
  const TestRequest r = seen.at(0);
  EXPECT_EQ(r.target(), "/model/us.meta.llama3-3-70b-instruct-v1%3A0/invoke-with-response-stream");
  EXPECT_EQ(r["x-amzn-bedrock-accept"], "application/json");
  EXPECT_EQ(r.count(bhttp::field::accept), 0u);
}

TEST_F(BedrockBackendTest, ConverseStreamDeliversDeltas) {
  test::TestHttpServer server([&](const TestRequest& r) {
    seen.add(r);
    return stream_reply(
        {event("messageStart", R"({"role":"assistant"})"),
         event("contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":"Con"}})"),
         event("contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":"verse"}})"),
         event("contentBlockStop", R"({"contentBlockIndex":0})"),
         event("messageStop", R"({"stopReason":"max_tokens"})"),
         event("metadata",
               R"({"usage":{"inputTokens":7,"outputTokens":3,"totalTokens":10},"metrics":{"latencyMs":9}})")});
  });
  auto backend = make_backend(server.url(), Api::converse);
  const chat::Completion done = expect_completion(run(*backend, request(true)));
  EXPECT_EQ(sink.text(), "Converse");
  EXPECT_EQ(done.stop_reason, "max_tokens");
  ASSERT_TRUE(done.usage.has_value());
  EXPECT_EQ(done.usage->output_tokens, 3u);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen.at(0).target(), "/model/us.meta.llama3-3-70b-instruct-v1%3A0/converse-stream");
}

TEST_F(BedrockBackendTest, InStreamExceptionAfterTextIsNotRetried) {
  test::TestHttpServer server([&](const TestRequest& r) {
    seen.add(r);
    return stream_reply({chunk(R"({"generation":"Par","stop_reason":null})"),
                         exception("modelStreamErrorException", "The model failed mid-stream")});
  });
  auto backend = make_backend(server.url());
  const chat::Error e = expect_error(run(*backend, request(true)));
  EXPECT_EQ(e.kind, chat::ErrorKind::model_error);
  EXPECT_EQ(e.message.rfind("Bedrock stream failed: ", 0), 0u) << e.message;
  EXPECT_TRUE(contains(e.message, "The model failed mid-stream")) << e.message;
  EXPECT_EQ(sink.deltas, std::vector<std::string>{"Par"});
  EXPECT_EQ(seen.size(), 1u) << "text already reached the client: a retry would repeat it";
}

TEST_F(BedrockBackendTest, InStreamThrottlingBeforeTextIsRetried) {
  test::TestHttpServer server([&](const TestRequest& r) {
    seen.add(r);
    if (seen.size() == 1) return stream_reply({exception("throttlingException", "slow down")});
    return stream_reply({chunk(R"({"generation":"ok","stop_reason":"stop"})")});
  });
  auto backend = make_backend(server.url());
  expect_completion(run(*backend, request(true)));
  EXPECT_EQ(sink.text(), "ok");
  EXPECT_EQ(seen.size(), 2u);
}

TEST_F(BedrockBackendTest, StreamWithoutStopEventIsIncomplete) {
  test::TestHttpServer server(
      [&](const TestRequest&) { return stream_reply({chunk(R"({"generation":"cut","stop_reason":null})")}); });
  auto backend = make_backend(server.url());
  const chat::Error e = expect_error(run(*backend, request(true)));
  EXPECT_EQ(e.kind, chat::ErrorKind::bad_upstream_response);
  EXPECT_TRUE(contains(e.message, "no stop event")) << e.message;
}

TEST_F(BedrockBackendTest, BrokenFrameIsBadUpstreamResponse) {
  test::TestHttpServer server([&](const TestRequest&) {
    return stream_reply({chunk(R"({"generation":"a","stop_reason":null})")}, std::string(20, '\x7f'));
  });
  auto backend = make_backend(server.url());
  const chat::Error e = expect_error(run(*backend, request(true)));
  EXPECT_EQ(e.kind, chat::ErrorKind::bad_upstream_response);
  EXPECT_TRUE(contains(e.message, "broken Bedrock event stream")) << e.message;
  EXPECT_EQ(sink.deltas, std::vector<std::string>{"a"});
}

TEST_F(BedrockBackendTest, UnmappableEventIsBadUpstreamResponse) {
  test::TestHttpServer server([&](const TestRequest&) { return stream_reply({event("chunk", R"({"bytes":"!!!"})")}); });
  auto backend = make_backend(server.url());
  const chat::Error e = expect_error(run(*backend, request(true)));
  EXPECT_EQ(e.kind, chat::ErrorKind::bad_upstream_response);
  EXPECT_TRUE(contains(e.message, "unreadable Bedrock stream event")) << e.message;
}

TEST_F(BedrockBackendTest, StreamErrorStatusUsesTheErrorTable) {
  test::TestHttpServer server([&](const TestRequest& r) {
    seen.add(r);
    return json_reply(404, R"({"message":"Could not resolve the foundation model"})", "ResourceNotFoundException");
  });
  auto backend = make_backend(server.url());
  const chat::Error e = expect_error(run(*backend, request(true)));
  EXPECT_EQ(e.kind, chat::ErrorKind::model_not_found);
  EXPECT_EQ(seen.size(), 1u);
}

TEST_F(BedrockBackendTest, ClientGoneStopsTheStream) {
  test::TestHttpServer server([&](const TestRequest&) {
    return stream_reply({chunk(R"({"generation":"one ","stop_reason":null})"),
                         chunk(R"({"generation":"two ","stop_reason":null})"),
                         chunk(R"({"generation":"three","stop_reason":"stop"})")});
  });
  auto backend = make_backend(server.url());
  sink.refuse_from = 1;
  const chat::Error e = expect_error(run(*backend, request(true)));
  EXPECT_EQ(e.kind, chat::ErrorKind::cancelled);
  EXPECT_EQ(sink.deltas, std::vector<std::string>{"one "});
}

TEST_F(BedrockBackendTest, ClientGoneOnNonStreamingReply) {
  test::TestHttpServer server([&](const TestRequest&) { return json_reply(200, R"({"generation":"whole"})"); });
  auto backend = make_backend(server.url());
  sink.refuse_from = 1;
  EXPECT_EQ(expect_error(run(*backend, request())).kind, chat::ErrorKind::cancelled);
}

}  // namespace
}  // namespace llamachat::backends::bedrock
