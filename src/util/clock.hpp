#pragma once
// Time is an input: everything that stamps or compares wall-clock time takes a Clock.
#include <chrono>
#include <functional>
#include <string>

namespace llamachat::util {

using Clock = std::function<std::chrono::system_clock::time_point()>;

inline Clock system_clock() {
  return [] { return std::chrono::system_clock::now(); };
}

// "20150830T123600Z" (SigV4 X-Amz-Date) and "2015-08-30T12:36:00Z" (ISO 8601, logs).
std::string format_amz_date(std::chrono::system_clock::time_point t);
std::string format_iso8601(std::chrono::system_clock::time_point t);
// format_iso8601 appended to `out` (no allocation of its own).
void append_iso8601(std::string& out, std::chrono::system_clock::time_point t);
// Parses "YYYY-MM-DDTHH:MM:SS[.fff]Z" or with a "+00:00" offset; false on anything else.
bool parse_iso8601(std::string_view text, std::chrono::system_clock::time_point& out) noexcept;

}  // namespace llamachat::util
