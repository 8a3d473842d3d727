#include "observe/request_log.hpp"

#include <charconv>
#include <optional>

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

// Writes `"key":` (JSON) or ` key=` (text) and reports whether the value follows.
class LineWriter {
 public:
  LineWriter(util::LogFormat format, std::string& out) : json_(format == util::LogFormat::json), out_(out) {}

  void text(std::string_view key, std::string_view value) {
    if (value.empty()) return null(key);
    begin(key);
    if (json_) {
      util::append_json_quoted(out_, value);
    } else {
      append_text_value(value);
    }
  }
  void number(std::string_view key, std::optional<std::uint64_t> value) {
    if (!value) return null(key);
    begin(key);
    append_number(out_, *value);
  }
  void millis(std::string_view key, std::optional<std::chrono::microseconds> value) {
    if (!value) return null(key);
    begin(key);
    append_millis(out_, *value);
  }

 private:
  void begin(std::string_view key) {
    if (json_) {
      out_ += ",\"";
      out_ += key;
      out_ += "\":";
    } else {
      out_ += ' ';
      out_ += key;
      out_ += '=';
    }
  }
  void null(std::string_view key) {
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
  w.text("request_id", fields.request_id);
  w.text("upstream_request_id", r.upstream_request_id.view());
  w.text("method", fields.method);
  w.text("route", route_name(r.route));
  w.number("status", r.status);
  w.text("model", fields.model);
  w.number("input_tokens", r.input_tokens);
  w.number("output_tokens", r.output_tokens);
  w.millis("ttft_ms", r.ttft);
  w.millis("duration_ms", r.duration);
  line += format == util::LogFormat::json ? "}\n" : "\n";
}

std::string format_request_line(util::LogFormat format, const RequestLogFields& fields) {
  std::string line;
  append_request_line(line, format, fields);
  return line;
}

}  // namespace llamachat::observe
