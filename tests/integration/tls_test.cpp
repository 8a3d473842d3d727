// llamachat -> Bedrock emulator over real TLS with a test CA made here: trust via AWS_CA_BUNDLE, host-name
// verification, refusal of untrusted certificates, connection reuse counted at the server, and a
// CONNECT proxy.
#include <gtest/gtest.h>

#include "harness.hpp"
#include "http/client/client.hpp"
#include "support/connect_proxy.hpp"
#include "support/run_async.hpp"
#include "support/test_tls.hpp"

namespace llamachat::test {
namespace {

std::string error_of(const HttpResult& r) { return std::string(r.json().at("error").as_string()); }

// The emulator's control API over TLS, read with our client trusting the test CA.
boost::json::value tls_stats(const Emulator& emulator, const std::string& ca_bundle) {
  boost::asio::io_context ctx;
  http::ClientOptions options;
  options.ca_bundle_path = ca_bundle;
  http::Client client(ctx.get_executor(), options);
  auto origin = *http::Url::parse("https://localhost:" + std::to_string(emulator.port));
  http::ClientRequest request;
  request.target = "/_emulator/stats";
  const auto response =
      run_async(ctx, client.send(origin, request, std::chrono::steady_clock::now() + std::chrono::seconds(10)));
  return boost::json::parse(response.body);
}

std::map<std::string, std::string> tls_environment(const Emulator& emulator, const std::string& host,
                                                   const std::string& ca_bundle) {
  auto env = emulator.bedrock_environment();
  env["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"] = "https://" + host + ":" + std::to_string(emulator.port);
  env["AWS_CA_BUNDLE"] = ca_bundle;
  return env;
}

TEST(Tls, TrustedCertificateWorksAndTheConnectionIsReused) {
  TestCa ca;
  const auto cert = ca.issue({"localhost"});
  Emulator emulator({"--tls-cert", cert.cert_path, "--tls-key", cert.key_path});
  Service service(tls_environment(emulator, "localhost", ca.ca_cert_path()), {"--threads", "1"});
  for (int i = 0; i < 3; ++i) {
    const auto r = post_chat(service.port, R"({"message":"over tls"})");
    ASSERT_EQ(r.status, 200u) << r.body;
  }
  const auto stats = tls_stats(emulator, ca.ca_cert_path());
  // Three chats over one kept-alive TLS connection from llamachat (+1 for this stats request).
  EXPECT_EQ(stats.at("tls_handshakes").as_int64(), 2) << boost::json::serialize(stats);
  EXPECT_EQ(stats.at("connections_accepted").as_int64(), 2);
}

TEST(Tls, WrongHostNameIsRefusedClearly) {
  TestCa ca;
  const auto cert = ca.issue({"bedrock.example.test"});
  Emulator emulator({"--tls-cert", cert.cert_path, "--tls-key", cert.key_path});
  Service service(tls_environment(emulator, "localhost", ca.ca_cert_path()));
  const auto r = post_chat(service.port, R"({"message":"hi"})");
  EXPECT_EQ(r.status, 502u);
  EXPECT_NE(error_of(r).find("hostname mismatch"), std::string::npos) << r.body;
  EXPECT_NE(error_of(r).find("https://localhost:"), std::string::npos) << r.body;
}

TEST(Tls, UntrustedCertificateIsRefusedClearly) {
  TestCa ca;
  const auto cert = ca.self_signed({"localhost"});
  Emulator emulator({"--tls-cert", cert.cert_path, "--tls-key", cert.key_path});
  Service service(tls_environment(emulator, "localhost", ca.ca_cert_path()));
  const auto r = post_chat(service.port, R"({"message":"hi"})");
  EXPECT_EQ(r.status, 502u);
  EXPECT_NE(error_of(r).find("certificate verify failed"), std::string::npos) << r.body;
}

TEST(Tls, PlainHttpEndpointOffLoopbackIsAConfigurationError) {
  auto env = base_environment();
  env["AWS_REGION"] = "us-east-1";
  env["BEDROCK_MODEL_ID"] = "us.meta.llama3-3-70b-instruct-v1:0";
  env["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"] = "http://bedrock.example.test";
  Service service(env);
  const auto r = post_chat(service.port, R"({"message":"hi"})");
  EXPECT_EQ(r.status, 500u);
  EXPECT_NE(error_of(r).find("plain http://"), std::string::npos) << r.body;
}

TEST(Proxy, HttpsGoesThroughTheConnectProxy) {
  TestCa ca;
  const auto cert = ca.issue({"localhost"});
  Emulator emulator({"--tls-cert", cert.cert_path, "--tls-key", cert.key_path});
  ConnectProxy proxy;
  auto env = tls_environment(emulator, "localhost", ca.ca_cert_path());
  env["HTTPS_PROXY"] = proxy.url();
  Service service(env);
  const auto r = post_chat(service.port, R"({"message":"via proxy"})");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(proxy.tunnels(), 1u);
}

TEST(Proxy, NoProxyBypassesIt) {
  TestCa ca;
  const auto cert = ca.issue({"localhost"});
  Emulator emulator({"--tls-cert", cert.cert_path, "--tls-key", cert.key_path});
  ConnectProxy proxy;
  auto env = tls_environment(emulator, "localhost", ca.ca_cert_path());
  env["HTTPS_PROXY"] = proxy.url();
  env["NO_PROXY"] = "localhost";
  Service service(env);
  ASSERT_EQ(post_chat(service.port, R"({"message":"direct"})").status, 200u);
  EXPECT_EQ(proxy.tunnels(), 0u);
}

}  // namespace
}  // namespace llamachat::test
