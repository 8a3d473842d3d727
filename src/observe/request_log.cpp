#include "observe/request_log.hpp"

#include <charconv>
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

// A field's name as each format writes it before the value, spelled out whole so that it costs one
// append: `,"name":` in JSON and ` name=` in text.
struct FieldKey {
  std::string_view json;
  std::string_view text;
};
constexpr FieldKey kRequestId{R"(,"request_id":)", " request_id="};
constexpr FieldKey kUpstreamRequestId{R"(,"upstream_request_id":)", " upstream_request_id="};
constexpr FieldKey kMethod{R"(,"method":)", " method="};
constexpr FieldKey kRoute{R"(,"route":)", " route="};
constexpr FieldKey kStatus{R"(,"status":)", " status="};
constexpr FieldKey kModel{R"(,"model":)", " model="};
constexpr FieldKey kInputTokens{R"(,"input_tokens":)", " input_tokens="};
constexpr FieldKey kOutputTokens{R"(,"output_tokens":)", " output_tokens="};
constexpr FieldKey kTtftMs{R"(,"ttft_ms":)", " ttft_ms="};
constexpr FieldKey kDurationMs{R"(,"duration_ms":)", " duration_ms="};

// Writes a field's key and value; an unknown value is null in JSON and left out in text.
class LineWriter {
 public:
  LineWriter(util::LogFormat format, std::string& out) : json_(format == util::LogFormat::json), out_(out) {}

  void text(const FieldKey& key, std::string_view value) {
    if (value.empty()) return null(key);
    begin(key);
    if (json_) {
      util::append_json_quoted(out_, value);
    } else {
      append_text_value(value);
    }
  }
  void number(const FieldKey& key, std::optional<std::uint64_t> value) {
    if (!value) return null(key);
    begin(key);
    append_number(out_, *value);
  }
  void millis(const FieldKey& key, std::optional<std::chrono::microseconds> value) {
    if (!value) return null(key);
    begin(key);
    append_millis(out_, *value);
  }

 private:
  void begin(const FieldKey& key) { out_ += json_ ? key.json : key.text; }
  void null(const FieldKey& key) {
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
