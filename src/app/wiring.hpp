#pragma once
// The composition root: turns an AppConfig into a running backend and says, loudly, what it chose.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/protection.hpp"
#include "api/router.hpp"
#include "app/config.hpp"
#include "chat/backend.hpp"
#include "http/server/server.hpp"

namespace llamachat::app {

// What /readyz and /metrics ask the backend's environment, without calling the model.
struct Probes {
  // Unset: ready.
  std::function<boost::asio::awaitable<api::Readiness>()> readiness;
  // Seconds until the credentials in use expire; unset or nullopt: no expiry (static keys, no credentials).
  std::function<boost::asio::awaitable<std::optional<std::int64_t>>()> credentials_expiry;
};

struct Wiring {
  Probes probes;
  std::shared_ptr<chat::Backend> backend;
  std::function<void()> shutdown;     // releases per-thread upstream pools; call after the server stopped
  std::vector<std::string> info;      // start-up log lines
  std::vector<std::string> warnings;  // start-up warnings (offline banner, misconfiguration, model id help)
  // Fetches credentials once at start-up (on its own thread) so that the log says which provider
  // supplied them, or why none did; empty for the offline backend. Blocks until done.
  std::function<void()> startup_probe;
};

// Throws std::runtime_error when the service must not start: the openai backend without
// LLAMACHAT_OPENAI_MODEL whose upstream does not list exactly one model (the message lists them).
Wiring build_backend(const AppConfig& config, const util::Environment& env);

// The HTTP side: every route (the page, /healthz, /readyz, /metrics, POST /chat, the OpenAI-compatible API
// under /v1/), behind the protections of build_protection(config). /readyz and /metrics answer through `probes`.
http::Handler build_router(const AppConfig& config, std::shared_ptr<chat::Backend> backend, const Probes& probes = {});
http::Handler build_router(const AppConfig& config, std::shared_ptr<chat::Backend> backend,
                           std::shared_ptr<api::Protection> protection, const Probes& probes = {});
// API keys (LLAMACHAT_API_KEYS and the keys file), rate limit, upstream cap, CORS. Throws std::runtime_error
// when LLAMACHAT_API_KEYS_FILE cannot be read or holds no key: refusing to start beats running unprotected.
std::shared_ptr<api::Protection> build_protection(const AppConfig& config);
// The loud start-up warning of a Bedrock backend without API keys on a non-loopback address; else empty.
std::vector<std::string> protection_warnings(const AppConfig& config);
// The server's options; its own early answers (413) to a /v1/ request are OpenAI error objects.
// Each request ends with its log line (observe/request_log.hpp); `model` names the model of chat requests.
http::ServerOptions server_options(const AppConfig& config, std::string model = {});

// A backend that answers every chat with the configuration error it was built with, so that the
// service starts (health checks pass) and tells each caller exactly what to fix.
class MisconfiguredBackend final : public chat::Backend {
 public:
  explicit MisconfiguredBackend(std::string problem, std::string backend_name = "bedrock")
      : problem_(std::move(problem)), backend_name_(std::move(backend_name)) {}
  chat::BackendInfo info() const override { return {backend_name_, "unconfigured", false}; }
  boost::asio::awaitable<chat::Outcome> stream(chat::ChatRequest, chat::EventSink&) override {
    co_return chat::Error{chat::ErrorKind::configuration, problem_};
  }

 private:
  std::string problem_;
  std::string backend_name_;
};

}  // namespace llamachat::app
