#pragma once
// The OpenAI-compatible API under /v1 (docs/api.md): POST /v1/chat/completions (JSON and data-only SSE),
// GET /v1/models and GET /v1/models/{id}. Every error, 404 and 405 included, is an OpenAI error object.
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "api/error_table.hpp"
#include "chat/backend.hpp"
#include "chat/conversation.hpp"
#include "http/server/server.hpp"

namespace llamachat::api::openai {

// Paths under this prefix belong to this API.
inline constexpr std::string_view kPathPrefix = "/v1/";

struct OpenAiOptions {
  std::chrono::milliseconds reply_deadline{110'000};      // whole reply, under App Runner's 120 s cap
  std::chrono::milliseconds keep_alive_interval{15'000};  // SSE comment when nothing else was sent
  std::string backend_label;                              // X-Llamachat-Backend; empty = asked of the backend
  std::string model;                // the configured model id (BEDROCK_MODEL_ID); empty = the backend's info().model
  chat::ConversationPolicy policy;  // memory and context budget
};

// The handler of every path under kPathPrefix. `backend` is shared by all workers.
http::Handler make_openai_handler(std::shared_ptr<chat::Backend> backend, OpenAiOptions options);

// An OpenAI error object as a complete response (Retry-After when the error has one).
http::Response error_response(const ApiError& error, unsigned http_version);

// The server's own early answers (413 before the body is read, ...) in this API's shape: status and
// message kept, type "invalid_request_error", param and code null.
http::Response early_error_response(unsigned status, std::string_view message, unsigned http_version);

}  // namespace llamachat::api::openai
