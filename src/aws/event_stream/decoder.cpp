#include "aws/event_stream/decoder.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

#include "util/crypto.hpp"

namespace llamachat::aws::event_stream {
namespace {

std::uint32_t load_u32(const std::uint8_t* p) noexcept {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
}

std::uint64_t load_u64(const std::uint8_t* p) noexcept { return (std::uint64_t{load_u32(p)} << 32) | load_u32(p + 4); }

std::uint32_t crc32(const std::uint8_t* p, std::size_t n, std::uint32_t seed) noexcept {
  return util::crc32(std::span(p, n), seed);
}

// Byte length of the fixed-size value of a type tag; -1 for variable-length types, -2 for unknown tags.
int fixed_value_bytes(std::uint8_t tag) noexcept {
  switch (static_cast<HeaderType>(tag)) {
    case HeaderType::bool_true:
    case HeaderType::bool_false: return 0;
    case HeaderType::byte: return 1;
    case HeaderType::int16: return 2;
    case HeaderType::int32: return 4;
    case HeaderType::int64:
    case HeaderType::timestamp: return 8;
    case HeaderType::uuid: return 16;
    case HeaderType::byte_array:
    case HeaderType::string: return -1;
  }
  return -2;
}

// Linear scans for the usual handful of headers; sorting beyond that keeps a 1024-header message from
// costing half a million comparisons.
bool has_duplicate_name(std::span<const Header> headers) {
  constexpr std::size_t kLinearScanMax = 16;
  if (headers.size() <= kLinearScanMax) {
    for (std::size_t i = 1; i < headers.size(); ++i) {
      for (std::size_t j = 0; j < i; ++j) {
        if (headers[i].name == headers[j].name) return true;
      }
    }
    return false;
  }
  std::vector<std::string_view> names;
  names.reserve(headers.size());
  for (const auto& header : headers) names.emplace_back(header.name);
  std::sort(names.begin(), names.end());
  return std::adjacent_find(names.begin(), names.end()) != names.end();
}

}  // namespace

boost::system::error_code parse_headers(std::span<const std::uint8_t> block, std::vector<Header>& out,
                                        std::size_t max_header_count) {
  const std::uint8_t* p = block.data();
  const std::uint8_t* const end = p + block.size();
  const std::size_t first = out.size();
  while (p != end) {
    const std::size_t name_length = *p++;
    if (name_length == 0) return errc::header_name_empty;
    // The name is followed by at least the type tag.
    if (static_cast<std::size_t>(end - p) < name_length + 1) return errc::header_truncated;
    std::string_view name(reinterpret_cast<const char*>(p), name_length);
    p += name_length;
    const std::uint8_t tag = *p++;
    const int fixed = fixed_value_bytes(tag);
    if (fixed == -2) return errc::unknown_header_value_type;

    std::size_t value_length = 0;
    if (fixed == -1) {
      if (end - p < 2) return errc::header_truncated;
      value_length = (std::size_t{p[0]} << 8) | p[1];
      p += 2;
      if (value_length > kMaxHeaderValueBytes) return errc::header_value_too_long;
    } else {
      value_length = static_cast<std::size_t>(fixed);
    }
    if (static_cast<std::size_t>(end - p) < value_length) return errc::header_truncated;

    if (out.size() - first == max_header_count) return errc::too_many_headers;

    HeaderValue value;
    switch (static_cast<HeaderType>(tag)) {
      case HeaderType::bool_true: value = true; break;
      case HeaderType::bool_false: value = false; break;
      case HeaderType::byte: value = static_cast<std::int8_t>(p[0]); break;
      case HeaderType::int16: value = static_cast<std::int16_t>((std::uint16_t{p[0]} << 8) | p[1]); break;
      case HeaderType::int32: value = static_cast<std::int32_t>(load_u32(p)); break;
      case HeaderType::int64: value = static_cast<std::int64_t>(load_u64(p)); break;
      case HeaderType::timestamp: value = Timestamp{static_cast<std::int64_t>(load_u64(p))}; break;
      case HeaderType::byte_array: value = ByteArray(p, p + value_length); break;
      case HeaderType::string: value = std::string(reinterpret_cast<const char*>(p), value_length); break;
      case HeaderType::uuid: {
        Uuid uuid;
        std::memcpy(uuid.bytes.data(), p, uuid.bytes.size());
        value = uuid;
        break;
      }
    }
    p += value_length;
    out.push_back(Header{std::string(name), std::move(value)});
  }
  return has_duplicate_name(std::span(out).subspan(first)) ? errc::duplicate_header : boost::system::error_code{};
}

std::size_t Decoder::feed(std::span<const std::uint8_t> bytes, std::vector<Message>& out,
                          boost::system::error_code& ec) {
  if (error_) {
    ec = error_;
    return 0;
  }
  ec = {};
  const std::uint8_t* p = bytes.data();
  const std::uint8_t* const end = p + bytes.size();
  auto fail = [&](boost::system::error_code e) {
    error_ = e;
    ec = e;
    const auto used = static_cast<std::size_t>(p - bytes.data());
    bytes_consumed_ += used;
    return used;
  };

  while (p != end) {
    const auto available = static_cast<std::size_t>(end - p);
    switch (state_) {
      case State::prelude: {
        const std::size_t take = std::min(kPreludeBytes - filled_, available);
        std::memcpy(prelude_.data() + filled_, p, take);
        filled_ += take;
        p += take;
        if (filled_ == kPreludeBytes) {
          if (auto e = on_prelude()) return fail(e);
        }
        break;
      }
      case State::headers: {
        const std::size_t take = std::min(headers_length_ - headers_.size(), available);
        headers_.append(reinterpret_cast<const char*>(p), take);
        running_crc_ = crc32(p, take, running_crc_);
        p += take;
        if (headers_.size() == headers_length_) state_ = payload_length_ ? State::payload : State::message_crc;
        break;
      }
      case State::payload: {
        std::string& payload = pending_.payload;
        const std::size_t take = std::min(payload_length_ - payload.size(), available);
        payload.append(reinterpret_cast<const char*>(p), take);
        running_crc_ = crc32(p, take, running_crc_);
        p += take;
        if (payload.size() == payload_length_) state_ = State::message_crc;
        break;
      }
      case State::message_crc: {
        const std::size_t take = std::min(kMessageCrcBytes - filled_, available);
        std::memcpy(message_crc_.data() + filled_, p, take);
        filled_ += take;
        p += take;
        if (filled_ == kMessageCrcBytes) {
          if (auto e = on_message_crc()) return fail(e);
          out.push_back(std::move(pending_));
          pending_ = Message{};
          headers_.clear();
          filled_ = 0;
          state_ = State::prelude;
        }
        break;
      }
    }
  }
  bytes_consumed_ += bytes.size();
  return bytes.size();
}

boost::system::error_code Decoder::on_prelude() noexcept {
  const std::uint32_t total_length = load_u32(prelude_.data() + kTotalLengthOffset);
  const std::uint32_t headers_length = load_u32(prelude_.data() + kHeadersLengthOffset);
  const std::uint32_t prelude_crc = load_u32(prelude_.data() + kPreludeCrcOffset);
  // The CRC comes first: a corrupted length must be reported as corruption, never as an oversized or
  // truncated message, and must not make us wait for or allocate bytes that will never come.
  if (crc32(prelude_.data(), kPreludeCrcOffset, 0) != prelude_crc) return errc::prelude_crc_mismatch;
  if (total_length < kMinMessageBytes) return errc::total_length_below_minimum;
  if (total_length > limits_.max_message_bytes) return errc::total_length_exceeds_limit;
  if (headers_length > total_length - kMinMessageBytes) return errc::headers_length_exceeds_total;
  if (headers_length > limits_.max_headers_bytes) return errc::headers_length_exceeds_limit;
  const std::size_t payload_length = std::size_t{total_length} - headers_length - kMinMessageBytes;
  if (payload_length > limits_.max_payload_bytes) return errc::payload_length_exceeds_limit;

  headers_length_ = headers_length;
  payload_length_ = payload_length;
  running_crc_ = crc32(prelude_.data(), kPreludeBytes, 0);
  headers_.reserve(headers_length);
  // Exact reservation keeps the one copy into the payload free of reallocations; bounded by the limits above.
  pending_.payload.reserve(payload_length);
  filled_ = 0;
  enter_body_state();
  return {};
}

void Decoder::enter_body_state() noexcept {
  if (headers_length_ != 0) {
    state_ = State::headers;
  } else if (payload_length_ != 0) {
    state_ = State::payload;
  } else {
    state_ = State::message_crc;
  }
}

boost::system::error_code Decoder::on_message_crc() {
  if (load_u32(message_crc_.data()) != running_crc_) return errc::message_crc_mismatch;
  return parse_headers(std::span(reinterpret_cast<const std::uint8_t*>(headers_.data()), headers_.size()),
                       pending_.headers, limits_.max_header_count);
}

boost::system::error_code Decoder::finish() noexcept {
  if (!error_ && in_message()) error_ = errc::truncated_at_end_of_stream;
  return error_;
}

}  // namespace llamachat::aws::event_stream
