#pragma once
// Runs one coroutine to completion on a private io_context and returns its result (or rethrows).
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <exception>
#include <optional>
#include <type_traits>

namespace llamachat::test {

template <typename T>
T run_async(boost::asio::io_context& ctx, boost::asio::awaitable<T> task) {
  std::exception_ptr error;
  std::optional<T> result;
  boost::asio::co_spawn(ctx, std::move(task), [&](std::exception_ptr e, T value) {
    error = e;
    if (!e) result.emplace(std::move(value));
  });
  ctx.restart();
  ctx.run();
  if (error) std::rethrow_exception(error);
  return std::move(*result);
}

inline void run_async(boost::asio::io_context& ctx, boost::asio::awaitable<void> task) {
  std::exception_ptr error;
  boost::asio::co_spawn(ctx, std::move(task), [&](std::exception_ptr e) { error = e; });
  ctx.restart();
  ctx.run();
  if (error) std::rethrow_exception(error);
}

template <typename T>
T run_async(boost::asio::awaitable<T> task) {
  boost::asio::io_context ctx;
  return run_async(ctx, std::move(task));
}

}  // namespace llamachat::test
