// llamachat-fake-upstream: a small, fast stand-in for the Bedrock Runtime endpoint, used by bench/run.py.
//
// It answers InvokeModel (POST /model/<id>/invoke) with a fixed Llama JSON reply and
// InvokeModelWithResponseStream (POST /model/<id>/invoke-with-response-stream) with a fixed chunked
// event-stream body, optionally after --delay-ms. It checks no signature and parses only what it needs
// (request line, Content-Length, Connection), so that it is never the bottleneck of a benchmark: its own
// ceiling is measured in the same run and llamachat is compared against it.
//
// Design: N threads (--threads, default: CPUs), each with its own epoll set and its own SO_REUSEPORT
// listening socket, so threads share nothing. Replies are built once at start and written straight from
// those immutable buffers. Delayed replies wait in a per-thread FIFO: the delay is one constant, so
// deadlines are ordered by arrival and the queue head is always the next one due.
//
// Prints "listening on 127.0.0.1:<port>" on stdout once every thread is ready. Binds loopback only.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "aws/event_stream/encoder.hpp"
#include "util/base64.hpp"

namespace {

namespace es = llamachat::aws::event_stream;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxHeaderBytes = 64 * 1024;
constexpr std::size_t kMaxBodyBytes = 8 * 1024 * 1024;

// A reply of a realistic size: about 60 words, like a short chat answer.
constexpr std::string_view kReplyWords[] = {
    "Hello!",    " The",   " printing", " press,",      " invented", " by",      " Johannes",   " Gutenberg",
    " around",   " 1440,", " made",     " books",       " cheaper",  " and",     " faster",     " to",
    " produce.", " Ideas", " spread",   " across",      " Europe",   " within",  " decades,",   " literacy",
    " rose,",    " and",   " the",      " Reformation", " and",      " the",     " Scientific", " Revolution",
    " both",     " owed",  " much",     " to",          " it.",      " Would",   " you",        " like",
    " to",       " know",  " more",     " about",       " how",      " movable", " type",       " worked,",
    " or",       " about", " its",      " effects",     " on",       " science", " and",        " religion?"};

std::string json_escape(std::string_view s) {
  std::string out;
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string reply_text() {
  std::string text;
  for (const auto w : kReplyWords) text += w;
  return text;
}

std::string invoke_response() {
  const std::string body =
      "{\"generation\":\"" + json_escape(reply_text()) +
      "\",\"prompt_token_count\":52,\"generation_token_count\":" + std::to_string(std::size(kReplyWords)) +
      ",\"stop_reason\":\"stop\"}";
  return "HTTP/1.1 200 OK\r\n"
         "Content-Type: application/json\r\n"
         "x-amzn-RequestId: 00000000-0000-4000-8000-000000000000\r\n"
         "x-amzn-bedrock-input-token-count: 52\r\n"
         "x-amzn-bedrock-output-token-count: " +
         std::to_string(std::size(kReplyWords)) +
         "\r\n"
         "x-amzn-bedrock-invocation-latency: 1\r\n"
         "Content-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string chunk_frame(std::string_view model_chunk) {
  es::Message message{{{":event-type", std::string("chunk")},
                       {":content-type", std::string("application/json")},
                       {":message-type", std::string("event")}},
                      "{\"bytes\":\"" + llamachat::util::base64_encode(model_chunk) + "\",\"p\":\"abcdefghijklmnop\"}"};
  std::string frame = es::encode(message);
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", frame.size());
  return size + frame + "\r\n";
}

// One event per word (as Bedrock streams a few tokens per event), then the stop event with the metrics.
std::string stream_response() {
  std::string out =
      "HTTP/1.1 200 OK\r\n"
      "Content-Type: application/vnd.amazon.eventstream\r\n"
      "X-Amzn-Bedrock-Content-Type: application/json\r\n"
      "x-amzn-RequestId: 00000000-0000-4000-8000-000000000000\r\n"
      "Transfer-Encoding: chunked\r\n\r\n";
  std::size_t count = 0;
  for (const auto w : kReplyWords) {
    ++count;
    out += chunk_frame("{\"generation\":\"" + json_escape(w) +
                       "\",\"prompt_token_count\":" + (count == 1 ? std::string("52") : std::string("null")) +
                       ",\"generation_token_count\":" + std::to_string(count) + ",\"stop_reason\":null}");
  }
  out += chunk_frame(
      "{\"generation\":\"\",\"prompt_token_count\":null,\"generation_token_count\":" + std::to_string(count) +
      ",\"stop_reason\":\"stop\",\"amazon-bedrock-invocationMetrics\":{\"inputTokenCount\":52,"
      "\"outputTokenCount\":" +
      std::to_string(count) + ",\"invocationLatency\":1,\"firstByteLatency\":1}}");
  out += "0\r\n\r\n";
  return out;
}

const std::string kNotFound =
    "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 27\r\n\r\n{\"message\":\"no such "
    "route\"}";
const std::string kHealth = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok";
const std::string kBadRequest = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

struct Replies {
  std::string invoke = invoke_response();
  std::string stream = stream_response();
};

struct Options {
  unsigned threads = 0;
  std::uint16_t port = 0;
  long delay_ms = 0;
};

bool iequals_prefix(std::string_view line, std::string_view name) {
  if (line.size() < name.size()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char a = line[i];
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
    if (a != name[i]) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

struct Connection {
  int fd = -1;
  std::string in;            // bytes received and not yet consumed
  std::string_view out;      // the reply being written (points into immutable Replies or constants)
  bool close_after = false;  // close once `out` is written
  bool delayed = false;      // waiting in the delay queue
  bool dead = false;         // closed while delayed: the queue entry frees it
  bool want_write = false;   // EPOLLOUT registered
};

class Worker {
 public:
  Worker(int listen_fd, const Replies& replies, const Options& options)
      : listen_fd_(listen_fd), replies_(replies), delay_(std::chrono::milliseconds(options.delay_ms)) {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = nullptr;  // nullptr = the listening socket
    epoll_ctl(epoll_, EPOLL_CTL_ADD, listen_fd_, &ev);
  }

  void run(const std::atomic<bool>& stop) {
    std::vector<epoll_event> events(512);
    while (!stop.load(std::memory_order_relaxed)) {
      int timeout = 200;  // also bounds how long a stop request waits
      if (!queue_.empty()) {
        const auto wait = std::chrono::ceil<std::chrono::milliseconds>(queue_.front().due - Clock::now()).count();
        timeout = static_cast<int>(std::max<long>(0, std::min<long>(wait, timeout)));
      }
      const int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), timeout);
      for (int i = 0; i < n; ++i) {
        auto* c = static_cast<Connection*>(events[i].data.ptr);
        if (!c) {
          accept_all();
          continue;
        }
        // A hang-up while a reply is delayed means the caller gave up: nothing left to answer.
        if ((events[i].events & (EPOLLERR | EPOLLHUP)) || (c->delayed && (events[i].events & EPOLLRDHUP))) {
          close_connection(c);
          continue;
        }
        if (events[i].events & EPOLLOUT) {
          if (!flush(c)) continue;
        }
        if (events[i].events & EPOLLIN) on_readable(c);
      }
      release_due();
    }
  }

 private:
  struct Pending {
    Clock::time_point due;
    Connection* connection;
  };

  void accept_all() {
    for (;;) {
      const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;  // EAGAIN (another thread took it) or EMFILE: try again on the next event
      const int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      auto* c = new Connection;
      c->fd = fd;
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLRDHUP;
      ev.data.ptr = c;
      epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
    }
  }

  void set_interest(Connection* c, std::uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.ptr = c;
    epoll_ctl(epoll_, EPOLL_CTL_MOD, c->fd, &ev);
  }

  void close_connection(Connection* c) {
    if (c->fd >= 0) {
      epoll_ctl(epoll_, EPOLL_CTL_DEL, c->fd, nullptr);
      ::close(c->fd);
      c->fd = -1;
    }
    if (c->delayed) {
      c->dead = true;  // the queue still points at it
      return;
    }
    delete c;
  }

  void on_readable(Connection* c) {
    char buffer[16 * 1024];
    for (;;) {
      const ssize_t n = ::recv(c->fd, buffer, sizeof buffer, 0);
      if (n > 0) {
        c->in.append(buffer, static_cast<std::size_t>(n));
        if (static_cast<std::size_t>(n) < sizeof buffer) break;
        continue;
      }
      if (n == 0) {  // peer closed; nothing more will be asked
        close_connection(c);
        return;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == EINTR) continue;
      close_connection(c);
      return;
    }
    serve(c);
  }

  // Answers complete requests in the input buffer, one at a time (a delayed or unfinished reply holds
  // the following pipelined requests back).
  void serve(Connection* c) {
    while (c->out.empty() && !c->delayed && c->fd >= 0) {
      const auto end = c->in.find("\r\n\r\n");
      if (end == std::string::npos) {
        if (c->in.size() > kMaxHeaderBytes) reply_and_close(c, kBadRequest);
        return;
      }
      const std::string_view head(c->in.data(), end);
      const auto line_end = head.find("\r\n");
      const std::string_view request_line = head.substr(0, line_end);
      std::size_t content_length = 0;
      bool close_after = request_line.ends_with("HTTP/1.0");
      bool chunked = false;
      std::size_t at = line_end == std::string_view::npos ? head.size() : line_end + 2;
      while (at < head.size()) {
        auto next = head.find("\r\n", at);
        if (next == std::string_view::npos) next = head.size();
        const std::string_view line = head.substr(at, next - at);
        if (iequals_prefix(line, "content-length:")) {
          content_length = std::strtoull(std::string(trim(line.substr(15))).c_str(), nullptr, 10);
        } else if (iequals_prefix(line, "connection:")) {
          const auto value = trim(line.substr(11));
          close_after = iequals_prefix(value, "close");
        } else if (iequals_prefix(line, "transfer-encoding:")) {
          chunked = true;
        }
        at = next + 2;
      }
      if (chunked || content_length > kMaxBodyBytes) {
        reply_and_close(c, kBadRequest);
        return;
      }
      const std::size_t total = end + 4 + content_length;
      if (c->in.size() < total) return;  // the body is still arriving

      const std::string* reply = &kNotFound;
      const auto sp1 = request_line.find(' ');
      const auto sp2 = request_line.find(' ', sp1 + 1);
      const std::string_view method = request_line.substr(0, sp1);
      const std::string_view target =
          sp1 == std::string_view::npos ? std::string_view{} : request_line.substr(sp1 + 1, sp2 - sp1 - 1);
      bool slow = false;
      if (method == "POST" && target.starts_with("/model/")) {
        if (target.ends_with("/invoke-with-response-stream")) {
          reply = &replies_.stream;
          slow = true;
        } else if (target.ends_with("/invoke")) {
          reply = &replies_.invoke;
          slow = true;
        }
      } else if (method == "GET" && target == "/healthz") {
        reply = &kHealth;
      }
      c->in.erase(0, total);
      c->close_after = close_after;
      c->out = *reply;
      if (slow && delay_.count() > 0) {
        c->delayed = true;
        set_interest(c, EPOLLRDHUP);  // stop reading; errors and hang-ups are still reported
        queue_.push_back({Clock::now() + delay_, c});
        return;
      }
      if (!flush(c)) return;
    }
  }

  void reply_and_close(Connection* c, const std::string& reply) {
    c->out = reply;
    c->close_after = true;
    flush(c);
  }

  // Writes what is pending. False when the connection was closed (and freed).
  bool flush(Connection* c) {
    while (!c->out.empty()) {
      const ssize_t n = ::send(c->fd, c->out.data(), c->out.size(), MSG_NOSIGNAL);
      if (n > 0) {
        c->out.remove_prefix(static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        if (!c->want_write) {
          c->want_write = true;
          set_interest(c, EPOLLIN | EPOLLOUT | EPOLLRDHUP);
        }
        return true;
      }
      if (n < 0 && errno == EINTR) continue;
      close_connection(c);
      return false;
    }
    if (c->close_after) {
      close_connection(c);
      return false;
    }
    if (c->want_write) {
      c->want_write = false;
      set_interest(c, EPOLLIN | EPOLLRDHUP);
    }
    return true;
  }

  void release_due() {
    const auto now = Clock::now();
    while (!queue_.empty() && queue_.front().due <= now) {
      Connection* c = queue_.front().connection;
      queue_.pop_front();
      c->delayed = false;
      if (c->dead) {
        delete c;
        continue;
      }
      set_interest(c, EPOLLIN | EPOLLRDHUP);
      if (flush(c)) serve(c);  // pipelined requests that waited behind this reply
    }
  }

  int listen_fd_;
  int epoll_ = -1;
  const Replies& replies_;
  std::chrono::milliseconds delay_;
  std::deque<Pending> queue_;
};

int listen_on(std::uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 65535) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

std::uint16_t bound_port(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  return ntohs(addr.sin_port);
}

bool parse_number(const char* text, long max, long& out) {
  char* end = nullptr;
  errno = 0;
  const long v = std::strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || v < 0 || v > max) return false;
  out = v;
  return true;
}

int usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s [--port N] [--threads N] [--delay-ms N]\n"
               "  A fast fake Bedrock Runtime endpoint for benchmarks, on 127.0.0.1 only. No signature checks.\n",
               argv0);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    long value = 0;
    if (arg == "--help" || arg == "-h") return usage(argv[0]) - 2;
    if (i + 1 >= argc) return usage(argv[0]);
    if (arg == "--port" && parse_number(argv[i + 1], 65535, value)) {
      options.port = static_cast<std::uint16_t>(value);
    } else if (arg == "--threads" && parse_number(argv[i + 1], 256, value)) {
      options.threads = static_cast<unsigned>(value);
    } else if (arg == "--delay-ms" && parse_number(argv[i + 1], 600'000, value)) {
      options.delay_ms = value;
    } else {
      return usage(argv[0]);
    }
    ++i;
  }
  if (options.threads == 0) options.threads = std::max(1u, std::thread::hardware_concurrency());

  // Block the stop signals in every thread; the main thread waits for them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  const Replies replies;
  std::vector<int> listeners;
  std::uint16_t port = options.port;
  for (unsigned i = 0; i < options.threads; ++i) {
    const int fd = listen_on(port);
    if (fd < 0) {
      std::fprintf(stderr, "cannot listen on 127.0.0.1:%u: %s\n", port, std::strerror(errno));
      return 1;
    }
    port = bound_port(fd);
    listeners.push_back(fd);
  }

  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (const int fd : listeners) {
    threads.emplace_back([fd, &replies, &options, &stop] {
      Worker worker(fd, replies, options);
      worker.run(stop);
    });
  }
  std::printf("listening on 127.0.0.1:%u (threads %u, delay %ld ms, invoke reply %zu bytes, stream reply %zu bytes)\n",
              port, options.threads, options.delay_ms, replies.invoke.size(), replies.stream.size());
  std::fflush(stdout);

  int received = 0;
  sigwait(&signals, &received);
  stop.store(true);
  for (auto& t : threads) t.join();
  return 0;
}
