#include "api/protection.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace llamachat::api {
namespace {
namespace net = boost::asio;
namespace bhttp = boost::beast::http;
using namespace std::chrono_literals;

// A request as check() sees it: fields and the TCP peer; nothing is ever sent.
class PeerExchange final : public http::Exchange {
 public:
  PeerExchange(http::Request request, const char* peer)
      : request_(std::move(request)), peer_(boost::asio::ip::make_address(peer)) {}
  const http::Request& request() const noexcept override { return request_; }
  const std::string& request_id() const noexcept override { return id_; }
  net::awaitable<void> respond(http::Response) override { co_return; }
  net::awaitable<bool> begin_stream(http::Response) override { co_return true; }
  net::awaitable<bool> write_chunk(std::string_view) override { co_return true; }
  net::awaitable<void> end_stream() override { co_return; }
  std::shared_ptr<util::CancelSignal> watch_client() override { return std::make_shared<util::CancelSignal>(); }
  bool client_gone() const noexcept override { return false; }
  boost::asio::ip::address peer_address() const noexcept override { return peer_; }

 private:
  http::Request request_;
  boost::asio::ip::address peer_;
  std::string id_ = "rid";
};

PeerExchange request(const char* peer, std::vector<std::pair<std::string, std::string>> fields = {}) {
  http::Request req{bhttp::verb::post, "/chat", 11};
  for (const auto& [name, value] : fields) req.insert(name, value);
  return PeerExchange(std::move(req), peer);
}

TEST(Protection, NothingConfiguredRefusesNothing) {
  ProtectionOptions options;
  options.upstream.max_concurrent = 0;
  Protection protection(std::move(options));
  EXPECT_FALSE(protection.guards(RouteClass::api));
  EXPECT_FALSE(protection.guards(RouteClass::metrics));
  EXPECT_FALSE(protection.upstream_gate());
  EXPECT_FALSE(protection.check(RouteClass::api, request("192.0.2.1")));
}

TEST(Protection, KeysGuardApiAndMetricsButNeverOpenRoutes) {
  ProtectionOptions options;
  options.api_keys = {"alpha"};
  Protection protection(std::move(options));
  const auto missing = protection.check(RouteClass::api, request("192.0.2.1"));
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->refusal, Refusal::unauthorized);
  EXPECT_TRUE(protection.check(RouteClass::api, request("192.0.2.1", {{"Authorization", "Bearer beta"}})));
  EXPECT_TRUE(protection.check(RouteClass::api, request("192.0.2.1", {{"Authorization", "Basic alpha"}})));
  EXPECT_FALSE(protection.check(RouteClass::api, request("192.0.2.1", {{"Authorization", "Bearer alpha"}})));
  EXPECT_TRUE(protection.check(RouteClass::metrics, request("192.0.2.1")));
  EXPECT_FALSE(protection.check(RouteClass::open, request("192.0.2.1")));

  ProtectionOptions open_metrics;
  open_metrics.api_keys = {"alpha"};
  open_metrics.metrics_open = true;
  Protection with_open_metrics(std::move(open_metrics));
  EXPECT_FALSE(with_open_metrics.check(RouteClass::metrics, request("192.0.2.1")));
}

