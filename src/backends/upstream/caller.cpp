#include "backends/upstream/caller.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>
#include <random>

#include "aws/credentials/provider.hpp"
#include "backends/upstream/retry_after.hpp"
#include "observe/metrics.hpp"
#include "util/cancel_signal.hpp"
#include "util/log.hpp"

namespace llamachat::backends::upstream {
namespace net = boost::asio;
using std::chrono::steady_clock;

namespace {

double uniform_random() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

// Process-wide unique, never 0 (the "nothing cached" value of client_for's shortcut).
std::uint64_t next_generation() {
  static std::atomic<std::uint64_t> counter{0};
  return counter.fetch_add(1) + 1;
}

chat::Error client_gone() { return {chat::ErrorKind::cancelled, "client disconnected"}; }

// Records the call's duration, all attempts included, however it ends.
class CallTimer {
 public:
  CallTimer() = default;
  CallTimer(const CallTimer&) = delete;
  CallTimer& operator=(const CallTimer&) = delete;
  ~CallTimer() {
    observe::metrics().record_upstream_call(
        std::chrono::duration_cast<std::chrono::microseconds>(steady_clock::now() - start_));
  }

 private:
  steady_clock::time_point start_ = steady_clock::now();
};

bool client_left(const chat::ChatRequest& request) noexcept { return request.cancel && request.cancel->emitted(); }

// An upstream Retry-After also tells our client how long to wait (rounded up to whole seconds).
void adopt_retry_after(Failure& failure, std::optional<std::chrono::milliseconds> retry_after) {
  if (!retry_after) return;
  failure.retry_after = retry_after;
  failure.error.retry_after_seconds = static_cast<int>((retry_after->count() + 999) / 1000);
}

}  // namespace

AttemptOutcome failure_of(const http::ClientError& error, std::string_view upstream_name, const http::Url& endpoint,
                          bool cancelled, bool reply_started) {
  using K = http::ClientErrorKind;
  using aws::retry::FailureKind;
  if (cancelled) return Failure{client_gone()};
  const std::string name(upstream_name);
  switch (error.kind()) {
    case K::timeout:
      // The deadline after text went out: end cleanly with what was sent instead of cut mid-event.
      if (reply_started) return chat::Completion{"time_limit", std::nullopt};
      return Failure{{chat::ErrorKind::deadline_exceeded, name + " request timed out: " + error.what()},
                     FailureKind::timeout};
    case K::protocol:
      return Failure{{chat::ErrorKind::bad_upstream_response, name + " reply unreadable: " + error.what()}};
    case K::tls:
      return Failure{{chat::ErrorKind::upstream_unreachable,
                      "cannot reach " + name + " endpoint " + endpoint.origin() + ": " + error.what()}};
    default:
      return Failure{{chat::ErrorKind::upstream_unreachable,
                      "cannot reach " + name + " endpoint " + endpoint.origin() + ": " + error.what()},
                     FailureKind::connection};
  }
}

std::string credentials_failure_text(std::string_view request_id) {
  // The one place where a request id is put into a client's view of a credentials failure.
  return "the server has no AWS credentials (its administrator must provide them: environment variables, "
         "a shared credentials or config file, or an instance or task role); its log has the details (request " +
         std::string(request_id) + ")";
}

Caller::Caller(CallerOptions options, std::shared_ptr<Authorizer> authorizer)
    : options_(std::move(options)),
      authorizer_(std::move(authorizer)),
      quota_(std::make_shared<aws::retry::RetryQuota>(options_.retry.initial_quota)),
      generation_(next_generation()) {}

Caller::~Caller() = default;

void Caller::shutdown() {
  std::lock_guard lock(clients_mutex_);
  generation_ = next_generation();
  clients_.clear();
}

http::Client& Caller::client_for(net::any_io_executor executor) {
  const void* key = &net::query(executor, net::execution::context);
  // Each worker thread asks for its own client on every request: remember the last answer per thread
  // rather than take the shared lock each time.
  struct LastClient {
    std::uint64_t generation = 0;
    const void* key = nullptr;
    http::Client* client = nullptr;
  };
  thread_local LastClient last;
  const std::uint64_t generation = generation_.load(std::memory_order_acquire);
  if (last.generation == generation && last.key == key) return *last.client;
  std::lock_guard lock(clients_mutex_);
  auto& slot = clients_[key];
  if (!slot) slot = std::make_unique<http::Client>(executor, options_.client);
  last = {generation, key, slot.get()};
  return *slot;
}

net::awaitable<chat::Outcome> Caller::call(chat::ChatRequest request, chat::EventSink& sink, const Protocol& protocol) {
  auto deadline = steady_clock::now() + options_.request_timeout;
  if (request.deadline && *request.deadline < deadline) deadline = *request.deadline;

  aws::retry::RetryStrategy strategy(options_.retry, quota_, &uniform_random);
  aws::retry::RetryToken token;
  net::steady_timer backoff(co_await net::this_coro::executor);
  const CallTimer timer;
  for (int attempts = 1;; ++attempts) {
    Relay relay(sink);
    AttemptOutcome outcome = co_await attempt(request, protocol, relay, deadline);
    if (auto* completion = std::get_if<chat::Completion>(&outcome)) {
      strategy.on_success(token);
      co_return std::move(*completion);
    }
    auto& failure = std::get<Failure>(outcome);
    if (failure.error.kind == chat::ErrorKind::throttled) observe::metrics().record_upstream_throttle();
    // Never retry once reply text reached the client: it would be sent twice.
    if (relay.started() || failure.error.kind == chat::ErrorKind::cancelled || client_left(request))
      co_return std::move(failure.error);
    const auto delay = strategy.next_delay(attempts, failure.retry, token);
    if (!delay) co_return std::move(failure.error);
    const auto wait = wait_before_retry(*delay, failure.retry_after);
    if (steady_clock::now() + wait >= deadline) co_return std::move(failure.error);
    util::log_info("request " + request.request_id + ": attempt " + std::to_string(attempts) + " failed (" +
                   failure.error.message.substr(0, 120) + "); retrying in " + std::to_string(wait.count()) + " ms");
    observe::metrics().record_upstream_retry();
    backoff.expires_after(wait);
    // A disconnect ends the wait; the subscription ends with this iteration.
    const auto end_wait = [&backoff] { backoff.cancel(); };
    const util::CancelSignal::Subscription subscription = util::on_cancel(request.cancel.get(), end_wait);
    if (client_left(request)) co_return client_gone();
    co_await backoff.async_wait(net::as_tuple(net::use_awaitable));
    if (client_left(request)) co_return client_gone();
  }
}

net::awaitable<AttemptOutcome> Caller::attempt(const chat::ChatRequest& request, const Protocol& protocol, Relay& relay,
                                               steady_clock::time_point deadline) {
  std::string credentials_source;
  // The one place where I/O exceptions become values: each handler only records what happened.
  std::optional<http::ClientError> io_error;
  std::optional<chat::Error> credentials_error;
  try {
    http::ClientRequest upstream = protocol.build_request(request);
    if (authorizer_) credentials_source = co_await authorizer_->authorize(upstream);
    const Attempt context{request, credentials_source};
    http::Client& client = client_for(co_await net::this_coro::executor);
    // The client closes the upstream connection when the client leaves, while opening and while the
    // reply is read: nothing else to install or clear.
    upstream.cancel = request.cancel;
    std::unique_ptr<http::ResponseStream> response =
        co_await client.open(options_.endpoint, std::move(upstream), deadline);
    const unsigned status = response->status();
    if (request.record) request.record->upstream_request_id.assign(response->header(options_.request_id_header));
    if (status < 200 || status >= 300) {
      const std::string body = co_await response->read_all();
      Failure failure = protocol.classify(ErrorReply{status, *response, body}, context);
      adopt_retry_after(failure, parse_retry_after(response->header("retry-after")));
      co_return failure;
    }
    AttemptOutcome outcome = co_await protocol.consume(*response, relay, context);
    co_return outcome;
  } catch (const http::ClientError& e) {
    io_error = e;
  } catch (const aws::credentials::CredentialsError& e) {
    // e.what() names files, variables and each provider's state: the credentials provider logs it (once
    // per cause); the client, possibly anonymous, gets the cause and the fix in general terms.
    credentials_error = chat::Error{chat::ErrorKind::credentials, credentials_failure_text(request.request_id)};
  }
  if (credentials_error) co_return Failure{std::move(*credentials_error)};
  co_return failure_of(*io_error, options_.upstream_name, options_.endpoint, client_left(request), relay.started());
}

}  // namespace llamachat::backends::upstream
