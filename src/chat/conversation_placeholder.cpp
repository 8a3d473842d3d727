// THROWAWAY placeholder so that wip/openai-api builds before wip/conversation is merged; the coordinator
// deletes this file at merge. prepare_conversation changes nothing; StopCutter passes text through.
#include "chat/conversation.hpp"
#include "chat/stop_sequences.hpp"

namespace llamachat::chat {

PreparedConversation prepare_conversation(ChatRequest& request, const ConversationPolicy& policy) {
  PreparedConversation out;
  std::uint64_t bytes = request.system ? request.system->size() : 0;
  for (const auto& m : request.messages) bytes += m.content.size() + 8;
  out.prompt_tokens = bytes;
  const auto reply =
      static_cast<std::uint64_t>(request.params.max_tokens.value_or(static_cast<int>(policy.default_max_tokens)));
  out.prompt_token_limit = policy.context_tokens > reply ? policy.context_tokens - reply : 0;
  return out;
}

StopCutter::StopCutter(std::vector<std::string> stops) : stops_(std::move(stops)) {}
std::string_view StopCutter::feed(std::string_view delta) {
  out_.assign(delta);
  return out_;
}
std::string_view StopCutter::flush() { return {}; }
bool StopCutter::stopped() const noexcept { return stopped_; }

StopCuttingSink::StopCuttingSink(EventSink& inner, std::vector<std::string> stops)
    : inner_(inner), cutter_(std::move(stops)) {}
boost::asio::awaitable<bool> StopCuttingSink::on_delta(std::string_view text) {
  const std::string_view out = cutter_.feed(text);
  const bool ok = co_await inner_.on_delta(out);
  co_return ok;
}
boost::asio::awaitable<bool> StopCuttingSink::finish() { co_return true; }
bool StopCuttingSink::stopped() const noexcept { return cutter_.stopped(); }

}  // namespace llamachat::chat
