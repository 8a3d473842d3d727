#pragma once
// POST /chat: the original design's contract, plus Server-Sent Events when "stream": true.
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <string>

#include "chat/backend.hpp"
#include "http/server/server.hpp"

namespace llamachat::api {

struct ChatEndpointOptions {
  std::chrono::milliseconds reply_deadline{110'000};      // whole reply, under App Runner's 120 s cap
  std::chrono::milliseconds keep_alive_interval{15'000};  // SSE comment when nothing else was sent
  // X-Llamachat-Backend of every reply; empty = asked of the backend on each request (make_router fills it).
  std::string backend_label;
};

// What X-Llamachat-Backend says for this backend: "offline" or the backend's name.
std::string backend_label(const chat::Backend& backend);

// A JSON reply written without a Response object: Content-Type, Cache-Control: no-store, the backend
// label and, when set, Retry-After. Every argument is taken by value, so the awaitable owns what it
// writes even when the caller returns it unawaited.
boost::asio::awaitable<void> respond_json(http::Exchange& exchange, unsigned status, std::string body,
                                          std::string backend, std::string retry_after = {});

boost::asio::awaitable<void> handle_chat(http::Exchange& exchange, chat::Backend& backend,
                                         const ChatEndpointOptions& options);

}  // namespace llamachat::api
