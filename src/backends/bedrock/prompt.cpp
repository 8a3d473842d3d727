#include "backends/bedrock/prompt.hpp"

namespace llamachat::backends::bedrock {
namespace {

constexpr std::string_view kFullwidthBar = "\xEF\xBD\x9C";  // U+FF5C

void append_turn(std::string& out, std::string_view role, std::string_view content) {
  out += "<|start_header_id|>";
  out += role;
  out += "<|end_header_id|>\n\n";
  append_neutralized(out, content);
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

void append_neutralized(std::string& out, std::string_view text) {
  std::size_t run = 0;  // start of the text not yet copied
  for (std::size_t i = text.find("<|"); i != std::string_view::npos; i = text.find("<|", i + 1)) {
    const std::size_t close = text.find("|>", i + 2);
    // Only "<|word|>" shapes are tokens; a lone "<|" stays as it is.
    if (close == std::string_view::npos) break;
    const std::string_view word = text.substr(i + 2, close - (i + 2));
    if (word.size() > 64 || word.find_first_of(" \n<>") != std::string_view::npos) continue;
    out.append(text, run, i - run);
    out += '<';
    out += kFullwidthBar;
    out += word;
    out += kFullwidthBar;
    out += '>';
    run = close + 2;
    i = close + 1;  // the next search starts after the token
  }
  out.append(text, run, std::string_view::npos);
}

std::string build_llama3_prompt(const chat::ChatRequest& request) {
  std::size_t size = 160 + (request.system ? request.system->size() : 0);
  for (const auto& message : request.messages) size += message.content.size() + 48;
  std::string out;
  out.reserve(size);
  out += "<|begin_of_text|>";
  if (request.system && !request.system->empty()) append_turn(out, "system", *request.system);
  for (const auto& message : request.messages) append_turn(out, role_name(message.role), message.content);
  out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
  return out;
}

}  // namespace llamachat::backends::bedrock
