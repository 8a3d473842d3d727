#include <system_error>

#include "aws/credentials/credential_parsers.hpp"
#include "aws/credentials/internal.hpp"
#include "aws/credentials/process_runner.hpp"
#include "aws/credentials/profile_file.hpp"

namespace llamachat::aws::credentials {
namespace {

class ProfileProvider final : public Provider {
 public:
  ProfileProvider(util::Environment env, ChainOptions options) : env_(std::move(env)), options_(std::move(options)) {}
  std::string name() const override { return "profile"; }

  boost::asio::awaitable<Credentials> get() override {
    const ProfileLocation where = locate_profile(env_);
    const std::string who = "profile " + where.profile;
    const LoadedProfile profile = load_profile(where);
    if (!profile.found) {
      std::string text =
          who + ": not found in " + where.config_file.string() + " or " + where.credentials_file.string();
      // A profile asked for by name must exist; the implicit "default" may legitimately be absent.
      throw CredentialsError(
          text, where.profile_from_env ? CredentialsErrorKind::failed : CredentialsErrorKind::not_configured);
    }

    if (auto key_id = profile.get("aws_access_key_id"); key_id && !key_id->empty()) {
      auto secret = profile.get("aws_secret_access_key");
      if (!secret || secret->empty())
        throw CredentialsError(who + ": aws_access_key_id is set but aws_secret_access_key is not");
      Credentials c;
      c.access_key_id = *key_id;
      c.secret_access_key = *secret;
      if (auto token = profile.get("aws_session_token"))
        c.session_token = *token;
      else if (auto legacy = profile.get("aws_security_token"))
        c.session_token = *legacy;
      c.provider = "profile:" + where.profile;
      co_return c;
    }

    if (auto command = profile.get("credential_process"); command && !command->empty()) {
      co_return co_await run_credential_process(*command, who, where.profile);
    }

    auto role_arn = profile.get("role_arn");
    if (auto token_file = profile.get("web_identity_token_file"); role_arn && token_file && !token_file->empty()) {
      detail::WebIdentityRequest request;
      request.role_arn = *role_arn;
      request.token_file = *token_file;
      request.session_name = profile.get("role_session_name").value_or("");
      Credentials c = co_await detail::assume_role_with_web_identity(std::move(request), who, env_, options_);
      c.provider = "profile:" + where.profile + " (web identity)";
      co_return c;
    }
    if (role_arn)
      throw CredentialsError(who +
                             ": assume-role profiles (role_arn with source_profile or credential_source) are "
                             "not supported; use credential_process or environment credentials");
    if (profile.get("sso_session") || profile.get("sso_start_url"))
      throw CredentialsError(who +
                             ": SSO profiles are not supported; export credentials with "
                             "`aws configure export-credentials` or use credential_process");
    throw CredentialsError(who + ": no credentials in the profile", CredentialsErrorKind::not_configured);
  }

 private:
  boost::asio::awaitable<Credentials> run_credential_process(std::string command, std::string who,
                                                             std::string profile_name) {
    const std::string what = who + ": credential_process";
    ProcessResult result;
    try {
      result = co_await run_shell_command(command, options_.process_timeout, options_.process_max_output);
    } catch (const std::system_error& e) {
      throw CredentialsError(what + " could not be started: " + e.what());
    }
    // The output may hold secrets; error texts describe it, never quote it.
    if (result.timed_out)
      throw CredentialsError(what + " did not finish within " + std::to_string(options_.process_timeout.count()) +
                             " ms");
    if (result.output_too_large)
      throw CredentialsError(what + " printed more than " + std::to_string(options_.process_max_output) + " bytes");
    if (result.term_signal)
      throw CredentialsError(what + " was killed by signal " + std::to_string(*result.term_signal));
    if (result.exit_code && *result.exit_code != 0)
      throw CredentialsError(what + " exited with status " + std::to_string(*result.exit_code));
    co_return detail::named_credentials(parse_process_output(result.output), what,
                                        "profile:" + profile_name + " (credential_process)");
  }

  util::Environment env_;
  ChainOptions options_;
};

}  // namespace

std::shared_ptr<Provider> make_profile_provider(util::Environment env, ChainOptions options) {
  return std::make_shared<ProfileProvider>(std::move(env), std::move(options));
}

}  // namespace llamachat::aws::credentials
