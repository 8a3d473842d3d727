#pragma once
// Push-based decoder for AWS event-stream framing, as used by Bedrock InvokeModelWithResponseStream and
// ConverseStream response bodies. Feed the body in any chunking; complete messages come out in order.
// Format, limits and error list: docs/formats/event-stream.md.
#include <boost/system/error_code.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "aws/event_stream/error.hpp"
#include "aws/event_stream/format.hpp"
#include "aws/event_stream/message.hpp"

namespace llamachat::aws::event_stream {

// Upper bounds enforced from the 12-byte prelude, before anything else of a message is buffered.
struct Limits {
  std::size_t max_message_bytes = kMaxMessageBytes;  // total_length
  std::size_t max_headers_bytes = kMaxHeadersBytes;  // headers_length
  std::size_t max_payload_bytes = kMaxPayloadBytes;  // total_length - headers_length - 16
  std::size_t max_header_count = kMaxHeaderCount;
};

// Checks, in this order, per message:
//   1. prelude CRC, as soon as 12 bytes are in (no length is trusted before that);
//   2. length sanity and limits, from the prelude alone (nothing more is buffered for a rejected message);
//   3. message CRC, once total_length bytes are in;
//   4. strict header parsing (bounds, type tags 0..9, value lengths <= 32767, non-empty unique names).
//
// Contract (like Beast's basic_parser::put): success means "all input consumed, feed more"; any error is
// terminal and sticky, later feed() calls return it again without consuming anything.
//
// Each payload byte is copied exactly once, from the input into Message::payload. Memory per decoder is
// bounded by Limits (one message in flight).
//
// Not thread-safe; one decoder per stream.
class Decoder {
 public:
  Decoder() noexcept = default;
  explicit Decoder(const Limits& limits) noexcept : limits_(limits) {}

  // Consumes `bytes`, appending every message completed by them to `out` (existing elements are kept).
  // Returns the number of bytes consumed: all of them on success; on error, the bytes up to and including
  // the one that revealed the defect (for a prelude or limit defect: up to the end of that prelude).
  // Messages completed before the defect are still appended.
  std::size_t feed(std::span<const std::uint8_t> bytes, std::vector<Message>& out, boost::system::error_code& ec);
  std::size_t feed(std::string_view bytes, std::vector<Message>& out, boost::system::error_code& ec) {
    return feed(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()), out, ec);
  }

  // Declares end of input. Returns truncated_at_end_of_stream when a partial message is buffered (the
  // decoder then stays failed), the sticky error if already failed, else success.
  boost::system::error_code finish() noexcept;

  bool failed() const noexcept { return static_cast<bool>(error_); }
  boost::system::error_code error() const noexcept { return error_; }
  // True between the first byte of a message and its last.
  bool in_message() const noexcept { return state_ != State::prelude || filled_ != 0; }
  // Bytes consumed over the decoder's lifetime.
  std::uint64_t bytes_consumed() const noexcept { return bytes_consumed_; }

 private:
  enum class State { prelude, headers, payload, message_crc };

  boost::system::error_code on_prelude() noexcept;
  boost::system::error_code on_message_crc();
  void enter_body_state() noexcept;

  Limits limits_{};
  State state_ = State::prelude;
  std::size_t filled_ = 0;  // bytes of the fixed-size field being assembled (prelude or message CRC)
  std::array<std::uint8_t, kPreludeBytes> prelude_{};
  std::array<std::uint8_t, kMessageCrcBytes> message_crc_{};
  std::uint32_t headers_length_ = 0;
  std::size_t payload_length_ = 0;
  std::uint32_t running_crc_ = 0;  // CRC-32 of the message bytes received so far
  std::string headers_;            // raw header block of the current message (capacity reused)
  Message pending_;                // payload is filled in place
  boost::system::error_code error_;
  std::uint64_t bytes_consumed_ = 0;
};

// Parses a complete header block strictly (see Decoder). Appends to `out`; on error `out` is unspecified.
boost::system::error_code parse_headers(std::span<const std::uint8_t> block, std::vector<Header>& out,
                                        std::size_t max_header_count = kMaxHeaderCount);

}  // namespace llamachat::aws::event_stream
