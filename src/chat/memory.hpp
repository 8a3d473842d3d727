#pragma once
// What the user told us about themselves, read again from every request's user turns (stateless), so
// that it reaches the model in the system prompt even when the turns that stated it were trimmed.
// Two facts, as the original design's memory had: the user's name ("my name is Alice") and favourite
// colour ("my favorite color is blue").
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chat/types.hpp"

namespace llamachat::chat {

struct UserFacts {
  std::optional<std::string> name;            // title-cased when typed all in one case: "alice" -> "Alice"
  std::optional<std::string> favorite_color;  // lower-cased: "Blue" -> "blue"
  bool empty() const noexcept { return !name && !favorite_color; }
};

// Updates `facts` with every statement in `text`, in order, so a later statement wins. Matches
// "my name is X" / "my name's X" and "my favorite color is X" (also "favourite", "colour") anywhere in
// the text, in any letter case and spacing; X is the next word (letters of any script, digits, and
// inner ' - ’), without the punctuation around it.
void read_user_facts(std::string_view text, UserFacts& facts);

// The facts stated in the user turns of `messages`, oldest first.
UserFacts user_facts(const std::vector<Message>& messages);

// The original's words: "You are talking to Alice. The user likes blue." (empty without facts).
std::string facts_prompt(const UserFacts& facts);

// The facts that facts_prompt's sentences state in `system_prompt` (for backends that answer from the
// prompt alone, like the offline one).
UserFacts facts_in_prompt(std::string_view system_prompt);

}  // namespace llamachat::chat
