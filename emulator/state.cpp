#include "state.hpp"

#include <chrono>

namespace llamachat::emulator {
namespace json = boost::json;

std::int64_t steady_now_ms() noexcept {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void State::connection_opened() {
  std::lock_guard lock(mutex_);
  ++stats_.connections_accepted;
  ++stats_.open_connections;
}

void State::connection_closed() {
  std::lock_guard lock(mutex_);
  if (stats_.open_connections > 0) --stats_.open_connections;
}

void State::tls_handshake(bool ok) {
  std::lock_guard lock(mutex_);
  ++(ok ? stats_.tls_handshakes : stats_.tls_handshake_failures);
}

void State::request(const std::string& path) {
  std::lock_guard lock(mutex_);
  ++stats_.requests_total;
  ++stats_.requests_by_path[path];
}

void State::signature_failure() {
  std::lock_guard lock(mutex_);
  ++stats_.signature_failures;
}

void State::fault_injected() {
  std::lock_guard lock(mutex_);
  ++stats_.faults_injected;
}

void State::connection_dropped() {
  std::lock_guard lock(mutex_);
  ++stats_.dropped_connections;
}

void State::response(unsigned status) {
  std::lock_guard lock(mutex_);
  ++stats_.responses_by_status[status];
}

void State::stream_started() {
  std::lock_guard lock(mutex_);
  ++stats_.streams_started;
}

void State::stream_completed() {
  std::lock_guard lock(mutex_);
  ++stats_.streams_completed;
}

void State::stream_cancelled() {
  std::lock_guard lock(mutex_);
  ++stats_.streams_cancelled;
  stats_.last_stream_closed_at_ms = steady_now_ms();
}

void State::request_abandoned() {
  std::lock_guard lock(mutex_);
  ++stats_.requests_abandoned;
}

void State::record(RequestRecord record) {
  std::lock_guard lock(mutex_);
  log_.push_back(std::move(record));
  while (log_.size() > kMaxLoggedRequests) log_.pop_front();
}

void State::push_script(std::vector<std::string> entries, bool replace) {
  std::lock_guard lock(mutex_);
  if (replace) script_.clear();
  for (auto& e : entries) script_.push_back(std::move(e));
}

std::optional<std::string> State::pop_script() {
  std::lock_guard lock(mutex_);
  if (script_.empty()) return std::nullopt;
  std::string entry = std::move(script_.front());
  script_.pop_front();
  return entry;
}

std::size_t State::script_size() const {
  std::lock_guard lock(mutex_);
  return script_.size();
}

void State::reset() {
  std::lock_guard lock(mutex_);
  const auto open = stats_.open_connections;
  stats_ = Stats{};
  stats_.open_connections = open;
  log_.clear();
  script_.clear();
}

Stats State::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

std::vector<RequestRecord> State::requests() const {
  std::lock_guard lock(mutex_);
  return {log_.begin(), log_.end()};
}

json::object State::stats_json() const {
  const Stats s = stats();
  json::object out;
  out["connections_accepted"] = s.connections_accepted;
  out["open_connections"] = s.open_connections;
  out["tls_handshakes"] = s.tls_handshakes;
  out["tls_handshake_failures"] = s.tls_handshake_failures;
  out["requests_total"] = s.requests_total;
  out["signature_failures"] = s.signature_failures;
  out["faults_injected"] = s.faults_injected;
  out["dropped_connections"] = s.dropped_connections;
  out["streams_started"] = s.streams_started;
  out["streams_completed"] = s.streams_completed;
  out["streams_cancelled"] = s.streams_cancelled;
  out["requests_abandoned"] = s.requests_abandoned;
  if (s.last_stream_closed_at_ms >= 0) {
    out["last_stream_closed_at_ms"] = s.last_stream_closed_at_ms;
  } else {
    out["last_stream_closed_at_ms"] = nullptr;
  }
  out["now_ms"] = steady_now_ms();
  json::object by_path;
  for (const auto& [path, n] : s.requests_by_path) by_path[path] = n;
  out["requests"] = std::move(by_path);
  json::object by_status;
  for (const auto& [status, n] : s.responses_by_status) by_status[std::to_string(status)] = n;
  out["responses_by_status"] = std::move(by_status);
  out["script_pending"] = script_size();
  return out;
}

json::array State::requests_json() const {
  json::array out;
  for (const auto& r : requests()) {
    json::object o;
    o["at_ms"] = r.at_ms;
    o["method"] = r.method;
    o["target"] = r.target;
    o["operation"] = r.operation;
    o["model_id"] = r.model_id;
    json::array headers;
    for (const auto& [name, value] : r.headers) headers.push_back(json::array{json::string(name), json::string(value)});
    o["headers"] = std::move(headers);
    o["body"] = r.body;
    o["body_truncated"] = r.body_truncated;
    o["verified"] = r.verified;
    o["auth_error"] = r.auth_error;
    o["status"] = r.status;
    json::array directives;
    for (const auto& d : r.directives) directives.push_back(json::string(d));
    o["directives"] = std::move(directives);
    json::array unknown;
    for (const auto& d : r.unknown_directives) unknown.push_back(json::string(d));
    o["unknown_directives"] = std::move(unknown);
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace llamachat::emulator
