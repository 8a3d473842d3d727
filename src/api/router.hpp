#pragma once
// Routes requests to endpoints: the embedded UI, /healthz and POST /chat. Unknown paths get a JSON 404,
// known paths with the wrong method a JSON 405 with Allow.
#include <memory>

#include "api/chat_endpoint.hpp"
#include "chat/backend.hpp"
#include "http/server/server.hpp"

namespace llamachat::api {

struct RouterOptions {
  ChatEndpointOptions chat;
};

http::Handler make_router(std::shared_ptr<chat::Backend> backend, RouterOptions options);

}  // namespace llamachat::api
