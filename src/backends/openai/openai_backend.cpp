#include "backends/openai/openai_backend.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <memory>

#include "backends/openai/wire.hpp"

namespace llamachat::backends::openai {
namespace net = boost::asio;

namespace {

upstream::CallerOptions caller_options(const OpenAiConfig& config) {
  return {
      "OpenAI-compatible upstream", config.base, config.request_timeout, config.client, config.retry, "x-request-id"};
}

std::shared_ptr<upstream::Authorizer> authorizer_for(const OpenAiConfig& config) {
  if (config.api_key.empty()) return nullptr;
  return std::make_shared<BearerAuthorizer>(config.api_key);
}

net::awaitable<http::ClientResponse> fetch_models(http::Client& client, http::Url base, http::ClientRequest request,
                                                  std::chrono::steady_clock::time_point deadline) {
  http::ClientResponse response = co_await client.send(base, std::move(request), deadline);
  co_return response;
}

}  // namespace

OpenAiBackend::OpenAiBackend(OpenAiConfig config)
    : config_(std::move(config)),
      protocol_(ProtocolSettings{config_.base, config_.model, config_.api_key}),
      caller_(caller_options(config_), authorizer_for(config_)) {}

OpenAiBackend::~OpenAiBackend() = default;

chat::BackendInfo OpenAiBackend::info() const { return {"openai", config_.model, false}; }

void OpenAiBackend::shutdown() { caller_.shutdown(); }

boost::asio::awaitable<chat::Outcome> OpenAiBackend::stream(chat::ChatRequest request, chat::EventSink& sink) {
  // Not a coroutine: the call's own awaitable (which owns the request), so no frame of its own.
  return caller_.call(std::move(request), sink, protocol_);
}

std::variant<std::vector<std::string>, std::string> list_models(const OpenAiConfig& config) {
  net::io_context context;
  http::Client client(context.get_executor(), config.client);
  http::ClientRequest request;
  request.method = "GET";
  request.target = endpoint_target(config.base, "models");
  request.headers.emplace_back("host", config.base.host_header());
  request.headers.emplace_back("accept", "application/json");
  if (!config.api_key.empty()) request.headers.emplace_back("authorization", "Bearer " + config.api_key);
  const auto deadline =
      std::chrono::steady_clock::now() + std::min(config.request_timeout, std::chrono::milliseconds(10'000));
  std::variant<std::vector<std::string>, std::string> result = std::string("no answer");
  const std::string where = config.base.origin() + request.target;
  auto done = [&result, &where](std::exception_ptr error, const http::ClientResponse& response) {
    if (error) {
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        result = "cannot reach " + where + ": " + e.what();
      }
      return;
    }
    if (response.status / 100 != 2) {
      result = where + " answered HTTP " + std::to_string(response.status);
      return;
    }
    auto names = parse_model_list(response.body);
    if (!names)
      result = where + " answered something that is not a model list";
    else
      result = std::move(*names);
  };
  net::co_spawn(context, fetch_models(client, config.base, std::move(request), deadline), std::move(done));
  context.run();
  return result;
}

}  // namespace llamachat::backends::openai
