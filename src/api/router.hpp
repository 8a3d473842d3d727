#pragma once
// Routes requests to endpoints: the embedded UI, /healthz, POST /chat and mounted APIs (e.g. /v1/). Unknown
// paths get a JSON 404, known paths with the wrong method a JSON 405 with Allow.
#include <memory>
#include <string>
#include <vector>

#include "api/chat_endpoint.hpp"
#include "chat/backend.hpp"
#include "http/server/server.hpp"

namespace llamachat::api {

// Every path that starts with `prefix` goes to `handler`, which answers all of them (its own 404s included).
struct Mount {
  std::string prefix;
  http::Handler handler;
};

struct RouterOptions {
  ChatEndpointOptions chat;
  std::vector<Mount> mounts;
};

http::Handler make_router(std::shared_ptr<chat::Backend> backend, RouterOptions options);

}  // namespace llamachat::api
