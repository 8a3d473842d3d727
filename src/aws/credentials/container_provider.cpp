#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "aws/credentials/credential_parsers.hpp"
#include "aws/credentials/internal.hpp"

namespace llamachat::aws::credentials {
namespace {

constexpr std::string_view kEcsHost = "169.254.170.2";

class ContainerProvider final : public Provider {
 public:
  ContainerProvider(util::Environment env, ChainOptions options) : env_(std::move(env)), options_(std::move(options)) {}
  std::string name() const override { return "container"; }

  boost::asio::awaitable<Credentials> get() override {
    std::optional<http::Url> url;
    if (auto relative = detail::non_empty(env_, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) {
      // TEST-ONLY override of the ECS agent address.
      const std::string host =
          detail::non_empty(env_, "LLAMACHAT_CONTAINER_CREDENTIALS_HOST").value_or(std::string(kEcsHost));
      url = http::Url::parse("http://" + host + *relative);
      if (!url) throw CredentialsError("container: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI does not form a valid URL");
    } else if (auto full = detail::non_empty(env_, "AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
      url = http::Url::parse(*full);
      if (!url) throw CredentialsError("container: AWS_CONTAINER_CREDENTIALS_FULL_URI is not an http(s) URL");
      if (!container_full_uri_allowed(*url))
        throw CredentialsError("container: AWS_CONTAINER_CREDENTIALS_FULL_URI host \"" + url->host +
                               "\" is not allowed over http (https, or http to loopback, 169.254.170.2, "
                               "169.254.170.23 or fd00:ec2::23 only)");
    } else {
      throw CredentialsError(
          "container: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and AWS_CONTAINER_CREDENTIALS_FULL_URI are not set",
          CredentialsErrorKind::not_configured);
    }

    http::ClientRequest request;
    request.method = "GET";
    request.target = url->path.empty() ? "/" : url->path;
    request.headers.emplace_back("Accept", "application/json");
    if (auto token = authorization_token()) request.headers.emplace_back("Authorization", std::move(*token));

    const std::string where = "container: credentials endpoint " + url->origin();
    const HttpSend send = detail::metadata_send(options_);
    std::string last_error;
    const int attempts = std::max(1, options_.container_attempts);
    for (int attempt = 1; attempt <= attempts; ++attempt) {
      if (attempt > 1) {
        boost::asio::steady_timer pause(co_await boost::asio::this_coro::executor, options_.metadata_retry_delay);
        co_await pause.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
      }
      http::ClientResponse response;
      try {
        response = co_await send(*url, request, options_.metadata_connect_timeout, options_.metadata_timeout);
      } catch (const http::ClientError& e) {
        last_error = where + " failed: " + e.what();
        continue;
      }
      if (response.status >= 500) {
        last_error = where + " returned HTTP " + std::to_string(response.status);
        continue;
      }
      if (response.status != 200) throw CredentialsError(where + " returned HTTP " + std::to_string(response.status));
      co_return detail::named_credentials(parse_metadata_credentials(response.body), where, "container");
    }
    throw CredentialsError(last_error + " (" + std::to_string(attempts) + " attempts)");
  }

 private:
  // AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (read now, on every fetch), else AWS_CONTAINER_AUTHORIZATION_TOKEN.
  std::optional<std::string> authorization_token() const {
    std::optional<std::string> token;
    std::string source;
    if (auto file = detail::non_empty(env_, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) {
      token = detail::read_small_file(*file, 16 * 1024);
      if (!token) throw CredentialsError("container: cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE " + *file);
      source = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE";
    } else if (auto value = detail::non_empty(env_, "AWS_CONTAINER_AUTHORIZATION_TOKEN")) {
      token = std::move(value);
      source = "AWS_CONTAINER_AUTHORIZATION_TOKEN";
    }
    if (token && !valid_header_value(*token))
      throw CredentialsError("container: the authorization token from " + source + " contains CR or LF");
    return token;
  }

  util::Environment env_;
  ChainOptions options_;
};

}  // namespace

std::shared_ptr<Provider> make_container_provider(util::Environment env, ChainOptions options) {
  return std::make_shared<ContainerProvider>(std::move(env), std::move(options));
}

}  // namespace llamachat::aws::credentials
