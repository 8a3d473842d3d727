// Container, IMDS and STS web identity providers against a real HTTP server on 127.0.0.1:0, through the
// project's HTTP client.
#include <gtest/gtest.h>

#include <map>

#include "aws/credentials/provider.hpp"
#include "aws/credentials/test_support.hpp"
#include "support/connect_proxy.hpp"
#include "support/ports.hpp"
#include "support/run_async.hpp"
#include "support/test_http_server.hpp"
#include "util/strings.hpp"

namespace llamachat::aws::credentials {
namespace {

using namespace std::chrono_literals;
using llamachat::test::run_async;
using llamachat::test::TestHttpServer;
using llamachat::test::TestRequest;
using llamachat::test::TestResponse;
using test::contains;
using testing::get_error;
using testing::map_environment;
using testing::Recorder;
using testing::TempDir;
namespace bhttp = boost::beast::http;

struct Seen {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

Seen record(const TestRequest& r) {
  Seen s;
  s.method = std::string(r.method_string());
  s.target = std::string(r.target());
  for (const auto& field : r) {
    s.headers[util::to_lower(std::string(field.name_string()))] = std::string(field.value());
  }
  s.body = r.body();
  return s;
}

TestResponse respond(unsigned status, std::string body, std::string content_type = "application/json") {
  TestResponse res{static_cast<bhttp::status>(status), 11};
  res.set(bhttp::field::content_type, content_type);
  res.body() = std::move(body);
  return res;
}

std::string host_port(const TestHttpServer& server) { return "127.0.0.1:" + std::to_string(server.port()); }

// Metadata options for tests: one attempt, no pause.
ChainOptions fast_options() {
  ChainOptions o;
  o.container_attempts = 1;
  o.imds_attempts = 1;
  o.metadata_retry_delay = 0ms;
  return o;
}

// Expects `c` to hold exactly these values (expiration as ISO 8601) and to name its provider.
void expect_credentials(const Credentials& c, std::string_view key_id, std::string_view secret, std::string_view token,
                        std::string_view expiration, std::string_view provider) {
  EXPECT_EQ(c.access_key_id, key_id);
  EXPECT_EQ(c.secret_access_key, secret);
  EXPECT_EQ(c.session_token, token);
  ASSERT_TRUE(c.expiration.has_value());
  EXPECT_EQ(util::format_iso8601(*c.expiration), expiration);
  EXPECT_EQ(c.provider, provider);
}

const char* kContainerJson = R"({"AccessKeyId":"AKIDCONTAINER","SecretAccessKey":"CONTAINERSECRET",
  "Token":"CONTAINERTOKEN","Expiration":"2031-01-01T00:00:00Z","RoleArn":"arn:aws:iam::123456789012:role/task"})";

// ---------------------------------------------------------------------------------------------------
// Container provider

TEST(ContainerProvider, RelativeUriWithTokenFileReReadOnEachFetch) {
  Recorder<Seen> seen;
  TestHttpServer server([&](const TestRequest& r) {
    seen.add(record(r));
    return respond(200, kContainerJson);
  });
  TempDir dir;
  const std::string token_file = dir.write("token", "first-token-value");
  auto provider =
      make_container_provider(map_environment({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/task-uuid"},
                                               {"LLAMACHAT_CONTAINER_CREDENTIALS_HOST", host_port(server)},
                                               {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", token_file},
                                               {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "ignored-because-file-wins"}}),
                              fast_options());

  const Credentials c = run_async(provider->get());
  expect_credentials(c, "AKIDCONTAINER", "CONTAINERSECRET", "CONTAINERTOKEN", "2031-01-01T00:00:00Z", "container");

  dir.write("token", "second-token-value");
  run_async(provider->get());

  const auto requests = seen.items();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].target, "/v2/credentials/task-uuid");
  EXPECT_EQ(requests[0].headers.at("authorization"), "first-token-value");  // raw, no "Bearer"
  EXPECT_EQ(requests[1].headers.at("authorization"), "second-token-value");
}

TEST(ContainerProvider, FullUriOnLoopbackWithTokenVariable) {
  Recorder<Seen> seen;
  TestHttpServer server([&](const TestRequest& r) {
    seen.add(record(r));
    return respond(200, kContainerJson);
  });
  auto provider =
      make_container_provider(map_environment({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", server.url() + "/creds?x=1"},
                                               {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "Basic abc=="}}),
                              fast_options());
  EXPECT_EQ(run_async(provider->get()).access_key_id, "AKIDCONTAINER");
  const auto requests = seen.items();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].target, "/creds?x=1");
  EXPECT_EQ(requests[0].headers.at("authorization"), "Basic abc==");
}

