#pragma once
// The built-in offline backend: deterministic replies produced locally, with no network and no AWS.
// It streams its reply word by word like a real model, so every client path works without Bedrock.
#include <chrono>

#include "chat/backend.hpp"

namespace llamachat::backends::offline {

struct OfflineOptions {
  std::chrono::milliseconds delay_per_word{0};  // > 0 makes streaming visible in the UI
};

// The deterministic reply for a conversation (pure; exposed for tests).
std::string offline_reply(const chat::ChatRequest& request);

class OfflineBackend final : public chat::Backend {
 public:
  explicit OfflineBackend(OfflineOptions options = {}) : options_(options) {}
  chat::BackendInfo info() const override { return {"offline", "offline", true}; }
  boost::asio::awaitable<chat::Outcome> stream(chat::ChatRequest request, chat::EventSink& sink) override;

 private:
  OfflineOptions options_;
};

}  // namespace llamachat::backends::offline
