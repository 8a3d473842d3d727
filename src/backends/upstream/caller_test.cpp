#include "backends/upstream/caller.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <functional>
#include <string>
#include <vector>

#include "aws/credentials/provider.hpp"
#include "backends/upstream/call_testing.hpp"
#include "support/run_async.hpp"
#include "support/test_http_server.hpp"

namespace llamachat::backends::upstream {
namespace {
namespace net = boost::asio;
namespace bhttp = boost::beast::http;
using aws::retry::FailureKind;
using namespace std::chrono_literals;
using testing::expect_error;

// A protocol of its own, so that the call's discipline is tested apart from any backend: 503 is
// transient, 429 throttling, anything else final. A 200 body "partial:<text>" delivers <text> and then
// fails transiently; any other body is the whole reply.
class FakeProtocol final : public Protocol {
 public:
  http::ClientRequest build_request(const chat::ChatRequest& request) const override {
    http::ClientRequest r;
    r.method = "POST";
    r.target = "/call";
    r.body = request.messages.empty() ? std::string() : request.messages.front().content;
    return r;
  }
  Failure classify(const ErrorReply& reply, const Attempt& attempt) const override {
    sources.emplace_back(attempt.credentials_source);
    if (reply.status == 503)
      return {{chat::ErrorKind::upstream_unavailable, std::string(reply.body)}, FailureKind::transient};
    if (reply.status == 429) return {{chat::ErrorKind::throttled, std::string(reply.body)}, FailureKind::throttling};
    return {{chat::ErrorKind::invalid_upstream_request, std::string(reply.body)}};
  }
  net::awaitable<AttemptOutcome> consume(http::ResponseStream& response, Relay& relay, const Attempt&) const override {
    const std::string body = co_await response.read_all();
    constexpr std::string_view kPartial = "partial:";
    const bool partial = body.rfind(kPartial, 0) == 0;
    const std::string text = partial ? body.substr(kPartial.size()) : body;
    const bool delivered = co_await relay.deliver(text);
    if (!delivered) co_return Failure{{chat::ErrorKind::cancelled, "client disconnected"}};
    if (partial) co_return Failure{{chat::ErrorKind::upstream_failure, "cut"}, FailureKind::transient};
    co_return chat::Completion{"stop", std::nullopt};
  }
  mutable std::vector<std::string> sources;  // credentials source seen by each classify()
};

// Adds a key header; `source` names where the key came from, `fail` makes it find none.
class FakeAuthorizer final : public Authorizer {
 public:
  net::awaitable<std::string> authorize(http::ClientRequest& request) override {
    ++calls;
    if (fail) throw aws::credentials::CredentialsError("fake: no key configured");
    request.headers.emplace_back("authorization", "Bearer test-key");
    co_return "fake-source";
  }
  int calls = 0;
  bool fail = false;
};

class TextSink final : public chat::EventSink {
 public:
  net::awaitable<bool> on_delta(std::string_view text) override {
    text_.append(text);
    co_return true;
  }
  std::string text_;
};

test::TestResponse reply(unsigned status, std::string body, std::string retry_after = "") {
  test::TestResponse res{static_cast<bhttp::status>(status), 11};
  if (!retry_after.empty()) res.set(bhttp::field::retry_after, retry_after);
  res.body() = std::move(body);
  return res;
}

class CallerTest : public ::testing::Test {
 protected:
  std::unique_ptr<Caller> make_caller(const std::string& url) {
    CallerOptions options;
    options.upstream_name = "Fake";
    options.endpoint = *http::Url::parse(url);
    options.request_timeout = request_timeout;
    options.retry.max_attempts = 3;
    options.retry.max_backoff = 1ms;  // the backoff schedule itself is tested in aws/retry
    return std::make_unique<Caller>(std::move(options), authorizer);
  }

  chat::ChatRequest request() {
    chat::ChatRequest r;
    r.messages = {{chat::Role::user, "Hello"}};
    r.request_id = "req1";
    r.cancel = std::make_shared<chat::CancelSignal>();
    return r;
  }

