#pragma once
// Observable state of the emulator: counters, the log of recent requests and the scripted directive queue.
// Shared between the server's I/O thread and in-process observers (tests), so every member function locks.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace llamachat::emulator {

// Milliseconds of std::chrono::steady_clock (CLOCK_MONOTONIC: comparable across processes on one machine).
std::int64_t steady_now_ms() noexcept;

struct Stats {
  std::uint64_t connections_accepted = 0;
  std::uint64_t open_connections = 0;  // a gauge: not cleared by reset()
  std::uint64_t tls_handshakes = 0;    // successful ones
  std::uint64_t tls_handshake_failures = 0;
  std::uint64_t requests_total = 0;
  std::uint64_t signature_failures = 0;
  std::uint64_t faults_injected = 0;      // error replies caused by directives or the on-demand rule
  std::uint64_t dropped_connections = 0;  // drop / drop_mid_body
  std::uint64_t streams_started = 0;      // stream requests that got their 200 headers
  std::uint64_t streams_completed = 0;
  std::uint64_t streams_cancelled = 0;         // the client closed the connection before the stream was complete
  std::uint64_t requests_abandoned = 0;        // non-stream requests whose client closed before the reply
  std::int64_t last_stream_closed_at_ms = -1;  // steady_now_ms() when a cancelled stream was noticed
  std::map<std::string, std::uint64_t> requests_by_path;  // path without query, as on the wire
  std::map<unsigned, std::uint64_t> responses_by_status;  // every response except the control API's
};

struct RequestRecord {
  std::int64_t at_ms = 0;  // steady_now_ms() when the request was complete
  std::string method, target, operation, model_id;
  std::vector<std::pair<std::string, std::string>> headers;  // authorization signature / token redacted
  std::string body;                                          // at most kMaxLoggedBody bytes
  bool body_truncated = false;
  bool verified = false;   // the SigV4 signature was checked and matched
  std::string auth_error;  // error code when not verified
  unsigned status = 0;     // 0 when the connection was dropped without a status line
  std::vector<std::string> directives, unknown_directives;
};

class State {
 public:
  static constexpr std::size_t kMaxLoggedRequests = 100;
  static constexpr std::size_t kMaxLoggedBody = 64 * 1024;

  void connection_opened();
  void connection_closed();
  void tls_handshake(bool ok);
  void request(const std::string& path);
  void signature_failure();
  void fault_injected();
  void connection_dropped();
  void response(unsigned status);
  void stream_started();
  void stream_completed();
  void stream_cancelled();
  void request_abandoned();
  void record(RequestRecord record);

  // Appends (or, with replace, substitutes) directive lists; each entry is consumed by one model request.
  void push_script(std::vector<std::string> entries, bool replace);
  std::optional<std::string> pop_script();
  std::size_t script_size() const;

  // Clears counters (except open_connections), the request log and the script.
  void reset();

  Stats stats() const;
  std::vector<RequestRecord> requests() const;
  boost::json::object stats_json() const;
  boost::json::array requests_json() const;

 private:
  mutable std::mutex mutex_;
  Stats stats_;
  std::deque<RequestRecord> log_;
  std::deque<std::string> script_;
};

}  // namespace llamachat::emulator
