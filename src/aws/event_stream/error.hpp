#pragma once
// Failures of the AWS event-stream codec (`application/vnd.amazon.eventstream`), one enumerator per defect.
// Every one of them is terminal for a Decoder: the stream cannot be resynchronised after a bad frame.
// Format and limits: docs/formats/event-stream.md.
#include <boost/system/error_category.hpp>
#include <boost/system/error_code.hpp>

#include <type_traits>

namespace llamachat::aws::event_stream {

enum class errc {
  // The CRC-32 of the first 8 bytes does not match the prelude CRC field. Checked before any length is trusted.
  prelude_crc_mismatch = 1,
  // The CRC-32 of the whole message (prelude through payload) does not match the trailing message CRC.
  message_crc_mismatch,
  // total_length is below 16, the size of a message with no headers and no payload.
  total_length_below_minimum,
  // total_length exceeds Limits::max_message_bytes; rejected from the prelude alone, before buffering.
  total_length_exceeds_limit,
  // headers_length is larger than total_length - 16, so headers would overlap the message CRC.
  headers_length_exceeds_total,
  // headers_length exceeds Limits::max_headers_bytes (128 KiB by default).
  headers_length_exceeds_limit,
  // The payload (total_length - headers_length - 16) exceeds Limits::max_payload_bytes (24 MiB by default).
  payload_length_exceeds_limit,
  // A header's name, type tag, value length or value runs past the end of the header block.
  header_truncated,
  // A header has a zero-length name.
  header_name_empty,
  // A header's type tag is not one of 0..9.
  unknown_header_value_type,
  // A byte-array or string header value is longer than 32767 bytes.
  header_value_too_long,
  // Two headers of one message have the same name.
  duplicate_header,
  // A message has more than Limits::max_header_count headers.
  too_many_headers,
  // End of input was reached with a partial message buffered: the stream was cut, not ended cleanly.
  truncated_at_end_of_stream,
  // The encoder was asked to write a header name longer than 255 bytes (the wire format has a u8 length).
  header_name_too_long,
};

const boost::system::error_category& error_category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), error_category()}; }

}  // namespace llamachat::aws::event_stream

template <>
struct boost::system::is_error_code_enum<llamachat::aws::event_stream::errc> : std::true_type {};
