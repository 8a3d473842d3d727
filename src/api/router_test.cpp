#include "api/router.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "support/run_async.hpp"

namespace llamachat::api {
namespace {
namespace net = boost::asio;
namespace bhttp = boost::beast::http;
namespace json = boost::json;

// Records the one response a route sends.
class RecordingExchange final : public http::Exchange {
 public:
  explicit RecordingExchange(http::Request request) : request_(std::move(request)) {}
  const http::Request& request() const noexcept override { return request_; }
  const std::string& request_id() const noexcept override { return id_; }
  net::awaitable<void> respond(http::Response response) override {
    responses.push_back(std::move(response));
    co_return;
  }
  net::awaitable<bool> begin_stream(http::Response) override { co_return true; }
  net::awaitable<bool> write_chunk(std::string_view) override { co_return true; }
  net::awaitable<void> end_stream() override { co_return; }
  std::shared_ptr<util::CancelSignal> watch_client() override { return std::make_shared<util::CancelSignal>(); }
  bool client_gone() const noexcept override { return false; }

  std::vector<http::Response> responses;

 private:
  http::Request request_;
  std::string id_ = "rid";
};

class EchoBackend final : public chat::Backend {
 public:
  explicit EchoBackend(chat::BackendInfo info) : info_(std::move(info)) {}
  chat::BackendInfo info() const override { return info_; }
  net::awaitable<chat::Outcome> stream(chat::ChatRequest request, chat::EventSink& sink) override {
    co_await sink.on_delta("echo: " + request.messages.back().content);
    co_return chat::Completion{"stop", std::nullopt};
  }

