// Decoder behaviour on frames we build ourselves (encoder + byte edits). The official vectors are exercised
// in vectors_test.cpp.
#include "aws/event_stream/decoder.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "aws/event_stream/decode_testing.hpp"
#include "aws/event_stream/encoder.hpp"
#include "util/crypto.hpp"

namespace llamachat::aws::event_stream {
namespace {

using testing::decode_whole;
using testing::DecodeOutcome;
using testing::for_each_chunking;

void put_u32_at(std::string& bytes, std::size_t offset, std::uint32_t v) {
  bytes[offset] = static_cast<char>(v >> 24);
  bytes[offset + 1] = static_cast<char>(v >> 16);
  bytes[offset + 2] = static_cast<char>(v >> 8);
  bytes[offset + 3] = static_cast<char>(v);
}

void fix_prelude_crc(std::string& frame) {
  put_u32_at(frame, kPreludeCrcOffset, util::crc32(std::string_view(frame).substr(0, kPreludeCrcOffset)));
}

void fix_message_crc(std::string& frame) {
  put_u32_at(frame, frame.size() - 4, util::crc32(std::string_view(frame).substr(0, frame.size() - 4)));
}

// A frame around a raw header block (which may be malformed), with correct lengths and CRCs.
std::string raw_frame(const std::string& header_block, const std::string& payload) {
  std::string frame(kPreludeBytes, '\0');
  put_u32_at(frame, kTotalLengthOffset, static_cast<std::uint32_t>(16 + header_block.size() + payload.size()));
  put_u32_at(frame, kHeadersLengthOffset, static_cast<std::uint32_t>(header_block.size()));
  fix_prelude_crc(frame);
  frame += header_block;
  frame += payload;
  frame.append(4, '\0');
  fix_message_crc(frame);
  return frame;
}

// A bare 12-byte prelude with a valid prelude CRC.
std::string prelude(std::uint32_t total_length, std::uint32_t headers_length) {
  std::string bytes(kPreludeBytes, '\0');
  put_u32_at(bytes, kTotalLengthOffset, total_length);
  put_u32_at(bytes, kHeadersLengthOffset, headers_length);
  fix_prelude_crc(bytes);
  return bytes;
}

Message event(std::string event_type, std::string payload) {
  return Message{{{":event-type", std::move(event_type)},
                  {":content-type", std::string("application/json")},
                  {":message-type", std::string("event")}},
                 std::move(payload)};
}

Message every_header_type() {
  return Message{{{"t", true},
                  {"f", false},
                  {"i8", std::int8_t{-128}},
                  {"i16", std::int16_t{-2}},
                  {"i32", std::int32_t{std::numeric_limits<std::int32_t>::min()}},
                  {"i64", std::int64_t{std::numeric_limits<std::int64_t>::max()}},
                  {"bytes", ByteArray{0x00, 0xff, 0x7f}},
                  {"str", std::string("value")},
                  {"ts", Timestamp{-1}},
                  {"uuid", Uuid{{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}}}},
                 std::string("payload\0with nul", 16)};
}

// Feeds `bytes` in one piece and expects `expected` after `messages_before` good messages, everywhere.
void expect_rejected(const std::string& bytes, errc expected, std::size_t messages_before = 0,
                     const Limits& limits = {}) {
  for_each_chunking(
      bytes,
      [&](const DecodeOutcome& outcome, const std::string& how) {
        EXPECT_EQ(outcome.error, make_error_code(expected)) << how << ": " << outcome.error.message();
        EXPECT_EQ(outcome.messages.size(), messages_before) << how;
      },
      limits);
}

TEST(Decoder, DecodesEveryHeaderTypeAtEverySplitPoint) {
  const Message message = every_header_type();
  const std::string bytes = encode(message);
  for_each_chunking(bytes, [&](const DecodeOutcome& outcome, const std::string& how) {
    ASSERT_FALSE(outcome.error) << how << ": " << outcome.error.message();
    ASSERT_EQ(outcome.messages.size(), 1u) << how;
    EXPECT_EQ(outcome.messages[0], message) << how;
  });
}

TEST(Decoder, DecodesBackToBackMessagesInOrder) {
  const std::vector<Message> messages = {event("chunk", R"({"bytes":"AA=="})"), Message{}, every_header_type(),
                                         Message{{}, "x"}, Message{{{"only", true}}, ""}};
  std::string bytes;
  for (const auto& m : messages) encode_to(m, bytes);
  for_each_chunking(bytes, [&](const DecodeOutcome& outcome, const std::string& how) {
    ASSERT_FALSE(outcome.error) << how << ": " << outcome.error.message();
    EXPECT_EQ(outcome.messages, messages) << how;
  });
}

TEST(Decoder, EmptyFeedsAreHarmless) {
  Decoder decoder;
  std::vector<Message> out;
  boost::system::error_code ec;
  EXPECT_EQ(decoder.feed(std::string_view(), out, ec), 0u);
  EXPECT_FALSE(ec);
  EXPECT_FALSE(decoder.in_message());
  EXPECT_FALSE(decoder.finish());
  EXPECT_TRUE(out.empty());
}

TEST(Decoder, ReportsProgressAndMessageBoundaries) {
  const std::string bytes = encode(event("chunk", "{}"));
  Decoder decoder;
  std::vector<Message> out;
  boost::system::error_code ec;
  EXPECT_EQ(decoder.feed(std::string_view(bytes).substr(0, 5), out, ec), 5u);
  EXPECT_TRUE(decoder.in_message());
  EXPECT_EQ(decoder.feed(std::string_view(bytes).substr(5), out, ec), bytes.size() - 5);
  EXPECT_FALSE(ec);
  EXPECT_FALSE(decoder.in_message());
  EXPECT_EQ(decoder.bytes_consumed(), bytes.size());
  EXPECT_EQ(out.size(), 1u);
}

TEST(Decoder, AppendsWithoutClearingTheOutputVector) {
  std::vector<Message> out = {Message{{}, "earlier"}};
  Decoder decoder;
  boost::system::error_code ec;
  decoder.feed(encode(Message{{}, "later"}), out, ec);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].payload, "earlier");
  EXPECT_EQ(out[1].payload, "later");
}

