#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "aws/credentials/credential_parsers.hpp"
#include "aws/credentials/internal.hpp"
#include "util/strings.hpp"

namespace llamachat::aws::credentials {
namespace {

constexpr std::string_view kTokenPath = "/latest/api/token";
constexpr std::string_view kRolePath = "/latest/meta-data/iam/security-credentials/";

class ImdsProvider final : public Provider {
 public:
  ImdsProvider(util::Environment env, ChainOptions options) : env_(std::move(env)), options_(std::move(options)) {}
  std::string name() const override { return "imds"; }

  boost::asio::awaitable<Credentials> get() override {
    // Checked before anything else: disabled means not a single request.
    if (detail::is_true(env_("AWS_EC2_METADATA_DISABLED")))
      throw CredentialsError("imds: disabled by AWS_EC2_METADATA_DISABLED", CredentialsErrorKind::not_configured);

    std::string endpoint_text = "http://169.254.169.254";
    if (auto endpoint = detail::non_empty(env_, "AWS_EC2_METADATA_SERVICE_ENDPOINT")) {
      endpoint_text = *endpoint;
    } else if (auto mode = detail::non_empty(env_, "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE")) {
      std::string lower = *mode;
      for (char& ch : lower) ch = static_cast<char>(ch | 0x20);
      if (lower == "ipv6") endpoint_text = "http://[fd00:ec2::254]";
    }
    auto endpoint = http::Url::parse(endpoint_text);
    if (!endpoint) throw CredentialsError("imds: AWS_EC2_METADATA_SERVICE_ENDPOINT is not an http(s) URL");
    // A trailing "/" in the endpoint must not double up with our absolute paths.
    std::string base = endpoint->path;
    while (!base.empty() && base.back() == '/') base.pop_back();
    const std::string where = "imds: instance metadata service " + endpoint->origin();

    http::ClientRequest token_request;
    token_request.method = "PUT";
    token_request.target = base + std::string(kTokenPath);
    token_request.headers.emplace_back("x-aws-ec2-metadata-token-ttl-seconds", "21600");
    http::ClientResponse token_response =
        co_await exchange(*endpoint, std::move(token_request), where, "session token");
    if (token_response.status != 200)
      throw CredentialsError(where + ": session token request (IMDSv2) returned HTTP " +
                             std::to_string(token_response.status));
    const std::string token(util::trim(token_response.body, util::line_whitespace));
    if (token.empty() || !valid_header_value(token))
      throw CredentialsError(where + ": session token response is empty or malformed");

    http::ClientRequest role_request;
    role_request.target = base + std::string(kRolePath);
    role_request.headers.emplace_back("x-aws-ec2-metadata-token", token);
    http::ClientResponse role_response = co_await exchange(*endpoint, role_request, where, "role name");
    if (role_response.status == 404) throw CredentialsError(where + ": no IAM role is attached to this instance");
    if (role_response.status != 200)
      throw CredentialsError(where + ": role name request returned HTTP " + std::to_string(role_response.status));
    std::string_view role = util::trim(role_response.body, util::line_whitespace);
    role = role.substr(0, role.find('\n'));
    role = util::trim(role, util::line_whitespace);
    if (role.empty() || role.find_first_of("/?#% ") != std::string_view::npos)
      throw CredentialsError(where + ": role name response is empty or malformed");

    http::ClientRequest creds_request;
    creds_request.target = base + std::string(kRolePath) + std::string(role);
    creds_request.headers.emplace_back("x-aws-ec2-metadata-token", token);
    http::ClientResponse creds_response = co_await exchange(*endpoint, std::move(creds_request), where, "credentials");
    if (creds_response.status != 200)
      throw CredentialsError(where + ": credentials request for role " + std::string(role) + " returned HTTP " +
                             std::to_string(creds_response.status));
    co_return detail::named_credentials(parse_metadata_credentials(creds_response.body), where, "imds");
  }

 private:
  // One request with the metadata timeouts; transport errors and 5xx are retried imds_attempts times.
  boost::asio::awaitable<http::ClientResponse> exchange(http::Url endpoint, http::ClientRequest request,
                                                        std::string where, std::string what) {
    const HttpSend send = detail::metadata_send(options_);
    const int attempts = std::max(1, options_.imds_attempts);
    std::string last_error;
    for (int attempt = 1; attempt <= attempts; ++attempt) {
      if (attempt > 1) {
        boost::asio::steady_timer pause(co_await boost::asio::this_coro::executor, options_.metadata_retry_delay);
        co_await pause.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
      }
      try {
        http::ClientResponse response =
            co_await send(endpoint, request, options_.metadata_connect_timeout, options_.metadata_timeout);
        if (response.status < 500 || attempt == attempts) co_return response;
        last_error = "returned HTTP " + std::to_string(response.status);
      } catch (const http::ClientError& e) {
        last_error = std::string("failed: ") + e.what();
      }
    }
    throw CredentialsError(where + ": " + what + " request " + last_error);
  }

  util::Environment env_;
  ChainOptions options_;
};

}  // namespace

std::shared_ptr<Provider> make_imds_provider(util::Environment env, ChainOptions options) {
  return std::make_shared<ImdsProvider>(std::move(env), std::move(options));
}

}  // namespace llamachat::aws::credentials
