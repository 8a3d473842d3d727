#pragma once
// Credential providers (issue: AWS done right). Each provider is one small class behind Provider.
#include <boost/asio/awaitable.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "aws/credentials/credentials.hpp"

namespace llamachat::aws::credentials {

// Reads an environment variable; injected so that tests never depend on the real environment.
using Environment = std::function<std::optional<std::string>(std::string_view name)>;
Environment process_environment();

// A provider failure. The message names the provider and the reason, never a secret.
class CredentialsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Provider {
 public:
  virtual ~Provider() = default;
  virtual std::string name() const = 0;
  // Throws CredentialsError. Safe to call concurrently from any worker thread.
  virtual boost::asio::awaitable<Credentials> get() = 0;
};

// A provider that always returns the same credentials (tests, explicit configuration).
std::shared_ptr<Provider> make_static_provider(Credentials credentials);
// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN.
std::shared_ptr<Provider> make_environment_provider(Environment env);

}  // namespace llamachat::aws::credentials
