#pragma once
// glibc's per-thread malloc cache (tcache) keeps at most 7 freed blocks of each size. A worker with dozens of
// requests in flight frees more than that at once and falls through to glibc's shared bins, which are far
// slower (figures: docs/performance.md; docs/decisions/0004). The cache size is a
// glibc tunable that is read only when a process starts, so main() re-executes the binary once with it.
#include <optional>
#include <string>
#include <string_view>

namespace llamachat::app {

// The tcache size we run with (blocks per size class and thread).
inline constexpr int kTcacheCount = 64;

// GLIBC_TUNABLES with our tcache size added to `current`, or nullopt when `current` already sets a tcache
// size (the operator's choice wins).
std::optional<std::string> tunables_with_tcache(std::optional<std::string_view> current);

// False when --malloc-tuning off (or =off) is in argv, or else when LLAMACHAT_MALLOC_TUNING is "off".
bool malloc_tuning_wanted(char** argv, const char* env_setting);

// Called first in main(), before anything reads the environment. Re-executes /proc/self/exe with the
// tunable when it is not in effect yet. In the re-executed process it puts GLIBC_TUNABLES back as the
// operator had it, so that child processes (credential_process) inherit their environment, not ours.
// Does nothing with LLAMACHAT_MALLOC_TUNING=off or without glibc; a failed exec is reported on stderr and
// start-up continues untuned.
void apply_malloc_tuning(char** argv);

}  // namespace llamachat::app
