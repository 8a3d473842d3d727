#pragma once
// SigV4 checking of a received Bedrock request, with AWS's error codes and messages
// (MissingAuthenticationTokenException, IncompleteSignatureException, UnrecognizedClientException,
// InvalidSignatureException incl. "Signature expired"). Pure; never throws except std::bad_alloc.
#include <chrono>
#include <string>
#include <string_view>

#include "aws/sigv4/signer.hpp"

namespace llamachat::emulator {

struct AuthSettings {
  std::string access_key_id;
  std::string secret_access_key;
  std::string region;
  std::string service = "bedrock";
  std::chrono::seconds max_skew{15 * 60};
};

struct AuthResult {
  bool ok = false;
  std::string code;     // AWS error code when !ok
  std::string message;  // AWS-style message when !ok
};

// `now` is the server's wall clock. A session token (X-Amz-Security-Token) is accepted only when signed.
AuthResult check_auth(const aws::sigv4::Request& request, const AuthSettings& settings,
                      std::chrono::system_clock::time_point now);

// Parses "YYYYMMDDTHHMMSSZ"; false when malformed.
bool parse_amz_date(std::string_view text, std::chrono::system_clock::time_point& out) noexcept;

}  // namespace llamachat::emulator
