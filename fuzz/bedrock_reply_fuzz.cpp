// The Bedrock reply parser (src/backends/bedrock/wire: parse_reply) on arbitrary bodies: the five reply
// shapes it reads (generation/completion/text, choices[], messages[], output.message) and anything else.
// Oracle: a parsed reply has a trimmed, non-empty text; a refusal names what came back, bounded.
#include <variant>

#include "backends/bedrock/wire.hpp"
#include "harness.hpp"
#include "util/strings.hpp"

namespace bedrock = llamachat::backends::bedrock;
using llamachat::fuzz::expect;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto body = llamachat::fuzz::as_text(data, size);
  const auto parsed = bedrock::parse_reply(body);
  if (const auto* reply = std::get_if<bedrock::ParsedReply>(&parsed)) {
    expect(!reply->text.empty(), "an empty reply text");
    using llamachat::util::ascii_whitespace;
    expect(ascii_whitespace.find(reply->text.front()) == std::string_view::npos &&
               ascii_whitespace.find(reply->text.back()) == std::string_view::npos,
           "an untrimmed reply text");
  } else {
    const auto& error = std::get<llamachat::chat::Error>(parsed);
    expect(!error.message.empty(), "a refusal without a message");
    expect(error.message.size() < 1024, "a refusal that copies the whole body");
  }
  return 0;
}
