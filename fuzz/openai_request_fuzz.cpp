// POST /v1/chat/completions bodies (src/api/openai/request). Oracle: an accepted request has at least
// one turn, the last one the user's; a refusal is a 4xx invalid_request_error with a message.
#include <variant>

#include "api/openai/request.hpp"
#include "harness.hpp"

namespace openai = llamachat::api::openai;
using llamachat::fuzz::expect;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto body = llamachat::fuzz::as_text(data, size);
  const auto parsed = openai::parse_completion_request("application/json", body);
  if (const auto* request = std::get_if<openai::CompletionRequest>(&parsed)) {
    expect(!request->messages.empty(), "a request without turns was accepted");
    expect(request->messages.back().role == llamachat::chat::Role::user, "the last turn is not the user's");
  } else {
    const auto& error = std::get<llamachat::api::ApiError>(parsed);
    expect(error.status >= 400 && error.status < 500, "a refusal that is not a client error");
    expect(!error.message.empty(), "a refusal without a message");
  }
  return 0;
}
