#pragma once
// One upstream call with the discipline every backend needs, written once: credentials and signing
// through an Authorizer, the SDKs' standard retry mode (never after reply text reached the client; an
// upstream Retry-After is honoured), the request deadline, cancellation when the client leaves, and
// every failure classified into a chat::Error as a value.
//
// A backend supplies only its Protocol: how to build the request, how to classify an error reply with
// its error rows, and how to consume a success reply (a whole body or a stream). Exceptions from I/O
// (http::ClientError, aws::credentials::CredentialsError) are caught in one place, around one attempt;
// the retry loop sees values only.
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "aws/retry/retry_strategy.hpp"
#include "backends/upstream/failure.hpp"
#include "chat/backend.hpp"
#include "http/client/client.hpp"

namespace llamachat::backends::upstream {

// Reply text on its way to the client; the call never retries once text went through here.
class Relay {
 public:
  explicit Relay(chat::EventSink& sink) noexcept : sink_(&sink) {}
  // Returns the sink's own awaitable (no coroutine frame of its own). False: the client is gone, and the
  // consumer must stop reading and return ErrorKind::cancelled.
  boost::asio::awaitable<bool> deliver(std::string_view text) {
    started_ = true;
    return sink_->on_delta(text);
  }
  bool started() const noexcept { return started_; }

 private:
  chat::EventSink* sink_;
  bool started_ = false;
};

// What a Protocol may need to know about the attempt it serves.
struct Attempt {
  const chat::ChatRequest& request;
  std::string_view credentials_source;  // who supplied this attempt's credentials ("environment"); may be empty
};

// An error reply (status not 2xx), its body read whole.
struct ErrorReply {
  unsigned status = 0;
  const http::ResponseStream& response;  // for the header fields
  std::string_view body;
};

// The backend-specific part of a call. Shared by every request and thread: methods are const.
class Protocol {
 public:
  virtual ~Protocol() = default;
  // The request of one attempt, before the Authorizer adds credentials.
  virtual http::ClientRequest build_request(const chat::ChatRequest& request) const = 0;
  // An error reply -> the typed failure, through the backend's error rows. The call adds Retry-After.
  virtual Failure classify(const ErrorReply& reply, const Attempt& attempt) const = 0;
  // A 2xx reply -> text through `relay`, then a Completion or a Failure (for example an in-stream
  // exception). Reads may throw http::ClientError; the call classifies those.
  virtual boost::asio::awaitable<AttemptOutcome> consume(http::ResponseStream& response, Relay& relay,
                                                         const Attempt& attempt) const = 0;
};

// Adds credentials to one attempt's request: signs it (SigV4) or sets a key header.
class Authorizer {
 public:
  virtual ~Authorizer() = default;
  // Returns the name of the credentials' source, for messages. Throws aws::credentials::CredentialsError
  // when no credentials can be had.
  virtual boost::asio::awaitable<std::string> authorize(http::ClientRequest& request) = 0;
};

struct CallerOptions {
  std::string upstream_name = "upstream";  // in messages: "cannot reach Bedrock endpoint ..."
  http::Url endpoint;
  std::chrono::milliseconds request_timeout{
      110'000};                // whole call, all attempts; a request's own deadline may be sooner
  http::ClientOptions client;  // connect timeout, CA bundle, proxy
  aws::retry::RetryOptions retry;
  // The reply header with the upstream's id for the request, kept for the request's log line.
  std::string request_id_header = "x-amzn-requestid";
};

class Caller {
 public:
  // `authorizer` may be null: requests go out as the Protocol built them.
  Caller(CallerOptions options, std::shared_ptr<Authorizer> authorizer);
  ~Caller();
  Caller(const Caller&) = delete;
  Caller& operator=(const Caller&) = delete;

  // Never throws for upstream problems: those are the returned Error. `sink` and `protocol` must outlive
  // the call.
  boost::asio::awaitable<chat::Outcome> call(chat::ChatRequest request, chat::EventSink& sink,
                                             const Protocol& protocol);
  // Drops the per-worker connection pools; call after the workers stopped, before their contexts die.
  void shutdown();
  const CallerOptions& options() const noexcept { return options_; }

 private:
  http::Client& client_for(boost::asio::any_io_executor executor);
  boost::asio::awaitable<AttemptOutcome> attempt(const chat::ChatRequest& request, const Protocol& protocol,
                                                 Relay& relay, std::chrono::steady_clock::time_point deadline);

  CallerOptions options_;
  std::shared_ptr<Authorizer> authorizer_;
  std::shared_ptr<aws::retry::RetryQuota> quota_;
  std::mutex clients_mutex_;
  // Tells this caller's clients apart from those of a caller that lived before at the same address, in
  // the per-thread shortcut of client_for(); bumped by shutdown().
  std::atomic<std::uint64_t> generation_;
  std::unordered_map<const void*, std::unique_ptr<http::Client>> clients_;  // one per worker io_context
};

// What a client is told when no AWS credentials could be had for request `request_id`: the cause and
// the fix in general terms; the details (files, variables, each provider's state) are in the log only.
std::string credentials_failure_text(std::string_view request_id);

// How an I/O failure of an attempt ends it. `reply_started`: text already reached the client, so a
// timeout ends the reply cleanly ("time_limit") instead of as an error.
AttemptOutcome failure_of(const http::ClientError& error, std::string_view upstream_name, const http::Url& endpoint,
                          bool cancelled, bool reply_started);

}  // namespace llamachat::backends::upstream
