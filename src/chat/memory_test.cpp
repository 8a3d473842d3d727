#include "chat/memory.hpp"

#include <gtest/gtest.h>

namespace llamachat::chat {
namespace {

UserFacts read(std::string_view text) {
  UserFacts facts;
  read_user_facts(text, facts);
  return facts;
}

std::optional<std::string> name_in(std::string_view text) { return read(text).name; }
std::optional<std::string> color_in(std::string_view text) { return read(text).favorite_color; }

// The original design's rules: "my name is" at the start, the next word title-cased; "my favorite
// color is" anywhere, the next word lower-cased; the prompt sentence.
TEST(Memory, OriginalCases) {
  EXPECT_EQ(name_in("My name is alice"), "Alice");
  EXPECT_EQ(name_in("my name is Bob and I like tea"), "Bob");
  EXPECT_EQ(color_in("my favorite color is Blue"), "blue");
  EXPECT_EQ(color_in("I think my favorite color is GREEN today"), "green");
  EXPECT_EQ(read("hello there").name, std::nullopt);
  EXPECT_EQ(read("hello there").favorite_color, std::nullopt);
  EXPECT_EQ(facts_prompt(UserFacts{"Alice", "blue"}), "You are talking to Alice. The user likes blue.");
  EXPECT_EQ(facts_prompt(UserFacts{"Alice", std::nullopt}), "You are talking to Alice.");
  EXPECT_EQ(facts_prompt(UserFacts{std::nullopt, "blue"}), "The user likes blue.");
  EXPECT_EQ(facts_prompt(UserFacts{}), "");
}

TEST(Memory, Punctuation) {
  EXPECT_EQ(name_in("My name is Alice."), "Alice");
  EXPECT_EQ(name_in("My name is Alice, nice to meet you!"), "Alice");
  EXPECT_EQ(name_in("my name is: Alice"), "Alice");
  EXPECT_EQ(name_in("\"My name is Alice\""), "Alice");
  EXPECT_EQ(name_in("(my name is alice)"), "Alice");
  EXPECT_EQ(name_in("My name's Alice!"), "Alice");
  EXPECT_EQ(name_in("My name\xE2\x80\x99s Alice"), "Alice");  // typographic apostrophe
  EXPECT_EQ(color_in("My favorite color is blue!"), "blue");
  EXPECT_EQ(color_in("my favourite colour is Red..."), "red");
  EXPECT_EQ(color_in("My favorite color is blue-green."), "blue-green");
  EXPECT_EQ(name_in("My name is ..."), std::nullopt);
  EXPECT_EQ(name_in("My name is"), std::nullopt);
}

TEST(Memory, CaseAndSpacing) {
  EXPECT_EQ(name_in("MY NAME IS ALICE"), "Alice");
  EXPECT_EQ(name_in("mY nAmE iS alice"), "Alice");
  EXPECT_EQ(name_in("my   name\tis \n alice"), "Alice");
  EXPECT_EQ(name_in("my name is McDonald"), "McDonald");  // mixed case is kept
  EXPECT_EQ(name_in("my name is o'brien"), "O'Brien");
  EXPECT_EQ(name_in("my name is jean-luc picard"), "Jean-Luc");
  EXPECT_EQ(color_in("MY FAVORITE COLOR IS BLUE"), "blue");
}

TEST(Memory, UnicodeNames) {
  EXPECT_EQ(name_in("my name is zoë"), "Zoë");
  EXPECT_EQ(name_in("My name is José."), "José");
  EXPECT_EQ(name_in("my name is łukasz"), "Łukasz");
  EXPECT_EQ(name_in("MY NAME IS ŁUKASZ"), "Łukasz");
  EXPECT_EQ(name_in("my name is søren, hi"), "Søren");
  EXPECT_EQ(name_in("my name is дмитрий"), "Дмитрий");
  EXPECT_EQ(name_in("My name is 山田太郎。よろしく"), "山田太郎");
  EXPECT_EQ(name_in("My name is 王伟，你好"), "王伟");
  EXPECT_EQ(name_in("my name is Zoe\xCC\x88!"), "Zoe\xCC\x88");  // combining diaeresis stays in the name
  EXPECT_EQ(name_in("my name is 😀"), std::nullopt);
  EXPECT_EQ(color_in("my favorite color is Türkis"), "türkis");
}

TEST(Memory, MidSentence) {
  EXPECT_EQ(name_in("hi there, my name is Alice and I like tea"), "Alice");
  EXPECT_EQ(name_in("Hello! My name is Bob."), "Bob");
  const UserFacts both = read("Hi, my name is alice and my favorite color is Purple.");
  EXPECT_EQ(both.name, "Alice");
  EXPECT_EQ(both.favorite_color, "purple");
}

TEST(Memory, NotAStatement) {
  EXPECT_EQ(name_in("summy name is x"), std::nullopt);
  EXPECT_EQ(name_in("my name isn't important"), std::nullopt);
  EXPECT_EQ(name_in("my nameless friend is Bob"), std::nullopt);
  EXPECT_EQ(name_in("what is my name?"), std::nullopt);
  EXPECT_EQ(name_in("my name is " + std::string(80, 'a')), std::nullopt);  // not a name
}

TEST(Memory, ALaterStatementWins) {
  EXPECT_EQ(name_in("my name is Alice. Sorry, typo: my name is Alicia"), "Alicia");
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
