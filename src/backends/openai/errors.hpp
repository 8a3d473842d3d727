#pragma once
// The error table of an OpenAI-compatible upstream (vLLM, Ollama, llama.cpp's server, hosted services):
// error replies become the same typed chat::Errors as Bedrock's. Messages name the upstream's origin and
// never the API key.
#include <string_view>

#include "backends/upstream/failure.hpp"

namespace llamachat::backends::openai {

struct ErrorContext {
  std::string_view origin;   // "http://10.0.0.5:8000", for messages
  std::string_view model;    // the model asked for
  std::string_view api_key;  // only to blank it out should an upstream echo it; may be empty
};

// An error reply ({"error":{"message","type","code"}} as OpenAI and vLLM send it, or a bare
// {"message",...}, or any text) through the rows. A 400 whose message speaks of the context length is
// ErrorKind::context_length_exceeded, whichever server wrote it.
upstream::Failure failure_from_response(unsigned status, std::string_view body, const ErrorContext& context);
// An error object sent mid-stream after the 200; `status` is its numeric code when it had one, else 0.
upstream::Failure failure_from_stream_error(std::string_view message, unsigned status, const ErrorContext& context);

}  // namespace llamachat::backends::openai
