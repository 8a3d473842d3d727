#include "observe/request_id.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <set>
#include <string>

namespace llamachat::observe {
namespace {

TEST(RequestId, KeepsShortSafeIds) {
  EXPECT_TRUE(acceptable_request_id("a"));
  EXPECT_TRUE(acceptable_request_id("3f2b8c1e-9d4a-4f6b-8e2a-1c7d9b0a5e34"));
  EXPECT_TRUE(acceptable_request_id("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
  std::string id = "previous";
  assign_request_id(id, "trace_01.A:b-c");
  EXPECT_EQ(id, "trace_01.A:b-c");
  EXPECT_TRUE(acceptable_request_id(std::string(64, 'x')));
}

TEST(RequestId, RefusesEmptyLongOrUnsafeIds) {
  EXPECT_FALSE(acceptable_request_id(""));
  EXPECT_FALSE(acceptable_request_id(std::string(65, 'x')));
  for (const std::string& bad : std::initializer_list<std::string>{
           "a b", "a\r\nSet-Cookie: x", "a\"b", "a\\b", "<script>", "caf\xc3\xa9", "a/b", std::string("a\0b", 3)})
    EXPECT_FALSE(acceptable_request_id(bad)) << bad;
}

TEST(RequestId, ReplacesARefusedIdWithAGeneratedOne) {
  std::string id = "an earlier request's id";
  assign_request_id(id, "bad id");
  EXPECT_EQ(id.size(), 16u);
  EXPECT_TRUE(acceptable_request_id(id));
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(RequestId, AnIdReusesTheStringsCapacity) {
  std::string id;
  assign_request_id(id, {});
  const char* storage = id.data();
  for (int i = 0; i < 10; ++i) {
    const std::string before = id;
    assign_request_id(id, i % 2 == 0 ? std::string_view() : std::string_view("bad id"));
    EXPECT_NE(id, before);
    EXPECT_EQ(id.data(), storage) << "the id moved to new memory";
  }
}

TEST(RequestId, GeneratedIdsDiffer) {
  std::set<std::string> ids;
  std::string id;
  for (int i = 0; i < 1000; ++i) {
    assign_request_id(id, {});
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 1000u);
}

}  // namespace
}  // namespace llamachat::observe
