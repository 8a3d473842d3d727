#include "backends/bedrock/bedrock_backend.hpp"

#include <optional>

#include "backends/bedrock/wire.hpp"
#include "backends/upstream/sigv4_authorizer.hpp"

namespace llamachat::backends::bedrock {

http::Url default_endpoint(const std::string& region) {
  http::Url url;
  url.scheme = "https";
  url.host = "bedrock-runtime." + region + ".amazonaws.com";
  url.port = 443;
  return url;
}

namespace {

ProtocolSettings protocol_settings(const BedrockConfig& config) {
  return {config.region, config.model_id, config.endpoint, config.api, config.defaults};
}

upstream::CallerOptions caller_options(const BedrockConfig& config) {
  return {"Bedrock", config.endpoint, config.request_timeout, config.client, config.retry};
}

boost::asio::awaitable<chat::Outcome> refused(chat::Error error) { co_return error; }

}  // namespace

BedrockBackend::BedrockBackend(BedrockConfig config, std::shared_ptr<aws::credentials::Provider> credentials,
                               util::Clock clock)
    : config_(std::move(config)),
      protocol_(protocol_settings(config_)),
      caller_(caller_options(config_),
              std::make_shared<upstream::SigV4Authorizer>(
                  std::move(credentials), upstream::SigV4Scope{config_.region, "bedrock"}, std::move(clock))) {}

BedrockBackend::~BedrockBackend() = default;

chat::BackendInfo BedrockBackend::info() const { return {"bedrock", config_.model_id, false}; }

void BedrockBackend::shutdown() { caller_.shutdown(); }

boost::asio::awaitable<chat::Outcome> BedrockBackend::stream(chat::ChatRequest request, chat::EventSink& sink) {
  // Not a coroutine: the call's own awaitable (which owns the request), so no frame of its own.
  if (config_.api == Api::converse) {
    std::optional<chat::Error> refusal = converse_refusal(request);  // what Converse would refuse, unsent
    if (refusal) return refused(std::move(*refusal));
  }
  return caller_.call(std::move(request), sink, protocol_);
}

}  // namespace llamachat::backends::bedrock
