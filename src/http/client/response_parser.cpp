#include "http/client/response_parser.hpp"

#include <algorithm>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <cstring>

namespace llamachat::http {
namespace bhttp = boost::beast::http;

ResponseParser::ResponseParser(std::string& text, std::vector<FieldRef>& fields) : text_(text), fields_(fields) {
  text_.clear();
  fields_.clear();
}

std::string_view ResponseParser::field(std::string_view name) const noexcept {
  for (const FieldRef& f : fields_)
    if (boost::beast::iequals(name_of(f), name)) return value_of(f);
  return {};
}

HeaderList ResponseParser::field_list() const {
  HeaderList out;
  out.reserve(fields_.size());
  for (const FieldRef& f : fields_) out.emplace_back(name_of(f), value_of(f));
  return out;
}

void ResponseParser::on_request_impl(bhttp::verb, string_view, string_view, int, error_code& ec) {
  ec = bhttp::error::bad_method;  // never called: this is a response parser
}

void ResponseParser::on_response_impl(int code, string_view, int, error_code&) {
  status_ = static_cast<unsigned>(code);
}

void ResponseParser::on_field_impl(bhttp::field, string_view name, string_view value, error_code&) {
  fields_.push_back({static_cast<std::uint32_t>(text_.size()), static_cast<std::uint32_t>(name.size()),
                     static_cast<std::uint32_t>(value.size())});
  text_.append(name);
  text_.append(value);
}

std::size_t ResponseParser::take_body(string_view body, error_code& ec) {
  const std::size_t n = std::min(body.size(), piece_left_);
  if (n > 0) std::memcpy(piece_, body.data(), n);
  piece_ += n;
  piece_left_ -= n;
  if (n < body.size()) ec = bhttp::error::need_buffer;
  return n;
}

}  // namespace llamachat::http
