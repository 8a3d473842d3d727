#pragma once
// Reads one HTTP/1.1 response on a client connection. Header fields are kept as offsets into one string;
// both the string and the offsets are owned by the connection and reused from response to response
// (Beast's message type allocates once per field, six times for a Bedrock reply). Body bytes are copied
// straight into the caller's piece buffer, as beast::http::buffer_body would (need_buffer when the piece
// is full).
#include <boost/beast/http/basic_parser.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "http/client/client.hpp"

namespace llamachat::http {

class ResponseParser final : public boost::beast::http::basic_parser<false> {
 public:
  struct FieldRef {
    std::uint32_t at, name_size, value_size;
  };
  // Clears `text` and `fields` (keeping their capacity) and records the response's fields there.
  ResponseParser(std::string& text, std::vector<FieldRef>& fields);

  unsigned status() const noexcept { return status_; }
  // The first field of that name, compared case-insensitively; empty when absent.
  std::string_view field(std::string_view name) const noexcept;
  HeaderList field_list() const;
  // Where the next body bytes go; piece_left() is the room that remains after a read.
  void set_piece(char* data, std::size_t size) noexcept {
    piece_ = data;
    piece_left_ = size;
  }
  std::size_t piece_left() const noexcept { return piece_left_; }

 private:
  using error_code = boost::system::error_code;
  using string_view = boost::beast::string_view;
  std::string_view name_of(const FieldRef& f) const noexcept { return {text_.data() + f.at, f.name_size}; }
  std::string_view value_of(const FieldRef& f) const noexcept {
    return {text_.data() + f.at + f.name_size, f.value_size};
  }
  void on_request_impl(boost::beast::http::verb, string_view, string_view, int, error_code& ec) override;
  void on_response_impl(int code, string_view, int, error_code&) override;
  void on_field_impl(boost::beast::http::field, string_view name, string_view value, error_code&) override;
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) override {}
  std::size_t on_body_impl(string_view body, error_code& ec) override { return take_body(body, ec); }
  void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code& ec) override {
    return take_body(body, ec);
  }
  void on_finish_impl(error_code&) override {}
  std::size_t take_body(string_view body, error_code& ec);

  std::string& text_;
  std::vector<FieldRef>& fields_;
  unsigned status_ = 0;
  char* piece_ = nullptr;
  std::size_t piece_left_ = 0;
};

}  // namespace llamachat::http
