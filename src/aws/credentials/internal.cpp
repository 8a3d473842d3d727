#include "aws/credentials/internal.hpp"

#include <boost/asio/this_coro.hpp>
#include <fstream>

namespace llamachat::aws::credentials {
namespace {

// Parameters by value: the coroutine outlives the std::function call that created it.
boost::asio::awaitable<http::ClientResponse> send_once(http::ClientOptions options, http::Url origin,
                                                       http::ClientRequest request,
                                                       std::chrono::milliseconds connect_timeout,
                                                       std::chrono::milliseconds timeout) {
  options.connect_timeout = connect_timeout;
  http::Client client(co_await boost::asio::this_coro::executor, std::move(options));
  co_return co_await client.send(origin, std::move(request), std::chrono::steady_clock::now() + timeout);
}

}  // namespace

HttpSend make_http_send(http::ClientOptions base) {
  return [base = std::move(base)](http::Url origin, http::ClientRequest request,
                                  std::chrono::milliseconds connect_timeout, std::chrono::milliseconds timeout) {
    return send_once(base, std::move(origin), std::move(request), connect_timeout, timeout);
  };
}

namespace detail {

HttpSend effective_send(const ChainOptions& options) {
  return options.http_send ? options.http_send : make_http_send(options.http);
}

HttpSend metadata_send(const ChainOptions& options) {
  if (options.http_send) return options.http_send;
  http::ClientOptions direct = options.http;
  direct.proxy.reset();
  return make_http_send(std::move(direct));
}

std::optional<std::string> read_small_file(const std::string& path, std::size_t limit) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string data;
  char buffer[4096];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    data.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (data.size() > limit) return std::nullopt;
  }
  if (in.bad()) return std::nullopt;
  return data;
}

std::optional<std::string> non_empty(const util::Environment& env, std::string_view name) {
  auto value = env(name);
  if (!value || value->empty()) return std::nullopt;
  return value;
}

Credentials named_credentials(ParsedCredentials parsed, std::string_view where, std::string provider) {
  if (!parsed) throw CredentialsError(std::string(where) + ": " + parsed.error);
  Credentials c = std::move(*parsed.credentials);
  c.provider = std::move(provider);
  return c;
}

bool is_true(const std::optional<std::string>& value) noexcept {
  if (!value || value->size() != 4) return false;
  const char* t = "true";
  for (std::size_t i = 0; i < 4; ++i)
    if (((*value)[i] | 0x20) != t[i]) return false;
  return true;
}

}  // namespace detail
}  // namespace llamachat::aws::credentials
