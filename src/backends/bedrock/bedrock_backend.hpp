#pragma once
// chat::Backend for Amazon Bedrock Runtime: InvokeModel / InvokeModelWithResponseStream (Llama native
// body) or Converse / ConverseStream. The Bedrock wire mapping and error rows are its Protocol; signing
// (SigV4), retries, the deadline and cancellation are the shared upstream::Caller's.
#include <chrono>
#include <memory>
#include <string>

#include "aws/credentials/provider.hpp"
#include "aws/retry/retry_strategy.hpp"
#include "backends/bedrock/protocol.hpp"
#include "backends/bedrock/wire.hpp"
#include "backends/upstream/caller.hpp"
#include "chat/backend.hpp"
#include "http/client/client.hpp"
#include "util/clock.hpp"

namespace llamachat::backends::bedrock {

struct BedrockConfig {
  std::string region;
  std::string model_id;
  http::Url endpoint;  // https://bedrock-runtime.<region>.amazonaws.com or an override
  Api api = Api::invoke;
  Defaults defaults;
  std::chrono::milliseconds request_timeout{110'000};  // whole request, under App Runner's 120 s cap
  http::ClientOptions client;                          // connect timeout, CA bundle, proxy
  aws::retry::RetryOptions retry;
};

// The default endpoint for a Region (docs/bedrock.md#endpoint).
http::Url default_endpoint(const std::string& region);

class BedrockBackend final : public chat::Backend {
 public:
  BedrockBackend(BedrockConfig config, std::shared_ptr<aws::credentials::Provider> credentials, util::Clock clock);
  ~BedrockBackend() override;

  chat::BackendInfo info() const override;
  boost::asio::awaitable<chat::Outcome> stream(chat::ChatRequest request, chat::EventSink& sink) override;
  // Drops the per-thread connection pools; call after the workers stopped, before their contexts die.
  void shutdown();
  const BedrockConfig& config() const noexcept { return config_; }

 private:
  BedrockConfig config_;
  Protocol protocol_;
  upstream::Caller caller_;
};

}  // namespace llamachat::backends::bedrock
