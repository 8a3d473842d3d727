#include "app/wiring.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "util/log.hpp"

#include "api/openai/endpoint.hpp"
#include "api/router.hpp"
#include "aws/credentials/provider.hpp"
#include "backends/bedrock/bedrock_backend.hpp"
#include "backends/bedrock/errors.hpp"
#include "backends/offline/offline_backend.hpp"
#include "backends/openai/openai_backend.hpp"
#include "guard/api_keys.hpp"
#include "http/client/proxy_config.hpp"
#include "observe/metrics.hpp"
#include "observe/request_log.hpp"

namespace llamachat::app {
namespace {

bool is_loopback_host(const std::string& host) {
  if (host == "localhost") return true;
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(host, ec);
  return !ec && address.is_loopback();
}

// Readiness: the details go to the log, the answer gives a general reason (it is public and must not
// carry secrets or file paths).
api::Readiness not_ready(std::string_view reason, std::string_view detail) {
  util::log_warn("not ready: " + std::string(reason) + ": " + std::string(detail));
  return {false, std::string(reason)};
}

boost::asio::awaitable<api::Readiness> fixed_readiness(api::Readiness readiness) { co_return readiness; }

// Ready when the credential chain yields credentials (from its cache when it has them); Bedrock is not called.
boost::asio::awaitable<api::Readiness> credentials_readiness(std::shared_ptr<aws::credentials::Provider> credentials) {
  std::string problem;
  try {
    [[maybe_unused]] const aws::Credentials found = co_await credentials->get();
  } catch (const std::exception& e) {
    problem = e.what();
  }
  if (problem.empty()) co_return api::Readiness{};
  co_return not_ready("no AWS credentials could be resolved", problem);
}

boost::asio::awaitable<std::optional<std::int64_t>> credentials_expiry(
    std::shared_ptr<aws::credentials::Provider> credentials) {
  std::optional<aws::Credentials> found;
  try {
    found = co_await credentials->get();
  } catch (const std::exception&) {
    // No credentials: no gauge; /readyz says why.
  }
  if (!found || !found->expiration) co_return std::nullopt;
  co_return std::chrono::duration_cast<std::chrono::seconds>(*found->expiration - std::chrono::system_clock::now())
      .count();
}

boost::asio::awaitable<std::string> render_metrics(Probes probes) {
  observe::MetricsSnapshot snapshot = observe::metrics().snapshot();
  if (probes.credentials_expiry) snapshot.credentials_expiry_seconds = co_await probes.credentials_expiry();
  co_return observe::render_prometheus(snapshot);
}

Wiring misconfigured(std::string problem, std::string backend_name = "bedrock") {
  Wiring w;
  w.probes.readiness = [problem] { return fixed_readiness(not_ready("the service is not configured", problem)); };
  w.warnings.push_back("CONFIGURATION ERROR: " + problem +
                       " Every chat request will fail until this is fixed (/chat: 500, /v1: 503).");
  w.backend = std::make_shared<MisconfiguredBackend>(std::move(problem), std::move(backend_name));
  w.shutdown = [] {};
  return w;
}

Wiring build_openai_backend(const AppConfig& config, const util::Environment& env) {
  if (!config.openai_base_url)
    return misconfigured(
        "Missing OPENAI_BASE_URL environment variable (the server's API base including /v1, for example "
        "http://127.0.0.1:8000/v1 for vLLM or http://127.0.0.1:11434/v1 for Ollama).",
        "openai");
  auto url = http::Url::parse(*config.openai_base_url);
  if (!url)
    return misconfigured("OPENAI_BASE_URL '" + *config.openai_base_url + "' is not an http(s):// URL.", "openai");
  backends::openai::OpenAiConfig openai;
  openai.base = *url;
  openai.api_key = config.openai_api_key;
  openai.request_timeout = config.request_timeout;
  openai.retry.max_attempts = config.max_attempts;
  openai.client.connect_timeout = config.connect_timeout;
  openai.client.ca_bundle_path = config.ca_bundle;
  openai.client = http::proxy_options_from_environment(env, openai.client);

  Wiring w;
  if (config.openai_model) {
    openai.model = *config.openai_model;
  } else {
    // Refusing to start beats guessing: a server with several models would answer with whichever we picked.
    auto listed = backends::openai::list_models(openai);
    if (auto* problem = std::get_if<std::string>(&listed))
      throw std::runtime_error("LLAMACHAT_OPENAI_MODEL is unset and the model list could not be read: " + *problem);
    const auto& names = std::get<std::vector<std::string>>(listed);
    if (names.size() != 1) {
      std::string list;
      for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
      throw std::runtime_error("LLAMACHAT_OPENAI_MODEL is unset and " + openai.base.origin() + " lists " +
                               std::to_string(names.size()) + " models" +
                               (list.empty() ? std::string() : " (" + list + ")") +
                               "; set LLAMACHAT_OPENAI_MODEL to one of them.");
    }
    openai.model = names.front();
    w.info.push_back("model: " + openai.model + ", the only one the upstream lists (LLAMACHAT_OPENAI_MODEL is unset)");
  }
  w.info.push_back("backend: OpenAI-compatible server, model " + openai.model + ", endpoint " + openai.base.origin() +
                   openai.base.path + (openai.api_key.empty() ? ", no API key" : ", API key from OPENAI_API_KEY"));
  if (!openai.base.tls())
    w.info.push_back("plain http:// to " + openai.base.origin() +
                     ": allowed for the openai backend (self-hosted servers on a private network); prompts" +
                     (openai.api_key.empty() ? std::string() : " and the API key") + " travel unencrypted");
  for (const auto& warning : config.warnings) w.warnings.push_back(warning);
  auto backend = std::make_shared<backends::openai::OpenAiBackend>(std::move(openai));
  w.backend = backend;
  w.shutdown = [backend] { backend->shutdown(); };
  return w;
}

}  // namespace

Wiring build_backend(const AppConfig& config, const util::Environment& env) {
  if (config.backend == BackendKind::offline) {
    Wiring w;
    w.backend =
        std::make_shared<backends::offline::OfflineBackend>(backends::offline::OfflineOptions{config.offline_delay});
    w.shutdown = [] {};
    w.warnings = {
        "**************************************************************************",
        "OFFLINE MODE: replies are generated locally, NOT by Llama 3.3 70B (" + config.backend_reason + ").",
        "To use Amazon Bedrock, set AWS_REGION (e.g. us-east-1) and",
        "BEDROCK_MODEL_ID (e.g. us.meta.llama3-3-70b-instruct-v1:0), provide AWS credentials",
        "(environment, profile, container or instance role), then restart llamachat.",
        "**************************************************************************",
    };
    return w;
  }
  if (config.backend == BackendKind::openai) return build_openai_backend(config, env);
  if (!config.region || config.region->empty())
    return misconfigured(
        "Missing AWS_REGION environment variable (or AWS_DEFAULT_REGION, or a region in the AWS profile).");
  if (!config.model_id || config.model_id->empty())
    return misconfigured(
        "Missing BEDROCK_MODEL_ID environment variable (for example us.meta.llama3-3-70b-instruct-v1:0).");

  backends::bedrock::BedrockConfig bedrock;
  bedrock.region = *config.region;
  bedrock.model_id = *config.model_id;
  bedrock.api = config.bedrock_api == "converse" ? backends::bedrock::Api::converse : backends::bedrock::Api::invoke;
  bedrock.request_timeout = config.request_timeout;
  bedrock.retry.max_attempts = config.max_attempts;
  if (config.endpoint_override) {
    auto url = http::Url::parse(*config.endpoint_override);
    if (!url) return misconfigured("endpoint override '" + *config.endpoint_override + "' is not an http(s):// URL.");
    if (!url->tls() && !is_loopback_host(url->host))
      return misconfigured("endpoint override '" + *config.endpoint_override +
                           "' uses plain http:// on a non-loopback host; use https://.");
    bedrock.endpoint = *url;
  } else {
    bedrock.endpoint = backends::bedrock::default_endpoint(bedrock.region);
  }
  // One set of outbound options (trust store, proxy, connect timeout) for every upstream call: Bedrock and the
  // credential chain's STS call. The chain keeps the container and instance metadata endpoints direct.
  bedrock.client.connect_timeout = config.connect_timeout;
  bedrock.client.ca_bundle_path = config.ca_bundle;
  bedrock.client = http::proxy_options_from_environment(env, bedrock.client);

  aws::credentials::ChainOptions chain_options;
  chain_options.http = bedrock.client;
  auto credentials = aws::credentials::make_default_chain(env, chain_options);

  Wiring w;
  w.info.push_back("backend: Amazon Bedrock, model " + bedrock.model_id + ", region " + bedrock.region + ", API " +
                   config.bedrock_api + ", endpoint " + bedrock.endpoint.origin() + bedrock.endpoint.path);
  const auto present = aws::credentials::present_credential_variables(env);
  std::string names;
  for (const auto& n : present) names += (names.empty() ? "" : ", ") + n;
  w.info.push_back("credential-related variables present: " + (names.empty() ? std::string("none") : names));
  if (backends::bedrock::needs_inference_profile(bedrock.model_id, bedrock.region)) {
    w.warnings.push_back("model " + bedrock.model_id + " is not offered on demand in " + bedrock.region +
                         "; Bedrock will answer ValidationException. Use BEDROCK_MODEL_ID=" +
                         backends::bedrock::inference_profile_for(bedrock.model_id, bedrock.region) +
                         " (a cross-Region inference profile) or AWS_REGION=us-east-2.");
  }
  for (const auto& warning : config.warnings) w.warnings.push_back(warning);
  auto backend =
      std::make_shared<backends::bedrock::BedrockBackend>(std::move(bedrock), credentials, util::system_clock());
  w.backend = backend;
  w.shutdown = [backend] { backend->shutdown(); };
  w.probes.readiness = [credentials] { return credentials_readiness(credentials); };
  w.probes.credentials_expiry = [credentials] { return credentials_expiry(credentials); };
  w.startup_probe = [credentials] {
    boost::asio::io_context ctx;
    boost::asio::co_spawn(ctx, credentials->get(), [](std::exception_ptr error, const aws::Credentials& found) {
      if (!error) {
        util::log_info("credentials: supplied by the " + found.provider + " provider");
        return;
      }
      // No credentials: the credentials provider has logged why, once per cause (caching_provider.cpp).
    });
    ctx.run();
  };
  return w;
}

namespace {

std::vector<std::string> load_api_keys(const AppConfig& config) {
  std::vector<std::string> keys = config.api_keys;
  if (config.api_keys_file) {
    std::ifstream file(*config.api_keys_file, std::ios::binary);
    if (!file) throw std::runtime_error("LLAMACHAT_API_KEYS_FILE '" + *config.api_keys_file + "' cannot be read");
    std::ostringstream text;
    text << file.rdbuf();
    const auto from_file = guard::parse_key_file(text.str());
    if (from_file.empty())
      throw std::runtime_error("LLAMACHAT_API_KEYS_FILE '" + *config.api_keys_file +
                               "' holds no key (one a line; blank lines and # comments are skipped)");
    keys.insert(keys.end(), from_file.begin(), from_file.end());
  }
  return keys;
}

}  // namespace

std::vector<std::string> protection_warnings(const AppConfig& config) {
  std::vector<std::string> warnings;
  const bool no_keys = config.api_keys.empty() && !config.api_keys_file;
  if (no_keys && config.backend == BackendKind::bedrock && !is_loopback_host(config.server.host)) {
    warnings = {
        "**************************************************************************",
        "NO API KEYS: llamachat listens on " + config.server.host +
            " with the Bedrock backend and no LLAMACHAT_API_KEYS or LLAMACHAT_API_KEYS_FILE.",
        "Anyone who can reach this address can run Llama on your AWS account and bill.",
        "Set LLAMACHAT_API_KEYS (or LLAMACHAT_API_KEYS_FILE), or listen on 127.0.0.1 behind your own auth.",
        "**************************************************************************",
    };
  }
  return warnings;
}

std::shared_ptr<api::Protection> build_protection(const AppConfig& config) {
  api::ProtectionOptions options;
  options.api_keys = load_api_keys(config);
  options.metrics_open = config.metrics_open;
  options.rate_limit = config.rate_limit;
  options.trusted_proxies = config.trusted_proxies;
  options.upstream = config.upstream;
  options.cors = config.cors;
  return std::make_shared<api::Protection>(std::move(options));
}

http::Handler build_router(const AppConfig& config, std::shared_ptr<chat::Backend> backend, const Probes& probes) {
  return build_router(config, std::move(backend), build_protection(config), probes);
}

http::Handler build_router(const AppConfig& config, std::shared_ptr<chat::Backend> backend,
                           std::shared_ptr<api::Protection> protection, const Probes& probes) {
  api::RouterOptions options;
  options.protection = std::move(protection);
  options.readiness = probes.readiness;
  options.metrics = [probes] { return render_metrics(probes); };
  options.chat.reply_deadline = config.request_timeout;
  options.chat.keep_alive_interval = config.sse_keep_alive;
  api::openai::OpenAiOptions openai;
  openai.reply_deadline = config.request_timeout;
  openai.keep_alive_interval = config.sse_keep_alive;
  openai.policy = config.conversation;
  // Named even when the backend is misconfigured, so that requests for it get the configuration error.
  if (config.backend == BackendKind::bedrock && config.model_id) openai.model = *config.model_id;
  if (config.backend == BackendKind::openai) openai.model = backend->info().model;
  api::Mount v1{std::string(api::openai::kPathPrefix), api::openai::make_openai_handler(backend, openai)};
  v1.route_class = api::RouteClass::api;
  v1.upstream_paths = {"/v1/chat/completions"};
  v1.render_error = [](const api::ApiError& error, unsigned version) {
    return api::openai::error_response(error, version);
  };
  options.mounts.push_back(std::move(v1));
  return api::make_router(std::move(backend), std::move(options));
}

http::ServerOptions server_options(const AppConfig& config, std::string model) {
  http::ServerOptions options = config.server;
  options.on_request_done = [model = std::move(model)](const http::Exchange& exchange) {
    if (!util::log_enabled(util::LogLevel::info)) return;
    const observe::RequestRecord& record = exchange.record();
    const bool model_call = record.route == observe::Route::chat || record.route == observe::Route::v1_chat_completions;
    thread_local std::string line;  // reused: its capacity stays with the worker thread
    line.clear();
    observe::append_request_line(line, util::log_format(),
                                 {std::chrono::system_clock::now(), exchange.request_id(),
                                  exchange.request().method_string(), model_call ? model : std::string_view(), record});
    util::append_log_line(util::LogLevel::info, line);
  };
  options.early_error = [](std::string_view target, unsigned status, std::string_view message, unsigned version) {
    if (target.starts_with(api::openai::kPathPrefix))
      return api::openai::early_error_response(status, message, version);
    return http::json_error_response(status, message, version);
  };
  return options;
}

}  // namespace llamachat::app
