// The shared AWS config and credentials files (src/aws/credentials/profile_file), both kinds. Oracle:
// never throws; names and keys come out trimmed and non-empty.
#include "aws/credentials/profile_file.hpp"
#include "harness.hpp"

namespace creds = llamachat::aws::credentials;
using llamachat::fuzz::expect;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = llamachat::fuzz::as_text(data, size);
  for (const auto kind : {creds::ProfileFileKind::config, creds::ProfileFileKind::credentials}) {
    const auto profiles = creds::parse_profile_file(text, kind);
    for (const auto& [name, profile] : profiles)
      for (const auto& [key, value] : profile) expect(!key.empty(), "an empty property name");
  }
  return 0;
}
