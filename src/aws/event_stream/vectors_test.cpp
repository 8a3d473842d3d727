// Decoder and encoder against the official AWS event-stream vectors and our Bedrock stream samples, read from
// the shared vectors folder at test time (see its README): every accepted file must decode exactly to its
// description at every split point; every rejected one must fail for its stated reason.
#include <boost/json.hpp>
// The module's library does not link Boost.JSON; this test executable compiles it once, here.
#include <gtest/gtest.h>
#include <boost/json/src.hpp>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "aws/event_stream/decode_testing.hpp"
#include "aws/event_stream/decoder.hpp"
#include "aws/event_stream/encoder.hpp"
#include "support/shared_dir.hpp"
#include "util/base64.hpp"

namespace llamachat::aws::event_stream {
namespace {

namespace json = boost::json;
using testing::DecodeOutcome;
using testing::for_each_chunking;

json::value read_json(const std::filesystem::path& path) { return json::parse(llamachat::test::read_file(path)); }

std::string base64(const json::value& v) {
  auto decoded = util::base64_decode(v.as_string());
  EXPECT_TRUE(decoded.has_value()) << v;
  return decoded.value_or("");
}

ByteArray to_bytes(const std::string& s) { return ByteArray(s.begin(), s.end()); }

Uuid uuid_from_bytes(const std::string& s) {
  Uuid uuid;
  EXPECT_EQ(s.size(), 16u);
  for (std::size_t i = 0; i < 16 && i < s.size(); ++i) uuid.bytes[i] = static_cast<std::uint8_t>(s[i]);
  return uuid;
}

Uuid uuid_from_text(std::string_view text) {  // "b79bc914-de21-4e13-b8b2-bc47e85b7f0b"
  std::string hex;
  for (char c : text) {
    if (c != '-') hex += c;
  }
  std::string bytes;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    bytes += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  return uuid_from_bytes(bytes);
}

// aws-sdk-go decoded/positive/<name>: numeric `type`; strings, byte arrays and uuids in base64.
Message message_from_aws_sdk_go(const json::object& d) {
  Message m;
  for (const auto& h : d.at("headers").as_array()) {
    const auto& o = h.as_object();
    Header header{std::string(o.at("name").as_string()), {}};
    const json::value& v = o.at("value");
    switch (o.at("type").to_number<int>()) {
      case 0:
      case 1: header.value = v.as_bool(); break;
      case 2: header.value = v.to_number<std::int8_t>(); break;
      case 3: header.value = v.to_number<std::int16_t>(); break;
      case 4: header.value = v.to_number<std::int32_t>(); break;
      case 5: header.value = v.to_number<std::int64_t>(); break;
      case 6: header.value = to_bytes(base64(v)); break;
      case 7: header.value = base64(v); break;
      case 8: header.value = Timestamp{v.to_number<std::int64_t>()}; break;
      case 9: header.value = uuid_from_bytes(base64(v)); break;
      default: ADD_FAILURE() << "unknown type in description " << h;
    }
    m.headers.push_back(std::move(header));
  }
  m.payload = base64(d.at("payload"));
  return m;
}

// smithy-rs-expected.json and bedrock-stream/*.json: `type_id`; long as a decimal string, string as text,
// byte arrays in base64, uuid as text.
Message message_from_description(const json::object& d) {
  Message m;
  for (const auto& h : d.at("headers").as_array()) {
    const auto& o = h.as_object();
    Header header{std::string(o.at("name").as_string()), {}};
    const json::value& v = o.at("value");
    switch (o.at("type_id").to_number<int>()) {
      case 0:
      case 1: header.value = v.as_bool(); break;
      case 2: header.value = v.to_number<std::int8_t>(); break;
      case 3: header.value = v.to_number<std::int16_t>(); break;
      case 4: header.value = v.to_number<std::int32_t>(); break;
      case 5: header.value = std::int64_t{std::stoll(std::string(v.as_string()))}; break;
      case 6: header.value = to_bytes(base64(v)); break;
      case 7: header.value = std::string(v.as_string()); break;
      case 8: header.value = Timestamp{v.to_number<std::int64_t>()}; break;
      case 9: header.value = uuid_from_text(v.as_string()); break;
      default: ADD_FAILURE() << "unknown type in description " << h;
    }
    m.headers.push_back(std::move(header));
  }
  m.payload = base64(d.at("payload_base64"));
  return m;
}

std::uint32_t u32_at(const std::string& bytes, std::size_t offset) {
  const auto b = [&](std::size_t i) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[offset + i]));
  };
  return (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
}

void expect_decodes_to(const std::string& bytes, const std::vector<Message>& expected, const std::string& name) {
  for_each_chunking(bytes, [&](const DecodeOutcome& outcome, const std::string& how) {
    EXPECT_FALSE(outcome.error) << name << ", " << how << ": " << outcome.error.message();
    EXPECT_EQ(outcome.messages, expected) << name << ", " << how;
  });
}