TEST(Protection, RateLimitsByClientAddressThroughTrustedProxies) {
  auto now = std::chrono::system_clock::time_point(std::chrono::hours(1000));
  ProtectionOptions options;
  options.rate_limit = guard::RateLimit{1, std::chrono::minutes(1)};
  options.clock = [&now] { return now; };
  options.trusted_proxies = std::get<guard::TrustedProxies>(guard::TrustedProxies::parse("10.0.0.0/8"));
  Protection protection(std::move(options));

  EXPECT_FALSE(protection.check(RouteClass::api, request("192.0.2.1")));
  const auto second = protection.check(RouteClass::api, request("192.0.2.1"));
  ASSERT_TRUE(second);
  EXPECT_EQ(second->refusal, Refusal::rate_limited);
  EXPECT_EQ(second->retry_after_seconds, 60);
  // From an untrusted peer X-Forwarded-For changes nothing.
  EXPECT_TRUE(protection.check(RouteClass::api, request("192.0.2.1", {{"X-Forwarded-For", "198.51.100.1"}})));
  // Through the trusted proxy, every field of X-Forwarded-For counts, the last one last.
  EXPECT_FALSE(protection.check(RouteClass::api, request("10.0.0.1", {{"X-Forwarded-For", "198.51.100.1"}})));
  EXPECT_TRUE(protection.check(RouteClass::api, request("10.0.0.1", {{"X-Forwarded-For", "203.0.113.1"},
                                                                     {"X-Forwarded-For", "198.51.100.1, 10.0.0.7"}})));
  EXPECT_FALSE(protection.check(
      RouteClass::api, request("10.0.0.1", {{"X-Forwarded-For", "198.51.100.1"}, {"X-Forwarded-For", "203.0.113.1"}})));
  now += 30s;
  EXPECT_EQ(protection.check(RouteClass::api, request("192.0.2.1"))->retry_after_seconds, 30);
  now += 30s;
  EXPECT_FALSE(protection.check(RouteClass::api, request("192.0.2.1")));
  // Metrics are never rate limited.
  EXPECT_FALSE(protection.check(RouteClass::metrics, request("192.0.2.1")));
}

TEST(RefusalResponse, ChatShapeOrTheMountsShapeWithTheRightFields) {
  const auto unauthorized = refusal_response({Refusal::unauthorized, std::nullopt}, {}, 11);
  EXPECT_EQ(unauthorized.result_int(), 401u);
  EXPECT_EQ(unauthorized[bhttp::field::www_authenticate], "Bearer");
  EXPECT_TRUE(boost::json::parse(unauthorized.body()).at("error").is_string());
  EXPECT_EQ(unauthorized.count(bhttp::field::retry_after), 0u);

  const ApiErrorRenderer openai_like = [](const ApiError& error, unsigned version) {
    http::Response res{static_cast<bhttp::status>(error.status), version};
    res.body() = error.code;
    return res;
  };
  const auto limited = refusal_response({Refusal::rate_limited, 7}, openai_like, 11);
  EXPECT_EQ(limited.result_int(), 429u);
  EXPECT_EQ(limited.body(), "rate_limit_exceeded");
  EXPECT_EQ(limited[bhttp::field::retry_after], "7");
  EXPECT_EQ(limited.count(bhttp::field::www_authenticate), 0u);
}

TEST(CorsPreflight, AnswersListedOriginsOnly) {
  const auto policy = std::get<guard::CorsPolicy>(guard::CorsPolicy::parse("https://app.example.com"));
  http::Request preflight{bhttp::verb::options, "/chat", 11};
  preflight.set(bhttp::field::origin, "https://app.example.com");
  preflight.set(bhttp::field::access_control_request_method, "POST");
  ASSERT_TRUE(is_cors_preflight(preflight));
  const auto allowed = cors_preflight_response(policy, preflight);
  EXPECT_EQ(allowed.result_int(), 204u);
  EXPECT_EQ(allowed[bhttp::field::access_control_allow_origin], "https://app.example.com");
  EXPECT_EQ(allowed[bhttp::field::vary], "Origin");

  preflight.set(bhttp::field::origin, "https://other.example.com");
  const auto denied = cors_preflight_response(policy, preflight);
  EXPECT_EQ(denied.result_int(), 403u);
  EXPECT_EQ(denied.count(bhttp::field::access_control_allow_origin), 0u);

  http::Request plain{bhttp::verb::options, "/chat", 11};
  plain.set(bhttp::field::origin, "https://app.example.com");
  EXPECT_FALSE(is_cors_preflight(plain));
}

}  // namespace
}  // namespace llamachat::api
