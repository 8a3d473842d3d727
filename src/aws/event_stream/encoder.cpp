#include "aws/event_stream/encoder.hpp"

#include <cassert>
#include <span>

#include "aws/event_stream/format.hpp"
#include "util/crypto.hpp"

namespace llamachat::aws::event_stream {
namespace {

void put_u16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v));
}

void put_u32(std::string& out, std::uint32_t v) {
  put_u16(out, static_cast<std::uint16_t>(v >> 16));
  put_u16(out, static_cast<std::uint16_t>(v));
}

void put_u64(std::string& out, std::uint64_t v) {
  put_u32(out, static_cast<std::uint32_t>(v >> 32));
  put_u32(out, static_cast<std::uint32_t>(v));
}

std::size_t value_bytes(const HeaderValue& value) noexcept {
  switch (header_type(value)) {
    case HeaderType::bool_true:
    case HeaderType::bool_false: return 0;
    case HeaderType::byte: return 1;
    case HeaderType::int16: return 2;
    case HeaderType::int32: return 4;
    case HeaderType::int64:
    case HeaderType::timestamp: return 8;
    case HeaderType::byte_array: return 2 + std::get<ByteArray>(value).size();
    case HeaderType::string: return 2 + std::get<std::string>(value).size();
    case HeaderType::uuid: return 16;
  }
  return 0;
}

std::size_t headers_bytes(const Message& message) noexcept {
  std::size_t n = 0;
  for (const auto& header : message.headers) n += 1 + header.name.size() + 1 + value_bytes(header.value);
  return n;
}

void put_value(std::string& out, const HeaderValue& value) {
  switch (header_type(value)) {
    case HeaderType::bool_true:
    case HeaderType::bool_false: break;
    case HeaderType::byte: out.push_back(static_cast<char>(std::get<std::int8_t>(value))); break;
    case HeaderType::int16: put_u16(out, static_cast<std::uint16_t>(std::get<std::int16_t>(value))); break;
    case HeaderType::int32: put_u32(out, static_cast<std::uint32_t>(std::get<std::int32_t>(value))); break;
    case HeaderType::int64: put_u64(out, static_cast<std::uint64_t>(std::get<std::int64_t>(value))); break;
    case HeaderType::timestamp:
      put_u64(out, static_cast<std::uint64_t>(std::get<Timestamp>(value).ms_since_epoch));
      break;
    case HeaderType::byte_array: {
      const auto& bytes = std::get<ByteArray>(value);
      put_u16(out, static_cast<std::uint16_t>(bytes.size()));
      out.append(bytes.begin(), bytes.end());
      break;
    }
    case HeaderType::string: {
      const auto& s = std::get<std::string>(value);
      put_u16(out, static_cast<std::uint16_t>(s.size()));
      out.append(s);
      break;
    }
    case HeaderType::uuid: {
      const auto& bytes = std::get<Uuid>(value).bytes;
      out.append(bytes.begin(), bytes.end());
      break;
    }
  }
}

std::uint32_t crc_of(const std::string& s, std::size_t from, std::size_t to) noexcept {
  return util::crc32(std::span(reinterpret_cast<const unsigned char*>(s.data()) + from, to - from));
}

}  // namespace

boost::system::error_code validate(const Message& message) noexcept {
  if (message.headers.size() > kMaxHeaderCount) return errc::too_many_headers;
  for (std::size_t i = 0; i < message.headers.size(); ++i) {
    const Header& header = message.headers[i];
    if (header.name.empty()) return errc::header_name_empty;
    if (header.name.size() > kMaxHeaderNameBytes) return errc::header_name_too_long;
    const auto type = header_type(header.value);
    if ((type == HeaderType::byte_array || type == HeaderType::string) &&
        value_bytes(header.value) - 2 > kMaxHeaderValueBytes) {
      return errc::header_value_too_long;
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (message.headers[j].name == header.name) return errc::duplicate_header;
    }
  }
  if (headers_bytes(message) > kMaxHeadersBytes) return errc::headers_length_exceeds_limit;
  if (message.payload.size() > kMaxPayloadBytes) return errc::payload_length_exceeds_limit;
  return {};
}

void encode_to(const Message& message, std::string& out) {
  assert(!validate(message));
  const std::size_t headers_length = headers_bytes(message);
  const std::size_t total_length = kMinMessageBytes + headers_length + message.payload.size();
  const std::size_t start = out.size();
  out.reserve(start + total_length);
  put_u32(out, static_cast<std::uint32_t>(total_length));
  put_u32(out, static_cast<std::uint32_t>(headers_length));
  put_u32(out, crc_of(out, start, start + kPreludeCrcOffset));
  for (const auto& header : message.headers) {
    out.push_back(static_cast<char>(header.name.size()));
    out.append(header.name);
    out.push_back(static_cast<char>(header_type(header.value)));
    put_value(out, header.value);
  }
  out.append(message.payload);
  put_u32(out, crc_of(out, start, out.size()));
}

std::string encode(const Message& message) {
  std::string out;
  encode_to(message, out);
  return out;
}

}  // namespace llamachat::aws::event_stream
