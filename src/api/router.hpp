#pragma once
// Routes requests to endpoints: the embedded UI, /healthz, /readyz, /metrics, POST /chat and mounted APIs
// (e.g. /v1/). Unknown
// paths get a JSON 404, known paths with the wrong method a JSON 405 with Allow.
#include <boost/asio/awaitable.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "api/chat_endpoint.hpp"
#include "api/protection.hpp"
#include "chat/backend.hpp"
#include "http/server/server.hpp"

namespace llamachat::api {

// Every path that starts with `prefix` goes to `handler`, which answers all of them (its own 404s included).
struct Mount {
  std::string prefix;
  http::Handler handler;
  RouteClass route_class = RouteClass::open;  // which protections apply (api: keys and rate limits)
  std::vector<std::string> upstream_paths;    // POSTs to these paths call the upstream: the concurrency cap
  ApiErrorRenderer render_error;              // refusals in this API's shape; unset: {"error": message}
};

// Whether the service can take chat requests now. `reason` is for clients: general, never a secret or a
// path (details go to the log).
struct Readiness {
  bool ready = true;
  std::string reason;
};

struct RouterOptions {
  ChatEndpointOptions chat;
  std::vector<Mount> mounts;
  // API keys, rate limits, the upstream concurrency cap and CORS; null: none of them. Also guards every path
  // starting with /metrics (RouteClass::metrics), whoever serves it.
  std::shared_ptr<Protection> protection;
  // GET /readyz: 200 when ready, else 503 with the reason. Unset: always ready. Never calls the model.
  std::function<boost::asio::awaitable<Readiness>()> readiness;
  // GET /metrics: the Prometheus text exposition. Unset: /metrics is not served (404).
  std::function<boost::asio::awaitable<std::string>()> metrics;
};

http::Handler make_router(std::shared_ptr<chat::Backend> backend, RouterOptions options);

}  // namespace llamachat::api
