#include "backends/bedrock/prompt.hpp"

namespace llamachat::backends::bedrock {
namespace {

constexpr std::string_view kFullwidthBar = "\xEF\xBD\x9C";  // U+FF5C

void append_turn(std::string& out, std::string_view role, std::string_view content) {
  out += "<|start_header_id|>";
  out += role;
  out += "<|end_header_id|>\n\n";
  out += neutralize_special_tokens(content);
  out += "<|eot_id|>";
}

std::string_view role_name(chat::Role role) {
  switch (role) {
    case chat::Role::system: return "system";
    case chat::Role::user: return "user";
    case chat::Role::assistant: return "assistant";
  }
  return "user";
}

}  // namespace

std::string neutralize_special_tokens(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '<' && i + 1 < text.size() && text[i + 1] == '|') {
      const std::size_t close = text.find("|>", i + 2);
      // Only "<|word|>" shapes are tokens; a lone "<|" stays as it is.
      if (close != std::string_view::npos && close - (i + 2) <= 64 &&
          text.substr(i + 2, close - i - 2).find_first_of(" \n<>") == std::string_view::npos) {
        out += '<';
        out += kFullwidthBar;
        out += text.substr(i + 2, close - (i + 2));
        out += kFullwidthBar;
        out += '>';
        i = close + 2;
        continue;
      }
    }
    out += text[i++];
  }
  return out;
}

std::string build_llama3_prompt(const chat::ChatRequest& request) {
  std::string out = "<|begin_of_text|>";
  if (request.system && !request.system->empty()) append_turn(out, "system", *request.system);
  for (const auto& message : request.messages) append_turn(out, role_name(message.role), message.content);
  out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
  return out;
}

}  // namespace llamachat::backends::bedrock
