#include "observe/metrics.hpp"

#include <algorithm>
#include <charconv>

namespace llamachat::observe {
namespace {

constexpr auto relaxed = std::memory_order_relaxed;

void append_number(std::string& out, std::uint64_t value) {
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, end);
}

void append_number(std::string& out, std::int64_t value) {
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, end);
}

// Microseconds as seconds with six decimals, exactly (no floating point).
void append_seconds(std::string& out, std::uint64_t micros) {
  append_number(out, micros / 1'000'000);
  out += '.';
  char fraction[7];
  std::uint64_t rest = micros % 1'000'000;
  for (int i = 5; i >= 0; --i) {
    fraction[i] = static_cast<char>('0' + rest % 10);
    rest /= 10;
  }
  out.append(fraction, 6);
}

void append_header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

template <typename Number>
void append_sample(std::string& out, std::string_view name, std::string_view type, std::string_view help,
                   Number value) {
  append_header(out, name, type, help);
  out += name;
  out += ' ';
  append_number(out, value);
  out += '\n';
}

// The _bucket, _sum and _count lines of one histogram; `labels` is empty or `key="value"`.
void append_histogram(std::string& out, std::string_view name, std::string_view labels, const HistogramValues& h) {
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= kLatencyBuckets; ++i) {
    cumulative += h.counts[i];
    out += name;
    out += "_bucket{";
    if (!labels.empty()) {
      out += labels;
      out += ',';
    }
    out += "le=\"";
    out += i < kLatencyBuckets ? kLatencyBucketLabels[i] : std::string_view("+Inf");
    out += "\"} ";
    append_number(out, cumulative);
    out += '\n';
  }
  const auto suffix_line = [&](std::string_view suffix) {
    out += name;
    out += suffix;
    if (!labels.empty()) {
      out += '{';
      out += labels;
      out += '}';
    }
    out += ' ';
  };
  suffix_line("_sum");
  append_seconds(out, h.sum_micros);
  out += '\n';
  suffix_line("_count");
  append_number(out, cumulative);
  out += '\n';
}

std::string route_label(Route route) {
  std::string label = "route=\"";
  label += route_name(route);  // a fixed set of names without quotes or backslashes
  label += '"';
  return label;
}

}  // namespace

std::string_view route_name(Route route) noexcept {
  switch (route) {
    case Route::unmatched: return "unmatched";
    case Route::chat: return "/chat";
    case Route::v1_chat_completions: return "/v1/chat/completions";
    case Route::v1_models: return "/v1/models";
    case Route::v1_other: return "/v1/*";
    case Route::healthz: return "/healthz";
    case Route::readyz: return "/readyz";
    case Route::metrics: return "/metrics";
    case Route::ui: return "ui";
  }
  return "unmatched";
}

std::uint64_t HistogramValues::count() const noexcept {
  std::uint64_t total = 0;
  for (const std::uint64_t c : counts) total += c;
  return total;
}

void LatencyHistogram::observe(std::chrono::microseconds value) noexcept {
  const std::int64_t micros = std::max<std::int64_t>(0, value.count());
  const auto bucket =
      static_cast<std::size_t>(std::lower_bound(kLatencyBucketMicros.begin(), kLatencyBucketMicros.end(), micros) -
                               kLatencyBucketMicros.begin());
  counts_[bucket].fetch_add(1, relaxed);
  sum_micros_.fetch_add(static_cast<std::uint64_t>(micros), relaxed);
}

void LatencyHistogram::add_to(HistogramValues& into) const noexcept {
  for (std::size_t i = 0; i < counts_.size(); ++i) into.counts[i] += counts_[i].load(relaxed);
  into.sum_micros += sum_micros_.load(relaxed);
}

// Each thread takes the next shard the first time it records (any Metrics: the index is only a number).
Metrics::Shard& Metrics::shard() noexcept {
  static std::atomic<std::size_t> next_thread{0};
  thread_local const std::size_t index = next_thread.fetch_add(1, relaxed) % kShards;
  return shards_[index];
}

void Metrics::record_request(const RequestRecord& record) noexcept {
  Shard& s = shard();
  const auto route = static_cast<std::size_t>(record.route);
  const unsigned slot = record.status >= 100 && record.status < kStatusSlots ? record.status : 0;
  s.requests[route][slot].fetch_add(1, relaxed);
  s.request_duration[route].observe(record.duration);
  if (record.ttft) s.time_to_first_token.observe(*record.ttft);
  if (record.input_tokens) s.input_tokens.fetch_add(*record.input_tokens, relaxed);
  if (record.output_tokens) s.output_tokens.fetch_add(*record.output_tokens, relaxed);
}

