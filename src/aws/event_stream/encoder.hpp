#pragma once
// Encoder for AWS event-stream messages: the exact inverse of Decoder. Used by tests, benchmarks and the
// Bedrock emulator to produce response bodies. Format: docs/formats/event-stream.md.
#include <boost/system/error_code.hpp>

#include <string>

#include "aws/event_stream/error.hpp"
#include "aws/event_stream/message.hpp"

namespace llamachat::aws::event_stream {

// First reason `message` cannot be encoded so that our Decoder (with default Limits) accepts it:
// header_name_empty, header_name_too_long, header_value_too_long, duplicate_header, too_many_headers,
// headers_length_exceeds_limit, payload_length_exceeds_limit. Success when encodable.
boost::system::error_code validate(const Message& message) noexcept;

// Appends the wire form of `message` (prelude, headers in order, payload, CRCs) to `out`.
// Precondition: validate(message) succeeds (checked by assertion in debug builds; lengths are otherwise
// truncated to their field widths, producing a frame the decoder rejects).
void encode_to(const Message& message, std::string& out);

// The wire form of `message`; same precondition as encode_to.
std::string encode(const Message& message);

}  // namespace llamachat::aws::event_stream
