#include "api/chat_endpoint.hpp"

#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "api/sse.hpp"
#include "support/run_async.hpp"

namespace llamachat::api {
namespace {
namespace net = boost::asio;
namespace bhttp = boost::beast::http;
namespace json = boost::json;

// An in-memory http::Exchange that records what the handler sent.
class FakeExchange final : public http::Exchange {
 public:
  explicit FakeExchange(http::Request request) : request_(std::move(request)) {}

  const http::Request& request() const noexcept override { return request_; }
  const std::string& request_id() const noexcept override { return id_; }
  net::awaitable<void> respond(http::Response response) override {
    responses.push_back(std::move(response));
    co_return;
  }
  net::awaitable<bool> begin_stream(http::Response head) override {
    stream_head = std::move(head);
    co_return !gone_;
  }
  net::awaitable<bool> write_chunk(std::string_view data) override {
    if (gone_) co_return false;
    chunks.emplace_back(data);
    co_return true;
  }
  net::awaitable<void> end_stream() override {
    ++stream_ends;
    co_return;
  }
  std::shared_ptr<util::CancelSignal> watch_client() override {
    watched = true;
    if (gone_) gone_signal_->emit();
    return gone_signal_;
  }
  bool client_gone() const noexcept override { return gone_; }

  // The client goes away: the disconnect signal is emitted, later writes fail.
  void disconnect() {
    gone_ = true;
    gone_signal_->emit();
  }

  std::vector<http::Response> responses;
  std::optional<http::Response> stream_head;
  std::vector<std::string> chunks;
  int stream_ends = 0;
  bool watched = false;

 private:
  http::Request request_;
  std::string id_ = "req-0001";
  bool gone_ = false;
  std::shared_ptr<util::CancelSignal> gone_signal_ = std::make_shared<util::CancelSignal>();
};

// A backend that plays a script: optional pause, deltas, then a fixed outcome.
class ScriptedBackend final : public chat::Backend {
 public:
  chat::BackendInfo info() const override { return {"scripted", "model-x", offline}; }
  net::awaitable<chat::Outcome> stream(chat::ChatRequest request, chat::EventSink& sink) override {
    seen = request;
    ++calls;
    if (before) before();
    for (const auto& delta : deltas) {
      if (pause.count() > 0) {
        net::steady_timer timer(co_await net::this_coro::executor, pause);
        co_await timer.async_wait(net::as_tuple(net::use_awaitable));
      }
      const bool ok = co_await sink.on_delta(delta);
      sink_results.push_back(ok);
      if (!ok) co_return chat::Error{chat::ErrorKind::cancelled, "client disconnected"};
    }
    co_return outcome;
  }