  chat::Outcome run(Caller& caller, const chat::ChatRequest& r) {
    auto outcome = test::run_async(ctx, caller.call(r, sink, protocol));
    caller.shutdown();  // before the io_context its connections live on goes away
    return outcome;
  }

  net::io_context ctx;
  TextSink sink;
  FakeProtocol protocol;
  std::shared_ptr<FakeAuthorizer> authorizer = std::make_shared<FakeAuthorizer>();
  std::chrono::milliseconds request_timeout{20'000};
  std::atomic<int> server_calls{0};  // handlers run on the server thread
};

TEST_F(CallerTest, SuccessGoesOutAuthorized) {
  std::string authorization;
  test::TestHttpServer server([&](const test::TestRequest& r) {
    authorization = std::string(r[bhttp::field::authorization]);
    return reply(200, "all of it");
  });
  auto caller = make_caller(server.url());
  const chat::Outcome outcome = run(*caller, request());
  ASSERT_TRUE(std::holds_alternative<chat::Completion>(outcome));
  EXPECT_EQ(std::get<chat::Completion>(outcome).stop_reason, "stop");
  EXPECT_EQ(sink.text_, "all of it");
  EXPECT_EQ(authorization, "Bearer test-key");
}

TEST_F(CallerTest, TransientFailuresAreRetriedUpToMaxAttempts) {
  test::TestHttpServer server([&](const test::TestRequest&) { return reply(503, "busy"); });
  auto caller = make_caller(server.url());
  const chat::Error e = expect_error(run(*caller, request()));
  EXPECT_EQ(e.kind, chat::ErrorKind::upstream_unavailable);
  EXPECT_EQ(e.message, "busy");
  EXPECT_EQ(server.requests_received(), 3u);
  EXPECT_EQ(authorizer->calls, 3) << "each attempt is authorized anew (credentials may have been refreshed)";
}

TEST_F(CallerTest, RetrySucceedsAfterTransientFailure) {
  test::TestHttpServer server(
      [&](const test::TestRequest&) { return server_calls++ == 0 ? reply(429, "slow down") : reply(200, "second"); });
  auto caller = make_caller(server.url());
  const chat::Outcome outcome = run(*caller, request());
  EXPECT_TRUE(std::holds_alternative<chat::Completion>(outcome));
  EXPECT_EQ(sink.text_, "second");
  EXPECT_EQ(server.requests_received(), 2u);
}

TEST_F(CallerTest, FinalFailureIsNotRetried) {
  test::TestHttpServer server([&](const test::TestRequest&) { return reply(400, "bad"); });
  auto caller = make_caller(server.url());
  EXPECT_EQ(expect_error(run(*caller, request())).kind, chat::ErrorKind::invalid_upstream_request);
  EXPECT_EQ(server.requests_received(), 1u);
}

TEST_F(CallerTest, NoRetryOnceTextReachedTheClient) {
  test::TestHttpServer server([&](const test::TestRequest&) { return reply(200, "partial:Hel"); });
  auto caller = make_caller(server.url());
  const chat::Error e = expect_error(run(*caller, request()));
  EXPECT_EQ(e.kind, chat::ErrorKind::upstream_failure);
  EXPECT_EQ(sink.text_, "Hel");
  EXPECT_EQ(server.requests_received(), 1u) << "a retry would send the text twice";
}

TEST_F(CallerTest, RetryAfterBeyondTheDeadlineEndsTheCall) {
  test::TestHttpServer server([&](const test::TestRequest&) { return reply(503, "busy", "3600"); });
  auto caller = make_caller(server.url());  // 20 s deadline: waiting an hour is pointless
  const chat::Error e = expect_error(run(*caller, request()));
  EXPECT_EQ(e.kind, chat::ErrorKind::upstream_unavailable);
  EXPECT_EQ(e.retry_after_seconds, 3600) << "our client learns the upstream's wait";
  EXPECT_EQ(server.requests_received(), 1u);
}

TEST_F(CallerTest, RetryAfterWithinTheDeadlineIsWaitedOut) {
  test::TestHttpServer server([&](const test::TestRequest&) {
    return server_calls++ == 0 ? reply(503, "busy", "0") : reply(200, "after the wait");
  });
  auto caller = make_caller(server.url());
  EXPECT_TRUE(std::holds_alternative<chat::Completion>(run(*caller, request())));
  EXPECT_EQ(server.requests_received(), 2u);
}

TEST_F(CallerTest, CredentialsSourceReachesTheClassifier) {
  test::TestHttpServer server([&](const test::TestRequest&) { return reply(403, "refused"); });
  auto caller = make_caller(server.url());
  expect_error(run(*caller, request()));
  EXPECT_EQ(protocol.sources, std::vector<std::string>{"fake-source"});
}

TEST_F(CallerTest, MissingCredentialsAreAFinalCredentialsError) {
  test::TestHttpServer server([&](const test::TestRequest&) { return reply(200, "never"); });
  authorizer->fail = true;
  auto caller = make_caller(server.url());
  const chat::Error e = expect_error(run(*caller, request()));
  EXPECT_EQ(e.kind, chat::ErrorKind::credentials);
  // The provider's own text (here "fake: no key configured") stays out of what the client sees.
  EXPECT_EQ(e.message, credentials_failure_text(request().request_id));
  EXPECT_EQ(e.message.find("no key configured"), std::string::npos);
  EXPECT_NE(e.message.find("its log has the details (request "), std::string::npos) << e.message;
  EXPECT_EQ(authorizer->calls, 1);
  EXPECT_EQ(server.requests_received(), 0u);
}

TEST_F(CallerTest, WithoutAuthorizerTheRequestGoesOutAsBuilt) {
  std::size_t authorization_fields = 1;
  test::TestHttpServer server([&](const test::TestRequest& r) {
    authorization_fields = r.count(bhttp::field::authorization);
    return reply(200, "open");
  });
  authorizer = nullptr;
  auto caller = make_caller(server.url());
  EXPECT_TRUE(std::holds_alternative<chat::Completion>(run(*caller, request())));
  EXPECT_EQ(authorization_fields, 0u);
}

TEST_F(CallerTest, StalledUpstreamEndsAtTheDeadline) {
  test::TestHttpServer server([&](test::TestExchange& ex) -> net::awaitable<void> { co_await ex.stall(); });
  request_timeout = 300ms;
  auto caller = make_caller(server.url());
  const chat::Error e = expect_error(run(*caller, request()));
  EXPECT_EQ(e.kind, chat::ErrorKind::deadline_exceeded);
  EXPECT_EQ(e.message.rfind("Fake request timed out: ", 0), 0u) << e.message;
}

TEST_F(CallerTest, RequestDeadlineSoonerThanTheTimeoutWins) {
  test::TestHttpServer server([&](test::TestExchange& ex) -> net::awaitable<void> { co_await ex.stall(); });
  auto caller = make_caller(server.url());  // 20 s timeout
  auto r = request();
  r.deadline = std::chrono::steady_clock::now() + 300ms;
  EXPECT_EQ(expect_error(run(*caller, r)).kind, chat::ErrorKind::deadline_exceeded);
}

TEST_F(CallerTest, CancelWhileWaitingForTheReply) {
  test::TestHttpServer server([&](test::TestExchange& ex) -> net::awaitable<void> { co_await ex.stall(); });
  request_timeout = 5s;  // bounds the test should cancellation ever stop working
  auto caller = make_caller(server.url());
  auto r = request();
  testing::emit_when(ctx, r.cancel, [&server] { return server.requests_received() > 0; });
  const chat::Error e = expect_error(run(*caller, r));
  EXPECT_EQ(e.kind, chat::ErrorKind::cancelled) << e.message;
  EXPECT_EQ(server.requests_received(), 1u) << "a cancelled call is never retried";
}

TEST_F(CallerTest, CancelWhileWaitingToRetry) {
  // The upstream asks for an hour, within the deadline; the client leaves during that wait.
  test::TestHttpServer server([&](const test::TestRequest&) { return reply(503, "busy", "3600"); });
  request_timeout = std::chrono::hours(2);
  auto caller = make_caller(server.url());
  auto r = request();
  // classify() runs at the end of the attempt; the call's next suspension is the wait before the retry.
  testing::emit_when(ctx, r.cancel, [this] { return !protocol.sources.empty(); });
  std::optional<chat::Outcome> outcome;
  net::co_spawn(ctx, caller->call(r, sink, protocol), [&](std::exception_ptr, chat::Outcome o) { outcome = o; });
  ctx.run_for(10s);  // bounds the test should the wait ignore the cancellation
  caller->shutdown();
  ASSERT_TRUE(outcome.has_value()) << "the wait before the retry went on after the client left";
  EXPECT_EQ(expect_error(*outcome).kind, chat::ErrorKind::cancelled);
  EXPECT_EQ(server.requests_received(), 1u);
}

TEST_F(CallerTest, AlreadyCancelledCallSendsNothing) {
  test::TestHttpServer server([&](const test::TestRequest&) { return reply(200, "never"); });
  auto caller = make_caller(server.url());
  auto r = request();
  r.cancel->emit();
  EXPECT_EQ(expect_error(run(*caller, r)).kind, chat::ErrorKind::cancelled);
  EXPECT_EQ(server.requests_received(), 0u);
}

// --- I/O failures as values ---

TEST(FailureOf, ClientErrorKinds) {
  const http::Url endpoint = *http::Url::parse("https://upstream.example:8443");
  struct Case {
    http::ClientErrorKind kind;
    chat::ErrorKind error;
    FailureKind retry;
  };
  using CK = http::ClientErrorKind;
  for (const Case c : {Case{CK::resolve, chat::ErrorKind::upstream_unreachable, FailureKind::connection},
                       Case{CK::connect, chat::ErrorKind::upstream_unreachable, FailureKind::connection},
                       Case{CK::proxy, chat::ErrorKind::upstream_unreachable, FailureKind::connection},
                       Case{CK::closed, chat::ErrorKind::upstream_unreachable, FailureKind::connection},
                       Case{CK::tls, chat::ErrorKind::upstream_unreachable, FailureKind::non_retryable},
                       Case{CK::protocol, chat::ErrorKind::bad_upstream_response, FailureKind::non_retryable},
                       Case{CK::timeout, chat::ErrorKind::deadline_exceeded, FailureKind::timeout}}) {
    const AttemptOutcome outcome = failure_of(http::ClientError(c.kind, "what"), "Up", endpoint, false, false);
    ASSERT_TRUE(std::holds_alternative<Failure>(outcome)) << static_cast<int>(c.kind);
    const auto& failure = std::get<Failure>(outcome);
    EXPECT_EQ(failure.error.kind, c.error) << static_cast<int>(c.kind);
    EXPECT_EQ(failure.retry, c.retry) << static_cast<int>(c.kind);
  }
  const auto unreachable = failure_of(http::ClientError(CK::connect, "refused"), "Up", endpoint, false, false);
  EXPECT_EQ(std::get<Failure>(unreachable).error.message,
            "cannot reach Up endpoint https://upstream.example:8443: refused");
}

TEST(FailureOf, CancelledWinsOverTheErrorItCaused) {
  const http::Url endpoint = *http::Url::parse("http://127.0.0.1:1");
  const auto outcome =
      failure_of(http::ClientError(http::ClientErrorKind::closed, "closed"), "Up", endpoint, true, true);
  ASSERT_TRUE(std::holds_alternative<Failure>(outcome));
  EXPECT_EQ(std::get<Failure>(outcome).error.kind, chat::ErrorKind::cancelled);
  EXPECT_EQ(std::get<Failure>(outcome).retry, FailureKind::non_retryable);
}

TEST(FailureOf, DeadlineAfterTextEndsTheReplyCleanly) {
  const http::Url endpoint = *http::Url::parse("http://127.0.0.1:1");
  const auto outcome =
      failure_of(http::ClientError(http::ClientErrorKind::timeout, "late"), "Up", endpoint, false, true);
  ASSERT_TRUE(std::holds_alternative<chat::Completion>(outcome));
  EXPECT_EQ(std::get<chat::Completion>(outcome).stop_reason, "time_limit");
}

}  // namespace
}  // namespace llamachat::backends::upstream
