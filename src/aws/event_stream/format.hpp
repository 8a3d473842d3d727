#pragma once
// Wire constants of the AWS event-stream format (`application/vnd.amazon.eventstream`), shared by Decoder and
// Encoder. Layout (all integers big-endian):
//   total_length u32 | headers_length u32 | prelude_crc u32 | headers | payload | message_crc u32
// prelude_crc = CRC-32 of bytes [0, 8); message_crc = CRC-32 of bytes [0, total_length - 4).
// Spec: https://smithy.io/2.0/aws/amazon-eventstream.html ; summary in docs/formats/event-stream.md.
#include <cstddef>

namespace llamachat::aws::event_stream {

inline constexpr std::size_t kTotalLengthOffset = 0;
inline constexpr std::size_t kHeadersLengthOffset = 4;
inline constexpr std::size_t kPreludeCrcOffset = 8;
inline constexpr std::size_t kPreludeBytes = 12;
inline constexpr std::size_t kMessageCrcBytes = 4;
// A message with no headers and no payload.
inline constexpr std::size_t kMinMessageBytes = kPreludeBytes + kMessageCrcBytes;

// Limits of the format and of the service side (Smithy spec: payload <= 24 MiB, headers <= 128 KiB).
inline constexpr std::size_t kMaxHeaderNameBytes = 255;     // u8 length field
inline constexpr std::size_t kMaxHeaderValueBytes = 32767;  // types 6 and 7; aws-c-event-stream's limit
inline constexpr std::size_t kMaxPayloadBytes = 24 * 1024 * 1024;
inline constexpr std::size_t kMaxHeadersBytes = 128 * 1024;
inline constexpr std::size_t kMaxMessageBytes = kMinMessageBytes + kMaxHeadersBytes + kMaxPayloadBytes;
inline constexpr std::size_t kMaxHeaderCount = 1024;  // aws-c-event-stream's limit; bounds duplicate checks

}  // namespace llamachat::aws::event_stream
