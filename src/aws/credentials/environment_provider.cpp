#include <boost/asio/this_coro.hpp>
#include <cstdlib>

#include "aws/credentials/provider.hpp"

namespace llamachat::aws::credentials {
namespace {

class StaticProvider final : public Provider {
 public:
  explicit StaticProvider(Credentials c) : credentials_(std::move(c)) {}
  std::string name() const override { return credentials_.provider.empty() ? "static" : credentials_.provider; }
  boost::asio::awaitable<Credentials> get() override { co_return credentials_; }

 private:
  Credentials credentials_;
};

class EnvironmentProvider final : public Provider {
 public:
  explicit EnvironmentProvider(util::Environment env) : env_(std::move(env)) {}
  std::string name() const override { return "environment"; }
  boost::asio::awaitable<Credentials> get() override {
    auto id = env_("AWS_ACCESS_KEY_ID");
    auto secret = env_("AWS_SECRET_ACCESS_KEY");
    if (!id || id->empty() || !secret || secret->empty()) {
      if ((id && !id->empty()) != (secret && !secret->empty()))
        throw CredentialsError(
            "environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together (only one is set)");
      throw CredentialsError("environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set",
                             CredentialsErrorKind::not_configured);
    }
    Credentials c;
    c.access_key_id = *id;
    c.secret_access_key = *secret;
    if (auto token = env_("AWS_SESSION_TOKEN")) c.session_token = *token;
    // Legacy name, still honoured by the SDKs.
    else if (auto legacy = env_("AWS_SECURITY_TOKEN"))
      c.session_token = *legacy;
    c.provider = "environment";
    co_return c;
  }

 private:
  util::Environment env_;
};

}  // namespace

std::shared_ptr<Provider> make_static_provider(Credentials credentials) {
  return std::make_shared<StaticProvider>(std::move(credentials));
}

std::shared_ptr<Provider> make_environment_provider(util::Environment env) {
  return std::make_shared<EnvironmentProvider>(std::move(env));
}

}  // namespace llamachat::aws::credentials
