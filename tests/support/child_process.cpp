#include "support/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace llamachat::test {

ChildProcess::ChildProcess(std::string program, std::vector<std::string> args, std::map<std::string, std::string> env) {
  int out_pipe[2];
  int in_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(in_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  if (!env.count("PATH")) env["PATH"] = std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin";
  std::vector<std::string> env_strings;
  for (auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_strings{program};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);

  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    dup2(in_pipe[0], 0);
    dup2(out_pipe[1], 1);
    dup2(out_pipe[1], 2);
    setpgid(0, 0);
    execve(program.c_str(), argv.data(), envp.data());
    // execvp semantics for bare names such as "node".
    if (program.find('/') == std::string::npos) {
      environ = envp.data();
      execvp(program.c_str(), argv.data());
    }
    std::fprintf(stderr, "exec %s failed: %s\n", program.c_str(), std::strerror(errno));
    _exit(127);
  }
  close(out_pipe[1]);
  close(in_pipe[0]);
  out_fd_ = out_pipe[0];
  in_fd_ = in_pipe[1];
  reader_ = std::thread([this] { reader_loop(); });
}

ChildProcess::~ChildProcess() {
  if (running()) stop(SIGKILL);
  if (reader_.joinable()) reader_.join();
  if (out_fd_ >= 0) close(out_fd_);
  if (in_fd_ >= 0) close(in_fd_);
}

void ChildProcess::reader_loop() {
  char buf[4096];
  for (;;) {
    const ssize_t n = read(out_fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    std::lock_guard lock(mutex_);
    if (n <= 0) {
      eof_ = true;
      return;
    }
    output_.append(buf, static_cast<std::size_t>(n));
  }
}

std::optional<std::string> ChildProcess::wait_for_line(const std::string& needle, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      std::size_t pos = output_.find(needle);
      if (pos != std::string::npos) {
        const std::size_t start = output_.rfind('\n', pos);
        const std::size_t stop = output_.find('\n', pos);
        const std::size_t from = start == std::string::npos ? 0 : start + 1;
        return output_.substr(from, stop == std::string::npos ? std::string::npos : stop - from);
      }
      if (eof_) return std::nullopt;
    }
    if (std::chrono::steady_clock::now() > end) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::string ChildProcess::output() const {
  std::lock_guard lock(mutex_);
  return output_;
}

bool ChildProcess::running() {
  if (exit_status_) return false;
  int status = 0;
  const pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return false;
  }
  return r == 0;
}

int ChildProcess::stop(int signal_number, std::chrono::milliseconds timeout) {
  if (running()) {
    kill(pid_, signal_number);
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (running()) {
      if (std::chrono::steady_clock::now() > end) {
        kill(pid_, SIGKILL);
        int status = 0;
        waitpid(pid_, &status, 0);
        exit_status_ = 128 + SIGKILL;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  // The process has exited, but the reader may not have taken its last output from the pipe yet: wait
  // for the end of the pipe, so that output() after stop() holds everything the process wrote.
  const auto drained_by = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (eof_) break;
    }
    if (std::chrono::steady_clock::now() > drained_by) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return exit_status_.value_or(-1);
}

void ChildProcess::write_stdin_and_close(const std::string& data) {
  std::size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = write(in_fd_, data.data() + off, data.size() - off);
    if (n <= 0) break;
    off += static_cast<std::size_t>(n);
  }
  close(in_fd_);
  in_fd_ = -1;
}

std::uint16_t wait_for_port(ChildProcess& process, std::chrono::milliseconds timeout) {
  auto line = process.wait_for_line("listening on ", timeout);
  if (!line) throw std::runtime_error("process did not report its port; output:\n" + process.output());
  const std::size_t colon = line->rfind(':');
  return static_cast<std::uint16_t>(std::stoi(line->substr(colon + 1)));
}

}  // namespace llamachat::test
