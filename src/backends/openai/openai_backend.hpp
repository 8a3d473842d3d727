#pragma once
// chat::Backend for any server that speaks the OpenAI chat completions API (vLLM, Ollama, llama.cpp's
// llama-server, hosted endpoints). The wire mapping and the error rows are its Protocol; the optional
// bearer key, retries, the deadline and cancellation are the shared upstream::Caller's.
#include <chrono>
#include <string>
#include <variant>
#include <vector>

#include "aws/retry/retry_strategy.hpp"
#include "backends/openai/protocol.hpp"
#include "backends/upstream/caller.hpp"
#include "chat/backend.hpp"
#include "http/client/client.hpp"

namespace llamachat::backends::openai {

struct OpenAiConfig {
  http::Url base;       // OPENAI_BASE_URL, including /v1
  std::string model;    // LLAMACHAT_OPENAI_MODEL, or the one the upstream lists
  std::string api_key;  // OPENAI_API_KEY; empty: no Authorization header
  std::chrono::milliseconds request_timeout{110'000};
  http::ClientOptions client;  // connect timeout, CA bundle, proxy
  aws::retry::RetryOptions retry;
};

class OpenAiBackend final : public chat::Backend {
 public:
  explicit OpenAiBackend(OpenAiConfig config);
  ~OpenAiBackend() override;

  chat::BackendInfo info() const override;
  boost::asio::awaitable<chat::Outcome> stream(chat::ChatRequest request, chat::EventSink& sink) override;
  // Drops the per-thread connection pools; call after the workers stopped, before their contexts die.
  void shutdown();
  const OpenAiConfig& config() const noexcept { return config_; }

 private:
  OpenAiConfig config_;
  Protocol protocol_;
  upstream::Caller caller_;
};

// GET {base}/models once, at start-up, on a context of its own (blocks): the model names, or a message
// saying why there are none (unreachable, refused, unreadable).
std::variant<std::vector<std::string>, std::string> list_models(const OpenAiConfig& config);

}  // namespace llamachat::backends::openai
