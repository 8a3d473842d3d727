#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <mutex>
#include <vector>

#include "aws/credentials/provider.hpp"
#include "util/log.hpp"

namespace llamachat::aws::credentials {
namespace {

namespace asio = boost::asio;
using Signature = void(std::exception_ptr, Credentials);
using Handler = asio::any_completion_handler<Signature>;
using TimePoint = std::chrono::system_clock::time_point;

// After a failed ahead-of-expiry refresh, the still-valid credentials are served and the next refresh
// attempt waits this long (so a broken source is not hammered by every request).
constexpr std::chrono::seconds kBackgroundRetryInterval{30};

// Shared state: the cached credentials, whether a fetch is running and who waits for it. All of it is
// guarded by mutex_; it is touched from any worker thread. Waiters never block a thread: each parks its
// coroutine's completion handler here and the fetcher posts it to the waiter's own executor.
class CachingProvider final : public Provider, public std::enable_shared_from_this<CachingProvider> {
 public:
  CachingProvider(std::shared_ptr<Provider> inner, util::Clock clock, std::chrono::seconds refresh_ahead)
      : inner_(std::move(inner)), clock_(std::move(clock)), refresh_ahead_(refresh_ahead) {}

  std::string name() const override { return inner_->name(); }

  asio::awaitable<Credentials> get() override {
    asio::any_io_executor ex = co_await asio::this_coro::executor;
    bool start_refresh = false;
    std::optional<Credentials> ready;
    {
      std::lock_guard lock(mutex_);
      const TimePoint now = clock_();
      if (usable(now)) {
        ready = *cached_;
        if (due_for_refresh(now) && !fetching_ && now >= next_background_attempt_) {
          fetching_ = true;
          start_refresh = true;
        }
      }
    }
    if (start_refresh) start_fetch(ex);
    if (ready) co_return std::move(*ready);

    // A named initiation object: g++ 12 destroys a capturing lambda temporary inside a co_await
    // expression twice (the captured shared_ptr would be released twice).
    auto initiation = [self = shared_from_this(), ex](auto handler) { self->enqueue(Handler(std::move(handler)), ex); };
    co_return co_await asio::async_initiate<const asio::use_awaitable_t<>&, Signature>(initiation, asio::use_awaitable);
  }

 private:
  struct Waiter {
    Handler handler;
    asio::any_io_executor executor;  // tracks outstanding work: the waiter's io_context keeps running
  };

  bool usable(TimePoint now) const { return cached_ && (!cached_->expiration || now < *cached_->expiration); }
  bool due_for_refresh(TimePoint now) const {
    return cached_ && cached_->expiration && now >= *cached_->expiration - refresh_ahead_;
  }

  void enqueue(Handler handler, asio::any_io_executor ex) {
    bool start = false;
    std::optional<Credentials> ready;
    {
      std::lock_guard lock(mutex_);
      if (usable(clock_())) {
        ready = *cached_;  // a fetch finished between get()'s check and here
      } else {
        waiters_.push_back(Waiter{std::move(handler), asio::prefer(ex, asio::execution::outstanding_work.tracked)});
        if (!fetching_) fetching_ = start = true;
      }
    }
    if (ready) {
      // NOLINTNEXTLINE(bugprone-use-after-move): `ready` is set only on the path that did not move `handler`
      deliver(Waiter{std::move(handler), ex}, nullptr, std::move(*ready));
      return;
    }
    if (start) start_fetch(ex);
  }

  void start_fetch(asio::any_io_executor ex) { asio::co_spawn(ex, fetch(shared_from_this()), asio::detached); }

  static asio::awaitable<void> fetch(std::shared_ptr<CachingProvider> self) {
    std::optional<Credentials> fresh;
    std::exception_ptr error;
    try {
      fresh = co_await self->inner_->get();
    } catch (...) {
      error = std::current_exception();
    }
    self->complete(std::move(fresh), error);
  }

  void complete(std::optional<Credentials> fresh, std::exception_ptr error) {
    std::vector<Waiter> waiters;
    std::optional<Credentials> result;
    {
      std::lock_guard lock(mutex_);
      const TimePoint now = clock_();
      fetching_ = false;
      if (fresh && fresh->expiration && *fresh->expiration <= now) {
        error = std::make_exception_ptr(CredentialsError((fresh->provider.empty() ? inner_->name() : fresh->provider) +
                                                         ": returned credentials that expired at " +
                                                         util::format_iso8601(*fresh->expiration)));
        fresh.reset();
      }
      if (fresh) {
        cached_ = std::move(fresh);
        next_background_attempt_ = TimePoint::min();
      } else if (usable(now)) {
        next_background_attempt_ = now + kBackgroundRetryInterval;
      }
      if (usable(now)) result = *cached_;
      waiters.swap(waiters_);
    }
    if (result && !error) {
      {
        std::lock_guard lock(mutex_);
        last_failure_logged_.clear();
      }
      if (util::log_enabled(util::LogLevel::info))
        util::log_info("aws credentials obtained from " + result->provider +
                       (result->expiration ? ", valid until " + util::format_iso8601(*result->expiration) : ""));
    } else if (error) {
      std::string why = "unknown error";
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        why = e.what();
      } catch (...) {
      }
      // This line is the one place the details of a failure are logged (clients are told to look here);
      // a cause that persists is logged once, not on every request that meets it.
      std::string line = std::string(result ? "aws credentials refresh failed (still using the current ones): "
                                            : "aws credentials unavailable; Bedrock calls fail until this is fixed: ") +
                         why;
      bool repeated = false;
      {
        std::lock_guard lock(mutex_);
        repeated = line == last_failure_logged_;
        if (!repeated) last_failure_logged_ = line;
      }
      if (!repeated) util::log_warn(line);
    }
    for (Waiter& w : waiters) {
      if (result)
        deliver(std::move(w), nullptr, *result);
      else
        deliver(std::move(w), error, Credentials{});
    }
  }

  static void deliver(Waiter w, std::exception_ptr error, Credentials credentials) {
    asio::any_io_executor ex = w.executor;
    asio::post(ex, [h = std::move(w.handler), error, c = std::move(credentials),
                    work = std::move(w.executor)]() mutable { std::move(h)(error, std::move(c)); });
  }

  const std::shared_ptr<Provider> inner_;
  const util::Clock clock_;
  const std::chrono::seconds refresh_ahead_;

  std::mutex mutex_;
  std::optional<Credentials> cached_;                     // guarded by mutex_
  bool fetching_ = false;                                 // guarded by mutex_
  std::vector<Waiter> waiters_;                           // guarded by mutex_
  TimePoint next_background_attempt_ = TimePoint::min();  // guarded by mutex_
  std::string last_failure_logged_;                       // guarded by mutex_; cleared when credentials are obtained
};

}  // namespace

std::shared_ptr<Provider> make_caching_provider(std::shared_ptr<Provider> inner, util::Clock clock,
                                                std::chrono::seconds refresh_ahead) {
  return std::make_shared<CachingProvider>(std::move(inner), std::move(clock), refresh_ahead);
}

}  // namespace llamachat::aws::credentials