void expect_rejects(const std::string& bytes, errc expected, std::size_t messages_before, const std::string& name) {
  for_each_chunking(bytes, [&](const DecodeOutcome& outcome, const std::string& how) {
    EXPECT_EQ(outcome.error, make_error_code(expected)) << name << ", " << how << ": " << outcome.error.message();
    EXPECT_EQ(outcome.messages.size(), messages_before) << name << ", " << how;
  });
}

TEST(EventStreamVectors, AwsSdkGoPositiveDecodeExactly) {
  LLAMACHAT_REQUIRE_VECTORS(vectors);
  const auto dir = vectors / "eventstream" / "aws-sdk-go";
  int cases = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir / "encoded" / "positive")) {
    const std::string name = entry.path().filename().string();
    const std::string bytes = llamachat::test::read_file(entry.path());
    const json::object d = read_json(dir / "decoded" / "positive" / name).as_object();
    EXPECT_EQ(bytes.size(), d.at("total_length").to_number<std::size_t>()) << name;
    EXPECT_EQ(u32_at(bytes, 4), d.at("headers_length").to_number<std::uint32_t>()) << name;
    // The descriptions print the CRCs as signed 32-bit integers.
    EXPECT_EQ(static_cast<std::int32_t>(u32_at(bytes, 8)), d.at("prelude_crc").to_number<std::int32_t>()) << name;
    EXPECT_EQ(static_cast<std::int32_t>(u32_at(bytes, bytes.size() - 4)), d.at("message_crc").to_number<std::int32_t>())
        << name;
    expect_decodes_to(bytes, {message_from_aws_sdk_go(d)}, name);
    ++cases;
  }
  EXPECT_EQ(cases, 5);
}

TEST(EventStreamVectors, AwsSdkGoPositiveEncodeToTheSameBytes) {
  LLAMACHAT_REQUIRE_VECTORS(vectors);
  const auto dir = vectors / "eventstream" / "aws-sdk-go";
  int cases = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir / "decoded" / "positive")) {
    const std::string name = entry.path().filename().string();
    const Message message = message_from_aws_sdk_go(read_json(entry.path()).as_object());
    EXPECT_FALSE(validate(message)) << name;
    EXPECT_EQ(encode(message), llamachat::test::read_file(dir / "encoded" / "positive" / name)) << name;
    ++cases;
  }
  EXPECT_EQ(cases, 5);
}

TEST(EventStreamVectors, AwsSdkGoNegativeRejectedForTheStatedReason) {
  LLAMACHAT_REQUIRE_VECTORS(vectors);
  const auto dir = vectors / "eventstream" / "aws-sdk-go";
  const std::map<std::string, errc> by_text = {{"Prelude checksum mismatch", errc::prelude_crc_mismatch},
                                               {"Message checksum mismatch", errc::message_crc_mismatch}};
  int cases = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir / "encoded" / "negative")) {
    const std::string name = entry.path().filename().string();
    const std::string text = llamachat::test::read_file(dir / "decoded" / "negative" / name);
    ASSERT_TRUE(by_text.contains(text)) << name << ": " << text;
    expect_rejects(llamachat::test::read_file(entry.path()), by_text.at(text), 0, name);
    ++cases;
  }
  EXPECT_EQ(cases, 4);
}

// Our reading of each error class named in the vector descriptions.
bool in_class(errc e, std::string_view error_class) {
  if (error_class.starts_with("prelude crc")) return e == errc::prelude_crc_mismatch;
  if (error_class.starts_with("message crc")) return e == errc::message_crc_mismatch;
  if (error_class == "invalid length") {
    return e == errc::total_length_below_minimum || e == errc::total_length_exceeds_limit ||
           e == errc::headers_length_exceeds_total;
  }
  if (error_class == "header out of bounds") return e == errc::header_truncated || e == errc::header_value_too_long;
  if (error_class == "unknown header type") return e == errc::unknown_header_value_type;
  if (error_class == "truncated") return e == errc::truncated_at_end_of_stream;
  return false;
}