TEST(ContainerProvider, RelativeUriWinsOverFullUri) {
  Recorder<Seen> relative_seen, full_seen;
  TestHttpServer relative([&](const TestRequest& r) {
    relative_seen.add(record(r));
    return respond(200, kContainerJson);
  });
  TestHttpServer full([&](const TestRequest& r) {
    full_seen.add(record(r));
    return respond(200, kContainerJson);
  });
  auto provider =
      make_container_provider(map_environment({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/rel"},
                                               {"LLAMACHAT_CONTAINER_CREDENTIALS_HOST", host_port(relative)},
                                               {"AWS_CONTAINER_CREDENTIALS_FULL_URI", full.url() + "/full"}}),
                              fast_options());
  run_async(provider->get());
  EXPECT_EQ(relative_seen.items().size(), 1u);
  EXPECT_EQ(full_seen.items().size(), 0u);
  EXPECT_EQ(relative_seen.items()[0].headers.count("authorization"), 0u);
}

TEST(ContainerProvider, DisallowedFullUriHostIsRejectedWithoutARequest) {
  for (const char* uri : {"http://169.254.169.254/latest/creds", "http://10.1.2.3:8080/creds",
                          "http://example.com/creds", "ftp://127.0.0.1/creds"}) {
    const auto e = get_error(
        make_container_provider(map_environment({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", uri}}), fast_options()));
    EXPECT_EQ(e.kind(), CredentialsErrorKind::failed) << uri;
    EXPECT_TRUE(contains(e.what(), "container: AWS_CONTAINER_CREDENTIALS_FULL_URI")) << e.what();
  }
  const auto e = get_error(make_container_provider(
      map_environment({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://169.254.169.254/creds"}}), fast_options()));
  EXPECT_TRUE(contains(e.what(), "not allowed")) << e.what();
}

TEST(ContainerProvider, TokenWithNewlineIsRejectedBeforeAnyRequest) {
  TestHttpServer server([&](const TestRequest&) { return respond(200, kContainerJson); });
  TempDir dir;
  const std::string token_file = dir.write("token", "TOKENSECRET\n");
  auto e = get_error(
      make_container_provider(map_environment({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", server.url() + "/creds"},
                                               {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", token_file}}),
                              fast_options()));
  EXPECT_TRUE(contains(e.what(), "contains CR or LF")) << e.what();
  EXPECT_FALSE(contains(e.what(), "TOKENSECRET"));

  e = get_error(
      make_container_provider(map_environment({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", server.url() + "/creds"},
                                               {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "abc\r\nX-Injected: yes"}}),
                              fast_options()));
  EXPECT_TRUE(contains(e.what(), "contains CR or LF")) << e.what();

  e = get_error(make_container_provider(
      map_environment({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", server.url() + "/creds"},
                       {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", (dir.path() / "missing").string()}}),
      fast_options()));
  EXPECT_TRUE(contains(e.what(), "cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) << e.what();
  EXPECT_EQ(server.connections_accepted(), 0u);
}

TEST(ContainerProvider, HttpErrorsAndBadBodiesAreClear) {
  std::atomic<int> calls{0};
  TestHttpServer server([&](const TestRequest& r) {
    ++calls;
    if (r.target() == "/forbidden") return respond(403, R"({"message":"denied"})");
    if (r.target() == "/unavailable") return respond(503, "busy");
    return respond(200, R"({"AccessKeyId":"A","SecretAccessKey":"BODYSECRET","Expiration":"soon"})");
  });
  auto options = fast_options();
  auto e = get_error(make_container_provider(
      map_environment({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", server.url() + "/forbidden"}}), options));
  EXPECT_EQ(std::string(e.what()), "container: credentials endpoint " + server.url() + " returned HTTP 403");

  options.container_attempts = 3;  // 5xx is retried
  e = get_error(make_container_provider(
      map_environment({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", server.url() + "/unavailable"}}), options));
  EXPECT_TRUE(contains(e.what(), "returned HTTP 503 (3 attempts)")) << e.what();
  EXPECT_EQ(calls.load(), 4);

  e = get_error(make_container_provider(
      map_environment({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", server.url() + "/bad"}}), fast_options()));
  EXPECT_TRUE(contains(e.what(), "Expiration is not an ISO 8601")) << e.what();
  EXPECT_FALSE(contains(e.what(), "BODYSECRET"));
}

TEST(ContainerProvider, MetadataRequestsBypassTheConfiguredProxy) {
  std::atomic<int> proxied{0};
  TestHttpServer proxy([&](const TestRequest&) {
    ++proxied;
    return respond(502, "", "text/plain");
  });
  TestHttpServer server([&](const TestRequest&) { return respond(200, kContainerJson); });
  auto options = fast_options();
  options.http.proxy = http::Url::parse(proxy.url());
  auto provider = make_container_provider(
      map_environment({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", server.url() + "/creds"}}), options);
  EXPECT_EQ(run_async(provider->get()).access_key_id, "AKIDCONTAINER");
  EXPECT_EQ(server.requests_received(), 1u);
  EXPECT_EQ(proxied.load(), 0);
  EXPECT_EQ(proxy.connections_accepted(), 0u);
}

TEST(ContainerProvider, UnreachableEndpointFails) {
  const std::uint16_t closed_port = test::closed_loopback_port();
  const auto e =
      get_error(make_container_provider(map_environment({{"AWS_CONTAINER_CREDENTIALS_FULL_URI",
                                                          "http://127.0.0.1:" + std::to_string(closed_port) + "/c"}}),
                                        fast_options()));
  EXPECT_EQ(e.kind(), CredentialsErrorKind::failed);
  EXPECT_TRUE(contains(e.what(), "container: credentials endpoint http://127.0.0.1:")) << e.what();
}

// ---------------------------------------------------------------------------------------------------
// IMDSv2

const char* kImdsJson = R"({"Code":"Success","LastUpdated":"2030-01-01T00:00:00Z","Type":"AWS-HMAC",
  "AccessKeyId":"AKIDIMDS","SecretAccessKey":"IMDSSECRET","Token":"IMDSTOKEN","Expiration":"2031-06-01T12:00:00Z"})";

TestResponse imds_handler(const TestRequest& r, bool with_role = true) {
  const std::string target(r.target());
  if (target == "/latest/api/token") {
    if (r.method() != bhttp::verb::put || r["x-aws-ec2-metadata-token-ttl-seconds"] != "21600")
      return respond(400, "bad token request", "text/plain");
    return respond(200, "SESSION-TOKEN-1", "text/plain");
  }
  if (r["x-aws-ec2-metadata-token"] != "SESSION-TOKEN-1") return respond(401, "", "text/plain");
  if (target == "/latest/meta-data/iam/security-credentials/")
    return with_role ? respond(200, "web-role\n", "text/plain") : respond(404, "", "text/plain");
  if (target == "/latest/meta-data/iam/security-credentials/web-role") return respond(200, kImdsJson);
  return respond(404, "", "text/plain");
}

TEST(ImdsProvider, TokenFirstThenRoleThenCredentials) {
  Recorder<Seen> seen;
  TestHttpServer server([&](const TestRequest& r) {
    seen.add(record(r));
    return imds_handler(r);
  });
  auto provider =
      make_imds_provider(map_environment({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", server.url()}}), fast_options());
  const Credentials c = run_async(provider->get());
  expect_credentials(c, "AKIDIMDS", "IMDSSECRET", "IMDSTOKEN", "2031-06-01T12:00:00Z", "imds");

  const auto requests = seen.items();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].method, "PUT");
  EXPECT_EQ(requests[0].target, "/latest/api/token");
  EXPECT_EQ(requests[0].headers.at("x-aws-ec2-metadata-token-ttl-seconds"), "21600");
  EXPECT_EQ(requests[1].method, "GET");
  EXPECT_EQ(requests[1].target, "/latest/meta-data/iam/security-credentials/");
  EXPECT_EQ(requests[1].headers.at("x-aws-ec2-metadata-token"), "SESSION-TOKEN-1");
  EXPECT_EQ(requests[2].method, "GET");
  EXPECT_EQ(requests[2].target, "/latest/meta-data/iam/security-credentials/web-role");
  EXPECT_EQ(requests[2].headers.at("x-aws-ec2-metadata-token"), "SESSION-TOKEN-1");
}

TEST(ImdsProvider, DisabledMeansNoRequestAtAll) {
  TestHttpServer server([&](const TestRequest& r) { return imds_handler(r); });
  for (const char* value : {"true", "TRUE", "True"}) {
    const auto e = get_error(make_imds_provider(
        map_environment({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", server.url()}, {"AWS_EC2_METADATA_DISABLED", value}}),
        fast_options()));
    EXPECT_EQ(e.kind(), CredentialsErrorKind::not_configured);
    EXPECT_EQ(std::string(e.what()), "imds: disabled by AWS_EC2_METADATA_DISABLED");
  }
  // Through the whole default chain too.
  TempDir dir;
  const auto missing = (dir.path() / "missing").string();
  auto options = fast_options();
  const auto e = get_error(make_default_chain(map_environment({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", server.url()},
                                                               {"AWS_EC2_METADATA_DISABLED", "true"},
                                                               {"AWS_CONFIG_FILE", missing},
                                                               {"AWS_SHARED_CREDENTIALS_FILE", missing}}),
                                              options));
  EXPECT_TRUE(contains(e.what(), "imds: disabled")) << e.what();
  EXPECT_EQ(server.connections_accepted(), 0u);
  EXPECT_EQ(server.requests_received(), 0u);
}

TEST(ImdsProvider, NoRoleAndRejectedTokenAreClear) {
  TestHttpServer no_role([&](const TestRequest& r) { return imds_handler(r, false); });
  auto e = get_error(
      make_imds_provider(map_environment({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", no_role.url()}}), fast_options()));
  EXPECT_TRUE(contains(e.what(), "no IAM role is attached")) << e.what();

  TestHttpServer v1_only([&](const TestRequest&) { return respond(403, "", "text/plain"); });
  e = get_error(
      make_imds_provider(map_environment({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", v1_only.url()}}), fast_options()));
  EXPECT_TRUE(contains(e.what(), "session token request (IMDSv2) returned HTTP 403")) << e.what();
  EXPECT_EQ(v1_only.requests_received(), 1u);  // no token, no further (IMDSv1) request
}

// ---------------------------------------------------------------------------------------------------
// STS AssumeRoleWithWebIdentity

std::string form_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size()) {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::map<std::string, std::string> parse_form(std::string_view body) {
  std::map<std::string, std::string> fields;
  while (!body.empty()) {
    const std::size_t amp = body.find('&');
    const std::string_view pair = body.substr(0, amp);
    const std::size_t eq = pair.find('=');
    fields[form_decode(pair.substr(0, eq))] = eq == std::string_view::npos ? "" : form_decode(pair.substr(eq + 1));
    body = amp == std::string_view::npos ? std::string_view{} : body.substr(amp + 1);
  }
  return fields;
}

const char* kStsOk = R"(<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <Credentials>
      <AccessKeyId>ASIASTSKEY</AccessKeyId>
      <SecretAccessKey>STSSECRET</SecretAccessKey>
      <SessionToken>STSTOKEN</SessionToken>
      <Expiration>2031-03-04T05:06:07Z</Expiration>
    </Credentials>
  </AssumeRoleWithWebIdentityResult>
</AssumeRoleWithWebIdentityResponse>)";

TEST(WebIdentityProvider, PostsTheFormUnsignedAndParsesTheReply) {
  Recorder<Seen> seen;
  TestHttpServer sts([&](const TestRequest& r) {
    seen.add(record(r));
    return respond(200, kStsOk, "text/xml");
  });
  TempDir dir;
  const std::string token_file = dir.write("token", "eyJhbGciOi.JWT+/=.sig\n");
  auto provider = make_web_identity_provider(map_environment({{"AWS_WEB_IDENTITY_TOKEN_FILE", token_file},
                                                              {"AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/web"},
                                                              {"AWS_ROLE_SESSION_NAME", "my session"},
                                                              {"AWS_ENDPOINT_URL_STS", sts.url()},
                                                              {"AWS_ENDPOINT_URL", "http://127.0.0.1:1"}}),
                                             fast_options());
  const Credentials c = run_async(provider->get());
  expect_credentials(c, "ASIASTSKEY", "STSSECRET", "STSTOKEN", "2031-03-04T05:06:07Z", "web-identity");

  const auto requests = seen.items();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/");
  EXPECT_TRUE(contains(requests[0].headers.at("content-type"), "application/x-www-form-urlencoded"));
  EXPECT_EQ(requests[0].headers.count("authorization"), 0u);  // unsigned
  const auto form = parse_form(requests[0].body);
  EXPECT_EQ(form.at("Action"), "AssumeRoleWithWebIdentity");
  EXPECT_EQ(form.at("Version"), "2011-06-15");
  EXPECT_EQ(form.at("RoleArn"), "arn:aws:iam::123456789012:role/web");
  EXPECT_EQ(form.at("RoleSessionName"), "my session");
  EXPECT_EQ(form.at("WebIdentityToken"), "eyJhbGciOi.JWT+/=.sig");
}

TEST(WebIdentityProvider, GlobalEndpointOverrideAndGeneratedSessionName) {
  Recorder<Seen> seen;
  TestHttpServer sts([&](const TestRequest& r) {
    seen.add(record(r));
    return respond(200, kStsOk, "text/xml");
  });
  TempDir dir;
  auto provider = make_web_identity_provider(map_environment({{"AWS_WEB_IDENTITY_TOKEN_FILE", dir.write("t", "tok")},
                                                              {"AWS_ROLE_ARN", "arn:aws:iam::1:role/r"},
                                                              {"AWS_ENDPOINT_URL", sts.url() + "/sts/"}}),
                                             fast_options());
  run_async(provider->get());
  const auto requests = seen.items();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].target, "/sts/");
  EXPECT_EQ(parse_form(requests[0].body).at("RoleSessionName").rfind("llamachat-", 0), 0u);
}

TEST(WebIdentityProvider, StsErrorBecomesAClearMessageWithoutTheToken) {
  TestHttpServer sts([&](const TestRequest&) {
    return respond(400, R"(<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error><Type>Sender</Type><Code>InvalidIdentityToken</Code>
    <Message>No OpenIDConnect provider found in your account for https://oidc.example.com</Message></Error>
  <RequestId>req-1</RequestId></ErrorResponse>)",
                   "text/xml");
  });
  TempDir dir;
  const auto e = get_error(
      make_web_identity_provider(map_environment({{"AWS_WEB_IDENTITY_TOKEN_FILE", dir.write("token", "JWTSECRETVALUE")},
                                                  {"AWS_ROLE_ARN", "arn:aws:iam::1:role/r"},
                                                  {"AWS_ENDPOINT_URL_STS", sts.url()}}),
                                 fast_options()));
  EXPECT_EQ(e.kind(), CredentialsErrorKind::failed);
  EXPECT_EQ(std::string(e.what()),
            "web-identity: STS AssumeRoleWithWebIdentity at " + sts.url() +
                " failed with HTTP 400: STS error InvalidIdentityToken: No OpenIDConnect provider found in your "
                "account for https://oidc.example.com");
  EXPECT_FALSE(contains(e.what(), "JWTSECRETVALUE"));
}

// STS is a public endpoint: behind an egress-only proxy it is reached through the proxy like Bedrock.
TEST(WebIdentityProvider, GoesThroughTheConfiguredProxy) {
  test::ConnectProxy proxy;
  TestHttpServer sts([&](const TestRequest&) { return respond(200, kStsOk, "text/xml"); });
  TempDir dir;
  auto options = fast_options();
  options.http.proxy = http::Url::parse(proxy.url());
  auto provider = make_web_identity_provider(map_environment({{"AWS_WEB_IDENTITY_TOKEN_FILE", dir.write("t", "tok")},
                                                              {"AWS_ROLE_ARN", "arn:aws:iam::1:role/r"},
                                                              {"AWS_ENDPOINT_URL_STS", sts.url()}}),
                                             options);
  EXPECT_EQ(run_async(provider->get()).access_key_id, "ASIASTSKEY");
  EXPECT_EQ(proxy.targets(), std::vector<std::string>{host_port(sts)});
  EXPECT_EQ(sts.requests_received(), 1u);
}

TEST(WebIdentityProvider, ConfigurationStates) {
  auto e = get_error(make_web_identity_provider(map_environment({{"AWS_ROLE_ARN", "arn:aws:iam::1:role/r"}})));
  EXPECT_EQ(e.kind(), CredentialsErrorKind::not_configured);
  e = get_error(make_web_identity_provider(map_environment({{"AWS_WEB_IDENTITY_TOKEN_FILE", "/nonexistent/token"}})));
  EXPECT_EQ(e.kind(), CredentialsErrorKind::failed);
  EXPECT_TRUE(contains(e.what(), "AWS_ROLE_ARN is not")) << e.what();
  e = get_error(make_web_identity_provider(map_environment(
      {{"AWS_WEB_IDENTITY_TOKEN_FILE", "/nonexistent/token"}, {"AWS_ROLE_ARN", "arn:aws:iam::1:role/r"}})));
  EXPECT_TRUE(contains(e.what(), "cannot read the web identity token file")) << e.what();
}

TEST(WebIdentityProvider, ProfileWithRoleArnAndTokenFile) {
  Recorder<Seen> seen;
  TestHttpServer sts([&](const TestRequest& r) {
    seen.add(record(r));
    return respond(200, kStsOk, "text/xml");
  });
  TempDir dir;
  const std::string token = dir.write("token", "PROFILEJWT");
  const std::string config = dir.write("config",
                                       "[profile web]\nrole_arn = arn:aws:iam::1:role/p\n"
                                       "web_identity_token_file = " +
                                           token + "\nrole_session_name = from-profile\n");
  auto provider = make_profile_provider(map_environment({{"AWS_CONFIG_FILE", config},
                                                         {"AWS_SHARED_CREDENTIALS_FILE", (dir.path() / "no").string()},
                                                         {"AWS_PROFILE", "web"},
                                                         {"AWS_ENDPOINT_URL_STS", sts.url()}}),
                                        fast_options());
  const Credentials c = run_async(provider->get());
  EXPECT_EQ(c.access_key_id, "ASIASTSKEY");
  EXPECT_EQ(c.provider, "profile:web (web identity)");
  const auto form = parse_form(seen.items().at(0).body);
  EXPECT_EQ(form.at("RoleArn"), "arn:aws:iam::1:role/p");
  EXPECT_EQ(form.at("RoleSessionName"), "from-profile");
  EXPECT_EQ(form.at("WebIdentityToken"), "PROFILEJWT");
}

// ---------------------------------------------------------------------------------------------------
// The default chain end to end

TEST(DefaultChain, ContainerCredentialsAreCachedAndNamed) {
  std::atomic<int> calls{0};
  TestHttpServer server([&](const TestRequest&) {
    ++calls;
    return respond(200, kContainerJson);
  });
  TempDir dir;
  const auto missing = (dir.path() / "missing").string();
  testing::ManualClock clock(std::chrono::sys_days{std::chrono::year{2030} / 6 / 1});
  auto options = fast_options();
  options.clock = clock.clock();
  auto chain = make_default_chain(map_environment({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/creds"},
                                                   {"LLAMACHAT_CONTAINER_CREDENTIALS_HOST", host_port(server)},
                                                   {"AWS_CONFIG_FILE", missing},
                                                   {"AWS_SHARED_CREDENTIALS_FILE", missing},
                                                   {"AWS_EC2_METADATA_DISABLED", "true"}}),
                                  options);
  EXPECT_EQ(run_async(chain->get()).provider, "container");
  EXPECT_EQ(run_async(chain->get()).access_key_id, "AKIDCONTAINER");
  EXPECT_EQ(calls.load(), 1);
}

TEST(DefaultChain, BrokenProfileStopsTheChainBeforeImds) {
  Recorder<Seen> imds_seen;
  TestHttpServer imds([&](const TestRequest& r) {
    imds_seen.add(record(r));
    return imds_handler(r);
  });
  TempDir dir;
  const std::string config = dir.write("config", "[default]\ncredential_process = /bin/false\n");
  const auto e = get_error(make_default_chain(map_environment({{"AWS_CONFIG_FILE", config},
                                                               {"AWS_SHARED_CREDENTIALS_FILE", config + ".none"},
                                                               {"AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url()}}),
                                              fast_options()));
  EXPECT_TRUE(contains(e.what(), "[FAILED] profile default: credential_process exited with status 1")) << e.what();
  EXPECT_TRUE(contains(e.what(), "[skipped] environment:")) << e.what();
  EXPECT_FALSE(contains(e.what(), "imds")) << e.what();
  EXPECT_EQ(imds.requests_received(), 0u);
}

TEST(DefaultChain, FallsThroughToImds) {
  TestHttpServer imds([&](const TestRequest& r) { return imds_handler(r); });
  TempDir dir;
  const auto missing = (dir.path() / "missing").string();
  auto chain = make_default_chain(map_environment({{"AWS_CONFIG_FILE", missing},
                                                   {"AWS_SHARED_CREDENTIALS_FILE", missing},
                                                   {"AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url()}}),
                                  fast_options());
  const Credentials c = run_async(chain->get());
  EXPECT_EQ(c.provider, "imds");
  EXPECT_EQ(c.access_key_id, "AKIDIMDS");
}

}  // namespace
}  // namespace llamachat::aws::credentials
