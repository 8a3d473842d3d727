#pragma once
// The Bedrock Runtime emulator: an HTTP/1.1 (optionally TLS) server speaking the Bedrock Runtime wire protocol
// for InvokeModel, InvokeModelWithResponseStream, Converse and ConverseStream, with SigV4 verification, scripted
// faults and a control API. Behaviour and control API: emulator/README.md.
//
// Threading: a Server runs its coroutines on the executor it is given; that executor must be single-threaded (an
// io_context run by one thread) or a strand. port(), state() and stop() may be called from any thread.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "state.hpp"
#include "util/clock.hpp"

namespace llamachat::emulator {

inline constexpr std::string_view kDefaultAccessKeyId = "AKIDEXAMPLE";
inline constexpr std::string_view kDefaultSecretAccessKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

struct Config {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0 = any free port
  std::string region = "us-east-1";
  std::string access_key_id{kDefaultAccessKeyId};
  std::string secret_access_key{kDefaultSecretAccessKey};
  std::string tls_cert_file;                // PEM certificate chain; TLS is on when both files are set
  std::string tls_key_file;                 // PEM private key
  std::size_t chunk_size = 0;               // default for the chunk=<n> directive; 0 = write whole events/bodies
  bool verify_signatures = true;            // false (--no-verify): accept any or no Authorization
  bool strict_on_demand = true;             // answer the on-demand ValidationException like AWS (README)
  std::size_t max_body_bytes = 25'000'000;  // Bedrock's InvokeModel body limit
  std::chrono::seconds max_clock_skew{15 * 60};
  std::chrono::milliseconds idle_timeout{120'000};  // a keep-alive connection with no request is closed after it
  util::Clock clock = util::system_clock();         // wall clock for X-Amz-Date checks
};

class Server {
 public:
  // Binds and listens at once (so port() is known); throws boost::system::system_error when it cannot bind and
  // std::runtime_error when the TLS files cannot be loaded. Serving starts with start().
  Server(boost::asio::any_io_executor executor, Config config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  void start();
  // Closes the listener and every connection and wakes every waiting response; returns at once (the work is
  // posted to the executor). Afterwards the executor runs out of work once the sessions have unwound.
  void stop();

  std::uint16_t port() const noexcept;
  bool tls() const noexcept;
  std::string endpoint() const;  // "http://127.0.0.1:<port>" or "https://..."
  State& state() noexcept;
  const Config& config() const noexcept;

  struct Impl;  // opaque; shared with the session coroutines

 private:
  std::shared_ptr<Impl> impl_;
};

// A Server on its own io_context and thread: what tests embed.
class ThreadedServer {
 public:
  explicit ThreadedServer(Config config = {});
  ~ThreadedServer();  // stop() and join
  ThreadedServer(const ThreadedServer&) = delete;
  ThreadedServer& operator=(const ThreadedServer&) = delete;

  std::uint16_t port() const noexcept { return server_->port(); }
  std::string endpoint() const { return server_->endpoint(); }
  State& state() noexcept { return server_->state(); }
  Server& server() noexcept { return *server_; }

 private:
  boost::asio::io_context io_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
};

}  // namespace llamachat::emulator