TEST(Decoder, PreludeCrcMismatch) {
  std::string bytes = encode(event("chunk", "{}"));
  bytes[kPreludeCrcOffset] ^= 0x01;
  expect_rejected(bytes, errc::prelude_crc_mismatch);
}

TEST(Decoder, PreludeCrcIsCheckedBeforeLengthsAreTrusted) {
  // A corrupted total_length must read as corruption, not as a huge or truncated message.
  std::string bytes = encode(event("chunk", "{}"));
  put_u32_at(bytes, kTotalLengthOffset, 0x7fffffff);
  expect_rejected(bytes, errc::prelude_crc_mismatch);
  put_u32_at(bytes, kTotalLengthOffset, 3);
  expect_rejected(bytes, errc::prelude_crc_mismatch);
}

TEST(Decoder, PreludeCrcMismatchNeedsOnlyThePrelude) {
  std::string bytes = encode(event("chunk", "{}"));
  bytes[1] ^= 0x40;
  Decoder decoder;
  std::vector<Message> out;
  boost::system::error_code ec;
  EXPECT_EQ(decoder.feed(std::string_view(bytes).substr(0, kPreludeBytes), out, ec), kPreludeBytes);
  EXPECT_EQ(ec, errc::prelude_crc_mismatch);
}

TEST(Decoder, MessageCrcMismatch) {
  std::string bytes = encode(event("chunk", R"({"bytes":"AA=="})"));
  bytes[bytes.size() - 6] ^= 0x20;  // inside the payload
  expect_rejected(bytes, errc::message_crc_mismatch);
}

TEST(Decoder, MessageCrcMismatchInHeaders) {
  std::string bytes = encode(event("chunk", "{}"));
  bytes[kPreludeBytes + 3] ^= 0x01;  // inside the first header name
  expect_rejected(bytes, errc::message_crc_mismatch);
}

