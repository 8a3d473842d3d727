#pragma once
// Helpers shared by the provider implementations in this folder; not part of the module's interface.
#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "aws/credentials/credential_parsers.hpp"
#include "aws/credentials/provider.hpp"

namespace llamachat::aws::credentials::detail {

// options.http_send, or the real client when empty.
HttpSend effective_send(const ChainOptions& options);
// The same for the link-local/loopback metadata endpoints (container, IMDS): never through a proxy.
HttpSend metadata_send(const ChainOptions& options);

// The whole file, or nullopt when it cannot be read.
std::optional<std::string> read_small_file(const std::string& path, std::size_t limit = 1024 * 1024);

// A variable's value when set and non-empty.
std::optional<std::string> non_empty(const util::Environment& env, std::string_view name);

bool is_true(const std::optional<std::string>& value) noexcept;  // "true", case-insensitive

// The credentials a source returned, with Credentials::provider set to `provider`. Throws CredentialsError
// (failed) "<where>: <what is wrong>" when the document did not parse.
Credentials named_credentials(ParsedCredentials parsed, std::string_view where, std::string provider);

struct WebIdentityRequest {
  std::string role_arn;
  std::string token_file;
  std::string session_name;  // empty: generated
};

// STS AssumeRoleWithWebIdentity. `who` prefixes error messages ("web-identity", "profile dev").
// Throws CredentialsError (failed).
boost::asio::awaitable<Credentials> assume_role_with_web_identity(WebIdentityRequest request, std::string who,
                                                                  util::Environment env, ChainOptions options);

}  // namespace llamachat::aws::credentials::detail
