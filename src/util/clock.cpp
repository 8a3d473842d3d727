#include "util/clock.hpp"

namespace llamachat::util {
namespace {

// The civil UTC fields of `t`, by calendar arithmetic (std::chrono): no gmtime_r, whose glibc version
// takes the time zone lock, on a path that runs for every request.
struct UtcFields {
  int year;
  unsigned month, day, hour, minute, second;
};

UtcFields to_utc(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto seconds_since_epoch = floor<seconds>(t);
  const auto day_start = floor<days>(seconds_since_epoch);
  const year_month_day ymd{day_start};
  const hh_mm_ss<seconds> time{seconds_since_epoch - day_start};
  return {static_cast<int>(ymd.year()),
          static_cast<unsigned>(ymd.month()),
          static_cast<unsigned>(ymd.day()),
          static_cast<unsigned>(time.hours().count()),
          static_cast<unsigned>(time.minutes().count()),
          static_cast<unsigned>(time.seconds().count())};
}

// `value` as exactly `width` decimal digits (zero-padded; higher digits are dropped) at `out`.
void put_digits(char* out, unsigned value, int width) {
  for (int i = width - 1; i >= 0; --i, value /= 10) out[i] = static_cast<char>('0' + value % 10);
}

bool read_digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

}  // namespace

// Digits by hand, no snprintf: these run for every signed request and every request log line.
std::string format_amz_date(std::chrono::system_clock::time_point t) {
  const UtcFields f = to_utc(t);
  std::string out(16, '0');  // YYYYMMDDTHHMMSSZ
  put_digits(&out[0], static_cast<unsigned>(f.year), 4);
  put_digits(&out[4], f.month, 2);
  put_digits(&out[6], f.day, 2);
  out[8] = 'T';
  put_digits(&out[9], f.hour, 2);
  put_digits(&out[11], f.minute, 2);
  put_digits(&out[13], f.second, 2);
  out[15] = 'Z';
  return out;
}

void append_iso8601(std::string& out, std::chrono::system_clock::time_point t) {
  const UtcFields f = to_utc(t);
  char text[20] = {'0', '0', '0', '0', '-', '0', '0', '-', '0', '0', 'T', '0', '0', ':', '0', '0', ':', '0', '0', 'Z'};
  put_digits(&text[0], static_cast<unsigned>(f.year), 4);
  put_digits(&text[5], f.month, 2);
  put_digits(&text[8], f.day, 2);
  put_digits(&text[11], f.hour, 2);
  put_digits(&text[14], f.minute, 2);
  put_digits(&text[17], f.second, 2);
  out.append(text, sizeof text);
}

std::string format_iso8601(std::chrono::system_clock::time_point t) {
  std::string out;
  append_iso8601(out, t);
  return out;
}

bool parse_iso8601(std::string_view s, std::chrono::system_clock::time_point& out) noexcept {
  int year, mon, day, hour, min, sec;
  if (!read_digits(s, 0, 4, year) || s.size() < 19 || s[4] != '-' || !read_digits(s, 5, 2, mon) || s[7] != '-' ||
      !read_digits(s, 8, 2, day) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !read_digits(s, 11, 2, hour) ||
      s[13] != ':' || !read_digits(s, 14, 2, min) || s[16] != ':' || !read_digits(s, 17, 2, sec))
    return false;
  std::size_t pos = 19;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
  }
  const std::string_view zone = s.substr(pos);
  if (zone != "Z" && zone != "z" && zone != "+00:00" && zone != "+0000") return false;
  if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60) return false;
  using namespace std::chrono;
  const year_month_day ymd{std::chrono::year{year}, month{static_cast<unsigned>(mon)},
                           std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return false;
  const sys_seconds at = sys_days{ymd} + hours{hour} + minutes{min} + seconds{sec};
  // system_clock counts nanoseconds in 64 bits: about 1677 to 2262. Outside that, converting overflows.
  constexpr auto earliest = floor<seconds>(system_clock::time_point::min()) + seconds{1};
  constexpr auto latest = floor<seconds>(system_clock::time_point::max());
  if (at.time_since_epoch() < earliest.time_since_epoch() || at.time_since_epoch() > latest.time_since_epoch())
    return false;
  out = at;
  return true;
}

}  // namespace llamachat::util
