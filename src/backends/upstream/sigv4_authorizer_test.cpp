#include "backends/upstream/sigv4_authorizer.hpp"

#include <gtest/gtest.h>

#include "aws/sigv4/signer.hpp"
#include "support/run_async.hpp"

namespace llamachat::backends::upstream {
namespace {

constexpr std::string_view kKeyId = "AKIDEXAMPLE";
constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

http::ClientRequest bedrock_like_request() {
  http::ClientRequest r;
  r.method = "POST";
  r.target = "/model/us.meta.llama3-3-70b-instruct-v1%3A0/invoke";
  r.body = R"({"prompt":"hi"})";
  r.headers = {{"host", "bedrock-runtime.us-east-1.amazonaws.com"},
               {"content-type", "application/json"},
               {"user-agent", "llamachat/0.1"}};
  return r;
}

aws::sigv4::Request as_received(const http::ClientRequest& r) {
  aws::sigv4::Request received;
  received.method = r.method;
  received.path = r.target;
  for (const auto& [name, value] : r.headers) received.headers.push_back({name, value});
  received.payload = r.body;
  return received;
}

util::Clock fixed_clock() {
  return [] { return std::chrono::system_clock::time_point(std::chrono::seconds(1440938160)); };
}

TEST(SignRequest, TheServiceVerifiesWhatWasSigned) {
  http::ClientRequest r = bedrock_like_request();
  sign_request(r, aws::Credentials{std::string(kKeyId), std::string(kSecret), "", std::nullopt, "static"},
               {"us-east-1", "bedrock"}, fixed_clock()());
  const auto verification = aws::sigv4::verify(as_received(r), kKeyId, kSecret, "bedrock", "us-east-1");
  EXPECT_TRUE(verification.ok) << verification.error_code << ": " << verification.reason;
  EXPECT_EQ(http::find_header(r.headers, "x-amz-date"), "20150830T123600Z");
  EXPECT_EQ(http::find_header(r.headers, "user-agent"), "llamachat/0.1") << "headers are kept";
  const std::string_view authorization = http::find_header(r.headers, "authorization");
  EXPECT_NE(authorization.find("SignedHeaders=content-type;host;x-amz-date,"), std::string_view::npos) << authorization;
  EXPECT_EQ(http::find_header(r.headers, "x-amz-security-token"), "");
}

TEST(SignRequest, SessionTokenIsSentAndSigned) {
  http::ClientRequest r = bedrock_like_request();
  sign_request(r, aws::Credentials{std::string(kKeyId), std::string(kSecret), "token-1", std::nullopt, "imds"},
               {"us-east-1", "bedrock"}, fixed_clock()());
  EXPECT_EQ(http::find_header(r.headers, "x-amz-security-token"), "token-1");
  EXPECT_NE(http::find_header(r.headers, "authorization").find("x-amz-security-token"), std::string_view::npos);
  EXPECT_TRUE(aws::sigv4::verify(as_received(r), kKeyId, kSecret, "bedrock", "us-east-1").ok);
}

// Named "cache", handing out credentials that came from "container", as the cache in front of the chain.
class Cache final : public aws::credentials::Provider {
 public:
  std::string name() const override { return "cache"; }
  boost::asio::awaitable<aws::Credentials> get() override {
    co_return aws::Credentials{std::string(kKeyId), std::string(kSecret), "", std::nullopt, "container"};
  }
};

TEST(SigV4Authorizer, ReturnsTheSourceTheCredentialsNameNotTheProvidersName) {
  auto provider = std::make_shared<Cache>();
  SigV4Authorizer authorizer(provider, {"us-east-1", "bedrock"}, fixed_clock());
  http::ClientRequest r = bedrock_like_request();
  const std::string source = test::run_async(authorizer.authorize(r));
  EXPECT_EQ(source, "container");
  EXPECT_TRUE(aws::sigv4::verify(as_received(r), kKeyId, kSecret, "bedrock", "us-east-1").ok);
}

}  // namespace
}  // namespace llamachat::backends::upstream
