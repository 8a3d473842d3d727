#pragma once
// The service's metrics: counters, gauges and latency histograms held in relaxed atomics, a snapshot of
// them as plain values, and the Prometheus text exposition of a snapshot (a pure function).
// Recording is a few atomic adds, no lock and no allocation. The atomics are sharded: each thread records
// into a shard of its own (cache-line aligned), and a snapshot sums the shards, so that worker threads do
// not pass the same cache lines back and forth on every request.
// Format: https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "observe/request_record.hpp"

namespace llamachat::observe {

// Upper bounds of the latency buckets, in seconds, as written in the exposition. Chat replies take from
// milliseconds (offline, errors) to the 110 s request deadline.
inline constexpr std::array<std::string_view, 14> kLatencyBucketLabels{
    "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "30", "60", "120"};
inline constexpr std::array<std::int64_t, 14> kLatencyBucketMicros{
    5'000,     10'000,    25'000,    50'000,     100'000,    250'000,    500'000,
    1'000'000, 2'500'000, 5'000'000, 10'000'000, 30'000'000, 60'000'000, 120'000'000};
inline constexpr std::size_t kLatencyBuckets = kLatencyBucketMicros.size();

// A histogram's values: per-bucket counts (not cumulative; the last one is above every bound) and the sum.
struct HistogramValues {
  std::array<std::uint64_t, kLatencyBuckets + 1> counts{};
  std::uint64_t sum_micros = 0;
  std::uint64_t count() const noexcept;
};

class LatencyHistogram {
 public:
  void observe(std::chrono::microseconds value) noexcept;
  // Adds this histogram's counts and sum to `into`.
  void add_to(HistogramValues& into) const noexcept;

 private:
  std::array<std::atomic<std::uint64_t>, kLatencyBuckets + 1> counts_{};
  std::atomic<std::uint64_t> sum_micros_{0};
};

struct RequestCount {
  Route route = Route::unmatched;
  unsigned status = 0;
  std::uint64_t count = 0;
};

// Every metric at one moment, as plain values: the input of render_prometheus.
struct MetricsSnapshot {
  std::vector<RequestCount> requests;  // non-zero counts, by route then status
  std::array<HistogramValues, kRouteCount> request_duration{};
  HistogramValues upstream_duration;
  HistogramValues time_to_first_token;
  std::uint64_t input_tokens = 0;
  std::uint64_t output_tokens = 0;
  std::uint64_t upstream_retries = 0;
  std::uint64_t upstream_throttles = 0;
  std::int64_t active_streams = 0;
  // Seconds until the credentials in use expire; absent for credentials without expiry (static keys)
  // and for backends without credentials.
  std::optional<std::int64_t> credentials_expiry_seconds;
};

class Metrics {
 public:
  // A finished request: its route and status, latency, time to first token and tokens.
  void record_request(const RequestRecord& record) noexcept;
  // One call to the upstream, all attempts included, until its reply was read.
  void record_upstream_call(std::chrono::microseconds duration) noexcept;
  void record_upstream_retry() noexcept;
  void record_upstream_throttle() noexcept;
  void stream_opened() noexcept;
  void stream_closed() noexcept;

  MetricsSnapshot snapshot() const;

  // Threads beyond this many share shards (still correct, only contended).
  static constexpr std::size_t kShards = 8;

 private:
  static constexpr unsigned kStatusSlots = 600;  // statuses 100-599; anything else counts as 0
  struct alignas(64) Shard {
    std::array<std::array<std::atomic<std::uint64_t>, kStatusSlots>, kRouteCount> requests{};
    std::array<LatencyHistogram, kRouteCount> request_duration{};
    LatencyHistogram upstream_duration;
    LatencyHistogram time_to_first_token;
    std::atomic<std::uint64_t> input_tokens{0};
    std::atomic<std::uint64_t> output_tokens{0};
    std::atomic<std::uint64_t> upstream_retries{0};
    std::atomic<std::uint64_t> upstream_throttles{0};
    std::atomic<std::int64_t> active_streams{0};  // opened minus closed on this shard's threads
  };
  Shard& shard() noexcept;

  std::array<Shard, kShards> shards_{};
};

// The process's metrics (one service per process).
Metrics& metrics() noexcept;

// The text exposition (format 0.0.4) of `snapshot`; every name starts with llamachat_. Deterministic.
std::string render_prometheus(const MetricsSnapshot& snapshot);
inline constexpr std::string_view kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace llamachat::observe