TEST(Decoder, MessageCrcMismatchInCrcField) {
  std::string bytes = encode(Message{});
  bytes.back() ^= 0x80;
  expect_rejected(bytes, errc::message_crc_mismatch);
}

TEST(Decoder, TotalLengthBelowMinimum) {
  for (std::uint32_t total : {0u, 1u, 12u, 15u}) {
    std::string bytes = prelude(total, 0) + std::string(4, '\0');
    expect_rejected(bytes, errc::total_length_below_minimum);
  }
}

TEST(Decoder, HeadersLengthExceedsTotal) {
  std::string bytes = encode(Message{{{"a", true}}, ""});  // headers_length 3, total 19
  put_u32_at(bytes, kHeadersLengthOffset, 4);
  fix_prelude_crc(bytes);
  expect_rejected(bytes, errc::headers_length_exceeds_total);
  // The boundary: headers_length == total - 16 is a message without payload.
  EXPECT_FALSE(decode_whole(encode(Message{{{"a", true}}, ""})).error);
}

TEST(Decoder, ExceedsMaxMessageSize) {
  const auto total = static_cast<std::uint32_t>(kMaxMessageBytes + 1);
  // The whole "message" would be 25 MiB; only its prelude plus a little is supplied, and the rejection must
  // come from the prelude alone, without consuming (or needing) anything after it.
  const std::string bytes = prelude(total, 0) + std::string(100, 'x');
  Decoder decoder;
  std::vector<Message> out;
  boost::system::error_code ec;
  EXPECT_EQ(decoder.feed(std::string_view(bytes).substr(0, kPreludeBytes - 1), out, ec), kPreludeBytes - 1);
  EXPECT_FALSE(ec);
  EXPECT_EQ(decoder.feed(std::string_view(bytes).substr(kPreludeBytes - 1), out, ec), 1u);
  EXPECT_EQ(ec, errc::total_length_exceeds_limit);
  EXPECT_EQ(decoder.bytes_consumed(), kPreludeBytes);
  EXPECT_TRUE(out.empty());
  expect_rejected(bytes, errc::total_length_exceeds_limit);
  expect_rejected(prelude(0xffffffff, 0), errc::total_length_exceeds_limit);
}

TEST(Decoder, AcceptsMessageAtMaxSizeBoundary) {
  // total_length == kMaxMessageBytes passes the prelude checks (it needs both maximal headers and payload);
  // feeding just the prelude must therefore leave the decoder waiting, not failed.
  Decoder decoder;
  std::vector<Message> out;
  boost::system::error_code ec;
  decoder.feed(prelude(static_cast<std::uint32_t>(kMaxMessageBytes), kMaxHeadersBytes), out, ec);
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_TRUE(decoder.in_message());
  EXPECT_EQ(decoder.finish(), errc::truncated_at_end_of_stream);
}

TEST(Decoder, PayloadLengthExceedsLimit) {
  // No headers, so the payload can pass 24 MiB while total_length stays within kMaxMessageBytes.
  const auto total = static_cast<std::uint32_t>(kMinMessageBytes + kMaxPayloadBytes + 1);
  expect_rejected(prelude(total, 0) + "xyz", errc::payload_length_exceeds_limit);
}

TEST(Decoder, HeadersLengthExceedsLimit) {
  const auto headers = static_cast<std::uint32_t>(kMaxHeadersBytes + 1);
  expect_rejected(prelude(headers + 16, headers), errc::headers_length_exceeds_limit);
}

TEST(Decoder, EnforcesCustomLimits) {
  const std::string bytes = encode(Message{{{"name", std::string("value")}}, "0123456789"});
  EXPECT_FALSE(decode_whole(bytes, Limits{.max_message_bytes = bytes.size()}).error);
  expect_rejected(bytes, errc::total_length_exceeds_limit, 0, Limits{.max_message_bytes = bytes.size() - 1});
  expect_rejected(bytes, errc::payload_length_exceeds_limit, 0, Limits{.max_payload_bytes = 9});
  expect_rejected(bytes, errc::headers_length_exceeds_limit, 0, Limits{.max_headers_bytes = 4});
  expect_rejected(bytes, errc::too_many_headers, 0, Limits{.max_header_count = 0});
}

