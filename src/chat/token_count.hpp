#pragma once
// A conservative count of the Llama 3 tokens a conversation costs: never below what the model's
// tokenizer produces for the rendered prompt (docs/tokens.md: why it holds and how far off it can be).
#include <cstdint>
#include <string_view>

#include "chat/types.hpp"

namespace llamachat::chat {

// Tokens of "<|begin_of_text|>" plus the closing "<|start_header_id|>assistant<|end_header_id|>\n\n" that
// asks for the reply: three special tokens, one role token and at most two for "\n\n".
inline constexpr std::uint64_t kPromptFrameTokens = 1 + 3 + 2;

// Upper bound on the tokens of message text. Llama 3's tokenizer is byte-level BPE whose every token
// covers at least one byte, so a text never has more tokens than UTF-8 bytes. Each "<|" may be the
// start of a template token that the Bedrock prompt neutralises into four more bytes, so it counts 4
// extra.
std::uint64_t text_token_bound(std::string_view text) noexcept;

// Upper bound on one turn: "<|start_header_id|>role<|end_header_id|>\n\n" + text + "<|eot_id|>", i.e.
// three special tokens, one role token, at most two tokens for "\n\n" and the text's bound.
std::uint64_t turn_token_bound(std::string_view text) noexcept;

// Upper bound on the whole prompt of `request`: the frame, the system turn (when non-empty) and every
// message.
std::uint64_t prompt_token_bound(const ChatRequest& request) noexcept;

}  // namespace llamachat::chat
