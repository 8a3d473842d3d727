#include "util/clock.hpp"

#include <cstdio>
#include <ctime>

namespace llamachat::util {
namespace {

std::tm to_utc(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  return tm;
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

// Digits by hand: this runs for every signed request, and snprintf cost more than the rest of it.
std::string format_amz_date(std::chrono::system_clock::time_point t) {
  const std::tm tm = to_utc(t);
  std::string out(16, '0');  // YYYYMMDDTHHMMSSZ
  const auto put = [&out](std::size_t at, int value, int width) {
    for (int i = width - 1; i >= 0; --i, value /= 10)
      out[at + static_cast<std::size_t>(i)] = static_cast<char>('0' + value % 10);
  };
  put(0, tm.tm_year + 1900, 4);
  put(4, tm.tm_mon + 1, 2);
  put(6, tm.tm_mday, 2);
  out[8] = 'T';
  put(9, tm.tm_hour, 2);
  put(11, tm.tm_min, 2);
  put(13, tm.tm_sec, 2);
  out[15] = 'Z';
  return out;
}

std::string format_iso8601(std::chrono::system_clock::time_point t) {
  const std::tm tm = to_utc(t);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
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
