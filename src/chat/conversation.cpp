#include "chat/conversation.hpp"

#include "chat/memory.hpp"
#include "chat/token_count.hpp"

namespace llamachat::chat {
namespace {

void add_to_system_prompt(ChatRequest& request, const std::string& text) {
  if (!request.system || request.system->empty()) {
    request.system = text;
    return;
  }
  request.system->append("\n\n").append(text);
}

}  // namespace

PreparedConversation prepare_conversation(ChatRequest& request, const ConversationPolicy& policy) {
  PreparedConversation out;
  if (policy.memory) {
    // Read before trimming: facts stated in turns that are dropped below still reach the model.
    const UserFacts facts = user_facts(request.messages);
    if (!facts.empty()) add_to_system_prompt(request, facts_prompt(facts));
  }

  const std::uint64_t reply_tokens = request.params.max_tokens && *request.params.max_tokens > 0
                                         ? static_cast<std::uint64_t>(*request.params.max_tokens)
                                         : policy.default_max_tokens;
  out.prompt_token_limit = policy.context_tokens > reply_tokens ? policy.context_tokens - reply_tokens : 0;

  auto& messages = request.messages;
  std::uint64_t tokens = prompt_token_bound(request);
  // Turns before the last user turn may go; the last user turn and what follows it stay. Without any
  // user turn only the last message stays.
  std::size_t keep_from = messages.empty() ? 0 : messages.size() - 1;
  for (std::size_t i = messages.size(); i-- > 0;) {
    if (messages[i].role == Role::user) {
      keep_from = i;
      break;
    }
  }
  std::vector<bool> dropped(messages.size(), false);
  std::size_t next = 0;  // oldest turn not yet looked at
  for (; next < keep_from && tokens > out.prompt_token_limit; ++next) {
    if (messages[next].role == Role::system) continue;  // instructions are kept like the system prompt
    dropped[next] = true;
    tokens -= turn_token_bound(messages[next].content);
  }
  if (next > 0) {
    // The conversation that remains starts with a user turn (Bedrock's Converse requires it, and an
    // answer without its question misleads the model): the assistant turns that lost theirs go too.
    for (; next < keep_from && messages[next].role != Role::user; ++next) {
      if (messages[next].role == Role::system) continue;
      dropped[next] = true;
      tokens -= turn_token_bound(messages[next].content);
    }
  }
  std::size_t kept = 0;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    if (dropped[i]) continue;
    if (kept != i) messages[kept] = std::move(messages[i]);
    ++kept;
  }
  out.dropped_messages = messages.size() - kept;
  messages.resize(kept);
  out.prompt_tokens = tokens;
  if (tokens > out.prompt_token_limit) out.status = PrepareStatus::context_length_exceeded;
  return out;
}

}  // namespace llamachat::chat
