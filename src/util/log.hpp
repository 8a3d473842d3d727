#pragma once
// Process-wide logger: one line per event on stderr, "<UTC time> <LEVEL> <message>".
// Thread-safe. Never pass secrets (credentials, Authorization headers) or whole prompts.
#include <string_view>

namespace llamachat::util {

enum class LogLevel { debug, info, warn, error };

void set_log_level(LogLevel level) noexcept;
bool log_enabled(LogLevel level) noexcept;
void log(LogLevel level, std::string_view message);

inline void log_debug(std::string_view m) { log(LogLevel::debug, m); }
inline void log_info(std::string_view m) { log(LogLevel::info, m); }
inline void log_warn(std::string_view m) { log(LogLevel::warn, m); }
inline void log_error(std::string_view m) { log(LogLevel::error, m); }

}  // namespace llamachat::util
