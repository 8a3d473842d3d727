#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <thread>

#include "aws/credentials/provider.hpp"
#include "aws/credentials/test_support.hpp"
#include "support/run_async.hpp"

namespace llamachat::aws::credentials {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using llamachat::test::run_async;
using testing::GatedProvider;
using testing::ManualClock;
using testing::Recorder;

const std::chrono::system_clock::time_point kStart = std::chrono::sys_days{std::chrono::year{2030} / 1 / 1};

Credentials make_credentials(int n, std::optional<std::chrono::system_clock::time_point> expiration) {
  Credentials c;
  c.access_key_id = "AKID" + std::to_string(n);
  c.secret_access_key = "SECRET-" + std::to_string(n);
  c.session_token = "TOKEN-" + std::to_string(n);
  c.expiration = expiration;
  c.provider = "gated";
  return c;
}

asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(asio::use_awaitable);
}

// One get() through `cache`, counted in `started` first. A free coroutine with explicit parameters, for
// co_spawn (docs/decisions/0003-gcc12-coroutine-rules.md, rule 3).
asio::awaitable<std::string> counted_get(std::shared_ptr<Provider> cache, std::atomic<int>* started) {
  ++*started;
  Credentials c = co_await cache->get();
  co_return c.access_key_id;
}

// Calls get() `per_thread` times on each of two io_contexts, each run by its own thread, while the inner
// provider is held at its gate until every call has started. Returns the access key ids (or error texts).
std::vector<std::string> concurrent_gets(const std::shared_ptr<Provider>& cache, GatedProvider& gated, int per_thread) {
  asio::io_context a, b;
  std::atomic<int> started{0};
  Recorder<std::string> results;
  for (asio::io_context* ctx : {&a, &b}) {
    for (int i = 0; i < per_thread; ++i) {
      asio::co_spawn(*ctx, counted_get(cache, &started), [&](std::exception_ptr e, std::string key) {
        if (!e) return results.add(key);
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          results.add(std::string("error: ") + ex.what());
        }
      });
    }
  }
  gated.close();
  std::thread ta([&] { a.run(); });
  std::thread tb([&] { b.run(); });
  while (started.load() < 2 * per_thread) std::this_thread::yield();
  // Every call has started; give the last ones a moment to park before the fetch may finish. (Only the
  // failure test depends on it: a straggler would start a second fetch.)
  std::this_thread::sleep_for(20ms);
  gated.open();
  ta.join();
  tb.join();
  return results.items();
}

TEST(CachingProvider, HundredConcurrentCallsOnEmptyCacheFetchOnce) {
  ManualClock clock(kStart);
  auto gated = std::make_shared<GatedProvider>([&](int n) { return make_credentials(n, clock.now() + 1h); });
  auto cache = make_caching_provider(gated, clock.clock(), 5min);

  const auto results = concurrent_gets(cache, *gated, 50);
  ASSERT_EQ(results.size(), 100u);
  for (const auto& r : results) EXPECT_EQ(r, "AKID1");
  EXPECT_EQ(gated->fetches(), 1);

  // Cached: no further fetch.
  EXPECT_EQ(run_async(cache->get()).access_key_id, "AKID1");
  EXPECT_EQ(gated->fetches(), 1);
}

TEST(CachingProvider, HundredConcurrentCallsOnExpiredCredentialsFetchOnce) {
  ManualClock clock(kStart);
  auto gated = std::make_shared<GatedProvider>([&](int n) { return make_credentials(n, clock.now() + 1h); });
  auto cache = make_caching_provider(gated, clock.clock(), 5min);
  EXPECT_EQ(run_async(cache->get()).access_key_id, "AKID1");

  clock.advance(1h);  // exactly at Expiration: expired
  const auto results = concurrent_gets(cache, *gated, 50);
  ASSERT_EQ(results.size(), 100u);
  for (const auto& r : results) EXPECT_EQ(r, "AKID2");
  EXPECT_EQ(gated->fetches(), 2);
}

TEST(CachingProvider, RefreshesAheadOfExpiryWithoutMakingCallersWait) {
  ManualClock clock(kStart);
  auto gated = std::make_shared<GatedProvider>([&](int n) { return make_credentials(n, clock.now() + 1h); });
  auto cache = make_caching_provider(gated, clock.clock(), 5min);

  run_async([&]() -> asio::awaitable<void> {
    EXPECT_EQ((co_await cache->get()).access_key_id, "AKID1");
    clock.advance(54min);  // 6 minutes left: not yet in the refresh window
    EXPECT_EQ((co_await cache->get()).access_key_id, "AKID1");
    EXPECT_EQ(gated->fetches(), 1);

    clock.advance(2min);  // 4 minutes left: refresh due
    gated->close();
    for (int i = 0; i < 10; ++i) EXPECT_EQ((co_await cache->get()).access_key_id, "AKID1");
    // One background refresh started, and it is still held at the gate: nobody waited for it.
    EXPECT_EQ(gated->fetches(), 2);
    EXPECT_EQ(gated->completed(), 1);

    gated->open();
    while (gated->completed() < 2) co_await sleep_for(1ms);
    co_await sleep_for(5ms);  // let the fetch coroutine store its result
    EXPECT_EQ((co_await cache->get()).access_key_id, "AKID2");
    EXPECT_EQ(gated->fetches(), 2);
  }());
}

