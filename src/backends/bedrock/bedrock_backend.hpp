#pragma once
// chat::Backend for Amazon Bedrock Runtime: InvokeModel / InvokeModelWithResponseStream (Llama native
// body) or Converse / ConverseStream, SigV4-signed, with the SDKs' standard retries.
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "aws/credentials/provider.hpp"
#include "aws/retry/retry_strategy.hpp"
#include "backends/bedrock/errors.hpp"
#include "backends/bedrock/wire.hpp"
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
  http::Client& client_for(boost::asio::any_io_executor executor);
  boost::asio::awaitable<chat::Outcome> attempt(const chat::ChatRequest& request, chat::EventSink& sink,
                                                Operation operation, std::chrono::steady_clock::time_point deadline,
                                                bool& reply_started, aws::retry::FailureKind& failure);
  // The signed upstream request of one attempt (a plain function: its temporaries stay out of the
  // coroutine frames, which Asio recycles only below 2 KiB).
  http::ClientRequest signed_request(const chat::ChatRequest& request, Operation operation,
                                     const aws::Credentials& credentials) const;
  // After a 200: the whole reply (InvokeModel, Converse) or the event stream relayed to the sink.
  boost::asio::awaitable<chat::Outcome> read_whole_reply(http::ResponseStream& response, chat::EventSink& sink,
                                                         bool& reply_started);
  boost::asio::awaitable<chat::Outcome> relay_event_stream(http::ResponseStream& response, chat::EventSink& sink,
                                                           const ErrorContext& context, bool& reply_started,
                                                           aws::retry::FailureKind& failure);

  BedrockConfig config_;
  std::shared_ptr<aws::credentials::Provider> credentials_;
  util::Clock clock_;
  std::shared_ptr<aws::retry::RetryQuota> quota_;
  std::mutex clients_mutex_;
  // Tells this backend's clients apart from those of a backend that lived before at the same address,
  // in the per-thread shortcut of client_for(); bumped by shutdown().
  std::atomic<std::uint64_t> generation_;
  std::unordered_map<const void*, std::unique_ptr<http::Client>> clients_;  // one per worker io_context
  std::array<std::string, 4> targets_;  // request target per Operation (endpoint path + model path)
  std::string host_header_;
};

}  // namespace llamachat::backends::bedrock
