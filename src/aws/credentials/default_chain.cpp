#include "aws/credentials/provider.hpp"

namespace llamachat::aws::credentials {

std::shared_ptr<Provider> make_default_chain(const util::Environment& env, const ChainOptions& options) {
  // The SDKs' order. The container provider covers RELATIVE_URI then FULL_URI.
  std::vector<std::shared_ptr<Provider>> providers{
      make_environment_provider(env),           make_profile_provider(env, options),
      make_web_identity_provider(env, options), make_container_provider(env, options),
      make_imds_provider(env, options),
  };
  return make_caching_provider(make_chain_provider(std::move(providers)), options.clock, options.refresh_ahead);
}

std::vector<std::string> present_credential_variables(const util::Environment& env) {
  static constexpr const char* kNames[] = {
      "AWS_ACCESS_KEY_ID",
      "AWS_SECRET_ACCESS_KEY",
      "AWS_SESSION_TOKEN",
      "AWS_PROFILE",
      "AWS_CONFIG_FILE",
      "AWS_SHARED_CREDENTIALS_FILE",
      "AWS_WEB_IDENTITY_TOKEN_FILE",
      "AWS_ROLE_ARN",
      "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
      "AWS_CONTAINER_CREDENTIALS_FULL_URI",
      "AWS_CONTAINER_AUTHORIZATION_TOKEN",
      "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
      "AWS_EC2_METADATA_DISABLED",
      "AWS_EC2_METADATA_SERVICE_ENDPOINT",
      "AWS_REGION",
      "AWS_DEFAULT_REGION",
      "AWS_ENDPOINT_URL",
      "AWS_ENDPOINT_URL_STS",
  };
  std::vector<std::string> present;
  for (const char* name : kNames) {
    if (auto value = env(name); value && !value->empty()) present.emplace_back(name);
  }
  return present;
}

}  // namespace llamachat::aws::credentials
