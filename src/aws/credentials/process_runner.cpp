#include "aws/credentials/process_runner.hpp"

#include <fcntl.h>
#include <signal.h>  // NOLINT(modernize-deprecated-headers): POSIX kill and sigset_t live here
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <memory>
#include <system_error>

extern char** environ;

namespace llamachat::aws::credentials {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// State shared with the deadline handler, which may run after the coroutine has moved on.
struct Run {
  explicit Run(asio::any_io_executor ex) : pipe(ex) {}
  asio::posix::stream_descriptor pipe;
  pid_t pid = -1;
  bool finished = false;
  bool timed_out = false;
};

void kill_group(pid_t pid) noexcept {
  if (pid > 0) ::kill(-pid, SIGKILL);
}

struct SpawnResources {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  bool actions_ok = false;
  bool attr_ok = false;
  ~SpawnResources() {
    if (actions_ok) posix_spawn_file_actions_destroy(&actions);
    if (attr_ok) posix_spawnattr_destroy(&attr);
  }
};

// Returns the child's pid; `read_fd` receives the read end of its stdout pipe.
pid_t spawn_shell(const std::string& command, int& read_fd) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe2");
  SpawnResources r;
  int rc = posix_spawn_file_actions_init(&r.actions);
  r.actions_ok = rc == 0;
  if (rc == 0) rc = posix_spawn_file_actions_addopen(&r.actions, 0, "/dev/null", O_RDONLY, 0);
  if (rc == 0) rc = posix_spawn_file_actions_adddup2(&r.actions, fds[1], 1);
  if (rc == 0) rc = posix_spawnattr_init(&r.attr);
  r.attr_ok = r.attr_ok || (rc == 0);
  sigset_t empty, defaults;
  sigemptyset(&empty);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);  // servers ignore SIGPIPE; the tool should get the usual behaviour
  sigaddset(&defaults, SIGCHLD);
  if (rc == 0) rc = posix_spawnattr_setsigmask(&r.attr, &empty);
  if (rc == 0) rc = posix_spawnattr_setsigdefault(&r.attr, &defaults);
  if (rc == 0) rc = posix_spawnattr_setpgroup(&r.attr, 0);
  if (rc == 0)
    rc = posix_spawnattr_setflags(&r.attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  pid_t pid = -1;
  if (rc == 0) {
    std::string sh = "/bin/sh", dash_c = "-c", cmd = command;
    char* argv[] = {sh.data(), dash_c.data(), cmd.data(), nullptr};
    rc = posix_spawn(&pid, "/bin/sh", &r.actions, &r.attr, argv, environ);
  }
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    throw std::system_error(rc, std::generic_category(), "posix_spawn /bin/sh");
  }
  read_fd = fds[0];
  return pid;
}

}  // namespace

asio::awaitable<ProcessResult> run_shell_command(std::string command, std::chrono::milliseconds timeout,
                                                 std::size_t max_output) {
  auto ex = co_await asio::this_coro::executor;
  auto run = std::make_shared<Run>(ex);
  int read_fd = -1;
  run->pid = spawn_shell(command, read_fd);
  run->pipe.assign(read_fd);
  const auto deadline = std::chrono::steady_clock::now() + timeout;

  asio::steady_timer watchdog(ex);
  watchdog.expires_at(deadline);
  watchdog.async_wait([run](boost::system::error_code ec) {
    if (ec || run->finished) return;
    run->timed_out = true;
    kill_group(run->pid);
    boost::system::error_code ignored;
    run->pipe.cancel(ignored);
  });

  ProcessResult result;
  std::array<char, 4096> buffer;
  while (true) {
    auto [ec, n] = co_await run->pipe.async_read_some(asio::buffer(buffer), asio::as_tuple(asio::use_awaitable));
    if (n > 0) {
      if (result.output.size() + n > max_output) {
        result.output_too_large = true;
        kill_group(run->pid);
        break;
      }
      result.output.append(buffer.data(), n);
    }
    if (ec) break;  // EOF, or cancelled by the watchdog
  }
  boost::system::error_code ignored;
  run->pipe.close(ignored);

  // Reap without blocking the thread: poll until the deadline, then kill the group and wait.
  int status = 0;
  pid_t waited = 0;
  asio::steady_timer poll(ex);
  while ((waited = ::waitpid(run->pid, &status, WNOHANG)) == 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      run->timed_out = true;
      kill_group(run->pid);
      waited = ::waitpid(run->pid, &status, 0);  // returns promptly after SIGKILL
      break;
    }
    poll.expires_after(5ms);
    co_await poll.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  run->finished = true;
  watchdog.cancel();
  if (waited == run->pid) {
    if (WIFEXITED(status))
      result.exit_code = WEXITSTATUS(status);
    else if (WIFSIGNALED(status))
      result.term_signal = WTERMSIG(status);
  }
  result.timed_out = run->timed_out;
  co_return result;
}

}  // namespace llamachat::aws::credentials