TEST(Decoder, UnknownHeaderValueType) {
  for (char tag : {'\x0a', '\x60', '\xff'}) {
    // clang-format off
    const std::string block = std::string("\x01" "a") + tag;  // name_len 1, name "a", type tag
    // clang-format on
    expect_rejected(raw_frame(block, ""), errc::unknown_header_value_type);
  }
}

TEST(Decoder, HeaderNameEmpty) {
  // clang-format off
  const std::string block("\x00" "\x00", 2);  // name_len 0, type bool true
  // clang-format on
  expect_rejected(raw_frame(block, "p"), errc::header_name_empty);
}

TEST(Decoder, HeaderNameRunsPastHeaderBlock) {
  // clang-format off
  const std::string block("\x05" "abc", 4);  // name_len 5, only 3 name bytes in the block
  // clang-format on
  expect_rejected(raw_frame(block, "payload after the block"), errc::header_truncated);
}

TEST(Decoder, HeaderTypeTagMissing) {
  expect_rejected(raw_frame(std::string("\x03"
                                        "abc",
                                        4),
                            ""),
                  errc::header_truncated);
}

TEST(Decoder, FixedSizeValueRunsPastHeaderBlock) {
  // clang-format off
  const std::string block("\x01" "n" "\x05" "\x00\x00\x00\x00\x00\x00\x00", 10);  // int64 with 7 value bytes
  // clang-format on
  expect_rejected(raw_frame(block, "trailing payload"), errc::header_truncated);
}

TEST(Decoder, StringLengthFieldRunsPastHeaderBlock) {
  // clang-format off
  const std::string block("\x01" "s" "\x07" "\x00", 4);  // string type, only 1 of 2 length bytes
  // clang-format on
  expect_rejected(raw_frame(block, ""), errc::header_truncated);
}

TEST(Decoder, StringValueRunsPastHeaderBlock) {
  // clang-format off
  const std::string block("\x01" "s" "\x07" "\x00\x05" "abcd", 9);  // declares 5 bytes, has 4
  // clang-format on
  expect_rejected(raw_frame(block, "e"), errc::header_truncated);
}

TEST(Decoder, HeaderValueTooLong) {
  // 32767 bytes is the largest accepted string/byte-array value; 32768 is rejected even when present.
  const std::string ok(kMaxHeaderValueBytes, 'v');
  EXPECT_FALSE(decode_whole(encode(Message{{{"s", ok}}, ""})).error);
  for (char type : {'\x06', '\x07'}) {
    std::string block = std::string(
                            "\x01"
                            "s",
                            2) +
                        type + "\x80" + std::string(1, '\0') + ok + "v";
    expect_rejected(raw_frame(block, ""), errc::header_value_too_long);
  }
}

TEST(Decoder, DuplicateHeader) {
  std::string bytes = encode(Message{{{"a", true}, {"b", false}}, ""});
  bytes[kPreludeBytes + 4] = 'a';  // second header's name (after 01 'a' 00 01)
  fix_message_crc(bytes);
  expect_rejected(bytes, errc::duplicate_header);
}

TEST(Decoder, DuplicateHeaderAmongManyHeaders) {
  Message message;
  for (int i = 0; i < 40; ++i) message.headers.push_back({"h" + std::to_string(i), std::int32_t{i}});
  const std::string good = encode(message);
  ASSERT_FALSE(decode_whole(good).error);
  std::string bytes = good;
  // Rename the last header "h39" to "h17".
  const std::size_t at = bytes.rfind("h39");
  bytes.replace(at, 3, "h17");
  fix_message_crc(bytes);
  expect_rejected(bytes, errc::duplicate_header);
}

