#pragma once
// A backend's error table as data: each row turns an upstream error code, or failing that an HTTP status
// range, into a chat::ErrorKind, a retry class and a Retry-After hint for our clients. `Advice` is the
// backend's own enumeration of the extra text a row adds to the message (which IAM permission is
// missing, which model id to set, ...).
#include <span>
#include <string_view>

#include "aws/retry/retry_strategy.hpp"
#include "chat/error.hpp"

namespace llamachat::backends::upstream {

template <typename Advice>
struct ErrorRow {
  std::string_view code;  // empty: a status row
  unsigned status_from = 0;
  unsigned status_to = 0;  // status rows match status_from <= status <= status_to
  chat::ErrorKind kind = chat::ErrorKind::upstream_failure;
  aws::retry::FailureKind retry = aws::retry::FailureKind::non_retryable;
  int retry_after_seconds = 0;  // 0: no hint
  Advice advice{};
};

// Codes compare exactly except for the case of their first letter: in-stream exception types are
// lowerCamelCase ("throttlingException") where reply codes are UpperCamelCase.
constexpr bool same_error_code(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size() || a.empty()) return false;
  const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  return lower(a.front()) == lower(b.front()) && a.substr(1) == b.substr(1);
}

// The first row whose code is `code`, else the first status row that covers `status`; null when none
// does (a table ends with a catch-all status row 0..999 so that this never happens).
template <typename Advice>
constexpr const ErrorRow<Advice>* find_error_row(std::span<const ErrorRow<Advice>> rows, std::string_view code,
                                                 unsigned status) noexcept {
  if (!code.empty())
    for (const auto& row : rows)
      if (same_error_code(row.code, code)) return &row;
  for (const auto& row : rows)
    if (row.code.empty() && row.status_from <= status && status <= row.status_to) return &row;
  return nullptr;
}

}  // namespace llamachat::backends::upstream
