#pragma once
// A real child process (llamachat, the emulator, node) for integration tests: spawned with an explicit
// environment, its stderr+stdout captured line by line, killed on destruction.
#include <sys/types.h>

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace llamachat::test {

class ChildProcess {
 public:
  // env: the complete environment of the child (PATH is added when absent).
  ChildProcess(std::string program, std::vector<std::string> args, std::map<std::string, std::string> env = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Waits for an output line containing `needle`; returns the line, or nullopt on timeout or exit.
  std::optional<std::string> wait_for_line(const std::string& needle,
                                           std::chrono::milliseconds timeout = std::chrono::seconds(20));
  std::string output() const;  // everything printed so far
  pid_t pid() const noexcept { return pid_; }
  bool running();
  // Sends a signal and waits for exit; returns the exit status (128+signal when killed).
  int stop(int signal_number = 15, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Writes to the child's stdin and closes it.
  void write_stdin_and_close(const std::string& data);

 private:
  void reader_loop();
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int in_fd_ = -1;
  std::thread reader_;
  mutable std::mutex mutex_;
  std::string output_;
  bool eof_ = false;
  std::optional<int> exit_status_;
};

// Starts a binary that prints "listening on <host>:<port>" and returns the port.
std::uint16_t wait_for_port(ChildProcess& process, std::chrono::milliseconds timeout = std::chrono::seconds(20));

}  // namespace llamachat::test
