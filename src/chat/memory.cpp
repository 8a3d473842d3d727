#include "chat/memory.hpp"

#include <initializer_list>

namespace llamachat::chat {
namespace {

constexpr std::size_t npos = std::string_view::npos;
// Longer is not a name or a colour but a sentence without spaces; it would only bloat the prompt.
constexpr std::size_t kMaxFactBytes = 64;

struct CodePoint {
  char32_t value = 0;
  std::size_t length = 0;  // bytes; 0 at the end of the text
};

// Invalid UTF-8 reads as one U+FFFD per byte, which no rule below treats as a letter.
CodePoint decode(std::string_view s, std::size_t i) noexcept {
  if (i >= s.size()) return {};
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) return {b0, 1};
  const std::size_t length = b0 >= 0xF0 && b0 < 0xF5 ? 4 : b0 >= 0xE0 ? 3 : b0 >= 0xC2 && b0 < 0xE0 ? 2 : 0;
  if (length == 0 || i + length > s.size()) return {0xFFFD, 1};
  char32_t value = length == 2 ? (b0 & 0x1F) : length == 3 ? (b0 & 0x0F) : (b0 & 0x07);
  for (std::size_t k = 1; k < length; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return {0xFFFD, 1};
    value = (value << 6) | (b & 0x3F);
  }
  return {value, length};
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

bool in(char32_t c, char32_t first, char32_t last) noexcept { return c >= first && c <= last; }

bool is_ascii_alnum(char32_t c) noexcept { return in(c, 'a', 'z') || in(c, 'A', 'Z') || in(c, '0', '9'); }

bool is_space(char32_t c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' || c == 0xA0 ||
         in(c, 0x2000, 0x200B) || c == 0x202F || c == 0x205F || c == 0x3000;
}

// Letters and digits of any script, and combining marks; not spaces, punctuation, symbols or emoji.
bool is_word_char(char32_t c) noexcept {
  if (c < 0x80) return is_ascii_alnum(c);
  return !(in(c, 0x80, 0xBF) || c == 0xD7 || c == 0xF7 || in(c, 0x2000, 0x2BFF) || in(c, 0x3000, 0x303F) ||
           in(c, 0xE000, 0xF8FF) || in(c, 0xFE30, 0xFE4F) || in(c, 0xFF00, 0xFF0F) || in(c, 0xFF1A, 0xFF20) ||
           in(c, 0xFF3B, 0xFF40) || in(c, 0xFF5B, 0xFF65) || in(c, 0xFFF0, 0xFFFF) || in(c, 0x1F000, 0x1FAFF));
}

// Joins two parts of one word: O'Brien, Jean-Luc, D’Angelo.
bool is_connector(char32_t c) noexcept { return c == '\'' || c == '-' || c == 0x2019 || c == 0x2010; }

// Simple case mapping for the scripts whose names we title-case: ASCII, Latin-1, Latin Extended-A,
// Greek and Cyrillic. Other characters (CJK, ...) have no case and map to themselves.
char32_t to_upper(char32_t c) noexcept {
  if (in(c, 'a', 'z')) return c - 32;
  if ((in(c, 0xE0, 0xFE) && c != 0xF7)) return c - 32;
  if (c == 0xFF) return 0x178;
  if (in(c, 0x100, 0x137) || in(c, 0x14A, 0x177)) return (c & 1) ? c - 1 : c;
  if (in(c, 0x139, 0x148) || in(c, 0x179, 0x17E)) return (c & 1) ? c : c - 1;
  if (in(c, 0x3B1, 0x3C9) && c != 0x3C2) return c - 32;
  if (c == 0x3C2) return 0x3A3;  // final sigma
  if (in(c, 0x430, 0x44F)) return c - 32;
  if (in(c, 0x450, 0x45F)) return c - 80;
  return c;
}

char32_t to_lower(char32_t c) noexcept {
  if (in(c, 'A', 'Z')) return c + 32;
  if ((in(c, 0xC0, 0xDE) && c != 0xD7)) return c + 32;
  if (c == 0x178) return 0xFF;
  if (in(c, 0x100, 0x137) || in(c, 0x14A, 0x177)) return (c & 1) ? c : c + 1;
  if (in(c, 0x139, 0x148) || in(c, 0x179, 0x17E)) return (c & 1) ? c + 1 : c;
  if (in(c, 0x391, 0x3A9) && c != 0x3A2) return c + 32;
  if (in(c, 0x410, 0x42F)) return c + 32;
  if (in(c, 0x400, 0x40F)) return c + 80;
  return c;
}

bool is_upper(char32_t c) noexcept { return to_lower(c) != c; }
bool is_lower(char32_t c) noexcept { return to_upper(c) != c; }

char32_t ascii_lower(char32_t c) noexcept { return in(c, 'A', 'Z') ? c + 32 : c; }

// After `word` (ASCII, any letter case) at `pos`, or npos.
std::size_t match_word(std::string_view text, std::size_t pos, std::string_view word) noexcept {
  if (pos == npos || text.size() - pos < word.size()) return npos;
  for (std::size_t k = 0; k < word.size(); ++k)
    if (ascii_lower(static_cast<unsigned char>(text[pos + k])) != static_cast<unsigned char>(word[k])) return npos;
  return pos + word.size();
}

std::size_t match_any(std::string_view text, std::size_t pos, std::initializer_list<std::string_view> words) noexcept {
  for (const auto word : words)
    if (const std::size_t end = match_word(text, pos, word); end != npos) return end;
  return npos;
}

// After one or more spaces at `pos`, or npos when there is none.
std::size_t match_spaces(std::string_view text, std::size_t pos) noexcept {
  if (pos == npos) return npos;
  std::size_t end = pos;
  for (CodePoint c = decode(text, end); c.length != 0 && is_space(c.value); c = decode(text, end)) end += c.length;
  return end == pos ? npos : end;
}

bool word_ends_at(std::string_view text, std::size_t pos) noexcept {
  return pos != npos && (pos == text.size() || !is_word_char(decode(text, pos).value));
}

// After "is" / "'s" that closes a phrase ("my name is", "my name's"), and any ":" and spaces after it.
std::size_t match_is(std::string_view text, std::size_t pos) noexcept {
  std::size_t after = npos;
  if (const std::size_t spaced = match_spaces(text, pos); spaced != npos) after = match_word(text, spaced, "is");
  if (after == npos) after = match_any(text, pos, {"'s", "\xE2\x80\x99s"});
  if (!word_ends_at(text, after)) return npos;
  if (after < text.size() && text[after] == ':') ++after;
  const std::size_t spaced = match_spaces(text, after);
  return spaced == npos ? npos : spaced;
}

std::size_t match_name_phrase(std::string_view text, std::size_t pos) noexcept {
  std::size_t p = match_spaces(text, match_word(text, pos, "my"));
  p = match_word(text, p, "name");
  return p == npos ? npos : match_is(text, p);
}

std::size_t match_color_phrase(std::string_view text, std::size_t pos) noexcept {
  std::size_t p = match_spaces(text, match_word(text, pos, "my"));
  p = match_spaces(text, match_any(text, p, {"favorite", "favourite"}));
  p = match_any(text, p, {"color", "colour"});
  return p == npos ? npos : match_is(text, p);
}

// The word at `pos` as code points: word characters joined by single inner connectors.
std::u32string read_word(std::string_view text, std::size_t pos) {
  std::u32string word;
  std::size_t bytes = 0;
  for (CodePoint c = decode(text, pos); c.length != 0; c = decode(text, pos)) {
    if (is_word_char(c.value)) {
      word += c.value;
    } else if (is_connector(c.value) && !word.empty() && is_word_char(decode(text, pos + c.length).value)) {
      word += c.value;
    } else {
      break;
    }
    pos += c.length;
    bytes += c.length;
    if (bytes > kMaxFactBytes) return {};
  }
  return word;
}

std::string utf8(const std::u32string& word) {
  std::string out;
  out.reserve(word.size() * 2);
  for (const char32_t c : word) append_utf8(out, c);
  return out;
}

// "alice" and "ALICE" -> "Alice", "jean-luc" -> "Jean-Luc"; a name typed in mixed case ("McDonald")
// keeps it, with its first letter upper-cased.
std::string name_case(std::u32string word) {
  bool has_upper = false, has_lower = false;
  for (const char32_t c : word) {
    has_upper = has_upper || is_upper(c);
    has_lower = has_lower || is_lower(c);
  }
  const bool title = !(has_upper && has_lower);
  bool part_start = true;
  for (char32_t& c : word) {
    if (is_connector(c)) {
      part_start = true;
      continue;
    }
    if (part_start) {
      c = to_upper(c);
      part_start = false;
    } else if (title) {
      c = to_lower(c);
    }
  }
  return utf8(word);
}

std::string lower_case(std::u32string word) {
  for (char32_t& c : word) c = to_lower(c);
  return utf8(word);
}

}  // namespace

void read_user_facts(std::string_view text, UserFacts& facts) {
  for (std::size_t pos = 0; pos < text.size(); ++pos) {
    const char c = text[pos];
    if (c != 'm' && c != 'M') continue;
    if (pos > 0) {
      const auto before = static_cast<unsigned char>(text[pos - 1]);
      if (before < 0x80 && (is_ascii_alnum(before) || before == '\'')) continue;  // "summy name", "I'm"
    }
    if (const std::size_t at = match_name_phrase(text, pos); at != npos) {
      std::u32string word = read_word(text, at);
      if (!word.empty()) facts.name = name_case(std::move(word));
    } else if (const std::size_t at = match_color_phrase(text, pos); at != npos) {
      std::u32string word = read_word(text, at);
      if (!word.empty()) facts.favorite_color = lower_case(std::move(word));
    }
  }
}

UserFacts user_facts(const std::vector<Message>& messages) {
  UserFacts facts;
  for (const auto& message : messages)
    if (message.role == Role::user) read_user_facts(message.content, facts);
  return facts;
}

namespace {
constexpr std::string_view kNameSentence = "You are talking to ";
constexpr std::string_view kColorSentence = "The user likes ";

// The fact after the last `sentence` in `prompt`, up to its full stop.
std::optional<std::string> fact_after(std::string_view prompt, std::string_view sentence) {
  const std::size_t at = prompt.rfind(sentence);
  if (at == npos) return std::nullopt;
  const std::size_t begin = at + sentence.size();
  const std::size_t end = prompt.find('.', begin);  // facts are words: they hold no full stop
  if (end == npos || end == begin) return std::nullopt;
  return std::string(prompt.substr(begin, end - begin));
}
}  // namespace

std::string facts_prompt(const UserFacts& facts) {
  std::string out;
  if (facts.name) out.append(kNameSentence).append(*facts.name).append(".");
  if (facts.favorite_color) {
    if (!out.empty()) out += ' ';
    out.append(kColorSentence).append(*facts.favorite_color).append(".");
  }
  return out;
}

UserFacts facts_in_prompt(std::string_view system_prompt) {
  return UserFacts{fact_after(system_prompt, kNameSentence), fact_after(system_prompt, kColorSentence)};
}

}  // namespace llamachat::chat
