#pragma once
// Routes requests to endpoints: the embedded UI, /healthz, POST /chat and mounted APIs (e.g. /v1/). Unknown
// paths get a JSON 404, known paths with the wrong method a JSON 405 with Allow.
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

struct RouterOptions {
  ChatEndpointOptions chat;
  std::vector<Mount> mounts;
  // API keys, rate limits, the upstream concurrency cap and CORS; null: none of them. Also guards every path
  // starting with /metrics (RouteClass::metrics), whoever serves it.
  std::shared_ptr<Protection> protection;
};

http::Handler make_router(std::shared_ptr<chat::Backend> backend, RouterOptions options);

}  // namespace llamachat::api
