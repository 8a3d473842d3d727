#include "guard/concurrency_gate.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <thread>
#include <vector>

namespace llamachat::guard {
namespace {

namespace net = boost::asio;
using namespace std::chrono_literals;

// Acquires a permit and keeps it in `slot` (empty = refused); `done` counts finished attempts.
net::awaitable<void> acquire_into(std::shared_ptr<ConcurrencyGate> gate, ConcurrencyGate::Permit& slot, int& done) {
  slot = co_await gate->acquire();
  ++done;
}

TEST(ConcurrencyGate, GrantsUpToTheCapQueuesThenRefuses) {
  net::io_context ctx;
  auto gate = ConcurrencyGate::create({2, 1, std::chrono::milliseconds(1h)});
  std::vector<ConcurrencyGate::Permit> permits(4);
  int done = 0;
  for (auto& slot : permits) net::co_spawn(ctx, acquire_into(gate, slot, done), net::detached);
  ctx.poll();
  EXPECT_EQ(done, 3);  // two permits, one refusal; the third caller waits in the queue
  EXPECT_TRUE(permits[0]);
  EXPECT_TRUE(permits[1]);
  EXPECT_FALSE(permits[3]);
  EXPECT_EQ(gate->in_use(), 2u);
  EXPECT_EQ(gate->waiting(), 1u);

  permits[0] = ConcurrencyGate::Permit();  // released: handed to the waiter
  ctx.poll();
  EXPECT_EQ(done, 4);
  EXPECT_TRUE(permits[2]);
  EXPECT_EQ(gate->in_use(), 2u);
  EXPECT_EQ(gate->waiting(), 0u);

  permits.clear();
  EXPECT_EQ(gate->in_use(), 0u);
}

// try_acquire never waits, and never overtakes a queued caller: the permit freed while one waits is its.
TEST(ConcurrencyGate, TryAcquireTakesOnlyAFreePermitNobodyWaitsFor) {
  net::io_context ctx;
  auto gate = ConcurrencyGate::create({1, 1, std::chrono::milliseconds(1h)});
  ConcurrencyGate::Permit first = gate->try_acquire();
  EXPECT_TRUE(first);
  EXPECT_FALSE(gate->try_acquire());  // the cap is reached
  ConcurrencyGate::Permit queued;
  int done = 0;
  net::co_spawn(ctx, acquire_into(gate, queued, done), net::detached);
  ctx.poll();
  EXPECT_EQ(gate->waiting(), 1u);
  first = ConcurrencyGate::Permit();  // handed to the waiter, not left for try_acquire
  EXPECT_FALSE(gate->try_acquire());
  ctx.poll();
  EXPECT_TRUE(queued);
  queued = ConcurrencyGate::Permit();
  EXPECT_TRUE(gate->try_acquire());  // free again (and returned at once: the temporary is destroyed)
  EXPECT_EQ(gate->in_use(), 0u);
}

TEST(ConcurrencyGate, AQueuedCallerIsRefusedWhenItsWaitIsOver) {
  net::io_context ctx;
  auto gate = ConcurrencyGate::create({1, 4, 1ms});
  ConcurrencyGate::Permit held;
  ConcurrencyGate::Permit queued;
  int done = 0;
  net::co_spawn(ctx, acquire_into(gate, held, done), net::detached);
  net::co_spawn(ctx, acquire_into(gate, queued, done), net::detached);
  ctx.run();  // returns once the queued caller's timer fired
  EXPECT_EQ(done, 2);
  EXPECT_TRUE(held);
  EXPECT_FALSE(queued);
  EXPECT_EQ(gate->waiting(), 0u);
  EXPECT_EQ(gate->in_use(), 1u);
}

TEST(ConcurrencyGate, NoQueueMeansRefusingAtOnce) {
  net::io_context ctx;
  auto gate = ConcurrencyGate::create({1, 0, std::chrono::milliseconds(1h)});
  ConcurrencyGate::Permit first;
  ConcurrencyGate::Permit second;
  int done = 0;
  net::co_spawn(ctx, acquire_into(gate, first, done), net::detached);
  net::co_spawn(ctx, acquire_into(gate, second, done), net::detached);
  ctx.poll();
  EXPECT_EQ(done, 2);
  EXPECT_TRUE(first);
  EXPECT_FALSE(second);
}

// Callers on several threads, each with its own io_context, each holding its permit across one yield.
struct CrossThreadRun {
  std::atomic<int> holders{0};
  std::atomic<int> most{0};  // the most holders seen at once
  std::atomic<int> served{0};
  std::atomic<int> refused{0};
};

enum class Taking { acquire, try_then_acquire /* the router's way */ };

net::awaitable<void> hold_briefly(std::shared_ptr<ConcurrencyGate> gate, CrossThreadRun& run, Taking taking) {
  ConcurrencyGate::Permit permit;
  if (taking == Taking::try_then_acquire) permit = gate->try_acquire();
  if (!permit) permit = co_await gate->acquire();
  if (!permit) {
    run.refused.fetch_add(1);
    co_return;
  }
  const int now = run.holders.fetch_add(1) + 1;
  int seen = run.most.load();
  while (now > seen && !run.most.compare_exchange_weak(seen, now)) {
  }
  co_await net::post(co_await net::this_coro::executor, net::use_awaitable);  // yield while holding
  run.holders.fetch_sub(1);
  run.served.fetch_add(1);
}

void run_across_threads(const std::shared_ptr<ConcurrencyGate>& gate, CrossThreadRun& run, Taking taking,
                        int threads_count, int callers_per_thread) {
  std::vector<std::thread> threads;
  threads.reserve(static_cast<std::size_t>(threads_count));
  for (int t = 0; t < threads_count; ++t) {
    threads.emplace_back([&] {
      net::io_context ctx;
      for (int i = 0; i < callers_per_thread; ++i) net::co_spawn(ctx, hold_briefly(gate, run, taking), net::detached);
      ctx.run();
    });
  }
  for (auto& thread : threads) thread.join();
}

// What every cross-thread run must end with: each caller served (none refused), never more holders than
// the cap (and at least one), and the gate back at rest.
void expect_all_served_within_cap(const ConcurrencyGate& gate, const CrossThreadRun& run, int callers, int cap) {
  EXPECT_EQ(run.refused.load(), 0);
  EXPECT_EQ(run.served.load(), callers);
  EXPECT_LE(run.most.load(), cap);
  EXPECT_GE(run.most.load(), 1);
  EXPECT_EQ(gate.in_use(), 0u);
  EXPECT_EQ(gate.waiting(), 0u);
}

// acquire only, with a queue as long as the number of callers and an unbounded wait.
TEST(ConcurrencyGate, NeverExceedsTheCapAcrossThreads) {
  auto gate = ConcurrencyGate::create({3, 4 * 200, std::chrono::milliseconds(1h)});
  CrossThreadRun run;
  run_across_threads(gate, run, Taking::acquire, 4, 200);
  expect_all_served_within_cap(*gate, run, 4 * 200, 3);
}

// The router's way: try_acquire first, acquire only when it fails. Every permit given back reaches a
// queued caller: none is left to time out while permits are free (the wait, far longer than the test,
// would make such a caller a refusal).
TEST(ConcurrencyGate, TryAcquireAndAcquireTogetherAcrossThreadsLoseNoHandOver) {
  auto gate = ConcurrencyGate::create({2, 4 * 500, std::chrono::milliseconds(60s)});
  CrossThreadRun run;
  run_across_threads(gate, run, Taking::try_then_acquire, 4, 500);
  expect_all_served_within_cap(*gate, run, 4 * 500, 2);
}

}  // namespace
}  // namespace llamachat::guard
