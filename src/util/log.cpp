#include "util/log.hpp"

#include <atomic>
#include <cstdio>
#include <mutex>

#include "util/clock.hpp"
#include "util/json_text.hpp"

namespace llamachat::util {
namespace {

std::atomic<LogLevel> g_level{LogLevel::info};
std::atomic<LogFormat> g_format{LogFormat::text};
std::mutex g_mutex;

const char* text_level_name(LogLevel level) {
  switch (level) {
    case LogLevel::debug: return "DEBUG";
    case LogLevel::info: return "INFO";
    case LogLevel::warn: return "WARN";
    case LogLevel::error: return "ERROR";
  }
  return "?";
}

}  // namespace

void set_log_level(LogLevel level) noexcept { g_level.store(level, std::memory_order_relaxed); }

bool log_enabled(LogLevel level) noexcept { return level >= g_level.load(std::memory_order_relaxed); }

void set_log_format(LogFormat format) noexcept { g_format.store(format, std::memory_order_relaxed); }

LogFormat log_format() noexcept { return g_format.load(std::memory_order_relaxed); }

LogFormat default_log_format(bool stderr_is_terminal) noexcept {
  return stderr_is_terminal ? LogFormat::text : LogFormat::json;
}

std::string_view log_level_name(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warn: return "warn";
    case LogLevel::error: return "error";
  }
  return "info";
}

std::string format_log_line(LogFormat format, std::chrono::system_clock::time_point time, LogLevel level,
                            std::string_view message) {
  std::string line;
  if (format == LogFormat::json) {
    line.reserve(message.size() + 64);
    line += "{\"ts\":\"";
    append_iso8601(line, time);
    line += "\",\"level\":\"";
    line += log_level_name(level);
    line += "\",\"msg\":";
    append_json_quoted(line, message);
    line += "}\n";
    return line;
  }
  line = format_iso8601(time);
  line += ' ';
  line += text_level_name(level);
  line += ' ';
  line += message;
  line += '\n';
  return line;
}

namespace {

constexpr std::size_t kPendingFlushBytes = 64 * 1024;

// This thread's lines not yet written; whole lines only, so a write never splits one.
struct PendingLines {
  std::string text;
  PendingLines() = default;
  PendingLines(const PendingLines&) = delete;
  PendingLines& operator=(const PendingLines&) = delete;
  ~PendingLines() { flush(); }
  void flush() {
    if (text.empty()) return;
    std::lock_guard lock(g_mutex);
    std::fwrite(text.data(), 1, text.size(), stderr);
    std::fflush(stderr);
    text.clear();
  }
};

PendingLines& pending_lines() {
  thread_local PendingLines pending;
  return pending;
}

}  // namespace

void append_log_line(LogLevel level, std::string_view line) {
  if (!log_enabled(level)) return;
  PendingLines& pending = pending_lines();
  pending.text.append(line);
  if (pending.text.size() >= kPendingFlushBytes) pending.flush();
}

void flush_thread_log() { pending_lines().flush(); }

void log(LogLevel level, std::string_view message) {
  if (!log_enabled(level)) return;
  const std::string line = format_log_line(log_format(), std::chrono::system_clock::now(), level, message);
  std::lock_guard lock(g_mutex);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

void write_log_line(LogLevel level, std::string_view line) {
  if (!log_enabled(level)) return;
  std::lock_guard lock(g_mutex);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace llamachat::util
