#pragma once
// Process-wide logger: one line per event on stderr, as text ("<UTC time> <LEVEL> <message>") or as a
// JSON object ({"ts":...,"level":...,"msg":...}), chosen once at start (LLAMACHAT_LOG_FORMAT).
// Thread-safe. Never pass secrets (credentials, Authorization headers) or prompts and replies.
#include <chrono>
#include <string>
#include <string_view>

namespace llamachat::util {

enum class LogLevel { debug, info, warn, error };
enum class LogFormat { text, json };

void set_log_level(LogLevel level) noexcept;
bool log_enabled(LogLevel level) noexcept;
void set_log_format(LogFormat format) noexcept;
LogFormat log_format() noexcept;
// JSON for collectors (stderr is a pipe or a file), text for a person at a terminal.
LogFormat default_log_format(bool stderr_is_terminal) noexcept;

// "debug", "info", "warn", "error".
std::string_view log_level_name(LogLevel level) noexcept;

// One line in `format`, with its newline (pure). JSON lines are always valid UTF-8: invalid bytes in
// `message` become U+FFFD.
std::string format_log_line(LogFormat format, std::chrono::system_clock::time_point time, LogLevel level,
                            std::string_view message);

void log(LogLevel level, std::string_view message);
// Writes a line formatted by the caller (with its newline) when `level` is enabled.
void write_log_line(LogLevel level, std::string_view line);
// The same for lines written often (one per request): the line joins this thread's pending lines, which
// are written together, in one write, when they pass 64 KiB, on flush_thread_log() and when the thread
// ends. A write and a process-wide lock per request cost a fifth of /chat's throughput at 50 connections
// (docs/performance.md). Each server worker flushes on its deadline sweep, so a line waits at most 250 ms.
void append_log_line(LogLevel level, std::string_view line);
void flush_thread_log();

inline void log_debug(std::string_view m) { log(LogLevel::debug, m); }
inline void log_info(std::string_view m) { log(LogLevel::info, m); }
inline void log_warn(std::string_view m) { log(LogLevel::warn, m); }
inline void log_error(std::string_view m) { log(LogLevel::error, m); }

}  // namespace llamachat::util
