#pragma once
// One decoded AWS event-stream message: typed headers plus an opaque payload. Produced by Decoder, consumed by
// Encoder and by the Bedrock stream-event mapping (backends/bedrock/stream_events.hpp).
// Format: docs/formats/event-stream.md.
#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace llamachat::aws::event_stream {

// Wire type tags (the u8 after the header name).
enum class HeaderType : std::uint8_t {
  bool_true = 0,
  bool_false = 1,
  byte = 2,
  int16 = 3,
  int32 = 4,
  int64 = 5,
  byte_array = 6,
  string = 7,
  timestamp = 8,
  uuid = 9,
};

// Type 8: milliseconds since the Unix epoch, signed.
struct Timestamp {
  std::int64_t ms_since_epoch = 0;
  auto operator<=>(const Timestamp&) const = default;
};

// Type 9: the 16 raw bytes, in wire order.
struct Uuid {
  std::array<std::uint8_t, 16> bytes{};
  auto operator<=>(const Uuid&) const = default;
};

// Type 6: raw bytes (kept apart from std::string, which is type 7).
using ByteArray = std::vector<std::uint8_t>;

// bool covers tags 0 and 1. Strings are kept as received (not validated as UTF-8).
using HeaderValue =
    std::variant<bool, std::int8_t, std::int16_t, std::int32_t, std::int64_t, ByteArray, std::string, Timestamp, Uuid>;

// The wire tag a value is written with.
HeaderType header_type(const HeaderValue& value) noexcept;

struct Header {
  std::string name;
  HeaderValue value;
  bool operator==(const Header&) const = default;
};

struct Message {
  std::vector<Header> headers;  // in wire order
  std::string payload;          // raw bytes

  // First header with this exact (case-sensitive) name, or nullptr.
  const Header* find(std::string_view name) const noexcept;
  // Value of a string-typed (tag 7) header; nullopt when absent or of another type. The view lives as long as
  // the message is not modified.
  std::optional<std::string_view> string_header(std::string_view name) const noexcept;

  bool operator==(const Message&) const = default;
};

}  // namespace llamachat::aws::event_stream
