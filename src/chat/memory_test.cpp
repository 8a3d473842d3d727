#include "chat/memory.hpp"

#include <gtest/gtest.h>

namespace llamachat::chat {
namespace {

UserFacts read(std::string_view text) {
  UserFacts facts;
  read_user_facts(text, facts);
  return facts;
}

struct Case {
  std::string text;
  std::optional<std::string> expected;
};

void expect_names(const std::vector<Case>& cases) {
  for (const auto& c : cases) EXPECT_EQ(read(c.text).name, c.expected) << c.text;
}

void expect_colors(const std::vector<Case>& cases) {
  for (const auto& c : cases) EXPECT_EQ(read(c.text).favorite_color, c.expected) << c.text;
}

// The original design's rules: "my name is" at the start, the next word title-cased; "my favorite
// color is" anywhere, the next word lower-cased; the prompt sentence.
TEST(Memory, OriginalCases) {
  expect_names({
      {"My name is alice", "Alice"},
      {"my name is Bob and I like tea", "Bob"},
  });
  expect_colors({
      {"my favorite color is Blue", "blue"},
      {"I think my favorite color is GREEN today", "green"},
  });
  EXPECT_EQ(read("hello there").name, std::nullopt);
  EXPECT_EQ(read("hello there").favorite_color, std::nullopt);
  EXPECT_EQ(facts_prompt(UserFacts{"Alice", "blue"}), "You are talking to Alice. The user likes blue.");
  EXPECT_EQ(facts_prompt(UserFacts{"Alice", std::nullopt}), "You are talking to Alice.");
  EXPECT_EQ(facts_prompt(UserFacts{std::nullopt, "blue"}), "The user likes blue.");
  EXPECT_EQ(facts_prompt(UserFacts{}), "");
}

TEST(Memory, Punctuation) {
  expect_names({
      {"My name is Alice.", "Alice"},
      {"My name is Alice, nice to meet you!", "Alice"},
      {"my name is: Alice", "Alice"},
      {"\"My name is Alice\"", "Alice"},
      {"(my name is alice)", "Alice"},
      {"My name's Alice!", "Alice"},
      {"My name\xE2\x80\x99s Alice", "Alice"},  // typographic apostrophe
      {"My name is ...", std::nullopt},
      {"My name is", std::nullopt},
  });
  expect_colors({
      {"My favorite color is blue!", "blue"},
      {"my favourite colour is Red...", "red"},
      {"My favorite color is blue-green.", "blue-green"},
  });
}

TEST(Memory, CaseAndSpacing) {
  expect_names({
      {"MY NAME IS ALICE", "Alice"},
      {"mY nAmE iS alice", "Alice"},
      {"my   name\tis \n alice", "Alice"},
      {"my name is McDonald", "McDonald"},  // mixed case is kept
      {"my name is o'brien", "O'Brien"},
      {"my name is jean-luc picard", "Jean-Luc"},
  });
  expect_colors({
      {"MY FAVORITE COLOR IS BLUE", "blue"},
  });
}

TEST(Memory, UnicodeNames) {
  expect_names({
      {"my name is zoë", "Zoë"},
      {"My name is José.", "José"},
      {"my name is łukasz", "Łukasz"},
      {"MY NAME IS ŁUKASZ", "Łukasz"},
      {"my name is søren, hi", "Søren"},
      {"my name is дмитрий", "Дмитрий"},
      {"My name is 山田太郎。よろしく", "山田太郎"},
      {"My name is 王伟，你好", "王伟"},
      {"my name is Zoe\xCC\x88!", "Zoe\xCC\x88"},  // combining diaeresis stays in the name
      {"my name is 😀", std::nullopt},
  });
  expect_colors({
      {"my favorite color is Türkis", "türkis"},
  });
}

TEST(Memory, MidSentence) {
  expect_names({
      {"hi there, my name is Alice and I like tea", "Alice"},
      {"Hello! My name is Bob.", "Bob"},
  });
  const UserFacts both = read("Hi, my name is alice and my favorite color is Purple.");
  EXPECT_EQ(both.name, "Alice");
  EXPECT_EQ(both.favorite_color, "purple");
}

TEST(Memory, NotAStatement) {
  expect_names({
      {"summy name is x", std::nullopt},
      {"my name isn't important", std::nullopt},
      {"my nameless friend is Bob", std::nullopt},
      {"what is my name?", std::nullopt},
      {"my name is " + std::string(80, 'a'), std::nullopt},  // not a name
  });
}

TEST(Memory, ALaterStatementWins) {
  EXPECT_EQ(read("my name is Alice. Sorry, typo: my name is Alicia").name, "Alicia");
  const std::vector<Message> messages{{Role::user, "My name is Alice, my favorite color is blue"},
                                      {Role::assistant, "Hi Alice! My name is Llama."},
                                      {Role::user, "Actually, my name is Bob."}};
  const UserFacts facts = user_facts(messages);
  EXPECT_EQ(facts.name, "Bob");
  EXPECT_EQ(facts.favorite_color, "blue");
}

TEST(Memory, OnlyUserTurnsCount) {
  const std::vector<Message> messages{{Role::system, "my name is System"},
                                      {Role::assistant, "my name is Llama, my favorite color is red"},
                                      {Role::user, "hello"}};
  EXPECT_TRUE(user_facts(messages).empty());
}

TEST(Memory, FactsReadBackFromThePrompt) {
  const UserFacts facts{"Zoë", "blue-green"};
  const UserFacts back = facts_in_prompt("Be brief.\n\n" + facts_prompt(facts));
  EXPECT_EQ(back.name, "Zoë");
  EXPECT_EQ(back.favorite_color, "blue-green");
  EXPECT_TRUE(facts_in_prompt("Be brief.").empty());
  EXPECT_EQ(facts_in_prompt("The user likes tea.").name, std::nullopt);
}

}  // namespace
}  // namespace llamachat::chat
