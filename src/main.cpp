// llamachat: entry point. Reads configuration, wires the backend, serves until SIGINT/SIGTERM.
#include <signal.h>  // NOLINT(modernize-deprecated-headers): POSIX sigwait and pthread_kill live here
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <thread>

#include "app/config.hpp"
#include "app/malloc_tuning.hpp"
#include "app/wiring.hpp"
#include "util/environment.hpp"
#include "util/log.hpp"

int main(int argc, char** argv) {
  using namespace llamachat;
  app::apply_malloc_tuning(argv);  // may re-execute this binary; first, before the environment is read
  const auto env = util::process_environment();
  const std::vector<std::string> args(argv + 1, argv + argc);
  auto parsed = app::parse_config(args, env);
  if (!parsed.config) {
    std::fputs(parsed.message.c_str(), parsed.exit_code == 0 ? stdout : stderr);
    if (parsed.exit_code != 0) std::fputc('\n', stderr);
    return parsed.exit_code;
  }
  const app::AppConfig& config = *parsed.config;
  util::set_log_level(config.log_level == "debug"   ? util::LogLevel::debug
                      : config.log_level == "warn"  ? util::LogLevel::warn
                      : config.log_level == "error" ? util::LogLevel::error
                                                    : util::LogLevel::info);
  util::set_log_format(config.log_format
                           ? (*config.log_format == "json" ? util::LogFormat::json : util::LogFormat::text)
                           : util::default_log_format(isatty(STDERR_FILENO) == 1));

  // Signals are taken by one dedicated thread (sigwait), so worker threads never see them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  try {
    app::Wiring wiring = app::build_backend(config, env);
    for (const auto& line : wiring.info) util::log_info(line);
    for (const auto& line : wiring.warnings) util::log_warn(line);
    for (const auto& line : app::protection_warnings(config)) util::log_warn(line);

    http::Server server(app::server_options(config, wiring.backend->info().model),
                        app::build_router(config, wiring.backend, wiring.probes));
    server.listen();
    util::log_info("listening on " + config.server.host + ":" + std::to_string(server.port()));

    std::thread signal_thread([&server, signals] {
      int received = 0;
      sigwait(&signals, &received);
      util::log_info(std::string("received ") + (received == SIGINT ? "SIGINT" : "SIGTERM") + ", shutting down");
      server.stop();
    });
    std::thread probe;
    if (wiring.startup_probe) probe = std::thread(wiring.startup_probe);
    server.run();
    if (probe.joinable()) probe.join();
    wiring.shutdown();
    // The signal thread may still be waiting when run() ended for another reason; wake it.
    // NOLINTNEXTLINE(bugprone-bad-signal-to-kill-thread): the thread waits for SIGTERM in sigwait; this wakes it
    pthread_kill(signal_thread.native_handle(), SIGTERM);
    signal_thread.join();
    util::log_info("stopped");
  } catch (const std::exception& e) {
    util::log_error(std::string("fatal: ") + e.what());
    return 1;
  }
  return 0;
}
