#pragma once
// An OpenAI-compatible test upstream (the chat completions API of vLLM, Ollama and llama.cpp's server),
// beside the Bedrock emulator and driven by the same directives (emulator/README.md, "Directives"), as
// `[[emulate:...]]` markers in the last user message:
//
//   throttle                429 with Retry-After: 1 (code rate_limit_exceeded)
//   500 / 503               500 / 503 error objects
//   not_found               404, the model does not exist (also for any model not in `models`)
//   validation              400, vLLM's context-length message
//   access_denied           403
//   drop                    close the connection without replying
//   drop_mid_body           stream half of the events, then close abruptly
//   reset / reset_mid_body  as drop / drop_mid_body, with a TCP reset (RST) instead of a FIN
//   stall@N                 send N events, then only SSE comments until the client closes the connection
//   broken_frame@N          event N is a cut-off JSON line
//   stream_exception=T@N    event N is an error object {"error":{"message":T,...}} and the stream ends
//   delay=MS, slow=MS, nonjson, words=N, empty   as for the Bedrock emulator
//
// Streams are chunked SSE like vLLM's: a role chunk, one chunk per word piece, a finish chunk, a usage
// chunk when stream_options.include_usage, then `data: [DONE]`. With `api_key` set, requests need
// `Authorization: Bearer <key>` (else 401 invalid_api_key). Every request is recorded.
// `GET /_emulator/stats` (no key needed, not recorded) answers the counters below as JSON: chat_requests,
// closed_by_client, responses_in_progress, connections_accepted, open_connections (the asking one included).
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "support/test_tls.hpp"

namespace llamachat::emulator::openai {

struct UpstreamConfig {
  std::vector<std::string> models{"llama-3.3-70b-test"};
  std::string api_key;                       // empty: no Authorization needed
  std::optional<test::TestCertificate> tls;  // serve HTTPS with this certificate
};

struct RecordedRequest {
  std::string method;
  std::string target;
  std::string authorization;
  std::string body;
  std::size_t connection = 0;  // 1-based accept order
  unsigned status = 0;         // 0: dropped without a status
};

class OpenAiUpstream {
 public:
  explicit OpenAiUpstream(UpstreamConfig config = {});
  ~OpenAiUpstream();
  OpenAiUpstream(const OpenAiUpstream&) = delete;
  OpenAiUpstream& operator=(const OpenAiUpstream&) = delete;

  std::uint16_t port() const noexcept;
  // "http://127.0.0.1:<port>/v1"; `host` replaces 127.0.0.1 (e.g. "localhost" for a certificate's name).
  std::string base_url(const std::string& host = "") const;
  std::vector<RecordedRequest> requests() const;
  std::size_t chat_requests() const;  // POST .../chat/completions received
  std::size_t connections_accepted() const noexcept;
  std::size_t open_connections() const noexcept;  // accepted and not yet closed by either side
  std::size_t responses_in_progress() const;      // requests received whose reply has not ended
  // Streams that stopped because the client closed the connection while they were stalled (stall@N).
  std::size_t closed_by_client() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
  struct Server;
  std::unique_ptr<Server> server_;
};

}  // namespace llamachat::emulator::openai
