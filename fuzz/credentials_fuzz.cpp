// The documents credential sources return (src/aws/credentials/credential_parsers): credential_process
// output and container/IMDS JSON (the first input byte picks which), the STS XML reply, and the XML
// element reader. Oracle: success has both keys; a failure says why without echoing the document.
#include "aws/credentials/credential_parsers.hpp"
#include "harness.hpp"

namespace creds = llamachat::aws::credentials;
using llamachat::fuzz::expect;

namespace {

void check(const creds::ParsedCredentials& parsed, std::string_view document) {
  if (parsed) {
    expect(!parsed.credentials->access_key_id.empty(), "credentials without an access key id");
    expect(!parsed.credentials->secret_access_key.empty(), "credentials without a secret key");
  } else {
    expect(!parsed.error.empty(), "a failure without a reason");
    // Error texts never contain the raw document (it may hold secrets). Only documents with markup are
    // checked: plain text can coincide with the parser's own wording, which has no '{' or '<'.
    const bool has_markup = document.find_first_of("{<") != std::string_view::npos;
    expect(!has_markup || document.size() < 32 || parsed.error.find(document) == std::string::npos,
           "the document was echoed");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto [control, document] = llamachat::fuzz::split_control(data, size);
  switch (control % 3) {
    case 0: check(creds::parse_process_output(document), document); break;
    case 1: check(creds::parse_metadata_credentials(document), document); break;
    default:
      check(creds::parse_sts_credentials(document), document);
      (void)creds::xml_element_text(document, "AccessKeyId");
      break;
  }
  (void)creds::valid_header_value(document);
  return 0;
}
