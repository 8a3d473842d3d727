#include "backends/openai/sse_parser.hpp"

namespace llamachat::backends::openai {

SseError SseParser::feed(std::string_view bytes, std::vector<SseEvent>& events) {
  if (error_ != SseError::none) return error_;
  std::size_t pos = 0;
  if (skip_next_lf_ && !bytes.empty()) {
    skip_next_lf_ = false;
    if (bytes.front() == '\n') pos = 1;
  }
  while (pos < bytes.size()) {
    const std::size_t end = bytes.find_first_of("\r\n", pos);
    if (end == std::string_view::npos) {
      if (line_.size() + (bytes.size() - pos) > max_line_bytes_) return error_ = SseError::line_too_long;
      line_.append(bytes.substr(pos));
      break;
    }
    const std::string_view piece = bytes.substr(pos, end - pos);
    if (line_.empty()) {
      take_line(piece, events);  // the common case: the whole line is in this feed, no copy
    } else {
      if (line_.size() + piece.size() > max_line_bytes_) return error_ = SseError::line_too_long;
      line_.append(piece);
      take_line(line_, events);
      line_.clear();
    }
    if (data_.size() > max_line_bytes_) return error_ = SseError::event_too_long;
    pos = end + 1;
    if (bytes[end] == '\r') {
      if (pos == bytes.size())
        skip_next_lf_ = true;
      else if (bytes[pos] == '\n')
        ++pos;
    }
  }
  return SseError::none;
}

void SseParser::take_line(std::string_view line, std::vector<SseEvent>& events) {
  if (line.empty()) {
    if (has_data_) {
      if (!data_.empty() && data_.back() == '\n') data_.pop_back();
      events.push_back(SseEvent{std::move(type_), std::move(data_)});
    }
    type_.clear();
    data_.clear();
    has_data_ = false;
    return;
  }
  if (line.front() == ':') return;  // a comment (servers send them as keep-alives)
  const std::size_t colon = line.find(':');
  const std::string_view field = line.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (field == "data") {
    data_.append(value);
    data_.push_back('\n');
    has_data_ = true;
  } else if (field == "event") {
    type_.assign(value);
  } else if (field == "error") {
    // Not a standard field: llama.cpp's server reports a failure mid-stream as an "error: {...}" line.
    type_.assign("error");
    data_.append(value);
    data_.push_back('\n');
    has_data_ = true;
  }
  // "id", "retry" and unknown fields are ignored: a reconnecting EventSource needs them, we do not.
}

}  // namespace llamachat::backends::openai
