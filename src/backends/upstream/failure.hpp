#pragma once
// How one attempt of an upstream call ended, as a value: the typed error for the client, how the retry
// strategy should treat it, and the wait the upstream asked for.
#include <chrono>
#include <optional>
#include <variant>

#include "aws/retry/retry_strategy.hpp"
#include "chat/error.hpp"
#include "chat/types.hpp"

namespace llamachat::backends::upstream {

struct Failure {
  chat::Error error;
  aws::retry::FailureKind retry = aws::retry::FailureKind::non_retryable;
  std::optional<std::chrono::milliseconds> retry_after;  // the upstream's Retry-After, when it sent one
};

using AttemptOutcome = std::variant<chat::Completion, Failure>;

}  // namespace llamachat::backends::upstream
