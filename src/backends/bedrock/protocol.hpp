#pragma once
// Bedrock Runtime as an upstream::Protocol: the request of each operation (InvokeModel,
// InvokeModelWithResponseStream, Converse, ConverseStream), error replies through the Bedrock error rows,
// and success replies read whole or relayed from the event stream.
#include <array>
#include <string>

#include "backends/bedrock/errors.hpp"
#include "backends/bedrock/wire.hpp"
#include "backends/upstream/caller.hpp"

namespace llamachat::backends::bedrock {

struct ProtocolSettings {
  std::string region;
  std::string model_id;
  http::Url endpoint;
  Api api = Api::invoke;
  Defaults defaults;
};

class Protocol final : public upstream::Protocol {
 public:
  explicit Protocol(ProtocolSettings settings);

  Operation operation_for(const chat::ChatRequest& request) const noexcept;
  http::ClientRequest build_request(const chat::ChatRequest& request) const override;
  upstream::Failure classify(const upstream::ErrorReply& reply, const upstream::Attempt& attempt) const override;
  boost::asio::awaitable<upstream::AttemptOutcome> consume(http::ResponseStream& response, upstream::Relay& relay,
                                                           const upstream::Attempt& attempt) const override;

 private:
  ErrorContext error_context(const upstream::Attempt& attempt) const noexcept;
  boost::asio::awaitable<upstream::AttemptOutcome> read_whole_reply(http::ResponseStream& response,
                                                                    upstream::Relay& relay) const;
  boost::asio::awaitable<upstream::AttemptOutcome> relay_event_stream(http::ResponseStream& response,
                                                                      upstream::Relay& relay,
                                                                      const upstream::Attempt& attempt) const;

  ProtocolSettings settings_;
  // Per request these would be rebuilt identically: the model id and the endpoint are fixed.
  std::array<std::string, 4> targets_;  // request target per Operation (endpoint path + model path)
  std::string host_header_;
};

}  // namespace llamachat::backends::bedrock
