#include "app/config.hpp"

#include <charconv>
#include <functional>
#include <map>
#include <tuple>

#include "aws/credentials/region.hpp"
#include "aws/retry/retry_strategy.hpp"
#include "guard/api_keys.hpp"

namespace llamachat::app {
namespace {

struct Flag {
  std::string name;  // --port
  std::string env;   // PORT (may be empty)
  std::string help;
};

const std::vector<Flag>& flags() {
  static const std::vector<Flag> all = {
      {"--host", "LLAMACHAT_HOST", "address to listen on (default 0.0.0.0)"},
      {"--port", "PORT", "port to listen on; 0 picks a free port (default 8080)"},
      {"--threads", "LLAMACHAT_THREADS", "worker threads (default: number of CPUs)"},
      {"--backend", "LLAMACHAT_BACKEND",
       "bedrock | openai | offline (default: bedrock when a region is set, else offline)"},
      {"--region", "AWS_REGION", "AWS Region of Bedrock (also AWS_DEFAULT_REGION, then the profile's region)"},
      {"--model-id", "BEDROCK_MODEL_ID",
       "model ID or inference profile ID/ARN, e.g. us.meta.llama3-3-70b-instruct-v1:0"},
      {"--endpoint", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "Bedrock Runtime endpoint override (also AWS_ENDPOINT_URL)"},
      {"--ca-bundle", "AWS_CA_BUNDLE", "PEM file of extra trusted CA certificates for HTTPS"},
      {"--bedrock-api", "LLAMACHAT_BEDROCK_API", "invoke | converse (default invoke: the native Llama body)"},
      {"--openai-base-url", "OPENAI_BASE_URL",
       "openai backend: the server's API base including /v1, e.g. http://127.0.0.1:8000/v1 (vLLM), "
       "http://127.0.0.1:11434/v1 (Ollama), http://127.0.0.1:8080/v1 (llama-server)"},
      {"--openai-api-key", "OPENAI_API_KEY", "openai backend: sent as Authorization: Bearer (optional)"},
      {"--openai-model", "LLAMACHAT_OPENAI_MODEL",
       "openai backend: model name; unset: the one model the server's GET /models lists"},
      {"--request-timeout-ms", "LLAMACHAT_REQUEST_TIMEOUT_MS", "whole upstream request deadline (default 110000)"},
      {"--connect-timeout-ms", "LLAMACHAT_CONNECT_TIMEOUT_MS", "upstream connect timeout (default 3000)"},
      {"--max-body-bytes", "LLAMACHAT_MAX_BODY_BYTES", "largest accepted request body (default 1048576)"},
      {"--header-timeout-ms", "LLAMACHAT_HEADER_TIMEOUT_MS",
       "time a client has to send a request header (default 10000)"},
      {"--body-timeout-ms", "LLAMACHAT_BODY_TIMEOUT_MS", "time a client has to send a request body (default 30000)"},
      {"--keep-alive-timeout-ms", "LLAMACHAT_KEEP_ALIVE_TIMEOUT_MS",
       "idle time before a keep-alive connection closes (default 60000)"},
      {"--sse-keep-alive-ms", "LLAMACHAT_SSE_KEEP_ALIVE_MS",
       "keep-alive comment on a silent SSE stream after this long (default 15000)"},
      {"--offline-delay-ms", "LLAMACHAT_OFFLINE_DELAY_MS",
       "offline backend: pause between words, so streaming looks like a model's (default 25; 0 = none)"},
      {"--max-attempts", "AWS_MAX_ATTEMPTS", "attempts per Bedrock call incl. the first (default 3)"},
      {"--retry-mode", "AWS_RETRY_MODE", "standard | adaptive | legacy (adaptive and legacy run as standard)"},
      {"--log-level", "LLAMACHAT_LOG_LEVEL", "debug | info | warn | error (default info)"},
      {"--context-tokens", "LLAMACHAT_CONTEXT_TOKENS",
       "the model's context window in tokens; /v1 prompts are trimmed to fit it (default 128000)"},
      {"--memory", "LLAMACHAT_MEMORY",
       "on | off: facts the user states (name, favorite color) reach the model in the system prompt (default on)"},
      {"--malloc-tuning", "LLAMACHAT_MALLOC_TUNING",
       "on | off: a larger glibc per-thread malloc cache, set by re-executing once at start (default on)"},
      {"--api-keys", "LLAMACHAT_API_KEYS",
       "comma-separated API keys; /chat, /v1/* and /metrics then need Authorization: Bearer <key> (default: none)"},
      {"--api-keys-file", "LLAMACHAT_API_KEYS_FILE",
       "file of API keys, one a line, # comments; with LLAMACHAT_API_KEYS both sets are accepted"},
      {"--metrics-open", "LLAMACHAT_METRICS_OPEN",
       "true | false: /metrics without a key when keys are set (default false)"},
      {"--rate-limit", "LLAMACHAT_RATE_LIMIT",
       "per-client limit on /chat and /v1/*, e.g. 60/min (also /s, /h); by API key, else address (default: off)"},
      {"--trusted-proxies", "LLAMACHAT_TRUSTED_PROXIES",
       "addresses or CIDRs whose X-Forwarded-For names the client, e.g. 10.0.0.0/8 (default: none)"},
      {"--max-concurrent", "LLAMACHAT_MAX_CONCURRENT", "concurrent upstream calls at most; 0 = no cap (default 64)"},
      {"--queue-length", "LLAMACHAT_QUEUE_LENGTH",
       "requests that may wait for an upstream slot; beyond: 503 with Retry-After (default 32)"},
      {"--queue-wait-ms", "LLAMACHAT_QUEUE_WAIT_MS", "longest wait for an upstream slot (default 2000)"},
      {"--cors-origins", "LLAMACHAT_CORS_ORIGINS",
       "comma-separated origins allowed to call the API from a browser, e.g. https://app.example.com (default: "
       "CORS off)"},
      {"--max-connections", "LLAMACHAT_MAX_CONNECTIONS",
       "open client connections at most; new ones beyond are closed at once (default 20000)"},
      {"--log-format", "LLAMACHAT_LOG_FORMAT",
       "json | text: log lines as JSON objects or as text (default json, text when stderr is a terminal)"},
      {"--drain-timeout-ms", "LLAMACHAT_DRAIN_TIMEOUT_MS",
       "on SIGTERM/SIGINT, in-flight requests get this long before they end with an error (default 10000; keep it "
       "below the platform's stop timeout: ECS stopTimeout is 30 s by default)"},
  };
  return all;
}

bool parse_uint(const std::string& text, std::uint64_t max, std::uint64_t& out) {
  if (text.empty()) return false;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && ptr == end && out <= max;
}

}  // namespace

std::string usage_text() {
  std::string out =
      "llamachat - a chat UI and HTTP API in front of Meta Llama 3.3 70B Instruct on Amazon Bedrock\n\n"
      "Usage: llamachat [--flag value]...\n\n"
      "Every flag can also be set by the environment variable shown; a flag wins over the variable.\n\n";
  for (const auto& f : flags()) {
    out += "  " + f.name;
    out += std::string(f.name.size() < 22 ? 22 - f.name.size() : 1, ' ');
    out += (f.env.empty() ? std::string() : "[" + f.env + "] ") + f.help + "\n";
  }
  out +=
      "\nCredentials come from the AWS default chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN,\n"
      "the shared config and credentials files (AWS_PROFILE), web identity, container credentials, EC2 IMDSv2.\n"
      "HTTPS_PROXY and NO_PROXY are honoured.\n\n"
      "Self-hosted Llama: LLAMACHAT_BACKEND=openai with OPENAI_BASE_URL pointing at any OpenAI-compatible\n"
      "server (vLLM, Ollama, llama.cpp's llama-server); plain http:// is allowed to any host for it.\n\n"
      "  --help                 print this text\n  --version              print the version\n";
  return out;
}

ParseOutcome parse_config(const std::vector<std::string>& args, const util::Environment& env) {
  ParseOutcome outcome;
  std::map<std::string, std::string> values;  // flag name -> value
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    if (arg == "--help" || arg == "-h") {
      outcome.message = usage_text();
      return outcome;
    }
    if (arg == "--version") {
      outcome.message = "llamachat 0.1.0\n";
      return outcome;
    }
    std::string value;
    bool has_value = false;
    if (const auto eq = arg.find('='); eq != std::string::npos && arg.rfind("--", 0) == 0) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_value = true;
    }
    bool known = false;
    for (const auto& f : flags()) known = known || f.name == arg;
    if (!known) {
      outcome.message = "unknown option '" + arg + "' (see --help)";
      outcome.exit_code = 2;
      return outcome;
    }
    if (!has_value) {
      if (i + 1 >= args.size()) {
        outcome.message = "option " + arg + " needs a value";
        outcome.exit_code = 2;
        return outcome;
      }
      value = args[++i];
    }
    values[arg] = value;
  }
  // Flag, else its environment variable, else nullopt. Empty environment values count as unset.
  auto get = [&](const std::string& flag) -> std::optional<std::string> {
    if (auto it = values.find(flag); it != values.end()) return it->second;
    for (const auto& f : flags()) {
      if (f.name == flag && !f.env.empty()) {
        if (auto v = env(f.env); v && !v->empty()) return v;
      }
    }
    return std::nullopt;
  };
  auto fail = [&](std::string message) {
    outcome.config.reset();
    outcome.message = std::move(message);
    outcome.exit_code = 2;
    return outcome;
  };

  AppConfig config;
  if (auto v = get("--host")) config.server.host = *v;
  if (auto v = get("--port")) {
    std::uint64_t port = 0;
    if (!parse_uint(*v, 65535, port)) return fail("invalid port '" + *v + "': expected 0-65535");
    config.server.port = static_cast<std::uint16_t>(port);
  }
  if (auto v = get("--threads")) {
    std::uint64_t n = 0;
    if (!parse_uint(*v, 256, n)) return fail("invalid thread count '" + *v + "': expected 0-256");
    config.server.threads = static_cast<unsigned>(n);
  }
  if (auto v = get("--max-body-bytes")) {
    std::uint64_t n = 0;
    if (!parse_uint(*v, 1ull << 30, n) || n == 0)
      return fail("invalid max body size '" + *v + "': expected 1-1073741824");
    config.server.limits.max_body_bytes = n;
  }
  auto millis = [&](const std::string& flag, std::chrono::milliseconds& out) -> bool {
    if (auto v = get(flag)) {
      std::uint64_t n = 0;
      if (!parse_uint(*v, 24ull * 3600 * 1000, n)) return false;
      out = std::chrono::milliseconds(n);
    }
    return true;
  };
  if (!millis("--request-timeout-ms", config.request_timeout) || config.request_timeout.count() == 0)
    return fail("invalid --request-timeout-ms / LLAMACHAT_REQUEST_TIMEOUT_MS: expected milliseconds > 0");
  if (!millis("--connect-timeout-ms", config.connect_timeout) || config.connect_timeout.count() == 0)
    return fail("invalid --connect-timeout-ms / LLAMACHAT_CONNECT_TIMEOUT_MS: expected milliseconds > 0");
  for (auto [flag, field] : {std::pair{"--header-timeout-ms", &config.server.limits.header_timeout},
                             std::pair{"--body-timeout-ms", &config.server.limits.body_timeout},
                             std::pair{"--keep-alive-timeout-ms", &config.server.limits.keep_alive_timeout}}) {
    if (!millis(flag, *field) || field->count() == 0)
      return fail(std::string("invalid ") + flag + ": expected milliseconds > 0");
  }
  if (!millis("--sse-keep-alive-ms", config.sse_keep_alive) || config.sse_keep_alive.count() == 0)
    return fail("invalid --sse-keep-alive-ms / LLAMACHAT_SSE_KEEP_ALIVE_MS: expected milliseconds > 0");
  if (!millis("--offline-delay-ms", config.offline_delay))
    return fail("invalid --offline-delay-ms / LLAMACHAT_OFFLINE_DELAY_MS: expected milliseconds");
  if (auto v = get("--max-attempts")) {
    const auto attempts = aws::retry::parse_max_attempts(*v);
    if (!attempts) return fail("invalid AWS_MAX_ATTEMPTS / --max-attempts '" + *v + "': expected an integer >= 1");
    config.max_attempts = *attempts;
  }
  if (auto v = get("--retry-mode")) {
    const auto mode = aws::retry::parse_retry_mode(*v);
    if (!mode) return fail("invalid AWS_RETRY_MODE / --retry-mode '" + *v + "': expected standard, adaptive or legacy");
    if (*mode != aws::retry::RetryMode::standard)
      config.warnings.push_back("AWS_RETRY_MODE=" + std::string(aws::retry::to_string(*mode)) +
                                " is not implemented; retrying in the 'standard' mode");
  }
  if (auto v = get("--log-level")) {
    if (*v != "debug" && *v != "info" && *v != "warn" && *v != "error")
      return fail("invalid log level '" + *v + "': expected debug, info, warn or error");
    config.log_level = *v;
  }
  if (auto v = get("--malloc-tuning")) {
    // Acted on by apply_malloc_tuning() before the configuration is read; checked here for typos.
    if (*v != "on" && *v != "off") return fail("invalid LLAMACHAT_MALLOC_TUNING '" + *v + "': expected on or off");
  }
  if (auto v = get("--context-tokens")) {
    std::uint64_t n = 0;
    if (!parse_uint(*v, 10'000'000, n) || n < 1024)
      return fail("invalid LLAMACHAT_CONTEXT_TOKENS '" + *v + "': expected 1024-10000000");
    config.conversation.context_tokens = static_cast<std::uint32_t>(n);
  }
  if (auto v = get("--memory")) {
    if (*v != "on" && *v != "off") return fail("invalid LLAMACHAT_MEMORY '" + *v + "': expected on or off");
    config.conversation.memory = *v == "on";
  }
  if (auto v = get("--bedrock-api")) {
    if (*v != "invoke" && *v != "converse")
      return fail("invalid LLAMACHAT_BEDROCK_API '" + *v + "': expected invoke or converse");
    config.bedrock_api = *v;
  }
  if (auto v = get("--api-keys")) config.api_keys = guard::parse_key_list(*v);
  config.api_keys_file = get("--api-keys-file");
  if (auto v = get("--metrics-open")) {
    if (*v != "true" && *v != "false")
      return fail("invalid LLAMACHAT_METRICS_OPEN '" + *v + "': expected true or false");
    config.metrics_open = *v == "true";
  }
  if (auto v = get("--rate-limit")) {
    config.rate_limit = guard::parse_rate_limit(*v);
    if (!config.rate_limit)
      return fail("invalid LLAMACHAT_RATE_LIMIT '" + *v + "': expected <count>/<s|min|h>, e.g. 60/min");
  }
  if (auto v = get("--trusted-proxies")) {
    auto parsed = guard::TrustedProxies::parse(*v);
    if (auto* problem = std::get_if<std::string>(&parsed))
      return fail("invalid LLAMACHAT_TRUSTED_PROXIES: " + *problem);
    config.trusted_proxies = std::get<guard::TrustedProxies>(std::move(parsed));
  }
  if (auto v = get("--cors-origins")) {
    auto parsed = guard::CorsPolicy::parse(*v);
    if (auto* problem = std::get_if<std::string>(&parsed)) return fail("invalid LLAMACHAT_CORS_ORIGINS: " + *problem);
    config.cors = std::get<guard::CorsPolicy>(std::move(parsed));
  }
  for (auto [flag, env_name, max, field] :
       {std::tuple{"--max-concurrent", "LLAMACHAT_MAX_CONCURRENT", 1'000'000ull, &config.upstream.max_concurrent},
        std::tuple{"--queue-length", "LLAMACHAT_QUEUE_LENGTH", 1'000'000ull, &config.upstream.queue_length},
        std::tuple{"--max-connections", "LLAMACHAT_MAX_CONNECTIONS", 10'000'000ull,
                   &config.server.limits.max_connections}}) {
    if (auto v = get(flag)) {
      std::uint64_t n = 0;
      if (!parse_uint(*v, max, n))
        return fail(std::string("invalid ") + env_name + " '" + *v + "': expected 0-" + std::to_string(max));
      *field = n;
    }
  }
  if (config.server.limits.max_connections == 0)
    return fail("invalid LLAMACHAT_MAX_CONNECTIONS '0': expected at least 1");
  if (!millis("--queue-wait-ms", config.upstream.queue_wait))
    return fail("invalid --queue-wait-ms / LLAMACHAT_QUEUE_WAIT_MS: expected milliseconds");

  if (auto v = get("--log-format")) {
    if (*v != "json" && *v != "text") return fail("invalid LLAMACHAT_LOG_FORMAT '" + *v + "': expected json or text");
    config.log_format = *v;
  }
  if (!millis("--drain-timeout-ms", config.server.limits.shutdown_grace))
    return fail("invalid --drain-timeout-ms / LLAMACHAT_DRAIN_TIMEOUT_MS: expected milliseconds");

  // Region: flag, AWS_REGION, AWS_DEFAULT_REGION, then the profile's region. Never a silent default.
  if (auto it = values.find("--region"); it != values.end() && !it->second.empty()) {
    config.region = it->second;
  } else {
    config.region = aws::credentials::resolve_region(env);
  }
  config.model_id = get("--model-id");
  if (auto v = get("--endpoint")) {
    config.endpoint_override = v;
  } else if (auto g = env("AWS_ENDPOINT_URL"); g && !g->empty()) {
    config.endpoint_override = g;
  }
  if (auto v = get("--ca-bundle")) config.ca_bundle = *v;
  config.openai_base_url = get("--openai-base-url");
  if (auto v = get("--openai-api-key")) config.openai_api_key = *v;
  config.openai_model = get("--openai-model");

  if (auto v = get("--backend")) {
    if (*v == "offline") {
      config.backend = BackendKind::offline;
      config.backend_reason = "LLAMACHAT_BACKEND=offline";
    } else if (*v == "bedrock") {
      config.backend = BackendKind::bedrock;
      config.backend_reason = "LLAMACHAT_BACKEND=bedrock";
    } else if (*v == "openai") {
      config.backend = BackendKind::openai;
      config.backend_reason = "LLAMACHAT_BACKEND=openai";
    } else {
      return fail("invalid LLAMACHAT_BACKEND '" + *v + "': expected bedrock, openai or offline");
    }
  } else {
    const bool region_from_env = (env("AWS_REGION") && !env("AWS_REGION")->empty()) ||
                                 (env("AWS_DEFAULT_REGION") && !env("AWS_DEFAULT_REGION")->empty()) ||
                                 values.count("--region");
    config.backend = region_from_env ? BackendKind::bedrock : BackendKind::offline;
    config.backend_reason = region_from_env ? "a region is set (AWS_REGION / AWS_DEFAULT_REGION)"
                                            : "no AWS_REGION or AWS_DEFAULT_REGION is set";
  }
  outcome.config = std::move(config);
  return outcome;
}

}  // namespace llamachat::app
