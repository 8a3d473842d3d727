#include "directives.hpp"

#include <charconv>

namespace llamachat::emulator {
namespace {

constexpr std::string_view kMarkerOpen = "[[emulate:";
constexpr std::string_view kMarkerClose = "]]";

bool parse_size(std::string_view text, std::size_t& out) noexcept {
  if (text.empty()) return false;
  std::size_t value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || ptr != text.data() + text.size()) return false;
  out = value;
  return true;
}

bool is_separator(char c) noexcept { return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::optional<Shape> parse_shape(std::string_view name) noexcept {
  if (name == "generation") return Shape::generation;
  if (name == "completion") return Shape::completion;
  if (name == "text") return Shape::text;
  if (name == "choices") return Shape::choices;
  if (name == "messages") return Shape::messages;
  if (name == "converse") return Shape::converse;
  return std::nullopt;
}

std::optional<Fault> parse_fault(std::string_view name) noexcept {
  if (name == "throttle") return Fault::throttle;
  if (name == "500") return Fault::internal;
  if (name == "503") return Fault::unavailable;
  if (name == "access_denied") return Fault::access_denied;
  if (name == "validation") return Fault::validation;
  if (name == "on_demand") return Fault::on_demand;
  if (name == "not_found") return Fault::not_found;
  if (name == "model_timeout") return Fault::model_timeout;
  if (name == "model_error") return Fault::model_error;
  if (name == "quota") return Fault::quota;
  if (name == "not_ready") return Fault::not_ready;
  return std::nullopt;
}

// Splits "name=value" or "name@value"; `value` is empty when there is neither.
void split(std::string_view directive, std::string_view& name, std::string_view& value, char& sep) noexcept {
  const std::size_t pos = directive.find_first_of("=@");
  if (pos == std::string_view::npos) {
    name = directive;
    value = {};
    sep = 0;
    return;
  }
  name = directive.substr(0, pos);
  value = directive.substr(pos + 1);
  sep = directive[pos];
}

bool apply(std::string_view directive, Directives& out) {
  std::string_view name, value;
  char sep = 0;
  split(directive, name, value, sep);
  std::size_t n = 0;

  if (sep == 0) {
    if (auto fault = parse_fault(name)) {
      out.fault = *fault;
      return true;
    }
    if (name == "empty") return out.empty = true;
    if (name == "nonjson") return out.nonjson = true;
    if (name == "drop") return out.drop = true;
    if (name == "drop_mid_body") return out.drop_mid_body = true;
    if (name == "reset") return out.drop = out.reset = true;
    if (name == "reset_mid_body") return out.drop_mid_body = out.reset = true;
    if (name == "broken_frame") return out.broken_frame_at = 1, true;
    if (name == "stall") return out.stall_at = 1, true;
    return false;
  }
  if (sep == '=') {
    if (name == "shape") {
      const auto shape = parse_shape(value);
      if (!shape) return false;
      out.shape = *shape;
      return true;
    }
    if (name == "empty") {
      if (value != "whitespace") return false;
      return out.empty_whitespace = true;
    }
    if (name == "stream_exception") {
      // "stream_exception=throttlingException@3"
      const std::size_t at = value.find('@');
      std::string_view type = value.substr(0, at);
      if (type.empty()) return false;
      if (at != std::string_view::npos) {
        if (!parse_size(value.substr(at + 1), n)) return false;
        out.stream_exception_at = n;
      } else {
        out.stream_exception_at = 1;
      }
      std::string lowered(type);
      if (lowered[0] >= 'A' && lowered[0] <= 'Z') lowered[0] = static_cast<char>(lowered[0] - 'A' + 'a');
      out.stream_exception = std::move(lowered);
      return true;
    }
    if (!parse_size(value, n)) return false;
    if (name == "slow") return out.slow = std::chrono::milliseconds(n), true;
    if (name == "delay") return out.delay = std::chrono::milliseconds(n), true;
    if (name == "chunk") {
      if (n == 0) return false;
      return out.chunk = n, true;
    }
    if (name == "words") return out.words = n, true;
    return false;
  }
  // sep == '@'
  if (!parse_size(value, n)) return false;
  if (name == "broken_frame") return out.broken_frame_at = n, true;
  if (name == "stall") return out.stall_at = n, true;
  return false;
}

}  // namespace

bool apply_directive(std::string_view directive, Directives& out) {
  while (!directive.empty() && is_separator(directive.front())) directive.remove_prefix(1);
  while (!directive.empty() && is_separator(directive.back())) directive.remove_suffix(1);
  if (directive.empty()) return true;
  if (apply(directive, out)) {
    out.applied.emplace_back(directive);
    return true;
  }
  out.unknown.emplace_back(directive);
  return false;
}

void apply_directive_list(std::string_view list, Directives& out) {
  std::size_t pos = 0;
  while (pos < list.size()) {
    while (pos < list.size() && is_separator(list[pos])) ++pos;
    std::size_t end = pos;
    while (end < list.size() && !is_separator(list[end])) ++end;
    if (end > pos) apply_directive(list.substr(pos, end - pos), out);
    pos = end;
  }
}

std::string apply_markers(std::string_view text, Directives& out) {
  std::string rest;
  rest.reserve(text.size());
  std::size_t pos = 0;
  for (;;) {
    const std::size_t open = text.find(kMarkerOpen, pos);
    if (open == std::string_view::npos) break;
    const std::size_t close = text.find(kMarkerClose, open + kMarkerOpen.size());
    if (close == std::string_view::npos) break;
    rest.append(text.substr(pos, open - pos));
    apply_directive_list(text.substr(open + kMarkerOpen.size(), close - open - kMarkerOpen.size()), out);
    pos = close + kMarkerClose.size();
  }
  rest.append(text.substr(pos));
  return rest;
}

std::string_view to_string(Shape shape) noexcept {
  switch (shape) {
    case Shape::generation: return "generation";
    case Shape::completion: return "completion";
    case Shape::text: return "text";
    case Shape::choices: return "choices";
    case Shape::messages: return "messages";
    case Shape::converse: return "converse";
  }
  return "generation";
}

}  // namespace llamachat::emulator
