#include "aws/event_stream/message.hpp"

namespace llamachat::aws::event_stream {

HeaderType header_type(const HeaderValue& value) noexcept {
  switch (value.index()) {
    case 0: return std::get<bool>(value) ? HeaderType::bool_true : HeaderType::bool_false;
    case 1: return HeaderType::byte;
    case 2: return HeaderType::int16;
    case 3: return HeaderType::int32;
    case 4: return HeaderType::int64;
    case 5: return HeaderType::byte_array;
    case 6: return HeaderType::string;
    case 7: return HeaderType::timestamp;
    default: return HeaderType::uuid;
  }
}

const Header* Message::find(std::string_view name) const noexcept {
  for (const auto& header : headers) {
    if (header.name == name) return &header;
  }
  return nullptr;
}

std::optional<std::string_view> Message::string_header(std::string_view name) const noexcept {
  const Header* header = find(name);
  if (header == nullptr) return std::nullopt;
  if (const auto* s = std::get_if<std::string>(&header->value)) return std::string_view(*s);
  return std::nullopt;
}

}  // namespace llamachat::aws::event_stream
