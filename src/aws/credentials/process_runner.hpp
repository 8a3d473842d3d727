#pragma once
// Runs a credential_process command the way the AWS CLI/JS/C++ SDKs do on POSIX (/bin/sh -c <command>),
// asynchronously: stdout is read through the caller's executor, bounded in size and time. stdin is
// /dev/null and stderr is inherited (prompts and diagnostics of the tool stay visible to the operator).
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

namespace llamachat::aws::credentials {

struct ProcessResult {
  std::optional<int> exit_code;    // set when the shell exited normally
  std::optional<int> term_signal;  // set when it was killed by a signal
  std::string output;              // stdout, at most max_output bytes
  bool timed_out = false;          // killed at the deadline
  bool output_too_large = false;   // killed because stdout exceeded max_output
};

// The command runs in its own process group; on timeout or oversize output the whole group gets SIGKILL.
// Throws std::system_error when the process cannot be started.
boost::asio::awaitable<ProcessResult> run_shell_command(std::string command, std::chrono::milliseconds timeout,
                                                        std::size_t max_output);

}  // namespace llamachat::aws::credentials
