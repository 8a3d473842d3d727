#include "observe/metrics.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <thread>
#include <vector>

namespace llamachat::observe {
namespace {

using std::chrono::microseconds;

RequestRecord record(Route route, unsigned status, microseconds duration) {
  RequestRecord r;
  r.route = route;
  r.status = status;
  r.duration = duration;
  return r;
}

TEST(Metrics, CountsRequestsByRouteAndStatus) {
  auto m = std::make_unique<Metrics>();
  m->record_request(record(Route::chat, 200, microseconds(1)));
  m->record_request(record(Route::chat, 200, microseconds(1)));
  m->record_request(record(Route::chat, 502, microseconds(1)));
  m->record_request(record(Route::healthz, 200, microseconds(1)));
  m->record_request(record(Route::unmatched, 999, microseconds(1)));  // out of range: status 0
  const MetricsSnapshot s = m->snapshot();
  ASSERT_EQ(s.requests.size(), 4u);
  EXPECT_EQ(s.requests[0].route, Route::unmatched);
  EXPECT_EQ(s.requests[0].status, 0u);
  EXPECT_EQ(s.requests[1].route, Route::chat);
  EXPECT_EQ(s.requests[1].status, 200u);
  EXPECT_EQ(s.requests[1].count, 2u);
  EXPECT_EQ(s.requests[2].status, 502u);
  EXPECT_EQ(s.requests[2].count, 1u);
  EXPECT_EQ(s.requests[3].route, Route::healthz);
}

// Each thread records into its own shard; a snapshot is the sum over every shard, with more threads than
// shards too.
TEST(Metrics, SnapshotSumsWhatEveryThreadRecorded) {
  auto m = std::make_unique<Metrics>();
  constexpr std::size_t kThreads = Metrics::kShards + 3;
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < kThreads; ++t) {
    threads.emplace_back([&m] {
      for (int i = 0; i < 100; ++i) {
        RequestRecord r;
        r.route = Route::chat;
        r.status = 200;
        r.duration = microseconds(1'000);
        r.input_tokens = 2;
        m->record_request(r);
        m->stream_opened();
      }
      for (int i = 0; i < 40; ++i) m->stream_closed();
    });
  }
  for (auto& t : threads) t.join();
  const MetricsSnapshot s = m->snapshot();
  ASSERT_EQ(s.requests.size(), 1u);
  EXPECT_EQ(s.requests[0].count, kThreads * 100);
  EXPECT_EQ(s.request_duration[static_cast<std::size_t>(Route::chat)].count(), kThreads * 100);
  EXPECT_EQ(s.request_duration[static_cast<std::size_t>(Route::chat)].sum_micros, kThreads * 100 * 1'000);
  EXPECT_EQ(s.input_tokens, kThreads * 200);
  EXPECT_EQ(s.active_streams, static_cast<std::int64_t>(kThreads * 60));
}

TEST(Metrics, HistogramBucketsIncludeTheirUpperBound) {
  LatencyHistogram h;
  h.observe(microseconds(5'000));        // exactly 0.005 s: first bucket
  h.observe(microseconds(5'001));        // second bucket
  h.observe(microseconds(0));            // first bucket
  h.observe(microseconds(-3));           // a clock step backwards counts as 0
  h.observe(microseconds(200'000'000));  // above every bound: +Inf only
  HistogramValues v;
  h.add_to(v);
  EXPECT_EQ(v.counts[0], 3u);
  EXPECT_EQ(v.counts[1], 1u);
  EXPECT_EQ(v.counts[kLatencyBuckets], 1u);
  EXPECT_EQ(v.count(), 5u);
  EXPECT_EQ(v.sum_micros, 200'010'001u);
}

TEST(Metrics, TokensStreamsAndUpstreamCounters) {
  auto m = std::make_unique<Metrics>();
  RequestRecord r = record(Route::v1_chat_completions, 200, microseconds(10));
  r.input_tokens = 12;
  r.output_tokens = 30;
  r.ttft = microseconds(7);
  m->record_request(r);
  m->record_upstream_call(microseconds(9));
  m->record_upstream_retry();
  m->record_upstream_throttle();
  m->record_upstream_throttle();
  m->stream_opened();
  m->stream_opened();
  m->stream_closed();
  const MetricsSnapshot s = m->snapshot();
  EXPECT_EQ(s.input_tokens, 12u);
  EXPECT_EQ(s.output_tokens, 30u);
  EXPECT_EQ(s.time_to_first_token.count(), 1u);
  EXPECT_EQ(s.upstream_duration.count(), 1u);
  EXPECT_EQ(s.upstream_retries, 1u);
  EXPECT_EQ(s.upstream_throttles, 2u);
  EXPECT_EQ(s.active_streams, 1);
}

TEST(Metrics, ConcurrentRecordingLosesNothing) {
  auto m = std::make_unique<Metrics>();
  constexpr int kThreads = 4, kEach = 10'000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&m] {
      for (int i = 0; i < kEach; ++i) m->record_request(record(Route::chat, 200, microseconds(i)));
    });
  for (auto& t : threads) t.join();
  const MetricsSnapshot s = m->snapshot();
  ASSERT_EQ(s.requests.size(), 1u);
  EXPECT_EQ(s.requests[0].count, static_cast<std::uint64_t>(kThreads * kEach));
  EXPECT_EQ(s.request_duration[static_cast<std::size_t>(Route::chat)].count(),
            static_cast<std::uint64_t>(kThreads * kEach));
}

constexpr std::string_view kGoldenEmpty =
    R"(# HELP llamachat_requests_total HTTP requests answered, by route pattern and status.
# TYPE llamachat_requests_total counter
# HELP llamachat_request_duration_seconds Time from a request read to its response written, by route pattern.
# TYPE llamachat_request_duration_seconds histogram
# HELP llamachat_upstream_duration_seconds Upstream model calls, all attempts included, until the reply was read.
# TYPE llamachat_upstream_duration_seconds histogram
llamachat_upstream_duration_seconds_bucket{le="0.005"} 0
llamachat_upstream_duration_seconds_bucket{le="0.01"} 0
llamachat_upstream_duration_seconds_bucket{le="0.025"} 0
llamachat_upstream_duration_seconds_bucket{le="0.05"} 0
llamachat_upstream_duration_seconds_bucket{le="0.1"} 0
llamachat_upstream_duration_seconds_bucket{le="0.25"} 0
llamachat_upstream_duration_seconds_bucket{le="0.5"} 0
llamachat_upstream_duration_seconds_bucket{le="1"} 0
llamachat_upstream_duration_seconds_bucket{le="2.5"} 0
llamachat_upstream_duration_seconds_bucket{le="5"} 0
llamachat_upstream_duration_seconds_bucket{le="10"} 0
llamachat_upstream_duration_seconds_bucket{le="30"} 0
llamachat_upstream_duration_seconds_bucket{le="60"} 0
llamachat_upstream_duration_seconds_bucket{le="120"} 0
llamachat_upstream_duration_seconds_bucket{le="+Inf"} 0
llamachat_upstream_duration_seconds_sum 0.000000
llamachat_upstream_duration_seconds_count 0
# HELP llamachat_time_to_first_token_seconds Time from a streamed request read to the first reply text sent.
# TYPE llamachat_time_to_first_token_seconds histogram
llamachat_time_to_first_token_seconds_bucket{le="0.005"} 0
llamachat_time_to_first_token_seconds_bucket{le="0.01"} 0
llamachat_time_to_first_token_seconds_bucket{le="0.025"} 0
llamachat_time_to_first_token_seconds_bucket{le="0.05"} 0
llamachat_time_to_first_token_seconds_bucket{le="0.1"} 0
llamachat_time_to_first_token_seconds_bucket{le="0.25"} 0
llamachat_time_to_first_token_seconds_bucket{le="0.5"} 0
llamachat_time_to_first_token_seconds_bucket{le="1"} 0
llamachat_time_to_first_token_seconds_bucket{le="2.5"} 0
llamachat_time_to_first_token_seconds_bucket{le="5"} 0
llamachat_time_to_first_token_seconds_bucket{le="10"} 0
llamachat_time_to_first_token_seconds_bucket{le="30"} 0
llamachat_time_to_first_token_seconds_bucket{le="60"} 0
llamachat_time_to_first_token_seconds_bucket{le="120"} 0
llamachat_time_to_first_token_seconds_bucket{le="+Inf"} 0
llamachat_time_to_first_token_seconds_sum 0.000000
llamachat_time_to_first_token_seconds_count 0
# HELP llamachat_input_tokens_total Prompt tokens reported by the model.
# TYPE llamachat_input_tokens_total counter
llamachat_input_tokens_total 0
# HELP llamachat_output_tokens_total Reply tokens reported by the model.
# TYPE llamachat_output_tokens_total counter
llamachat_output_tokens_total 0
# HELP llamachat_upstream_retries_total Upstream attempts that were retried.
# TYPE llamachat_upstream_retries_total counter
llamachat_upstream_retries_total 0
# HELP llamachat_upstream_throttles_total Upstream attempts refused for throttling (HTTP 429 and throttling errors).
# TYPE llamachat_upstream_throttles_total counter
llamachat_upstream_throttles_total 0
# HELP llamachat_active_streams Streamed responses open now.
# TYPE llamachat_active_streams gauge
llamachat_active_streams 0
)";

TEST(Exposition, GoldenEmpty) { EXPECT_EQ(render_prometheus(MetricsSnapshot{}), kGoldenEmpty); }

TEST(Exposition, GoldenRequestsAndCredentials) {
  MetricsSnapshot s;
  s.requests = {{Route::chat, 200, 3}, {Route::v1_chat_completions, 429, 1}};
  auto& chat = s.request_duration[static_cast<std::size_t>(Route::chat)];
  chat.counts[0] = 1;                // <= 0.005
  chat.counts[7] = 1;                // <= 1
  chat.counts[kLatencyBuckets] = 1;  // > 120
  chat.sum_micros = 121'000'123;
  s.input_tokens = 5;
  s.active_streams = 2;
  s.credentials_expiry_seconds = 3599;
  const std::string text = render_prometheus(s);
  constexpr std::string_view kRequests = R"(# TYPE llamachat_requests_total counter
llamachat_requests_total{route="/chat",status="200"} 3
llamachat_requests_total{route="/v1/chat/completions",status="429"} 1
# HELP llamachat_request_duration_seconds Time from a request read to its response written, by route pattern.
# TYPE llamachat_request_duration_seconds histogram
llamachat_request_duration_seconds_bucket{route="/chat",le="0.005"} 1
llamachat_request_duration_seconds_bucket{route="/chat",le="0.01"} 1
llamachat_request_duration_seconds_bucket{route="/chat",le="0.025"} 1
llamachat_request_duration_seconds_bucket{route="/chat",le="0.05"} 1
llamachat_request_duration_seconds_bucket{route="/chat",le="0.1"} 1
llamachat_request_duration_seconds_bucket{route="/chat",le="0.25"} 1
llamachat_request_duration_seconds_bucket{route="/chat",le="0.5"} 1
llamachat_request_duration_seconds_bucket{route="/chat",le="1"} 2
llamachat_request_duration_seconds_bucket{route="/chat",le="2.5"} 2
llamachat_request_duration_seconds_bucket{route="/chat",le="5"} 2
llamachat_request_duration_seconds_bucket{route="/chat",le="10"} 2
llamachat_request_duration_seconds_bucket{route="/chat",le="30"} 2
llamachat_request_duration_seconds_bucket{route="/chat",le="60"} 2
llamachat_request_duration_seconds_bucket{route="/chat",le="120"} 2
llamachat_request_duration_seconds_bucket{route="/chat",le="+Inf"} 3
llamachat_request_duration_seconds_sum{route="/chat"} 121.000123
llamachat_request_duration_seconds_count{route="/chat"} 3
# HELP llamachat_upstream_duration_seconds)";
  EXPECT_NE(text.find(kRequests), std::string::npos) << text;
  EXPECT_NE(text.find("\nllamachat_input_tokens_total 5\n"), std::string::npos);
  EXPECT_NE(text.find("\nllamachat_active_streams 2\n"), std::string::npos);
  EXPECT_TRUE(
      text.ends_with("# HELP llamachat_credentials_expiry_seconds Seconds until the AWS credentials in use "
                     "expire.\n# TYPE llamachat_credentials_expiry_seconds gauge\n"
                     "llamachat_credentials_expiry_seconds 3599\n"))
      << text;
}

TEST(Exposition, EveryRouteHasADistinctName) {
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < kRouteCount; ++i) names.insert(route_name(static_cast<Route>(i)));
  EXPECT_EQ(names.size(), kRouteCount);
}

}  // namespace
}  // namespace llamachat::observe
