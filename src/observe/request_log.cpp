#include "observe/request_log.hpp"

#include <charconv>
#include <cstddef>
#include <optional>
#include <string_view>

#include "util/clock.hpp"
#include "util/json_text.hpp"

namespace llamachat::observe {
namespace {

void append_number(std::string& out, std::uint64_t value) {
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, end);
}

// Milliseconds with three decimals, from microseconds (exact, no floating point).
void append_millis(std::string& out, std::chrono::microseconds value) {
  const auto micros = static_cast<std::uint64_t>(value.count() < 0 ? 0 : value.count());
  append_number(out, micros / 1000);
  const auto rest = static_cast<unsigned>(micros % 1000);
  out += '.';
  out += static_cast<char>('0' + rest / 100);
  out += static_cast<char>('0' + rest / 10 % 10);
  out += static_cast<char>('0' + rest % 10);
}

// How each format writes a field's name before its value: `,"name":` in JSON and ` name=` in text.
struct KeySpelling {
  std::string_view json;
  std::string_view text;
};

// Both spellings of one field's name, built from the name at compile time, so that writing a key costs
// one append and the two formats cannot disagree on a name. N counts the name's terminating NUL.
template <std::size_t N>
class FieldKey {
 public:
  consteval FieldKey(const char (&name)[N]) {  // NOLINT(google-explicit-constructor): the table reads as names
    json_[0] = ',';
    json_[1] = '"';
    text_[0] = ' ';
    for (std::size_t i = 0; i + 1 < N; ++i) {
      json_[2 + i] = name[i];
      text_[1 + i] = name[i];
    }
    json_[N + 1] = '"';
    json_[N + 2] = ':';
    text_[N] = '=';
  }
  constexpr operator KeySpelling() const noexcept {  // NOLINT(google-explicit-constructor)
    return {{json_, N + 3}, {text_, N + 1}};
  }

 private:
  char json_[N + 3]{};
  char text_[N + 1]{};
};

constexpr FieldKey kRequestId{"request_id"};
constexpr FieldKey kUpstreamRequestId{"upstream_request_id"};
constexpr FieldKey kMethod{"method"};
constexpr FieldKey kRoute{"route"};
constexpr FieldKey kStatus{"status"};
constexpr FieldKey kModel{"model"};
constexpr FieldKey kInputTokens{"input_tokens"};
constexpr FieldKey kOutputTokens{"output_tokens"};
constexpr FieldKey kTtftMs{"ttft_ms"};
constexpr FieldKey kDurationMs{"duration_ms"};

// Writes a field's key and value; an unknown value is null in JSON and left out in text.
class LineWriter {
 public:
  LineWriter(util::LogFormat format, std::string& out) : json_(format == util::LogFormat::json), out_(out) {}

  void text(KeySpelling key, std::string_view value) {
    if (value.empty()) return null(key);
    begin(key);
    if (json_) {
      util::append_json_quoted(out_, value);
    } else {
      append_text_value(value);
    }
  }
  void number(KeySpelling key, std::optional<std::uint64_t> value) {
    if (!value) return null(key);
    begin(key);
    append_number(out_, *value);
  }
  void millis(KeySpelling key, std::optional<std::chrono::microseconds> value) {
    if (!value) return null(key);
    begin(key);
    append_millis(out_, *value);
  }

 private:
  void begin(KeySpelling key) { out_ += json_ ? key.json : key.text; }
  void null(KeySpelling key) {
    if (!json_) return;
    begin(key);
    out_ += "null";
  }
  // Text values are single tokens: anything outside printable ASCII, spaces and '=' become '_', so a
  // value cannot forge another field or line.
  void append_text_value(std::string_view value) {
    for (const char c : value) {
      const auto byte = static_cast<unsigned char>(c);
      out_ += byte > 0x20 && byte < 0x7f && c != '=' ? c : '_';
    }
  }

  bool json_;
  std::string& out_;
};

}  // namespace

void append_request_line(std::string& line, util::LogFormat format, const RequestLogFields& fields) {
  if (format == util::LogFormat::json) {
    line += "{\"ts\":\"";
    util::append_iso8601(line, fields.time);
    line += "\",\"level\":\"info\",\"msg\":\"request\"";
  } else {
    util::append_iso8601(line, fields.time);
    line += " INFO request";
  }
  const RequestRecord& r = fields.record;
  LineWriter w(format, line);
  w.text(kRequestId, fields.request_id);
  w.text(kUpstreamRequestId, r.upstream_request_id.view());
  w.text(kMethod, fields.method);
  w.text(kRoute, route_name(r.route));
  w.number(kStatus, r.status);
  w.text(kModel, fields.model);
  w.number(kInputTokens, r.input_tokens);
  w.number(kOutputTokens, r.output_tokens);
  w.millis(kTtftMs, r.ttft);
  w.millis(kDurationMs, r.duration);
  line += format == util::LogFormat::json ? "}\n" : "\n";
}

std::string format_request_line(util::LogFormat format, const RequestLogFields& fields) {
  std::string line;
  append_request_line(line, format, fields);
  return line;
}

}  // namespace llamachat::observe
