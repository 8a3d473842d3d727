#include "app/malloc_tuning.hpp"

#include <gtest/gtest.h>

namespace llamachat::app {
namespace {

TEST(MallocTuning, AddsTheTcacheSizeWhenNothingIsSet) {
  EXPECT_EQ(tunables_with_tcache(std::nullopt), "glibc.malloc.tcache_count=64");
  EXPECT_EQ(tunables_with_tcache(""), "glibc.malloc.tcache_count=64");
}

TEST(MallocTuning, KeepsTheOperatorsOtherTunables) {
  EXPECT_EQ(tunables_with_tcache("glibc.malloc.arena_max=2"), "glibc.malloc.arena_max=2:glibc.malloc.tcache_count=64");
}

TEST(MallocTuning, TheOperatorsTcacheSizeWins) {
  EXPECT_EQ(tunables_with_tcache("glibc.malloc.tcache_count=7"), std::nullopt);
  EXPECT_EQ(tunables_with_tcache("glibc.malloc.arena_max=2:glibc.malloc.tcache_count=0"), std::nullopt);
}

TEST(MallocTuning, FlagThenVariableDecideWhetherToTune) {
  char prog[] = "llamachat", flag[] = "--malloc-tuning", off[] = "off", on[] = "on", eq_off[] = "--malloc-tuning=off",
       port[] = "--port", zero[] = "0";
  char* none[] = {prog, port, zero, nullptr};
  char* spaced_off[] = {prog, flag, off, nullptr};
  char* spaced_on[] = {prog, flag, on, nullptr};
  char* joined_off[] = {prog, eq_off, nullptr};
  EXPECT_TRUE(malloc_tuning_wanted(none, nullptr));
  EXPECT_FALSE(malloc_tuning_wanted(none, "off"));
  EXPECT_TRUE(malloc_tuning_wanted(none, "on"));
  EXPECT_FALSE(malloc_tuning_wanted(spaced_off, nullptr));
  EXPECT_FALSE(malloc_tuning_wanted(joined_off, "on"));
  EXPECT_TRUE(malloc_tuning_wanted(spaced_on, "off"));
}

}  // namespace
}  // namespace llamachat::app
