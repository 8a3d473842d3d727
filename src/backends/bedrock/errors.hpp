#pragma once
// The Bedrock error table (docs/bedrock.md#errors): every Bedrock error code becomes a typed chat::Error
// with a message that says what to do. api/error_table.* then picks the HTTP status for our clients.
#include <string>
#include <string_view>

#include "backends/bedrock/wire.hpp"
#include "backends/upstream/failure.hpp"
#include "chat/error.hpp"

namespace llamachat::backends::bedrock {

struct ErrorContext {
  std::string_view model_id;
  std::string_view region;
  Operation operation = Operation::invoke;
  std::string_view credentials_provider;  // name only, e.g. "environment"
};

// "ValidationException:http://internal..." -> "ValidationException"; "aws#ThrottlingException" ->
// "ThrottlingException".
std::string normalize_error_code(std::string_view raw);
// Error code from the x-amzn-ErrorType header, else the body's "__type"/"code"; empty if none.
std::string error_code_of(std::string_view error_type_header, std::string_view body);
// The "message"/"Message" member of a JSON error body, else the (truncated) body.
std::string error_message_of(std::string_view body);

// An HTTP error reply from Bedrock, through the error rows: the typed error and its retry class.
upstream::Failure failure_from_response(unsigned status, std::string_view error_type_header, std::string_view body,
                                        const ErrorContext& context);
// An in-stream exception (":exception-type" such as "throttlingException") after the 200; `status` is
// the exception's original status code when the stream gave one, else 0.
upstream::Failure failure_from_code(std::string_view code, std::string_view message, unsigned status,
                                    const ErrorContext& context);
// The typed errors alone.
chat::Error error_from_response(unsigned status, std::string_view error_type_header, std::string_view body,
                                const ErrorContext& context);
chat::Error error_from_code(std::string_view code, std::string_view message, unsigned status,
                            const ErrorContext& context);

// The cross-Region inference profile id for a base model id in a Region ("us.meta..."), or empty.
std::string inference_profile_for(std::string_view model_id, std::string_view region);
// True when calling `model_id` in `region` is known to fail with the on-demand throughput error.
bool needs_inference_profile(std::string_view model_id, std::string_view region);

}  // namespace llamachat::backends::bedrock
