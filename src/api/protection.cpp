#include "api/protection.hpp"

#include <algorithm>
#include <boost/beast/http/field.hpp>
#include <chrono>

#include "util/json_text.hpp"

namespace llamachat::api {
namespace bhttp = boost::beast::http;
namespace net = boost::asio;

namespace {

// What a cross-origin script may read of our responses besides the CORS-safelisted fields.
constexpr std::string_view kExposedHeaders = "Retry-After, X-Request-Id, X-Llamachat-Backend";

// The client's X-Forwarded-For: its one field as it is, or several fields joined by ',' (RFC 9110 5.3).
std::string_view forwarded_for(const http::Request& request, std::string& joined) {
  auto [first, last] = request.equal_range("X-Forwarded-For");
  if (first == last) return {};
  if (std::next(first) == last) return first->value();
  for (auto it = first; it != last; ++it) {
    if (!joined.empty()) joined += ',';
    joined += it->value();
  }
  return joined;
}

}  // namespace

Protection::Protection(ProtectionOptions options)
    : keys_(options.api_keys),
      metrics_open_(options.metrics_open),
      proxies_(std::move(options.trusted_proxies)),
      cors_(std::move(options.cors)) {
  if (options.rate_limit)
    limiter_ =
        std::make_unique<guard::RateLimiter>(*options.rate_limit, options.rate_limit_clients, std::move(options.clock));
  if (options.upstream.max_concurrent > 0) gate_ = guard::ConcurrencyGate::create(options.upstream);
}

bool Protection::guards(RouteClass route) const noexcept {
  switch (route) {
    case RouteClass::open: return false;
    case RouteClass::metrics: return !keys_.empty() && !metrics_open_;
    case RouteClass::api: return !keys_.empty() || limiter_ != nullptr;
  }
  return false;
}

std::optional<Refused> Protection::check(RouteClass route, const http::Exchange& exchange) {
  if (!guards(route)) return std::nullopt;
  const http::Request& request = exchange.request();
  std::optional<util::Sha256Digest> key;
  if (!keys_.empty()) {
    const auto token = guard::bearer_token(request[bhttp::field::authorization]);
    if (token) key = keys_.match(*token);
    if (!key) return Refused{Refusal::unauthorized, std::nullopt};
  }
  if (route != RouteClass::api || !limiter_) return std::nullopt;
  // Keyed by the key's digest (the key itself is never kept), else by the client's address.
  guard::ClientKey client;
  if (key) {
    client = guard::client_key_for_digest(*key);
  } else {
    std::string joined;
    client = guard::client_key_for_address(
        guard::client_address(exchange.peer_address(), forwarded_for(request, joined), proxies_));
  }
  const guard::RateDecision decision = limiter_->take(client);
  if (decision.allowed) return std::nullopt;
  return Refused{Refusal::rate_limited, static_cast<int>(decision.retry_after.count())};
}

int Protection::overloaded_retry_after_seconds() const noexcept {
  if (!gate_) return 1;
  const auto wait = std::chrono::ceil<std::chrono::seconds>(gate_->limits().queue_wait).count();
  return static_cast<int>(std::max<std::int64_t>(1, wait));
}

http::Response refusal_response(const Refused& refused, const ApiErrorRenderer& render, unsigned http_version) {
  http::Response response;
  if (render) {
    response = render(refusal_api_error(refused.refusal, refused.retry_after_seconds), http_version);
  } else {
    const HttpError error = refusal_error(refused.refusal, refused.retry_after_seconds);
    response = http::json_error_response(error.status, error.message, http_version);
  }
  response.set(bhttp::field::cache_control, "no-store");
  if (refused.retry_after_seconds)
    response.set(bhttp::field::retry_after, std::to_string(*refused.retry_after_seconds));
  // RFC 6750 section 3: a request without (valid) credentials is answered with the scheme to use.
  if (refused.refusal == Refusal::unauthorized) response.set(bhttp::field::www_authenticate, "Bearer");
  return response;
}

bool is_cors_preflight(const http::Request& request) noexcept {
  return request.method() == bhttp::verb::options && request.count(bhttp::field::origin) > 0 &&
         request.count(bhttp::field::access_control_request_method) > 0;
}

http::Response cors_preflight_response(const guard::CorsPolicy& cors, const http::Request& request) {
  const std::string_view origin = request[bhttp::field::origin];
  if (!cors.allows(origin)) {
    http::Response denied =
        http::json_error_response(403, "origin not allowed: " + std::string(origin), request.version());
    denied.set(bhttp::field::vary, "Origin");
    return denied;
  }
  http::Response allowed{bhttp::status::no_content, request.version()};
  allowed.set(bhttp::field::access_control_allow_origin, origin);
  allowed.set(bhttp::field::access_control_allow_methods, guard::kCorsAllowMethods);
  allowed.set(bhttp::field::access_control_allow_headers, guard::kCorsAllowHeaders);
  allowed.set(bhttp::field::access_control_max_age, guard::kCorsMaxAgeSeconds);
  allowed.set(bhttp::field::vary, "Origin");
  return allowed;
}

void CorsExchange::add_fields(http::Response& response) const {
  response.set(bhttp::field::access_control_allow_origin, origin_);
  response.set(bhttp::field::access_control_expose_headers, kExposedHeaders);
  response.set(bhttp::field::vary, "Origin");
}

net::awaitable<void> CorsExchange::respond(http::Response response) {
  add_fields(response);
  co_await inner_.respond(std::move(response));
}

net::awaitable<void> CorsExchange::respond_with(unsigned status, std::span<const http::FieldView> fields,
                                                std::string body) {
  std::vector<http::FieldView> all(fields.begin(), fields.end());
  all.emplace_back("Access-Control-Allow-Origin", origin_);
  all.emplace_back("Access-Control-Expose-Headers", kExposedHeaders);
  all.emplace_back("Vary", "Origin");
  co_await inner_.respond_with(status, std::span<const http::FieldView>(all), std::move(body));
}

net::awaitable<bool> CorsExchange::begin_stream(http::Response head) {
  add_fields(head);
  const bool started = co_await inner_.begin_stream(std::move(head));
  co_return started;
}

}  // namespace llamachat::api