TEST(EventStreamVectors, SmithyRsFilesMatchTheirDescriptions) {
  LLAMACHAT_REQUIRE_VECTORS(vectors);
  const auto dir = vectors / "eventstream";
  // The precise error we report per rejected file; in_class() ties it to the description.
  const std::map<std::string, errc> rejected = {
      {"invalid_prelude_checksum", errc::prelude_crc_mismatch},
      {"invalid_message_checksum", errc::message_crc_mismatch},
      {"invalid_headers_length", errc::headers_length_exceeds_total},
      // Edited without fixing the message CRC, so the CRC check (which comes first) catches them.
      {"invalid_header_value_type", errc::message_crc_mismatch},
      {"invalid_header_name_length", errc::message_crc_mismatch},
      {"invalid_header_string_value_length", errc::message_crc_mismatch},
      {"invalid_header_string_length_cut_off", errc::message_crc_mismatch},
      {"invalid_header_name_length_too_long", errc::message_crc_mismatch},
  };
  int accepted = 0;
  int rejected_count = 0;
  const json::value description = read_json(dir / "smithy-rs-expected.json");
  for (const auto& c : description.at("cases").as_array()) {
    const std::string file(c.at("file").as_string());
    const std::string name = std::filesystem::path(file).filename().string();
    const std::string bytes = llamachat::test::read_file(dir / file);
    if (c.at("expect") == "accept") {
      expect_decodes_to(bytes, {message_from_description(c.at("message").as_object())}, name);
      ++accepted;
    } else {
      ASSERT_TRUE(rejected.contains(name)) << name;
      const errc e = rejected.at(name);
      EXPECT_TRUE(in_class(e, c.at("crc_first_decoder_error").as_string())) << name;
      expect_rejects(bytes, e, 0, name);
      ++rejected_count;
    }
  }
  EXPECT_EQ(accepted, 3);
  EXPECT_EQ(rejected_count, 8);
}

TEST(EventStreamVectors, DerivedNegativesRejectedForTheStatedReason) {
  LLAMACHAT_REQUIRE_VECTORS(vectors);
  const auto dir = vectors / "eventstream" / "derived";
  const std::map<std::string, errc> expected = {
      {"recrc/invalid_header_name_length", errc::header_truncated},
      {"recrc/invalid_header_name_length_too_long", errc::header_truncated},
      // Only the first byte (0xff) of the 2-byte value length is inside the header block.
      {"recrc/invalid_header_string_length_cut_off", errc::header_truncated},
      // 0xffff is over the 32767-byte limit, which is checked before the bounds.
      {"recrc/invalid_header_string_value_length", errc::header_value_too_long},
      {"recrc/invalid_header_value_type", errc::unknown_header_value_type},
      {"recrc/invalid_headers_length", errc::headers_length_exceeds_total},
      {"stream/truncated-mid-message.bin", errc::truncated_at_end_of_stream},
      {"stream/truncated-mid-prelude.bin", errc::truncated_at_end_of_stream},
      {"stream/total-length-too-small.bin", errc::total_length_below_minimum},
      {"stream/total-length-huge.bin", errc::total_length_exceeds_limit},
      {"stream/headers-length-over-total.bin", errc::headers_length_exceeds_total},
      {"stream/second-message-bad-crc.bin", errc::message_crc_mismatch},
  };
  int cases = 0;
  const json::value description = read_json(dir / "expectations.json");
  for (const auto& c : description.at("cases").as_array()) {
    const std::string file(c.at("file").as_string());
    ASSERT_EQ(c.at("expect"), "reject") << file;
    ASSERT_TRUE(expected.contains(file)) << file;
    const errc e = expected.at(file);
    EXPECT_TRUE(in_class(e, c.at("error_class").as_string())) << file;
    std::size_t before = 0;
    if (const auto* n = c.as_object().if_contains("messages_before_error")) before = n->to_number<std::size_t>();
    expect_rejects(llamachat::test::read_file(dir / file), e, before, file);
    ++cases;
  }
  EXPECT_EQ(cases, 12);
}

TEST(EventStreamVectors, HugeTotalLengthRejectedFromThePreludeAlone) {
  LLAMACHAT_REQUIRE_VECTORS(vectors);
  const std::string bytes =
      llamachat::test::read_file(vectors / "eventstream" / "derived" / "stream" / "total-length-huge.bin");
  Decoder decoder;
  std::vector<Message> out;
  boost::system::error_code ec;
  EXPECT_EQ(decoder.feed(bytes, out, ec), kPreludeBytes);
  EXPECT_EQ(ec, errc::total_length_exceeds_limit);
}

TEST(EventStreamVectors, BedrockSamplesDecodeExactly) {
  LLAMACHAT_REQUIRE_VECTORS(vectors);
  const auto dir = vectors / "bedrock-stream";
  int streams = 0;
  const json::value manifest = read_json(dir / "manifest.json");
  for (const auto& s : manifest.at("streams").as_array()) {
    const std::string file(s.at("file").as_string());
    const std::string bytes = llamachat::test::read_file(dir / file);
    const json::object d = read_json(dir / std::string(s.at("description").as_string())).as_object();
    std::vector<Message> expected;
    std::string reencoded;
    for (const auto& m : d.at("messages").as_array()) {
      expected.push_back(message_from_description(m.as_object()));
      EXPECT_EQ(m.at("offset").to_number<std::size_t>(), reencoded.size()) << file;
      encode_to(expected.back(), reencoded);
    }
    EXPECT_EQ(expected.size(), s.at("messages").to_number<std::size_t>()) << file;
    expect_decodes_to(bytes, expected, file);
    EXPECT_EQ(reencoded, bytes) << file;
    ++streams;
  }
  EXPECT_EQ(streams, 5);
}

}  // namespace
}  // namespace llamachat::aws::event_stream