  std::vector<std::string> deltas;
  chat::Outcome outcome = chat::Completion{"stop", chat::Usage{4, 2}};
  std::function<void()> before;
  std::chrono::milliseconds pause{0};
  bool offline = false;
  std::optional<chat::ChatRequest> seen;
  std::vector<bool> sink_results;
  int calls = 0;
};

http::Request post_chat(std::string body, std::string content_type = "application/json", std::string accept = "") {
  http::Request req{bhttp::verb::post, "/chat", 11};
  if (!content_type.empty()) req.set(bhttp::field::content_type, content_type);
  if (!accept.empty()) req.set(bhttp::field::accept, accept);
  req.body() = std::move(body);
  req.prepare_payload();
  return req;
}

json::value body_json(const http::Response& res) { return json::parse(res.body()); }

void run(FakeExchange& exchange, chat::Backend& backend, ChatEndpointOptions options = {}) {
  test::run_async(handle_chat(exchange, backend, options));
}

TEST(ChatEndpoint, ReplyIsTrimmedConcatenationOfDeltas) {
  FakeExchange exchange(post_chat(R"({"message":"  Hi there  "})"));
  ScriptedBackend backend;
  backend.deltas = {"\n\n Hello", ", ", "world! \n"};
  run(exchange, backend);
  ASSERT_EQ(exchange.responses.size(), 1u);
  const auto& res = exchange.responses[0];
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res[bhttp::field::content_type], "application/json; charset=utf-8");
  EXPECT_EQ(res[bhttp::field::cache_control], "no-store");
  EXPECT_EQ(res["X-Llamachat-Backend"], "scripted");
  EXPECT_EQ(body_json(res), json::parse(R"({"reply":"Hello, world!"})"));
  EXPECT_FALSE(exchange.stream_head.has_value());
}

TEST(ChatEndpoint, BuildsTheSingleTurnRequestOfTheOriginalDesign) {
  FakeExchange exchange(post_chat(R"({"message":" Hello "})"));
  ScriptedBackend backend;
  backend.deltas = {"ok"};
  const auto before = std::chrono::steady_clock::now();
  run(exchange, backend, ChatEndpointOptions{std::chrono::seconds(42), std::chrono::seconds(15)});
  ASSERT_TRUE(backend.seen.has_value());
  const chat::ChatRequest& r = *backend.seen;
  EXPECT_EQ(r.system, std::string(chat::kDefaultSystemPrompt));
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0].role, chat::Role::user);
  EXPECT_EQ(r.messages[0].content, "Hello");
  EXPECT_EQ(r.request_id, "req-0001");
  EXPECT_FALSE(r.stream);
  ASSERT_TRUE(r.deadline.has_value());
  EXPECT_GE(*r.deadline, before + std::chrono::seconds(42));
  ASSERT_NE(r.cancel, nullptr);
  EXPECT_FALSE(r.cancel->emitted());
  EXPECT_FALSE(r.params.max_tokens.has_value());  // backend defaults (512 / 0.5 / 0.9) apply
  EXPECT_TRUE(exchange.watched);
}

TEST(ChatEndpoint, OfflineBackendIsMarked) {
  FakeExchange exchange(post_chat(R"({"message":"Hi"})"));
  ScriptedBackend backend;
  backend.offline = true;
  backend.deltas = {"ok"};
  run(exchange, backend);
  ASSERT_EQ(exchange.responses.size(), 1u);
  EXPECT_EQ(exchange.responses[0]["X-Llamachat-Backend"], "offline");
}

TEST(ChatEndpoint, BadRequestNeverReachesTheBackend) {
  FakeExchange exchange(post_chat(R"({"message":"   "})"));
  ScriptedBackend backend;
  run(exchange, backend);
  EXPECT_EQ(backend.calls, 0);
  ASSERT_EQ(exchange.responses.size(), 1u);
  EXPECT_EQ(exchange.responses[0].result_int(), 400u);
  EXPECT_EQ(body_json(exchange.responses[0]), json::parse(R"({"error":"Message cannot be empty."})"));
}

TEST(ChatEndpoint, WrongContentTypeIs400) {
  FakeExchange exchange(post_chat(R"({"message":"Hi"})", "text/plain"));
  ScriptedBackend backend;
  run(exchange, backend);
  EXPECT_EQ(backend.calls, 0);
  ASSERT_EQ(exchange.responses.size(), 1u);
  EXPECT_EQ(exchange.responses[0].result_int(), 400u);
  EXPECT_NE(exchange.responses[0].body().find("Content-Type"), std::string::npos);
}

TEST(ChatEndpoint, ConfigurationErrorIs500) {
  FakeExchange exchange(post_chat(R"({"message":"Hi"})"));
  ScriptedBackend backend;
  backend.outcome = chat::Error{chat::ErrorKind::configuration, "Missing AWS_REGION environment variable."};
  run(exchange, backend);
  ASSERT_EQ(exchange.responses.size(), 1u);
  EXPECT_EQ(exchange.responses[0].result_int(), 500u);
  EXPECT_EQ(body_json(exchange.responses[0]),
            json::parse(R"({"error":"Configuration error: Missing AWS_REGION environment variable."})"));
  EXPECT_EQ(exchange.responses[0]["X-Llamachat-Backend"], "scripted");
}