TEST(CachingProvider, FailedBackgroundRefreshKeepsValidCredentialsAndBacksOff) {
  ManualClock clock(kStart);
  std::atomic<bool> broken{false};
  auto gated = std::make_shared<GatedProvider>([&](int n) {
    if (broken) throw CredentialsError("gated: source broken");
    return make_credentials(n, clock.now() + 1h);
  });
  auto cache = make_caching_provider(gated, clock.clock(), 5min);

  run_async([&]() -> asio::awaitable<void> {
    EXPECT_EQ((co_await cache->get()).access_key_id, "AKID1");
    broken = true;
    clock.advance(56min);
    EXPECT_EQ((co_await cache->get()).access_key_id, "AKID1");  // starts the refresh, which fails
    while (gated->completed() < 2) co_await sleep_for(1ms);
    co_await sleep_for(5ms);
    EXPECT_EQ((co_await cache->get()).access_key_id, "AKID1");
    EXPECT_EQ(gated->fetches(), 2);  // backing off: no new attempt yet
    clock.advance(31s);
    broken = false;
    EXPECT_EQ((co_await cache->get()).access_key_id, "AKID1");  // starts another refresh
    while (gated->completed() < 3) co_await sleep_for(1ms);
    co_await sleep_for(5ms);
    EXPECT_EQ((co_await cache->get()).access_key_id, "AKID3");
  }());
}

TEST(CachingProvider, FailureReachesEveryWaiterAndIsNotCached) {
  ManualClock clock(kStart);
  std::atomic<bool> broken{true};
  auto gated = std::make_shared<GatedProvider>([&](int n) {
    if (broken) throw CredentialsError("gated: the source is broken");
    return make_credentials(n, clock.now() + 1h);
  });
  auto cache = make_caching_provider(gated, clock.clock(), 5min);

  const auto results = concurrent_gets(cache, *gated, 10);
  ASSERT_EQ(results.size(), 20u);
  for (const auto& r : results) EXPECT_EQ(r, "error: gated: the source is broken");
  EXPECT_EQ(gated->fetches(), 1);

  broken = false;
  EXPECT_EQ(run_async(cache->get()).access_key_id, "AKID2");
  EXPECT_EQ(gated->fetches(), 2);
}

// get() that reports a failure as its text.
std::string get_or_error(const std::shared_ptr<Provider>& cache) {
  try {
    return run_async(cache->get()).access_key_id;
  } catch (const std::exception& e) {
    return std::string("error: ") + e.what();
  }
}

std::size_t count_of(const std::string& text, std::string_view needle) {
  std::size_t n = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST(CachingProvider, AFailureIsLoggedOncePerCause) {
  ManualClock clock(kStart);
  std::string cause = "gated: no key in /home/someone/.aws/credentials";
  bool broken = true;
  auto gated = std::make_shared<GatedProvider>([&](int n) {
    if (broken) throw CredentialsError(cause);
    return make_credentials(n, clock.now() + 1h);
  });
  gated->open();
  auto cache = make_caching_provider(gated, clock.clock(), 5min);
  ::testing::internal::CaptureStderr();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(get_or_error(cache), "error: " + cause);
  cause = "gated: another cause";
  EXPECT_EQ(get_or_error(cache), "error: " + cause);
  broken = false;
  EXPECT_EQ(get_or_error(cache), "AKID5");
  clock.advance(2h);  // expired: the next get() fetches again
  broken = true;
  EXPECT_EQ(get_or_error(cache), "error: " + cause);
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(gated->fetches(), 6);
  EXPECT_EQ(count_of(log, "no key in /home/someone/.aws/credentials"), 1u) << log;
  // The second cause: once, then again after credentials were had in between.
  EXPECT_EQ(count_of(log, "another cause"), 2u) << log;
}

TEST(CachingProvider, CredentialsWithoutExpirationAreKeptForever) {
  ManualClock clock(kStart);
  auto gated = std::make_shared<GatedProvider>([&](int n) { return make_credentials(n, std::nullopt); });
  auto cache = make_caching_provider(gated, clock.clock(), 5min);
  EXPECT_EQ(run_async(cache->get()).access_key_id, "AKID1");
  clock.advance(24h * 365);
  EXPECT_EQ(run_async(cache->get()).access_key_id, "AKID1");
  EXPECT_EQ(gated->fetches(), 1);
}

TEST(CachingProvider, AlreadyExpiredCredentialsFromTheSourceAreAnError) {
  ManualClock clock(kStart);
  auto gated = std::make_shared<GatedProvider>([&](int n) { return make_credentials(n, clock.now() - 1s); });
  auto cache = make_caching_provider(gated, clock.clock(), 5min);
  try {
    run_async(cache->get());
    FAIL() << "expected CredentialsError";
  } catch (const CredentialsError& e) {
    EXPECT_NE(std::string(e.what()).find("gated: returned credentials that expired"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("SECRET"), std::string::npos);
  }
}

}  // namespace
}  // namespace llamachat::aws::credentials
