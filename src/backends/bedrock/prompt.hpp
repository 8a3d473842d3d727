#pragma once
// The Llama 3 instruct prompt template as AWS documents it for Bedrock (docs/bedrock.md#prompt-template).
#include <string>
#include <string_view>

#include "chat/types.hpp"

namespace llamachat::backends::bedrock {

// Makes user-supplied text unable to open, close or fake a template turn: every special token of the
// form "<|...|>" (e.g. <|eot_id|>, <|start_header_id|>) loses its meaning by replacing its bars with
// U+FF5C FULLWIDTH VERTICAL LINE, so "<|eot_id|>" reads the same to a human but is not the token. Appends the
// result to `out`.
void append_neutralized(std::string& out, std::string_view text);

// <|begin_of_text|>[system turn]{user/assistant turns}<|start_header_id|>assistant<|end_header_id|>\n\n
std::string build_llama3_prompt(const chat::ChatRequest& request);

}  // namespace llamachat::backends::bedrock