TEST(ChatEndpoint, UpstreamErrorIs502WithRetryAfter) {
  FakeExchange exchange(post_chat(R"({"message":"Hi"})"));
  ScriptedBackend backend;
  backend.outcome = chat::Error{chat::ErrorKind::throttled, "ThrottlingException: slow down", 2, "ThrottlingException"};
  run(exchange, backend);
  ASSERT_EQ(exchange.responses.size(), 1u);
  const auto& res = exchange.responses[0];
  EXPECT_EQ(res.result_int(), 502u);
  EXPECT_EQ(res[bhttp::field::retry_after], "2");
  EXPECT_EQ(body_json(res), json::parse(R"({"error":"Llama invocation failed: ThrottlingException: slow down"})"));
}

TEST(ChatEndpoint, NoRetryAfterWithoutHint) {
  FakeExchange exchange(post_chat(R"({"message":"Hi"})"));
  ScriptedBackend backend;
  backend.outcome = chat::Error{chat::ErrorKind::access_denied, "denied"};
  run(exchange, backend);
  ASSERT_EQ(exchange.responses.size(), 1u);
  EXPECT_EQ(exchange.responses[0].result_int(), 502u);
  EXPECT_EQ(exchange.responses[0].count(bhttp::field::retry_after), 0u);
}

TEST(ChatEndpoint, BlankReplyIs502) {
  FakeExchange exchange(post_chat(R"({"message":"Hi"})"));
  ScriptedBackend backend;
  backend.deltas = {" \n ", "\t"};
  run(exchange, backend);
  ASSERT_EQ(exchange.responses.size(), 1u);
  EXPECT_EQ(exchange.responses[0].result_int(), 502u);
  EXPECT_NE(exchange.responses[0].body().find("empty reply"), std::string::npos);
}

TEST(ChatEndpoint, ClientGoneMeansNoResponseAndCancelEmitted) {
  FakeExchange exchange(post_chat(R"({"message":"Hi"})"));
  ScriptedBackend backend;
  backend.deltas = {"late"};
  backend.before = [&] { exchange.disconnect(); };
  run(exchange, backend);
  ASSERT_TRUE(backend.seen.has_value());
  EXPECT_TRUE(backend.seen->cancel->emitted());
  EXPECT_TRUE(exchange.responses.empty());
}

std::string joined(const std::vector<std::string>& chunks) {
  std::string out;
  for (const auto& c : chunks) out += c;
  return out;
}

TEST(ChatEndpoint, StreamingFromBodyFlag) {
  FakeExchange exchange(post_chat(R"({"message":"Hi","stream":true})"));
  ScriptedBackend backend;
  backend.deltas = {" Hello", " there "};
  run(exchange, backend);
  ASSERT_TRUE(backend.seen.has_value());
  EXPECT_TRUE(backend.seen->stream);
  EXPECT_TRUE(exchange.responses.empty());
  ASSERT_TRUE(exchange.stream_head.has_value());
  EXPECT_EQ(exchange.stream_head->result_int(), 200u);
  EXPECT_EQ((*exchange.stream_head)[bhttp::field::content_type], "text/event-stream; charset=utf-8");
  EXPECT_EQ((*exchange.stream_head)[bhttp::field::cache_control], "no-cache");
  EXPECT_EQ((*exchange.stream_head)["X-Accel-Buffering"], "no");
  EXPECT_EQ((*exchange.stream_head)["X-Llamachat-Backend"], "scripted");
  EXPECT_EQ(joined(exchange.chunks), sse_delta(" Hello") + sse_delta(" there ") +
                                         sse_done("Hello there", chat::Completion{"stop", chat::Usage{4, 2}}));
  EXPECT_EQ(exchange.stream_ends, 1);
}