void Metrics::record_upstream_call(std::chrono::microseconds duration) noexcept {
  shard().upstream_duration.observe(duration);
}
void Metrics::record_upstream_retry() noexcept { shard().upstream_retries.fetch_add(1, relaxed); }
void Metrics::record_upstream_throttle() noexcept { shard().upstream_throttles.fetch_add(1, relaxed); }
void Metrics::stream_opened() noexcept { shard().active_streams.fetch_add(1, relaxed); }
void Metrics::stream_closed() noexcept { shard().active_streams.fetch_sub(1, relaxed); }

MetricsSnapshot Metrics::snapshot() const {
  MetricsSnapshot s;
  for (std::size_t route = 0; route < kRouteCount; ++route) {
    for (unsigned status = 0; status < kStatusSlots; ++status) {
      std::uint64_t count = 0;
      for (const Shard& shard : shards_) count += shard.requests[route][status].load(relaxed);
      if (count != 0) s.requests.push_back({static_cast<Route>(route), status, count});
    }
  }
  for (const Shard& shard : shards_) {
    for (std::size_t route = 0; route < kRouteCount; ++route)
      shard.request_duration[route].add_to(s.request_duration[route]);
    shard.upstream_duration.add_to(s.upstream_duration);
    shard.time_to_first_token.add_to(s.time_to_first_token);
    s.input_tokens += shard.input_tokens.load(relaxed);
    s.output_tokens += shard.output_tokens.load(relaxed);
    s.upstream_retries += shard.upstream_retries.load(relaxed);
    s.upstream_throttles += shard.upstream_throttles.load(relaxed);
    s.active_streams += shard.active_streams.load(relaxed);
  }
  return s;
}

Metrics& metrics() noexcept {
  static Metrics instance;
  return instance;
}

std::string render_prometheus(const MetricsSnapshot& s) {
  std::string out;
  out.reserve(8192);
  append_header(out, "llamachat_requests_total", "counter", "HTTP requests answered, by route pattern and status.");
  for (const RequestCount& r : s.requests) {
    out += "llamachat_requests_total{";
    out += route_label(r.route);
    out += ",status=\"";
    append_number(out, static_cast<std::uint64_t>(r.status));
    out += "\"} ";
    append_number(out, r.count);
    out += '\n';
  }
  append_header(out, "llamachat_request_duration_seconds", "histogram",
                "Time from a request read to its response written, by route pattern.");
  for (std::size_t route = 0; route < kRouteCount; ++route) {
    if (s.request_duration[route].count() == 0) continue;
    append_histogram(out, "llamachat_request_duration_seconds", route_label(static_cast<Route>(route)),
                     s.request_duration[route]);
  }
  append_header(out, "llamachat_upstream_duration_seconds", "histogram",
                "Upstream model calls, all attempts included, until the reply was read.");
  append_histogram(out, "llamachat_upstream_duration_seconds", {}, s.upstream_duration);
  append_header(out, "llamachat_time_to_first_token_seconds", "histogram",
                "Time from a streamed request read to the first reply text sent.");
  append_histogram(out, "llamachat_time_to_first_token_seconds", {}, s.time_to_first_token);
  append_sample(out, "llamachat_input_tokens_total", "counter", "Prompt tokens reported by the model.", s.input_tokens);
  append_sample(out, "llamachat_output_tokens_total", "counter", "Reply tokens reported by the model.",
                s.output_tokens);
  append_sample(out, "llamachat_upstream_retries_total", "counter", "Upstream attempts that were retried.",
                s.upstream_retries);
  append_sample(out, "llamachat_upstream_throttles_total", "counter",
                "Upstream attempts refused for throttling (HTTP 429 and throttling errors).", s.upstream_throttles);
  append_sample(out, "llamachat_active_streams", "gauge", "Streamed responses open now.", s.active_streams);
  if (s.credentials_expiry_seconds)
    append_sample(out, "llamachat_credentials_expiry_seconds", "gauge",
                  "Seconds until the AWS credentials in use expire.", *s.credentials_expiry_seconds);
  return out;
}

}  // namespace llamachat::observe
