#pragma once
// Pure parsers for the documents credential sources return, and the small checks around them. None of
// them throws (beyond std::bad_alloc); error texts never contain secret values or the raw document.
#include <optional>
#include <string>
#include <string_view>

#include "aws/credentials/credentials.hpp"
#include "http/client/client.hpp"

namespace llamachat::aws::credentials {

struct ParsedCredentials {
  std::optional<Credentials> credentials;  // set on success (provider field left empty)
  std::string error;                       // set on failure: what is wrong, secret-free
  explicit operator bool() const noexcept { return credentials.has_value(); }
};

// credential_process stdout: {"Version":1,"AccessKeyId","SecretAccessKey","SessionToken"?,"Expiration"?}.
ParsedCredentials parse_process_output(std::string_view json);

// Container endpoint and IMDS document: {"AccessKeyId","SecretAccessKey","Token"?,"Expiration"?}; when a
// "Code" member is present (IMDS) it must be "Success".
ParsedCredentials parse_metadata_credentials(std::string_view json);

// STS AssumeRoleWithWebIdentity reply (XML). An <ErrorResponse> becomes "STS error <Code>: <Message>".
ParsedCredentials parse_sts_credentials(std::string_view xml);

// The text of the first element `name` in `xml` (entities decoded), or nullopt. Enough XML for STS
// replies: no CDATA, no namespaces prefixes on the names we read.
std::optional<std::string> xml_element_text(std::string_view xml, std::string_view name);

// AWS_CONTAINER_CREDENTIALS_FULL_URI policy: https to any host; http only to loopback (127.0.0.0/8, ::1,
// localhost), 169.254.170.2 (ECS), 169.254.170.23 and fd00:ec2::23 (EKS Pod Identity).
bool container_full_uri_allowed(const http::Url& url);

// Authorization header value check: no CR or LF (header injection).
bool valid_header_value(std::string_view value) noexcept;

}  // namespace llamachat::aws::credentials
