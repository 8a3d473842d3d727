#include "chat/token_count.hpp"

namespace llamachat::chat {

std::uint64_t text_token_bound(std::string_view text) noexcept {
  std::uint64_t bound = text.size();
  for (std::size_t i = text.find("<|"); i != std::string_view::npos; i = text.find("<|", i + 2)) bound += 4;
  return bound;
}

std::uint64_t turn_token_bound(std::string_view text) noexcept { return 3 + 1 + 2 + text_token_bound(text); }

std::uint64_t prompt_token_bound(const ChatRequest& request) noexcept {
  std::uint64_t bound = kPromptFrameTokens;
  if (request.system && !request.system->empty()) bound += turn_token_bound(*request.system);
  for (const auto& message : request.messages) bound += turn_token_bound(message.content);
  return bound;
}

}  // namespace llamachat::chat
