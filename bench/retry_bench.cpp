// Cost of a retry decision, and of the shared retry quota under contention.
#include <benchmark/benchmark.h>

#include <memory>

#include "aws/retry/retry_strategy.hpp"

namespace {

using namespace llamachat::aws::retry;

void BM_Retry_Classify(benchmark::State& state) {
  for (auto _ : state) {
    FailureKind k = classify(429, "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/");
    benchmark::DoNotOptimize(k);
  }
}
BENCHMARK(BM_Retry_Classify);

// One failed attempt then success: next_delay + on_success, quota refunded every round.
void BM_Retry_DecideAndRefund(benchmark::State& state) {
  // One bucket shared by every benchmark thread; each round takes 5 and refunds 5, so it never drains.
  static const std::shared_ptr<RetryQuota> quota = std::make_shared<RetryQuota>(500);
  RetryStrategy strategy({}, quota, [] { return 0.5; });
  for (auto _ : state) {
    RetryToken token;
    auto delay = strategy.next_delay(1, FailureKind::throttling, token);
    benchmark::DoNotOptimize(delay);
    strategy.on_success(token);
  }
}
BENCHMARK(BM_Retry_DecideAndRefund)->Threads(1)->Threads(2);

}  // namespace