 private:
  chat::BackendInfo info_;
};

http::Response call(bhttp::verb method, std::string target, std::string body = "",
                    chat::BackendInfo info = {"bedrock", "us.meta.llama3-3-70b-instruct-v1:0", false}) {
  http::Request req{method, target, 11};
  if (!body.empty()) {
    req.set(bhttp::field::content_type, "application/json");
    req.body() = std::move(body);
    req.prepare_payload();
  }
  RecordingExchange exchange(std::move(req));
  auto handler = make_router(std::make_shared<EchoBackend>(std::move(info)), RouterOptions{});
  test::run_async(handler(exchange));
  EXPECT_EQ(exchange.responses.size(), 1u) << target;
  return exchange.responses.empty() ? http::Response{} : exchange.responses[0];
}

TEST(Router, IndexPageWithSecurityHeaders) {
  const auto res = call(bhttp::verb::get, "/");
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res[bhttp::field::content_type], "text/html; charset=utf-8");
  EXPECT_NE(res.body().find("<html"), std::string::npos);
  EXPECT_NE(res["Content-Security-Policy"].find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_NE(res["Content-Security-Policy"].find("default-src 'self'"), std::string::npos);
  EXPECT_EQ(res["Referrer-Policy"], "no-referrer");
  EXPECT_EQ(res[bhttp::field::cache_control], "no-cache");
  EXPECT_EQ(res[bhttp::field::etag].front(), '"');
  EXPECT_EQ(res["X-Frame-Options"], "DENY");
  EXPECT_EQ(res["X-Content-Type-Options"], "nosniff");
  EXPECT_EQ(res["X-Llamachat-Backend"], "bedrock");
  EXPECT_EQ(call(bhttp::verb::get, "/index.html").body(), res.body());
}

TEST(Router, StaticAssetsHaveTheirContentTypes) {
  EXPECT_EQ(call(bhttp::verb::get, "/app.js")[bhttp::field::content_type], "text/javascript; charset=utf-8");
  EXPECT_EQ(call(bhttp::verb::get, "/style.css")[bhttp::field::content_type], "text/css; charset=utf-8");
  const auto icon = call(bhttp::verb::get, "/favicon.ico");
  EXPECT_EQ(icon.result_int(), 200u);
  EXPECT_EQ(icon[bhttp::field::content_type], "image/svg+xml");
  EXPECT_EQ(icon.body(), call(bhttp::verb::get, "/favicon.svg").body());
  EXPECT_EQ(call(bhttp::verb::get, "/app.js")["Content-Security-Policy"],
            call(bhttp::verb::get, "/")["Content-Security-Policy"]);
}

http::Response get_with(std::string target, std::initializer_list<std::pair<bhttp::field, std::string>> fields) {
  http::Request req{bhttp::verb::get, target, 11};
  for (const auto& [name, value] : fields) req.set(name, value);
  RecordingExchange exchange(std::move(req));
  auto handler =
      make_router(std::make_shared<EchoBackend>(chat::BackendInfo{"offline", "offline", true}), RouterOptions{});
  test::run_async(handler(exchange));
  EXPECT_EQ(exchange.responses.size(), 1u) << target;
  return exchange.responses.empty() ? http::Response{} : exchange.responses[0];
}

TEST(Router, AssetsAreGzippedWhenAcceptedAndRevalidatedWithEtags) {
  const auto plain = get_with("/app.js", {});
  const auto gzipped = get_with("/app.js", {{bhttp::field::accept_encoding, "gzip, deflate, br"}});
  EXPECT_EQ(plain.count(bhttp::field::content_encoding), 0u);
  EXPECT_EQ(gzipped[bhttp::field::content_encoding], "gzip");
  EXPECT_EQ(gzipped[bhttp::field::vary], "Accept-Encoding");
  EXPECT_LT(gzipped.body().size(), plain.body().size());
  EXPECT_NE(gzipped[bhttp::field::etag], plain[bhttp::field::etag]);
  const auto not_modified =
      get_with("/app.js", {{bhttp::field::accept_encoding, "gzip"},
                           {bhttp::field::if_none_match, std::string(gzipped[bhttp::field::etag])}});
  EXPECT_EQ(not_modified.result_int(), 304u);
  EXPECT_TRUE(not_modified.body().empty());
  EXPECT_EQ(not_modified[bhttp::field::etag], gzipped[bhttp::field::etag]);
  EXPECT_EQ(get_with("/app.js", {{bhttp::field::if_none_match, "\"stale\""}}).result_int(), 200u);
}

TEST(Router, PageNamesVersionedAssetsThatCacheForLong) {
  const std::string page = get_with("/", {}).body();
  const std::size_t at = page.find("/app.js?v=");
  ASSERT_NE(at, std::string::npos);
  const std::string versioned = page.substr(at, page.find('"', at) - at);
  EXPECT_EQ(get_with(versioned, {})[bhttp::field::cache_control], "public, max-age=31536000, immutable");
  EXPECT_EQ(get_with("/app.js?v=0", {})[bhttp::field::cache_control], "no-cache");
}

TEST(Router, OfflineBackendIsAdvertised) {
  EXPECT_EQ(call(bhttp::verb::get, "/", "", {"offline", "offline", true})["X-Llamachat-Backend"], "offline");
}

TEST(Router, HeadIsServedLikeGet) {
  EXPECT_EQ(call(bhttp::verb::head, "/").result_int(), 200u);
  EXPECT_EQ(call(bhttp::verb::head, "/healthz").result_int(), 200u);
}

TEST(Router, Healthz) {
  const auto res = call(bhttp::verb::get, "/healthz?probe=1");
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res[bhttp::field::cache_control], "no-store");
  EXPECT_EQ(json::parse(res.body()),
            json::parse(
                R"({"status":"ok","backend":"bedrock","offline":false,"model":"us.meta.llama3-3-70b-instruct-v1:0"})"));
  const auto offline = call(bhttp::verb::get, "/healthz", "", {"offline", "offline", true});
  EXPECT_EQ(json::parse(offline.body()).at("offline"), json::value(true));
}

TEST(Router, ChatIsPostOnly) {
  const auto res = call(bhttp::verb::get, "/chat");
  EXPECT_EQ(res.result_int(), 405u);
  EXPECT_EQ(res[bhttp::field::allow], "POST");
  EXPECT_NE(json::parse(res.body()).at("error").as_string().find("use POST"), std::string::npos);
}

TEST(Router, ChatPostReachesTheBackend) {
  const auto res = call(bhttp::verb::post, "/chat", R"({"message":"ping"})");
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(json::parse(res.body()), json::parse(R"({"reply":"echo: ping"})"));
}

TEST(Router, WrongMethodOnPagesAndHealth) {
  const auto health = call(bhttp::verb::post, "/healthz", R"({})");
  EXPECT_EQ(health.result_int(), 405u);
  EXPECT_EQ(health[bhttp::field::allow], "GET, HEAD");
  const auto page = call(bhttp::verb::delete_, "/");
  EXPECT_EQ(page.result_int(), 405u);
  EXPECT_EQ(page[bhttp::field::allow], "GET, HEAD");
}

TEST(Router, UnknownPathIsJson404) {
  const auto res = call(bhttp::verb::get, "/nope?x=1");
  EXPECT_EQ(res.result_int(), 404u);
  EXPECT_EQ(json::parse(res.body()), json::parse(R"({"error":"no route for GET /nope"})"));
  EXPECT_EQ(call(bhttp::verb::get, "/chat/").result_int(), 404u);
  EXPECT_EQ(call(bhttp::verb::get, "/../index.html").result_int(), 404u);
}

// Sends 200 with the path it was given, so a test sees which requests reached it.
net::awaitable<void> answer_with_target(http::Exchange& exchange) {
  http::Response res{bhttp::status::ok, 11};
  res.body() = std::string(exchange.request().target());
  co_await exchange.respond(std::move(res));
}

TEST(Router, MountedHandlerAnswersEveryPathUnderItsPrefix) {
  RouterOptions options;
  options.mounts.push_back({"/v1/", [](http::Exchange& exchange) { return answer_with_target(exchange); }});
  auto handler = make_router(std::make_shared<EchoBackend>(chat::BackendInfo{"offline", "offline", true}), options);
  const auto route = [&](bhttp::verb method, const std::string& target) {
    RecordingExchange exchange(http::Request{method, target, 11});
    test::run_async(handler(exchange));
    EXPECT_EQ(exchange.responses.size(), 1u);
    return exchange.responses.empty() ? http::Response{} : exchange.responses[0];
  };
  EXPECT_EQ(route(bhttp::verb::post, "/v1/chat/completions").body(), "/v1/chat/completions");
  EXPECT_EQ(route(bhttp::verb::delete_, "/v1/anything?x=1").body(), "/v1/anything?x=1");
  EXPECT_EQ(route(bhttp::verb::get, "/v1").result_int(), 404u);  // not under the prefix
  EXPECT_EQ(route(bhttp::verb::get, "/healthz").result_int(), 200u);
  EXPECT_NE(route(bhttp::verb::get, "/healthz").body(), "/healthz");
}

// Routes one GET with `options`; returns the response and the route the request was recorded under.
std::pair<http::Response, observe::Route> route_with(std::string target, RouterOptions options) {
  RecordingExchange exchange(http::Request{bhttp::verb::get, target, 11});
  auto handler =
      make_router(std::make_shared<EchoBackend>(chat::BackendInfo{"bedrock", "m", false}), std::move(options));
  test::run_async(handler(exchange));
  EXPECT_EQ(exchange.responses.size(), 1u) << target;
  return {exchange.responses.empty() ? http::Response{} : exchange.responses[0], exchange.record().route};
}

net::awaitable<Readiness> not_ready_for_test() { co_return Readiness{false, "no AWS credentials could be resolved"}; }
net::awaitable<std::string> fixed_metrics() { co_return std::string("llamachat_x 1\n"); }

TEST(Router, ReadyzIsReadyByDefault) {
  const auto [res, route] = route_with("/readyz", {});
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(json::parse(res.body()).at("status"), "ready");
  EXPECT_EQ(route, observe::Route::readyz);
}

TEST(Router, ReadyzNotReadyIs503WithTheReason) {
  RouterOptions options;
  options.readiness = [] { return not_ready_for_test(); };
  const auto [res, route] = route_with("/readyz", std::move(options));
  EXPECT_EQ(res.result_int(), 503u);
  const auto body = json::parse(res.body());
  EXPECT_EQ(body.at("status"), "not ready");
  EXPECT_EQ(body.at("reason"), "no AWS credentials could be resolved");
  EXPECT_EQ(res[bhttp::field::cache_control], "no-store");
}

TEST(Router, MetricsServedOnlyWhenConfigured) {
  RouterOptions options;
  options.metrics = [] { return fixed_metrics(); };
  const auto [res, route] = route_with("/metrics", std::move(options));
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res[bhttp::field::content_type], "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(res.body(), "llamachat_x 1\n");
  EXPECT_EQ(route, observe::Route::metrics);
  EXPECT_EQ(route_with("/metrics", {}).first.result_int(), 404u);
}

TEST(Router, RoutesAreRecordedAsPatterns) {
  EXPECT_EQ(route_with("/healthz", {}).second, observe::Route::healthz);
  EXPECT_EQ(route_with("/app.js", {}).second, observe::Route::ui);
  EXPECT_EQ(route_with("/no/such/thing?x=1", {}).second, observe::Route::unmatched);
}

}  // namespace
}  // namespace llamachat::api