TEST(Decoder, TooManyHeaders) {
  std::string block;
  for (std::size_t i = 0; i <= kMaxHeaderCount; ++i) {
    const std::string name = "h" + std::to_string(i);
    block += static_cast<char>(name.size());
    block += name;
    block += '\0';  // bool true
  }
  expect_rejected(raw_frame(block, ""), errc::too_many_headers);
  block.erase(block.rfind('\x05'));  // drop the last header ("h1024": name_len 5) -> exactly 1024 headers
  const DecodeOutcome outcome = decode_whole(raw_frame(block, ""));
  ASSERT_FALSE(outcome.error) << outcome.error.message();
  EXPECT_EQ(outcome.messages.at(0).headers.size(), kMaxHeaderCount);
}

TEST(Decoder, TruncatedAtEndOfStream) {
  const std::string good = encode(event("chunk", "{}"));
  const std::string bytes = good + good;
  // Every cut inside the second message (prelude, headers, payload or CRC) is a truncation, and the first
  // message is still delivered.
  for (std::size_t keep = good.size() + 1; keep < bytes.size(); ++keep) {
    const DecodeOutcome outcome = decode_whole(std::string_view(bytes).substr(0, keep));
    EXPECT_EQ(outcome.error, errc::truncated_at_end_of_stream) << keep;
    EXPECT_EQ(outcome.messages.size(), 1u) << keep;
  }
  // A cut exactly at a message boundary is a clean end of stream.
  EXPECT_FALSE(decode_whole(good).error);
  EXPECT_FALSE(decode_whole(bytes).error);
}

TEST(Decoder, ErrorsAreSticky) {
  std::string bad = encode(Message{});
  bad.back() ^= 1;
  Decoder decoder;
  std::vector<Message> out;
  boost::system::error_code ec;
  decoder.feed(bad, out, ec);
  ASSERT_EQ(ec, errc::message_crc_mismatch);
  EXPECT_TRUE(decoder.failed());
  // A perfectly good message afterwards is neither consumed nor delivered.
  EXPECT_EQ(decoder.feed(encode(Message{}), out, ec), 0u);
  EXPECT_EQ(ec, errc::message_crc_mismatch);
  EXPECT_EQ(decoder.finish(), errc::message_crc_mismatch);
  EXPECT_TRUE(out.empty());
}

TEST(Decoder, NothingAfterABadFrameIsDelivered) {
  std::string bad = encode(Message{{}, "two"});
  bad[kPreludeBytes] ^= 1;
  const std::string bytes = encode(Message{{}, "one"}) + bad + encode(Message{{}, "three"});
  for_each_chunking(bytes, [&](const DecodeOutcome& outcome, const std::string& how) {
    EXPECT_EQ(outcome.error, errc::message_crc_mismatch) << how;
    ASSERT_EQ(outcome.messages.size(), 1u) << how;
    EXPECT_EQ(outcome.messages[0].payload, "one") << how;
  });
}

TEST(Decoder, ConsumedCountStopsAtTheDefect) {
  std::string bad = encode(Message{{}, "two"});
  bad.back() ^= 1;
  const std::string first = encode(Message{{}, "one"});
  const std::string bytes = first + bad + "trailing";
  Decoder decoder;
  std::vector<Message> out;
  boost::system::error_code ec;
  EXPECT_EQ(decoder.feed(bytes, out, ec), first.size() + bad.size());
  EXPECT_EQ(ec, errc::message_crc_mismatch);
  EXPECT_EQ(out.size(), 1u);
}

TEST(DecoderErrors, HaveDistinctSpecificMessages) {
  std::vector<std::string> seen;
  for (int e = static_cast<int>(errc::prelude_crc_mismatch); e <= static_cast<int>(errc::header_name_too_long); ++e) {
    const std::string text = make_error_code(static_cast<errc>(e)).message();
    EXPECT_EQ(text.rfind("event-stream ", 0), 0u) << text;
    EXPECT_EQ(std::count(seen.begin(), seen.end(), text), 0) << text;
    seen.push_back(text);
  }
  EXPECT_STREQ(make_error_code(errc::prelude_crc_mismatch).category().name(), "llamachat.aws.event_stream");
}

}  // namespace
}  // namespace llamachat::aws::event_stream
