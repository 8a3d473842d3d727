#pragma once
// The server's protections in front of the routes: API keys, per-client rate limits, the cap on concurrent
// upstream calls and CORS. The cores are in guard/; this is the HTTP side. The router classifies each
// request and asks check() (and, for routes that call the upstream, the gate) before the endpoint runs.
#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/error_table.hpp"
#include "guard/api_keys.hpp"
#include "guard/client_address.hpp"
#include "guard/concurrency_gate.hpp"
#include "guard/cors.hpp"
#include "guard/rate_limiter.hpp"
#include "http/server/server.hpp"
#include "util/clock.hpp"

namespace llamachat::api {

enum class RouteClass {
  open,     // the page and its assets, /healthz, /readyz: never refused
  api,      // POST /chat and /v1/*: API key and rate limit
  metrics,  // /metrics*: API key when keys are set, unless metrics are open
};

struct ProtectionOptions {
  std::vector<std::string> api_keys;           // empty: no key needed anywhere
  bool metrics_open = false;                   // /metrics without a key even when keys are set
  std::optional<guard::RateLimit> rate_limit;  // unset: no rate limit
  std::size_t rate_limit_clients = 65'536;     // buckets kept at most (least recently used evicted)
  guard::TrustedProxies trusted_proxies;       // whose X-Forwarded-For is believed
  guard::GateLimits upstream;                  // max_concurrent 0: no cap
  guard::CorsPolicy cors;                      // no origins: CORS off
  util::Clock clock = util::system_clock();
};

// Why a request was refused, and when to retry (429, 503).
struct Refused {
  Refusal refusal = Refusal::unauthorized;
  std::optional<int> retry_after_seconds;
};

class Protection {
 public:
  explicit Protection(ProtectionOptions options);

  // The API key, then the client's rate limit (api routes only). O(number of keys) digest comparisons and one
  // sharded map lookup; no lock is held beyond that lookup. nullopt: the request may go on.
  std::optional<Refused> check(RouteClass route, const http::Exchange& exchange);
  // True when check() can refuse requests of this class (else the router skips it).
  bool guards(RouteClass route) const noexcept;

  // The cap on concurrent upstream calls; null when there is none.
  const std::shared_ptr<guard::ConcurrencyGate>& upstream_gate() const noexcept { return gate_; }
  // Retry-After of a 503 from the gate: the queue's longest wait, in whole seconds, at least 1.
  int overloaded_retry_after_seconds() const noexcept;
  const guard::CorsPolicy& cors() const noexcept { return cors_; }

 private:
  guard::ApiKeys keys_;
  bool metrics_open_;
  std::unique_ptr<guard::RateLimiter> limiter_;
  guard::TrustedProxies proxies_;
  std::shared_ptr<guard::ConcurrencyGate> gate_;
  guard::CorsPolicy cors_;
};

// A refusal as a complete response: /chat's {"error": message} unless `render` gives another shape (the
// OpenAI one on /v1), with WWW-Authenticate: Bearer on 401 and Retry-After when there is one.
using ApiErrorRenderer = std::function<http::Response(const ApiError& error, unsigned http_version)>;
http::Response refusal_response(const Refused& refused, const ApiErrorRenderer& render, unsigned http_version);

// CORS answers (https://fetch.spec.whatwg.org/#http-cors-protocol).
// A preflight: OPTIONS with Origin and Access-Control-Request-Method.
bool is_cors_preflight(const http::Request& request) noexcept;
// 204 with the allowed methods, headers and Max-Age for a listed origin; 403 for any other.
http::Response cors_preflight_response(const guard::CorsPolicy& cors, const http::Request& request);

// An Exchange that adds Access-Control-Allow-Origin (the listed origin) and Vary: Origin to every response
// of the exchange it wraps, and forwards everything else.
class CorsExchange final : public http::Exchange {
 public:
  CorsExchange(http::Exchange& inner, std::string origin) : inner_(inner), origin_(std::move(origin)) {}
  const http::Request& request() const noexcept override { return inner_.request(); }
  const std::string& request_id() const noexcept override { return inner_.request_id(); }
  boost::asio::awaitable<void> respond(http::Response response) override;
  boost::asio::awaitable<void> respond_with(unsigned status, std::span<const http::FieldView> fields,
                                            std::string body) override;
  boost::asio::awaitable<bool> begin_stream(http::Response head) override;
  boost::asio::awaitable<bool> write_chunk(std::string_view data) override { return inner_.write_chunk(data); }
  boost::asio::awaitable<void> end_stream() override { return inner_.end_stream(); }
  std::shared_ptr<util::CancelSignal> watch_client() override { return inner_.watch_client(); }
  bool client_gone() const noexcept override { return inner_.client_gone(); }
  boost::asio::ip::address peer_address() const noexcept override { return inner_.peer_address(); }

 private:
  void add_fields(http::Response& response) const;
  http::Exchange& inner_;
  std::string origin_;
};

}  // namespace llamachat::api
