// POST /chat bodies (src/api/chat_request). Oracle: a parsed message is trimmed and non-empty; a refusal
// is a 4xx with a message. The header predicates run on the same bytes.
#include <variant>

#include "api/chat_request.hpp"
#include "harness.hpp"
#include "util/strings.hpp"

namespace api = llamachat::api;
using llamachat::fuzz::expect;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto body = llamachat::fuzz::as_text(data, size);
  const auto parsed = api::parse_chat_input("application/json; charset=utf-8", body);
  if (const auto* input = std::get_if<api::ChatInput>(&parsed)) {
    using llamachat::util::ascii_whitespace;
    expect(!input->message.empty(), "an empty message was accepted");
    expect(ascii_whitespace.find(input->message.front()) == std::string_view::npos &&
               ascii_whitespace.find(input->message.back()) == std::string_view::npos,
           "an untrimmed message");
  } else {
    const auto& error = std::get<api::HttpError>(parsed);
    expect(error.status >= 400 && error.status < 500, "a refusal that is not a client error");
    expect(!error.message.empty(), "a refusal without a message");
  }
  (void)api::is_json_content_type(body);
  (void)api::accepts_event_stream(body);
  return 0;
}
