#include "chat/stop_sequences.hpp"

#include <algorithm>

namespace llamachat::chat {
namespace {

// Bytes at the end of `text` that start a UTF-8 sequence whose remaining bytes have not arrived yet.
std::size_t incomplete_utf8_tail(std::string_view text) noexcept {
  const std::size_t n = text.size();
  for (std::size_t back = 1; back <= 3 && back <= n; ++back) {
    const auto c = static_cast<unsigned char>(text[n - back]);
    if ((c & 0xC0) == 0x80) continue;  // continuation byte: look further back for the lead byte
    const std::size_t length = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    return length > back ? back : 0;
  }
  return 0;
}

}  // namespace

StopCutter::StopCutter(std::vector<std::string> stops) : stops_(std::move(stops)) {
  // An empty stop string would match before the first byte of every reply; it means nothing.
  std::erase_if(stops_, [](const std::string& s) { return s.empty(); });
}

bool StopCutter::stopped() const noexcept { return stopped_; }

std::string_view StopCutter::feed(std::string_view delta) {
  if (stopped_) return {};
  std::string_view text = delta;
  if (!held_.empty()) {
    held_.append(delta);
    out_.swap(held_);
    held_.clear();
    text = out_;
  }
  // The stop that completes first in the reply wins (the smallest end; on a tie the longest), so the
  // result does not depend on how the reply was split into deltas.
  std::size_t cut = std::string_view::npos;
  std::size_t first_end = std::string_view::npos;
  for (const auto& stop : stops_) {
    const std::size_t at = text.find(stop);
    if (at == std::string_view::npos) continue;
    const std::size_t end = at + stop.size();
    if (end < first_end || (end == first_end && at < cut)) {
      first_end = end;
      cut = at;
    }
  }
  if (cut != std::string_view::npos) {
    stopped_ = true;
    return text.substr(0, cut);
  }
  // Hold back the longest tail that may still become a stop string, and a code point cut in two.
  std::size_t hold = 0;
  for (const auto& stop : stops_) {
    const std::size_t longest = std::min(stop.size() - 1, text.size());
    for (std::size_t len = longest; len > hold; --len) {
      if (text.substr(text.size() - len) == std::string_view(stop).substr(0, len)) {
        hold = len;
        break;
      }
    }
  }
  hold = std::max(hold, incomplete_utf8_tail(text));
  const std::string_view ready = text.substr(0, text.size() - hold);
  if (hold > 0) {
    // `text` may live in out_; keep the tail in held_ before out_ is touched again.
    held_.assign(text.substr(text.size() - hold));
  }
  return ready;
}

std::string_view StopCutter::flush() {
  if (stopped_) return {};
  out_.swap(held_);
  held_.clear();
  return out_;
}

StopCuttingSink::StopCuttingSink(EventSink& inner, std::vector<std::string> stops)
    : inner_(inner), cutter_(std::move(stops)) {}

boost::asio::awaitable<bool> StopCuttingSink::on_delta(std::string_view text) {
  if (cutter_.stopped()) co_return false;
  const std::string_view ready = cutter_.feed(text);
  if (!ready.empty()) {
    const bool delivered = co_await inner_.on_delta(ready);
    if (!delivered) co_return false;
  }
  // After a stop the backend must end the upstream call: the rest of the reply is not wanted.
  co_return !cutter_.stopped();
}

boost::asio::awaitable<bool> StopCuttingSink::finish() {
  const std::string_view rest = cutter_.flush();
  if (rest.empty()) co_return true;
  const bool delivered = co_await inner_.on_delta(rest);
  co_return delivered;
}

bool StopCuttingSink::stopped() const noexcept { return cutter_.stopped(); }

}  // namespace llamachat::chat
