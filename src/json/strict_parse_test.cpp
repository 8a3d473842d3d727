#include "json/strict_parse.hpp"

#include <gtest/gtest.h>

#include <boost/json/monotonic_resource.hpp>
#include <string>

namespace llamachat::json_input {
namespace {

TEST(StrictParse, ParsesAnObjectWithDistinctNames) {
  const ParseOutcome out = parse_request_json(R"({"message":"hi","stream":true,"nested":{"message":1}})");
  ASSERT_EQ(out.failure, ParseFailure::none) << out.detail;
  EXPECT_EQ(out.value.at("message").as_string(), "hi");
  EXPECT_EQ(out.value.at("nested").at("message").as_int64(), 1);
}

TEST(StrictParse, RefusesARepeatedName) {
  const ParseOutcome out = parse_request_json(R"({"message":"a","message":"b"})");
  EXPECT_EQ(out.failure, ParseFailure::duplicate_key);
  EXPECT_EQ(out.detail, "message");
  EXPECT_TRUE(out.value.is_null());
}

TEST(StrictParse, ComparesNamesAfterUnescaping) {
  const ParseOutcome out = parse_request_json(R"({"a":1,"\u0061":2})");
  EXPECT_EQ(out.failure, ParseFailure::duplicate_key);
  EXPECT_EQ(out.detail, "a");
}

TEST(StrictParse, RefusesARepeatedEmptyNameAndOneInANestedObject) {
  EXPECT_EQ(parse_request_json(R"({"":1,"":2})").failure, ParseFailure::duplicate_key);
  const ParseOutcome nested = parse_request_json(R"({"m":[{"x":1},{"y":1,"z":2,"y":3}]})");
  EXPECT_EQ(nested.failure, ParseFailure::duplicate_key);
  EXPECT_EQ(nested.detail, "y");
}

TEST(StrictParse, TheSameNameInSiblingOrEnclosingObjectsIsFine) {
  const ParseOutcome out = parse_request_json(R"({"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}],"c":{"b":1}})");
  EXPECT_EQ(out.failure, ParseFailure::none) << out.detail;
}

TEST(StrictParse, ManyMembersWithOneRepeatAtTheEnd) {
  std::string body = "{";
  for (int i = 0; i < 20000; ++i) body += "\"k" + std::to_string(i) + "\":0,";
  body += "\"k7\":1}";
  const ParseOutcome out = parse_request_json(body);
  EXPECT_EQ(out.failure, ParseFailure::duplicate_key);
  EXPECT_EQ(out.detail, "k7");
}

TEST(StrictParse, RefusesNestingDeeperThanTheLimit) {
  const std::string ok = std::string(kMaxRequestDepth, '[') + std::string(kMaxRequestDepth, ']');
  EXPECT_EQ(parse_request_json(ok).failure, ParseFailure::none);
  const std::string deep = std::string(kMaxRequestDepth + 1, '[') + std::string(kMaxRequestDepth + 1, ']');
  EXPECT_EQ(parse_request_json(deep).failure, ParseFailure::too_deep);
  EXPECT_EQ(parse_request_json(std::string(100000, '[')).failure, ParseFailure::too_deep);
}

TEST(StrictParse, RefusesSyntaxErrorsTrailingDataAndInvalidUtf8) {
  EXPECT_EQ(parse_request_json("{").failure, ParseFailure::syntax);
  EXPECT_EQ(parse_request_json("{} {}").failure, ParseFailure::syntax);
  EXPECT_EQ(parse_request_json("").failure, ParseFailure::syntax);
  EXPECT_EQ(parse_request_json("{\"m\":\"\xff\"}").failure, ParseFailure::syntax);
}

TEST(StrictParse, HugeNumbersParseAsNumbers) {
  const ParseOutcome big = parse_request_json(R"({"n":123456789012345678901234567890})");
  ASSERT_EQ(big.failure, ParseFailure::none);
  EXPECT_TRUE(big.value.at("n").is_double());
}

// The value lives in the storage the caller gave (a stack buffer for /chat), not in a copy on the heap.
TEST(StrictParse, TheValueUsesTheGivenStorage) {
  unsigned char buffer[1024];
  boost::json::monotonic_resource resource(buffer, sizeof buffer);
  const boost::json::storage_ptr storage(&resource);
  const ParseOutcome out =
      parse_request_json(R"({"message":"a message longer than a small string","n":[1,2]})", storage);
  ASSERT_EQ(out.failure, ParseFailure::none) << out.detail;
  EXPECT_EQ(out.value.storage().get(), storage.get());
  EXPECT_EQ(out.value.at("message").as_string().storage().get(), storage.get());
  EXPECT_EQ(out.value.at("n").as_array().storage().get(), storage.get());
  const char* text = out.value.at("message").as_string().data();
  const auto* bytes = reinterpret_cast<const unsigned char*>(text);
  EXPECT_TRUE(bytes >= buffer && bytes < buffer + sizeof buffer) << "the string was copied out of the buffer";
}

}  // namespace
}  // namespace llamachat::json_input
