#pragma once
// An OpenAI-compatible chat completions server as an upstream::Protocol: POST {base}/chat/completions,
// error replies through the rows of errors.hpp, success replies read whole or parsed as SSE as they arrive.
#include <string>

#include "backends/openai/errors.hpp"
#include "backends/upstream/caller.hpp"

namespace llamachat::backends::openai {

struct ProtocolSettings {
  http::Url base;  // OPENAI_BASE_URL, e.g. http://127.0.0.1:8000/v1
  std::string model;
  std::string api_key;  // only for blanking it out of messages; the BearerAuthorizer sends it
};

class Protocol final : public upstream::Protocol {
 public:
  explicit Protocol(ProtocolSettings settings);

  http::ClientRequest build_request(const chat::ChatRequest& request) const override;
  upstream::Failure classify(const upstream::ErrorReply& reply, const upstream::Attempt& attempt) const override;
  boost::asio::awaitable<upstream::AttemptOutcome> consume(http::ResponseStream& response, upstream::Relay& relay,
                                                           const upstream::Attempt& attempt) const override;

 private:
  ErrorContext error_context() const noexcept { return {origin_, settings_.model, settings_.api_key}; }
  boost::asio::awaitable<upstream::AttemptOutcome> read_whole_reply(http::ResponseStream& response,
                                                                    upstream::Relay& relay) const;
  boost::asio::awaitable<upstream::AttemptOutcome> relay_stream(http::ResponseStream& response,
                                                                upstream::Relay& relay) const;

  ProtocolSettings settings_;
  std::string target_;  // base path + "/chat/completions"
  std::string host_header_;
  std::string origin_;
};

// Sends OPENAI_API_KEY as "Authorization: Bearer <key>".
class BearerAuthorizer final : public upstream::Authorizer {
 public:
  explicit BearerAuthorizer(std::string api_key) : header_value_("Bearer " + std::move(api_key)) {}
  boost::asio::awaitable<std::string> authorize(http::ClientRequest& request) override;

 private:
  std::string header_value_;
};

// "{base path}/{leaf}" without a doubled slash: ("/v1/", "models") -> "/v1/models".
std::string endpoint_target(const http::Url& base, std::string_view leaf);

}  // namespace llamachat::backends::openai
