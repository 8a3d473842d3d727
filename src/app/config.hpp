#pragma once
// All configuration in one place: command-line flags override environment variables (the App Runner
// way), which override defaults. Parsing is pure: the environment is an input.
#include <chrono>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "aws/credentials/provider.hpp"
#include "chat/conversation.hpp"
#include "guard/client_address.hpp"
#include "guard/concurrency_gate.hpp"
#include "guard/cors.hpp"
#include "guard/rate_limiter.hpp"
#include "http/server/server.hpp"

namespace llamachat::app {

enum class BackendKind { offline, bedrock, openai };

struct AppConfig {
  http::ServerOptions server;  // host, port, threads, limits
  BackendKind backend = BackendKind::offline;
  std::string backend_reason;  // why this backend was chosen (for the start-up log)
  std::optional<std::string> region;
  std::optional<std::string> model_id;
  std::optional<std::string> endpoint_override;  // AWS_ENDPOINT_URL_BEDROCK_RUNTIME / AWS_ENDPOINT_URL
  std::string ca_bundle;                         // AWS_CA_BUNDLE
  std::string bedrock_api = "invoke";            // invoke | converse
  std::optional<std::string> openai_base_url;    // OPENAI_BASE_URL, including /v1
  std::string openai_api_key;                    // OPENAI_API_KEY; empty: no Authorization header
  std::optional<std::string> openai_model;       // LLAMACHAT_OPENAI_MODEL; unset: the one GET /models lists
  std::chrono::milliseconds request_timeout{110'000};
  std::chrono::milliseconds connect_timeout{3'000};
  std::chrono::milliseconds offline_delay{25};  // paces the demo like a model; tests that need speed set 0
  std::chrono::milliseconds sse_keep_alive{15'000};
  int max_attempts = 3;  // AWS_MAX_ATTEMPTS
  std::string log_level = "info";
  std::optional<std::string> log_format;  // json | text; unset: json unless stderr is a terminal
  chat::ConversationPolicy conversation;  // LLAMACHAT_CONTEXT_TOKENS, LLAMACHAT_MEMORY (the /v1 API)
  std::vector<std::string> warnings;      // problems worth a start-up warning
  // Protection (api/protection.hpp). Keys from LLAMACHAT_API_KEYS and from LLAMACHAT_API_KEYS_FILE (read by
  // the wiring) are both accepted: a rotation can add the new keys in one place while the old ones still work.
  std::vector<std::string> api_keys;
  std::optional<std::string> api_keys_file;
  bool metrics_open = false;
  std::optional<guard::RateLimit> rate_limit;
  guard::TrustedProxies trusted_proxies;
  // 64 concurrent generations keep one instance within the order of Bedrock's default per-account quotas
  // for a 70B model (beyond, the upstream throttles anyway); a queue of half the cap absorbs bursts, and 2 s is
  // long enough for a short reply to free a slot yet far below clients' timeouts.
  guard::GateLimits upstream{64, 32, std::chrono::milliseconds(2'000)};
  guard::CorsPolicy cors;
};

struct ParseOutcome {
  std::optional<AppConfig> config;  // set unless help/version/error
  std::string message;              // help text, version, or the error
  int exit_code = 0;                // for help/version/error
};

ParseOutcome parse_config(const std::vector<std::string>& args, const util::Environment& env);
std::string usage_text();

}  // namespace llamachat::app
