#pragma once
// For tests of upstream calls: the error a call must have ended with, and a client that leaves at a
// chosen moment.
#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <functional>
#include <memory>

#include "chat/backend.hpp"
#include "chat/cancellation.hpp"

namespace llamachat::backends::upstream::testing {

// The error of `outcome`; a test failure (and an empty error) when it is a completion.
inline chat::Error expect_error(const chat::Outcome& outcome) {
  if (!std::holds_alternative<chat::Error>(outcome)) {
    ADD_FAILURE() << "expected an error, got a completion";
    return {};
  }
  return std::get<chat::Error>(outcome);
}

inline boost::asio::awaitable<void> emit_once(std::shared_ptr<chat::CancelSignal> cancel, std::function<bool()> ready) {
  boost::asio::steady_timer poll(co_await boost::asio::this_coro::executor);
  while (!ready()) {
    poll.expires_after(std::chrono::milliseconds(10));
    co_await poll.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  }
  cancel->emit();
}

// Emits `cancel` from a coroutine of its own on `ctx` once `ready()` holds (checked every 10 ms, on
// `ctx`'s thread).
inline void emit_when(boost::asio::io_context& ctx, std::shared_ptr<chat::CancelSignal> cancel,
                      std::function<bool()> ready) {
  boost::asio::co_spawn(ctx, emit_once(std::move(cancel), std::move(ready)), boost::asio::detached);
}

}  // namespace llamachat::backends::upstream::testing
