#include "aws/event_stream/encoder.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

#include "aws/event_stream/decode_testing.hpp"
#include "aws/event_stream/format.hpp"
#include "util/crypto.hpp"

namespace llamachat::aws::event_stream {
namespace {

using testing::decode_whole;

std::uint32_t u32_at(const std::string& bytes, std::size_t offset) {
  const auto b = [&](std::size_t i) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[offset + i]));
  };
  return (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
}

Message round_trip(const Message& message) {
  const auto outcome = decode_whole(encode(message));
  EXPECT_FALSE(outcome.error) << outcome.error.message();
  return outcome.messages.size() == 1 ? outcome.messages[0] : Message{};
}

TEST(Encoder, WritesLengthsAndCrcsOfTheFormat) {
  // One string header "ab" = "cd": 1 + 2 + 1 + 2 + 2 = 8 header bytes; payload 3 bytes.
  const std::string bytes = encode(Message{{{"ab", std::string("cd")}}, "xyz"});
  ASSERT_EQ(bytes.size(), 16u + 8u + 3u);
  EXPECT_EQ(u32_at(bytes, kTotalLengthOffset), bytes.size());
  EXPECT_EQ(u32_at(bytes, kHeadersLengthOffset), 8u);
  EXPECT_EQ(u32_at(bytes, kPreludeCrcOffset), util::crc32(std::string_view(bytes).substr(0, 8)));
  EXPECT_EQ(u32_at(bytes, bytes.size() - 4), util::crc32(std::string_view(bytes).substr(0, bytes.size() - 4)));
  // clang-format off
  EXPECT_EQ(bytes.substr(12, 8), std::string("\x02" "ab" "\x07" "\x00\x02" "cd", 8));
  // clang-format on
  EXPECT_EQ(bytes.substr(20, 3), "xyz");
}

TEST(Encoder, RoundTripsBoundaryValuesOfEveryType) {
  const Message message{{{"bool true", true},
                         {"bool false", false},
                         {"i8 min", std::int8_t{std::numeric_limits<std::int8_t>::min()}},
                         {"i8 max", std::int8_t{std::numeric_limits<std::int8_t>::max()}},
                         {"i16 min", std::int16_t{std::numeric_limits<std::int16_t>::min()}},
                         {"i32 max", std::int32_t{std::numeric_limits<std::int32_t>::max()}},
                         {"i64 min", std::int64_t{std::numeric_limits<std::int64_t>::min()}},
                         {"empty bytes", ByteArray{}},
                         {"empty string", std::string()},
                         {"long string", std::string(kMaxHeaderValueBytes, 'z')},
                         {std::string(kMaxHeaderNameBytes, 'n'), std::string("long name")},
                         {"ts", Timestamp{std::numeric_limits<std::int64_t>::min()}},
                         {"uuid", Uuid{{0xff, 0, 0xff, 0, 0xff, 0, 0xff, 0, 0xff, 0, 0xff, 0, 0xff, 0, 0xff, 0}}}},
                        std::string(70000, '\xab')};
  EXPECT_EQ(round_trip(message), message);
}

TEST(Encoder, EncodeToAppends) {
  std::string out = "prefix";
  encode_to(Message{}, out);
  EXPECT_EQ(out.substr(0, 6), "prefix");
  EXPECT_EQ(out.substr(6), encode(Message{}));
}

TEST(Encoder, EmptyMessageIsSixteenBytes) {
  const std::string bytes = encode(Message{});
  EXPECT_EQ(bytes.size(), kMinMessageBytes);
  EXPECT_EQ(u32_at(bytes, 0), 16u);
  EXPECT_EQ(u32_at(bytes, 4), 0u);
}

TEST(EncoderValidate, AcceptsEncodableMessages) {
  EXPECT_FALSE(validate(Message{}));
  EXPECT_FALSE(validate(Message{{{"a", true}, {"b", std::string(kMaxHeaderValueBytes, 'x')}}, "p"}));
}

TEST(EncoderValidate, RejectsWhatTheDecoderWouldReject) {
  EXPECT_EQ(validate(Message{{{"", true}}, ""}), errc::header_name_empty);
  EXPECT_EQ(validate(Message{{{std::string(256, 'n'), true}}, ""}), errc::header_name_too_long);
  EXPECT_EQ(validate(Message{{{"s", std::string(kMaxHeaderValueBytes + 1, 'x')}}, ""}), errc::header_value_too_long);
  EXPECT_EQ(validate(Message{{{"b", ByteArray(kMaxHeaderValueBytes + 1)}}, ""}), errc::header_value_too_long);
  EXPECT_EQ(validate(Message{{{"a", true}, {"a", false}}, ""}), errc::duplicate_header);
  EXPECT_EQ(validate(Message{{}, std::string(kMaxPayloadBytes + 1, 'p')}), errc::payload_length_exceeds_limit);
  Message many;
  for (std::size_t i = 0; i <= kMaxHeaderCount; ++i) many.headers.push_back({"h" + std::to_string(i), true});
  EXPECT_EQ(validate(many), errc::too_many_headers);
  Message big_headers;
  for (int i = 0; i < 5; ++i) big_headers.headers.push_back({"h" + std::to_string(i), std::string(30000, 'x')});
  EXPECT_EQ(validate(big_headers), errc::headers_length_exceeds_limit);
}

TEST(Message, FindsHeadersByExactName) {
  const Message message{{{":event-type", std::string("chunk")}, {"n", std::int32_t{7}}}, ""};
  ASSERT_NE(message.find("n"), nullptr);
  EXPECT_EQ(message.find("n")->value, HeaderValue(std::int32_t{7}));
  EXPECT_EQ(message.find(":Event-Type"), nullptr);
  EXPECT_EQ(message.string_header(":event-type"), "chunk");
  EXPECT_EQ(message.string_header("n"), std::nullopt);  // not a string
  EXPECT_EQ(message.string_header("missing"), std::nullopt);
}

TEST(Message, HeaderTypeFollowsTheValue) {
  EXPECT_EQ(header_type(true), HeaderType::bool_true);
  EXPECT_EQ(header_type(false), HeaderType::bool_false);
  EXPECT_EQ(header_type(std::int8_t{1}), HeaderType::byte);
  EXPECT_EQ(header_type(std::int16_t{1}), HeaderType::int16);
  EXPECT_EQ(header_type(std::int32_t{1}), HeaderType::int32);
  EXPECT_EQ(header_type(std::int64_t{1}), HeaderType::int64);
  EXPECT_EQ(header_type(ByteArray{}), HeaderType::byte_array);
  EXPECT_EQ(header_type(std::string()), HeaderType::string);
  EXPECT_EQ(header_type(Timestamp{}), HeaderType::timestamp);
  EXPECT_EQ(header_type(Uuid{}), HeaderType::uuid);
}

}  // namespace
}  // namespace llamachat::aws::event_stream
