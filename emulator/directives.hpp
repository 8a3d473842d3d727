#pragma once
// Behaviour directives of the Bedrock emulator: how one request is to be answered (fault, reply shape, timing,
// stream corruption). They come from `[[emulate:...]]` markers in the prompt text and from the scripted queue
// (POST /_emulator/script). Pure parsing; never throws.
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace llamachat::emulator {

// Response body layouts. The first five are the layouts the original design's client probes for, in order;
// `converse` is Bedrock Converse's `output.message.content[0].text`.
enum class Shape { generation, completion, text, choices, messages, converse };

// An HTTP error reply (Bedrock error codes, see docs/bedrock.md#errors).
enum class Fault {
  none,
  throttle,       // 429 ThrottlingException
  internal,       // 500 InternalServerException       ("500")
  unavailable,    // 503 ServiceUnavailableException   ("503")
  access_denied,  // 403 AccessDeniedException
  validation,     // 400 ValidationException
  on_demand,      // 400 ValidationException (on-demand throughput not supported)
  not_found,      // 404 ResourceNotFoundException
  model_timeout,  // 408 ModelTimeoutException
  model_error,    // 424 ModelErrorException
  quota,          // 400 ServiceQuotaExceededException
  not_ready,      // 429 ModelNotReadyException
};

// Everything a request can be told to do. Unset optionals mean "default behaviour".
struct Directives {
  std::optional<Shape> shape;
  Fault fault = Fault::none;
  bool empty = false;                              // reply text is ""
  bool empty_whitespace = false;                   // reply text is whitespace only ("empty=whitespace")
  bool nonjson = false;                            // 200 with a body (or stream chunk) that is not JSON
  bool drop = false;                               // close the connection without replying
  bool drop_mid_body = false;                      // send headers and half of the body, then close
  bool reset = false;                              // drop / drop_mid_body close with a TCP reset (RST), not a FIN
  std::optional<std::chrono::milliseconds> slow;   // before the response headers
  std::optional<std::chrono::milliseconds> delay;  // between stream events
  std::optional<std::size_t> chunk;                // write the body in pieces of this many bytes
  std::optional<std::size_t> words;                // append this many filler words to the reply
  // In-stream exception (`:exception-type`, lowerCamelCase) sent after `stream_exception_at` events.
  std::optional<std::string> stream_exception;
  std::size_t stream_exception_at = 1;
  std::optional<std::size_t> broken_frame_at;  // corrupt the message CRC of event #n (0-based)
  std::optional<std::size_t> stall_at;         // stop sending after n events, keep the connection open

  std::vector<std::string> applied;  // the directive strings that were understood, in order
  std::vector<std::string> unknown;  // the ones that were not (reported in the request log)
};

// Applies one directive string such as "throttle", "shape=text", "stall@3" or "slow=250" to `out`.
// Returns false (and records it in out.unknown) when the directive is not understood.
bool apply_directive(std::string_view directive, Directives& out);

// Applies a list such as "shape=text, slow=10" (separated by commas and/or whitespace).
void apply_directive_list(std::string_view list, Directives& out);

// Finds every `[[emulate:<list>]]` marker in `text`, applies them in order, and returns `text` with the markers
// removed (so that the reply echo does not contain them).
std::string apply_markers(std::string_view text, Directives& out);

std::string_view to_string(Shape shape) noexcept;

}  // namespace llamachat::emulator
