#include "chat/conversation.hpp"

#include <gtest/gtest.h>

#include "chat/token_count.hpp"

namespace llamachat::chat {
namespace {

ChatRequest request_with(std::vector<Message> messages, std::optional<std::string> system = "Be brief.") {
  ChatRequest request;
  request.system = std::move(system);
  request.messages = std::move(messages);
  return request;
}

std::vector<std::string> contents(const ChatRequest& request) {
  std::vector<std::string> out;
  for (const auto& m : request.messages) out.push_back(m.content);
  return out;
}

// A turn of exactly `tokens` counted tokens.
std::string text_of_turn_tokens(std::size_t tokens) { return std::string(tokens - turn_token_bound(""), 'x'); }

TEST(Conversation, MemoryIsAppendedToTheSystemPrompt) {
  ChatRequest request = request_with({{Role::user, "Hi, my name is alice and my favorite color is Blue."},
                                      {Role::assistant, "Hello Alice!"},
                                      {Role::user, "What is my name?"}});
  const auto prepared = prepare_conversation(request, {});
  EXPECT_EQ(prepared.status, PrepareStatus::ok);
  EXPECT_EQ(request.system, "Be brief.\n\nYou are talking to Alice. The user likes blue.");
  EXPECT_EQ(request.messages.size(), 3u);
  EXPECT_EQ(prepared.dropped_messages, 0u);
  EXPECT_EQ(prepared.prompt_tokens, prompt_token_bound(request));
}

TEST(Conversation, MemoryBecomesTheSystemPromptWhenThereIsNone) {
  for (std::optional<std::string> system : {std::optional<std::string>{}, std::optional<std::string>{""}}) {
    ChatRequest request = request_with({{Role::user, "my name is Bob"}}, system);
    prepare_conversation(request, {});
    EXPECT_EQ(request.system, "You are talking to Bob.");
  }
}

TEST(Conversation, NoFactsLeavesTheSystemPromptAlone) {
  ChatRequest request = request_with({{Role::user, "hello"}});
  prepare_conversation(request, {});
  EXPECT_EQ(request.system, "Be brief.");
}

TEST(Conversation, MemoryOff) {
  ChatRequest request = request_with({{Role::user, "my name is Bob"}});
  ConversationPolicy policy;
  policy.memory = false;
  prepare_conversation(request, policy);
  EXPECT_EQ(request.system, "Be brief.");
}

TEST(Conversation, LimitIsTheContextMinusTheReplyBudget) {
  ChatRequest request = request_with({{Role::user, "hi"}});
  ConversationPolicy policy;
  policy.context_tokens = 1000;
  policy.default_max_tokens = 100;
  EXPECT_EQ(prepare_conversation(request, policy).prompt_token_limit, 900u);
  request.params.max_tokens = 300;
  EXPECT_EQ(prepare_conversation(request, policy).prompt_token_limit, 700u);
  request.params.max_tokens = 1000;
  const auto prepared = prepare_conversation(request, policy);
  EXPECT_EQ(prepared.prompt_token_limit, 0u);
  EXPECT_EQ(prepared.status, PrepareStatus::context_length_exceeded);
}

TEST(Conversation, FitsUntouched) {
  ChatRequest request = request_with({{Role::user, "a"}, {Role::assistant, "b"}, {Role::user, "c"}});
  ConversationPolicy policy;
  policy.default_max_tokens = 10;
  policy.context_tokens = static_cast<std::uint32_t>(prompt_token_bound(request) + 10);  // exactly fits
  const auto prepared = prepare_conversation(request, policy);
  EXPECT_EQ(prepared.status, PrepareStatus::ok);
  EXPECT_EQ(prepared.dropped_messages, 0u);
  EXPECT_EQ(prepared.prompt_tokens, prepared.prompt_token_limit);
}

TEST(Conversation, DropsTheOldestTurnsInPairs) {
  const std::string turn = text_of_turn_tokens(100);
  ChatRequest request = request_with({{Role::user, "u1" + turn},
                                      {Role::assistant, "a1" + turn},
                                      {Role::user, "u2" + turn},
                                      {Role::assistant, "a2" + turn},
                                      {Role::user, "u3"}});
  const std::uint64_t full = prompt_token_bound(request);
  ConversationPolicy policy;
  policy.default_max_tokens = 0;
  policy.context_tokens = static_cast<std::uint32_t>(full - 1);  // one token too many: u1 must go, so a1 too
  const auto prepared = prepare_conversation(request, policy);
  EXPECT_EQ(prepared.status, PrepareStatus::ok);
  EXPECT_EQ(prepared.dropped_messages, 2u);
  ASSERT_EQ(request.messages.size(), 3u);
  EXPECT_EQ(request.messages[0].role, Role::user);
  EXPECT_EQ(request.messages[0].content.substr(0, 2), "u2");
  EXPECT_EQ(request.messages[2].content, "u3");
  EXPECT_EQ(prepared.prompt_tokens, prompt_token_bound(request));
  EXPECT_LE(prepared.prompt_tokens, prepared.prompt_token_limit);
}

TEST(Conversation, KeepsSystemAndLastUserTurnAndFactsOfDroppedTurns) {
  const std::string turn = text_of_turn_tokens(1000);
  ChatRequest request = request_with({{Role::user, "my name is Zoë. " + turn},
                                      {Role::assistant, turn},
                                      {Role::user, turn},
                                      {Role::assistant, turn},
                                      {Role::user, "What is my name?"}});
  ConversationPolicy policy;
  policy.context_tokens = 600;
  policy.default_max_tokens = 100;
  const auto prepared = prepare_conversation(request, policy);
  EXPECT_EQ(prepared.status, PrepareStatus::ok);
  EXPECT_EQ(prepared.dropped_messages, 4u);
  EXPECT_EQ(contents(request), std::vector<std::string>{"What is my name?"});
  EXPECT_EQ(request.system, "Be brief.\n\nYou are talking to Zoë.");
}

TEST(Conversation, WithMemoryOffTrimmedFactsAreGone) {
  const std::string turn = text_of_turn_tokens(1000);
  ChatRequest request = request_with(
      {{Role::user, "my name is Zoë. " + turn}, {Role::assistant, "ok"}, {Role::user, "What is my name?"}});
  ConversationPolicy policy;
  policy.memory = false;
  policy.context_tokens = 600;
  policy.default_max_tokens = 100;
  prepare_conversation(request, policy);
  EXPECT_EQ(contents(request), std::vector<std::string>{"What is my name?"});
  EXPECT_EQ(request.system, "Be brief.");
}

TEST(Conversation, TooLongEvenAfterTrimming) {
  ChatRequest request =
      request_with({{Role::user, "old"}, {Role::assistant, "reply"}, {Role::user, text_of_turn_tokens(1000)}});
  ConversationPolicy policy;
  policy.context_tokens = 900;
  policy.default_max_tokens = 0;
  const auto prepared = prepare_conversation(request, policy);
  EXPECT_EQ(prepared.status, PrepareStatus::context_length_exceeded);
  EXPECT_GT(prepared.prompt_tokens, prepared.prompt_token_limit);
  EXPECT_EQ(request.messages.back().role, Role::user);  // the last user turn is never dropped
}

TEST(Conversation, SystemPromptAloneTooLong) {
  ChatRequest request = request_with({{Role::user, "hi"}}, std::string(2000, 's'));
  ConversationPolicy policy;
  policy.context_tokens = 1000;
  EXPECT_EQ(prepare_conversation(request, policy).status, PrepareStatus::context_length_exceeded);
}

TEST(Conversation, SystemTurnsInsideTheConversationAreKept) {
  const std::string turn = text_of_turn_tokens(100);
  ChatRequest request =
      request_with({{Role::system, "rules"}, {Role::user, turn}, {Role::assistant, turn}, {Role::user, "last"}});
  ConversationPolicy policy;
  policy.default_max_tokens = 0;
  policy.context_tokens = static_cast<std::uint32_t>(prompt_token_bound(request) - 1);
  const auto prepared = prepare_conversation(request, policy);
  EXPECT_EQ(prepared.status, PrepareStatus::ok);
  EXPECT_EQ(contents(request), (std::vector<std::string>{"rules", "last"}));
}

TEST(Conversation, TurnsAfterTheLastUserTurnAreKept) {
  const std::string turn = text_of_turn_tokens(100);
  ChatRequest request =
      request_with({{Role::user, turn}, {Role::assistant, turn}, {Role::user, "q"}, {Role::assistant, "prefill"}});
  ConversationPolicy policy;
  policy.default_max_tokens = 0;
  policy.context_tokens = static_cast<std::uint32_t>(prompt_token_bound(request) - 1);
  prepare_conversation(request, policy);
  EXPECT_EQ(contents(request), (std::vector<std::string>{"q", "prefill"}));
}

}  // namespace
}  // namespace llamachat::chat