TEST(ChatEndpoint, StreamingFromAcceptHeader) {
  FakeExchange exchange(post_chat(R"({"message":"Hi"})", "application/json", "text/event-stream"));
  ScriptedBackend backend;
  backend.deltas = {"x"};
  run(exchange, backend);
  ASSERT_TRUE(exchange.stream_head.has_value());
  EXPECT_TRUE(backend.seen->stream);
  // Frames queued together may share a chunk: the joined bytes are the contract.
  const std::string all = joined(exchange.chunks);
  EXPECT_EQ(all.rfind(sse_delta("x"), 0), 0u) << all;
  EXPECT_EQ(all.substr(sse_delta("x").size()).rfind("event: done\n", 0), 0u) << all;
}

TEST(ChatEndpoint, StreamingErrorBecomesErrorEvent) {
  FakeExchange exchange(post_chat(R"({"message":"Hi","stream":true})"));
  ScriptedBackend backend;
  backend.deltas = {"partial"};
  backend.outcome = chat::Error{chat::ErrorKind::model_error, "ModelStreamErrorException: boom"};
  run(exchange, backend);
  EXPECT_EQ(joined(exchange.chunks),
            sse_delta("partial") + sse_error("Llama invocation failed: ModelStreamErrorException: boom"));
  EXPECT_EQ(exchange.stream_ends, 1);
}

TEST(ChatEndpoint, StreamingConfigurationErrorKeepsItsPrefix) {
  FakeExchange exchange(post_chat(R"({"message":"Hi","stream":true})"));
  ScriptedBackend backend;
  backend.outcome = chat::Error{chat::ErrorKind::configuration, "Missing BEDROCK_MODEL_ID environment variable."};
  run(exchange, backend);
  ASSERT_EQ(exchange.chunks.size(), 1u);
  EXPECT_EQ(exchange.chunks[0], sse_error("Configuration error: Missing BEDROCK_MODEL_ID environment variable."));
}

TEST(ChatEndpoint, StreamingClientGoneStopsTheBackend) {
  FakeExchange exchange(post_chat(R"({"message":"Hi","stream":true})"));
  ScriptedBackend backend;
  backend.deltas = {"one", "two", "three"};
  backend.before = [&] { exchange.disconnect(); };
  run(exchange, backend);
  EXPECT_TRUE(backend.seen->cancel->emitted());
  ASSERT_EQ(backend.sink_results.size(), 1u);  // the first delta already failed
  EXPECT_FALSE(backend.sink_results[0]);
  EXPECT_TRUE(exchange.chunks.empty());  // no error event for a cancelled stream
}

TEST(ChatEndpoint, StreamingToAClientAlreadyGoneSkipsTheBackend) {
  FakeExchange exchange(post_chat(R"({"message":"Hi","stream":true})"));
  exchange.disconnect();
  ScriptedBackend backend;
  backend.deltas = {"x"};
  run(exchange, backend);
  EXPECT_EQ(backend.calls, 0);
  EXPECT_TRUE(exchange.chunks.empty());
  EXPECT_EQ(exchange.stream_ends, 0);
}

TEST(ChatEndpoint, StreamingKeepAliveWhileTheModelIsSilent) {
  FakeExchange exchange(post_chat(R"({"message":"Hi","stream":true})"));
  ScriptedBackend backend;
  backend.deltas = {"late"};
  backend.pause = std::chrono::milliseconds(300);
  run(exchange, backend, ChatEndpointOptions{std::chrono::seconds(10), std::chrono::milliseconds(20)});
  ASSERT_GE(exchange.chunks.size(), 3u);
  EXPECT_EQ(exchange.chunks[0], std::string(kSseKeepAlive));
  // The reply itself is intact after the comments.
  const std::string all = joined(exchange.chunks);
  EXPECT_NE(all.find(sse_delta("late")), std::string::npos);
  EXPECT_NE(all.find("event: done\ndata: {\"reply\":\"late\""), std::string::npos);
  EXPECT_EQ(exchange.stream_ends, 1);
}

}  // namespace
}  // namespace llamachat::api
