#pragma once
// Credential providers (issue: AWS done right). Each provider is one small class behind Provider; the
// default chain is environment -> profile files -> web identity -> container -> IMDS, wrapped in a
// single-flight cache.
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "aws/credentials/credentials.hpp"
#include "http/client/client.hpp"
#include "util/clock.hpp"
#include "util/environment.hpp"

namespace llamachat::aws::credentials {

enum class CredentialsErrorKind {
  not_configured,  // the provider's source is absent (variable unset, no file, no profile): the chain moves on
  failed,          // the source is configured but did not yield credentials: the chain stops and reports it
};

// A provider failure. The message names the provider and the reason, never a secret.
class CredentialsError : public std::runtime_error {
 public:
  explicit CredentialsError(const std::string& message, CredentialsErrorKind kind = CredentialsErrorKind::failed)
      : std::runtime_error(message), kind_(kind) {}
  CredentialsErrorKind kind() const noexcept { return kind_; }

 private:
  CredentialsErrorKind kind_;
};

class Provider {
 public:
  virtual ~Provider() = default;
  virtual std::string name() const = 0;
  // Throws CredentialsError. Safe to call concurrently from any worker thread.
  virtual boost::asio::awaitable<Credentials> get() = 0;
};

// One buffered HTTP exchange with a connect timeout and a whole-exchange timeout. Throws http::ClientError.
// Called on the caller's executor. Injectable so that tests can count or fake exchanges.
using HttpSend = std::function<boost::asio::awaitable<http::ClientResponse>(
    http::Url origin, http::ClientRequest request, std::chrono::milliseconds connect_timeout,
    std::chrono::milliseconds timeout)>;
// The real thing: one http::Client per exchange, on the calling coroutine's executor, with `base` options
// (trust store, proxy) and the exchange's connect timeout.
HttpSend make_http_send(http::ClientOptions base = {});

struct ChainOptions {
  util::Clock clock = util::system_clock();
  HttpSend http_send;  // empty: make_http_send(http)
  // The service's outbound options (trust store, proxy, connect timeout), used for STS. The container and instance
  // metadata endpoints use them without the proxy (as the AWS SDKs do) and with the metadata timeouts below.
  http::ClientOptions http;
  // Container and instance metadata endpoints are link-local: fail fast where they do not exist.
  std::chrono::milliseconds metadata_connect_timeout{1000};
  std::chrono::milliseconds metadata_timeout{2000};  // per attempt
  int container_attempts = 3;                        // botocore: 3 attempts, 1 s apart
  int imds_attempts = 1;
  std::chrono::milliseconds metadata_retry_delay{1000};
  std::chrono::milliseconds sts_timeout{10000};  // whole STS exchange; connecting is bounded by http.connect_timeout
  std::chrono::milliseconds process_timeout{30000};  // credential_process wall-clock limit
  std::size_t process_max_output = 64 * 1024;        // credential_process stdout limit
  std::chrono::seconds refresh_ahead{300};           // refresh this long before Expiration
};

// A provider that always returns the same credentials (tests, explicit configuration).
std::shared_ptr<Provider> make_static_provider(Credentials credentials);
// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN.
std::shared_ptr<Provider> make_environment_provider(util::Environment env);

// Shared config and credentials files (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, AWS_PROFILE; default
// ~/.aws/config, ~/.aws/credentials, profile "default"), re-read on each get(). Within the selected profile
// (credentials-file keys override config-file keys): static keys, else credential_process (run via
// /bin/sh -c, bounded by process_timeout and process_max_output), else role_arn + web_identity_token_file
// (STS AssumeRoleWithWebIdentity). Assume-role (source_profile / credential_source) and SSO profiles are
// reported as unsupported.
std::shared_ptr<Provider> make_profile_provider(util::Environment env, ChainOptions options = {});

// AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN (+ AWS_ROLE_SESSION_NAME) -> STS AssumeRoleWithWebIdentity,
// unsigned, at AWS_ENDPOINT_URL_STS, else AWS_ENDPOINT_URL, else https://sts.<region>.amazonaws.com/
// (https://sts.amazonaws.com/ when no region resolves). The token file is re-read on each get().
std::shared_ptr<Provider> make_web_identity_provider(util::Environment env, ChainOptions options = {});

// ECS / EKS Pod Identity / App Runner container credentials. AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
// (-> http://169.254.170.2<uri>) wins over AWS_CONTAINER_CREDENTIALS_FULL_URI (https any host; http only to
// loopback, 169.254.170.2, 169.254.170.23, fd00:ec2::23). Authorization header: the contents of
// AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (re-read on each get()), else AWS_CONTAINER_AUTHORIZATION_TOKEN,
// sent raw; values with CR or LF are rejected.
// TEST-ONLY: LLAMACHAT_CONTAINER_CREDENTIALS_HOST ("host[:port]") replaces 169.254.170.2 for the relative URI.
std::shared_ptr<Provider> make_container_provider(util::Environment env, ChainOptions options = {});

// EC2 instance metadata, IMDSv2 only (token PUT, then role name, then credentials). AWS_EC2_METADATA_DISABLED
// =true means no request at all. AWS_EC2_METADATA_SERVICE_ENDPOINT overrides http://169.254.169.254
// (AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6: http://[fd00:ec2::254]).
std::shared_ptr<Provider> make_imds_provider(util::Environment env, ChainOptions options = {});

// Tries providers in order. A provider that is not configured is skipped; the first provider that fails
// stops the chain (its configured source is broken; falling through to another identity would be a
// surprise). Remembers the provider that worked and asks it first next time. The error lists every
// provider tried and why it was skipped or failed.
std::shared_ptr<Provider> make_chain_provider(std::vector<std::shared_ptr<Provider>> providers);

// Caches the inner provider's credentials until `refresh_ahead` before their expiration (never, when they
// have none). Then one caller starts a background refresh and everyone keeps the still-valid credentials.
// When they are missing or expired, callers wait asynchronously for ONE fetch (single flight, across
// threads and executors). Failures are not cached: the next caller after a failed fetch starts a new one.
std::shared_ptr<Provider> make_caching_provider(std::shared_ptr<Provider> inner, util::Clock clock,
                                                std::chrono::seconds refresh_ahead = std::chrono::minutes(5));

// The SDK-order chain (environment, profile, web identity, container, IMDS) behind the cache. The
// Credentials::provider field of what it returns names the supplying provider (log it; never the values).
std::shared_ptr<Provider> make_default_chain(const util::Environment& env, const ChainOptions& options = {});

// Names (never values) of the credential-related variables that are set, for a start-up log line.
std::vector<std::string> present_credential_variables(const util::Environment& env);

}  // namespace llamachat::aws::credentials
