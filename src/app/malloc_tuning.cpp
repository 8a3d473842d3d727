#include "app/malloc_tuning.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace llamachat::app {
namespace {

constexpr const char* kTunables = "GLIBC_TUNABLES";
// Set only between our exec and the re-executed process's cleanup: "=<value>" when the operator had
// GLIBC_TUNABLES set, "-" when not.
constexpr const char* kSaved = "LLAMACHAT_MALLOC_TUNING_SAVED";

}  // namespace

bool malloc_tuning_wanted(char** argv, const char* env_setting) {
  // The flag wins over the variable, as for every setting (config.cpp checks the values).
  for (char** arg = argv + 1; arg && *arg; ++arg) {
    if (std::strcmp(*arg, "--malloc-tuning=off") == 0) return false;
    if (std::strcmp(*arg, "--malloc-tuning=on") == 0) return true;
    if (std::strcmp(*arg, "--malloc-tuning") == 0 && arg[1]) return std::strcmp(arg[1], "off") != 0;
  }
  return !(env_setting && std::strcmp(env_setting, "off") == 0);
}

std::optional<std::string> tunables_with_tcache(std::optional<std::string_view> current) {
  const std::string ours = "glibc.malloc.tcache_count=" + std::to_string(kTcacheCount);
  if (!current || current->empty()) return ours;
  if (current->find("glibc.malloc.tcache_count") != std::string_view::npos) return std::nullopt;
  return std::string(*current) + ":" + ours;
}

void apply_malloc_tuning(char** argv) {
#if defined(__GLIBC__)
  if (const char* saved = std::getenv(kSaved)) {
    // The re-executed process: the tunable is in effect; hide it from our own children again.
    const std::string previous = saved;
    if (previous.starts_with("=")) {
      ::setenv(kTunables, previous.c_str() + 1, 1);
    } else {
      ::unsetenv(kTunables);
    }
    ::unsetenv(kSaved);
    return;
  }
  if (!malloc_tuning_wanted(argv, std::getenv("LLAMACHAT_MALLOC_TUNING"))) return;
  const char* current = std::getenv(kTunables);
  const auto tuned = tunables_with_tcache(current ? std::optional<std::string_view>(current) : std::nullopt);
  if (!tuned) return;
  const std::string saved = current ? std::string("=") + current : std::string("-");
  ::setenv(kSaved, saved.c_str(), 1);
  ::setenv(kTunables, tuned->c_str(), 1);
  ::execv("/proc/self/exe", argv);
  // Only reached when the exec failed (no /proc, say): run untuned, environment as it was.
  const int error = errno;
  if (current) {
    ::setenv(kTunables, current, 1);
  } else {
    ::unsetenv(kTunables);
  }
  ::unsetenv(kSaved);
  std::fprintf(stderr, "llamachat: cannot re-execute with malloc tuning (%s); continuing without it\n",
               std::strerror(error));
#else
  (void)argv;
#endif
}

}  // namespace llamachat::app
