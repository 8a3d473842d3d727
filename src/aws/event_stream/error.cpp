#include "aws/event_stream/error.hpp"

#include <string>

namespace llamachat::aws::event_stream {
namespace {

class Category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "llamachat.aws.event_stream"; }

  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::prelude_crc_mismatch: return "event-stream prelude crc mismatch";
      case errc::message_crc_mismatch: return "event-stream message crc mismatch";
      case errc::total_length_below_minimum: return "event-stream total_length below the 16-byte minimum";
      case errc::total_length_exceeds_limit:
        return "event-stream total_length exceeds the message size limit (default 25296912 bytes)";
      case errc::headers_length_exceeds_total: return "event-stream headers_length exceeds total_length - 16";
      case errc::headers_length_exceeds_limit:
        return "event-stream headers_length exceeds the headers limit (default 131072 bytes)";
      case errc::payload_length_exceeds_limit:
        return "event-stream payload exceeds the payload limit (default 25165824 bytes)";
      case errc::header_truncated: return "event-stream header runs past the end of the header block";
      case errc::header_name_empty: return "event-stream header name is empty";
      case errc::unknown_header_value_type: return "event-stream header value type is not one of 0..9";
      case errc::header_value_too_long: return "event-stream header value exceeds 32767 bytes";
      case errc::duplicate_header: return "event-stream header name appears twice in one message";
      case errc::too_many_headers: return "event-stream message has too many headers";
      case errc::truncated_at_end_of_stream: return "event-stream ended inside a message";
      case errc::header_name_too_long: return "event-stream header name exceeds 255 bytes";
    }
    return "unknown event-stream error " + std::to_string(ev);
  }
};

}  // namespace

const boost::system::error_category& error_category() noexcept {
  static const Category category;
  return category;
}

}  // namespace llamachat::aws::event_stream
