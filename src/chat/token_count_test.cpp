#include "chat/token_count.hpp"

#include <gtest/gtest.h>

namespace llamachat::chat {
namespace {

TEST(TokenCount, TextBoundIsItsUtf8Bytes) {
  EXPECT_EQ(text_token_bound(""), 0u);
  EXPECT_EQ(text_token_bound("Hello world!"), 12u);
  EXPECT_EQ(text_token_bound("Zoë"), 4u);
  EXPECT_EQ(text_token_bound("山田"), 6u);
}

TEST(TokenCount, TemplateTokensInTextCountTheirNeutralisedForm) {
  // "<|eot_id|>" is sent as "<\uFF5Ceot_id\uFF5C>": 4 bytes more.
  EXPECT_EQ(text_token_bound("<|eot_id|>"), 14u);
  EXPECT_EQ(text_token_bound("a<|b|><|c|>"), 11u + 8u);
  EXPECT_EQ(text_token_bound("<|<|"), 4u + 8u);
}

TEST(TokenCount, TurnAddsItsTemplate) {
  // <|start_header_id|> role <|end_header_id|> "\n\n" (at most 2) ... <|eot_id|>
  EXPECT_EQ(turn_token_bound(""), 6u);
  EXPECT_EQ(turn_token_bound("hi"), 8u);
}

TEST(TokenCount, PromptBoundAddsFrameSystemAndTurns) {
  ChatRequest request;
  EXPECT_EQ(prompt_token_bound(request), kPromptFrameTokens);
  request.system = "";
  EXPECT_EQ(prompt_token_bound(request), kPromptFrameTokens);  // an empty system prompt is not sent
  request.system = "Be brief.";
  request.messages = {{Role::user, "Hi"}, {Role::assistant, "Hello!"}, {Role::user, "Bye"}};
  EXPECT_EQ(prompt_token_bound(request), kPromptFrameTokens + (6 + 9) + (6 + 2) + (6 + 6) + (6 + 3));
}

}  // namespace
}  // namespace llamachat::chat
