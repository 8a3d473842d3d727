#pragma once
// AWS Signature Version 4 (Authorization-header mode) as pure functions, plus the verifying side used by the
// Bedrock emulator. No I/O, no clock, no exceptions: time and credentials are inputs.
//
// Rules (pinned by the aws-c-auth / botocore / smithy-rs vectors and the JS SDK oracle):
//   * canonical URI: the path exactly as sent on the wire, optionally normalised (empty and "." segments dropped,
//     ".." resolved, leading and trailing "/" kept; only a literal "/" separates segments, so "%2F" does not),
//     then percent-encoded again for every byte outside A-Za-z0-9-._~ and "/" - including "%" (double encoding,
//     every service but S3). Without double encoding existing "%XX" escapes are kept as they are.
//   * canonical query: every key and value percent-decoded then re-encoded with the same unreserved set ("+" is a
//     literal plus, space becomes %20), pairs sorted by encoded key then encoded value, "key=" for an empty value.
//   * canonical headers: lower-case names, values trimmed with inner runs of whitespace (space, tab, CR, LF - so
//     obs-folded continuation lines too) collapsed to one space, repeated names joined with "," in order of
//     appearance, sorted by name.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/credentials/credentials.hpp"
#include "util/crypto.hpp"

namespace llamachat::aws::sigv4 {

inline constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
// Lowercase hex SHA-256 of the empty string.
inline constexpr std::string_view kEmptyPayloadHash =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct Header {
  std::string name;
  std::string value;
};

// Library-independent view of an HTTP request.
struct Request {
  std::string method;
  std::string path;             // exactly as on the wire (already percent-encoded as sent), without the query
  std::string query;            // raw query as on the wire, without '?', may be empty
  std::vector<Header> headers;  // as sent, in order, repeated names allowed; must contain host (or :authority)
  std::string_view payload;     // body bytes
};

struct SigningParams {
  std::chrono::system_clock::time_point time;
  std::string region;
  std::string service;                      // "bedrock" for Bedrock Runtime
  bool double_encode_path = true;           // false only for S3
  bool normalize_path = true;               // false only for S3
  bool add_content_sha256_header = false;   // add and sign x-amz-content-sha256 (as the SDKs do)
  bool sign_session_token = true;           // false: X-Amz-Security-Token added after signing, unsigned
  std::optional<std::string> payload_hash;  // precomputed lowercase hex SHA-256 of payload (or UNSIGNED-PAYLOAD)
};

struct SigningResult {
  // x-amz-date, [x-amz-security-token], [x-amz-content-sha256], authorization - in this order. The caller adds
  // them to the request; any header of these names already in the request was ignored for signing and must be
  // replaced, not duplicated.
  std::vector<Header> headers_to_add;
  std::string canonical_request, string_to_sign, signature, signed_headers, authorization;
};

// Signs `request` at `params.time`. Headers that are never signed (see is_unsigned_header) are skipped; every
// other header of the request is signed. An empty session token means long-term keys (no security token header).
SigningResult sign(const Request& request, const aws::Credentials& credentials, const SigningParams& params);

// ---- Stages, each testable alone ----

std::string canonical_uri(std::string_view wire_path, bool double_encode, bool normalize);
std::string canonical_query(std::string_view raw_query);

// True for headers botocore / the SDKs never sign: hop-by-hop and proxy-rewritten headers, user-agent,
// x-amzn-trace-id, authorization. `lower_name` must be lower case.
bool is_unsigned_header(std::string_view lower_name) noexcept;
// Appends a header value as it appears in the canonical request: trimmed, whitespace runs collapsed to one space.
void append_canonical_header_value(std::string& out, std::string_view value);

struct CanonicalHeaders {
  std::string block;           // "name:value\n" per signed name, sorted by name
  std::string signed_headers;  // "name1;name2;..."
};
// Canonical header block over the headers whose lower-cased name is in `signed_names` (lower-case names, any
// order; names absent from `headers` are skipped). Empty `signed_names` = every header that is not
// is_unsigned_header.
CanonicalHeaders canonical_headers(const std::vector<Header>& headers,
                                   const std::vector<std::string>& signed_names = {});

std::string canonical_request(std::string_view method, std::string_view canonical_uri, std::string_view canonical_query,
                              const CanonicalHeaders& headers, std::string_view payload_hash);

// "<yyyymmdd>/<region>/<service>/aws4_request"
std::string credential_scope(std::string_view date_yyyymmdd, std::string_view region, std::string_view service);
// amz_date is "YYYYMMDDTHHMMSSZ"; the scope's date is its first 8 characters.
std::string string_to_sign(std::string_view amz_date, std::string_view credential_scope,
                           std::string_view canonical_request);

util::Sha256Digest derive_signing_key(std::string_view secret, std::string_view date_yyyymmdd, std::string_view region,
                                      std::string_view service);
// Lowercase hex HMAC-SHA-256 of the string to sign under the derived key.
std::string signature(const util::Sha256Digest& signing_key, std::string_view string_to_sign);

// ---- Verifying side (servers such as our Bedrock emulator) ----

struct ParsedAuthorization {
  std::string access_key_id, date, region, service;
  std::vector<std::string> signed_headers;  // as listed (lower case, ';'-separated in the header)
  std::string signature;                    // 64 lowercase hex digits
};
// Parses "AWS4-HMAC-SHA256 Credential=AKID/20240501/us-east-1/bedrock/aws4_request, SignedHeaders=a;b,
// Signature=<hex>" (components in any order, spaces after commas optional). nullopt on anything malformed.
std::optional<ParsedAuthorization> parse_authorization(std::string_view authorization_header_value);

struct Verification {
  bool ok = false;
  // Empty when ok. Otherwise one of:
  //   "MissingAuthenticationTokenException"  no Authorization header
  //   "IncompleteSignatureException"         malformed Authorization, missing X-Amz-Date, host not signed
  //   "UnrecognizedClientException"          unknown access key id
  //   "InvalidSignatureException"            wrong scope (date/region/service), signed header absent, mismatch
  std::string error_code;
  std::string reason;                      // human-readable detail, never contains the secret
  std::string expected_canonical_request;  // what the server computed (for debugging a mismatch)
};

// Recomputes the signature of a received request using the headers named in its SignedHeaders and its X-Amz-Date
// (and the body) and compares in constant time. Checks the access key id, the service and (if non-empty) the
// region. The path is double-encoded and normalised (non-S3 rules). Clock skew is not checked here.
Verification verify(const Request& received, std::string_view access_key_id, std::string_view secret_access_key,
                    std::string_view expected_service, std::string_view expected_region = {});

}  // namespace llamachat::aws::sigv4
