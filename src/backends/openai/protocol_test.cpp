#include "backends/openai/protocol.hpp"

#include <gtest/gtest.h>

namespace llamachat::backends::openai {
namespace {

http::Url url(std::string_view text) { return http::Url::parse(text).value(); }

TEST(OpenAiProtocol, TargetsSitUnderTheBasePathWithoutDoubleSlashes) {
  EXPECT_EQ(endpoint_target(url("http://10.0.0.5:8000/v1"), "models"), "/v1/models");
  EXPECT_EQ(endpoint_target(url("http://10.0.0.5:8000/v1/"), "chat/completions"), "/v1/chat/completions");
  EXPECT_EQ(endpoint_target(url("https://gw.example/openai/v1"), "models"), "/openai/v1/models");
}

TEST(OpenAiProtocol, BuildsAJsonPostThatAcceptsWhatItAskedFor) {
  const Protocol protocol(ProtocolSettings{url("http://127.0.0.1:11434/v1"), "llama3.3:70b", ""});
  chat::ChatRequest request;
  request.messages = {{chat::Role::user, "hi"}};
  request.request_id = "r1";
  const http::ClientRequest whole = protocol.build_request(request);
  EXPECT_EQ(whole.method, "POST");
  EXPECT_EQ(whole.target, "/v1/chat/completions");
  EXPECT_EQ(http::find_header(whole.headers, "host"), "127.0.0.1:11434");
  EXPECT_EQ(http::find_header(whole.headers, "accept"), "application/json");
  EXPECT_EQ(http::find_header(whole.headers, "authorization"), "");  // the BearerAuthorizer's job, when keyed
  request.stream = true;
  EXPECT_EQ(http::find_header(protocol.build_request(request).headers, "accept"), "text/event-stream");
}

}  // namespace
}  // namespace llamachat::backends::openai
