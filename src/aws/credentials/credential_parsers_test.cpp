#include "aws/credentials/credential_parsers.hpp"

#include <gtest/gtest.h>

#include "util/clock.hpp"

namespace llamachat::aws::credentials {
namespace {

std::chrono::system_clock::time_point utc(int y, unsigned mo, unsigned d, int h, int mi, int s) {
  using namespace std::chrono;
  return sys_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi} + seconds{s};
}

// Shape of the AWS CLI credential_process contract (sdkref "Sourcing credentials with an external process").
TEST(ProcessOutput, FullDocument) {
  const auto r = parse_process_output(R"({"Version": 1, "AccessKeyId": "AKIDPROC", "SecretAccessKey": "SECRETPROC",
      "SessionToken": "TOKENPROC", "Expiration": "2030-01-02T03:04:05Z"})");
  ASSERT_TRUE(r) << r.error;
  EXPECT_EQ(r.credentials->access_key_id, "AKIDPROC");
  EXPECT_EQ(r.credentials->secret_access_key, "SECRETPROC");
  EXPECT_EQ(r.credentials->session_token, "TOKENPROC");
  EXPECT_EQ(r.credentials->expiration, utc(2030, 1, 2, 3, 4, 5));
}

TEST(ProcessOutput, LongTermKeysHaveNoExpiration) {
  const auto r = parse_process_output(R"({"Version":1,"AccessKeyId":"A","SecretAccessKey":"S"})");
  ASSERT_TRUE(r) << r.error;
  EXPECT_TRUE(r.credentials->session_token.empty());
  EXPECT_FALSE(r.credentials->expiration.has_value());
}

TEST(ProcessOutput, RejectsBadDocumentsWithoutQuotingThem) {
  struct Case {
    const char* json;
    const char* error;
  } cases[] = {
      {"not json SECRETVALUE", "not a JSON object"},
      {"[1,2]", "not a JSON object"},
      {R"({"AccessKeyId":"A","SecretAccessKey":"SECRETVALUE"})", "no Version"},
      {R"({"Version":2,"AccessKeyId":"A","SecretAccessKey":"SECRETVALUE"})", "unsupported Version"},
      {R"({"Version":"1","AccessKeyId":"A","SecretAccessKey":"SECRETVALUE"})", "unsupported Version"},
      {R"({"Version":1,"SecretAccessKey":"SECRETVALUE"})", "missing AccessKeyId"},
      {R"({"Version":1,"AccessKeyId":"A"})", "missing SecretAccessKey"},
      {R"({"Version":1,"AccessKeyId":"A","SecretAccessKey":"SECRETVALUE","Expiration":"tomorrow"})", "Expiration"},
  };
  for (const auto& c : cases) {
    const auto r = parse_process_output(c.json);
    EXPECT_FALSE(r) << c.json;
    EXPECT_NE(r.error.find(c.error), std::string::npos) << c.json << " -> " << r.error;
    EXPECT_EQ(r.error.find("SECRETVALUE"), std::string::npos) << r.error;
  }
}

// ECS task-role document shape (ECS developer guide, "Task IAM role").
TEST(MetadataCredentials, ContainerDocument) {
  const auto r = parse_metadata_credentials(R"({
    "AccessKeyId": "ACCESS_KEY_ID",
    "Expiration": "2017-08-09T00:51:28Z",
    "RoleArn": "TASK_ROLE_ARN",
    "SecretAccessKey": "SECRET_ACCESS_KEY",
    "Token": "SECURITY_TOKEN_STRING"
  })");
  ASSERT_TRUE(r) << r.error;
  EXPECT_EQ(r.credentials->access_key_id, "ACCESS_KEY_ID");
  EXPECT_EQ(r.credentials->secret_access_key, "SECRET_ACCESS_KEY");
  EXPECT_EQ(r.credentials->session_token, "SECURITY_TOKEN_STRING");
  EXPECT_EQ(r.credentials->expiration, utc(2017, 8, 9, 0, 51, 28));
}

// EC2 user guide, "Retrieve security credentials from instance metadata".
TEST(MetadataCredentials, ImdsDocumentAndCode) {
  const std::string ok = R"({
    "Code" : "Success",
    "LastUpdated" : "2012-04-26T16:39:16Z",
    "Type" : "AWS-HMAC",
    "AccessKeyId" : "ASIAIOSFODNN7EXAMPLE",
    "SecretAccessKey" : "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "Token" : "token",
    "Expiration" : "2017-05-17T15:09:54Z"
  })";
  const auto r = parse_metadata_credentials(ok);
  ASSERT_TRUE(r) << r.error;
  EXPECT_EQ(r.credentials->access_key_id, "ASIAIOSFODNN7EXAMPLE");
  EXPECT_EQ(r.credentials->expiration, utc(2017, 5, 17, 15, 9, 54));

  const auto failed = parse_metadata_credentials(
      R"({"Code":"AssumeRoleUnauthorizedAccess","AccessKeyId":"A","SecretAccessKey":"SECRETVALUE"})");
  EXPECT_FALSE(failed);
  EXPECT_NE(failed.error.find("AssumeRoleUnauthorizedAccess"), std::string::npos);
  EXPECT_EQ(failed.error.find("SECRETVALUE"), std::string::npos);
  EXPECT_FALSE(parse_metadata_credentials("<html>nope</html>"));
}

// Layout of the AssumeRoleWithWebIdentity example in the STS API reference.
constexpr const char* kStsReply =
    R"(<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>amzn1.account.AF6RHO7KZU5XRVQJGXK6HB56KR2A</SubjectFromWebIdentityToken>
    <Audience>client.5498841531868486423.1548@apps.example.com</Audience>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/FederatedWebIdentityRole/app1</Arn>
      <AssumedRoleId>AROACLKWSDQRAOEXAMPLE:app1</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <SessionToken>AQoDYXdzEE0a8ANXXXXXXXXNO1ewxE5TijQyp+IEXAMPLE</SessionToken>
      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>
      <Expiration>2014-10-24T23:00:23Z</Expiration>
      <AccessKeyId>ASgeIAIOSFODNN7EXAMPLE</AccessKeyId>
    </Credentials>
    <Provider>www.amazon.com</Provider>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata>
    <RequestId>ad4156e9-bce1-11e2-82e6-6b6efEXAMPLE</RequestId>
  </ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>)";

TEST(StsXml, ParsesCredentials) {
  const auto r = parse_sts_credentials(kStsReply);
  ASSERT_TRUE(r) << r.error;
  EXPECT_EQ(r.credentials->access_key_id, "ASgeIAIOSFODNN7EXAMPLE");
  EXPECT_EQ(r.credentials->secret_access_key, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY");
  EXPECT_EQ(r.credentials->session_token, "AQoDYXdzEE0a8ANXXXXXXXXNO1ewxE5TijQyp+IEXAMPLE");
  EXPECT_EQ(r.credentials->expiration, utc(2014, 10, 24, 23, 0, 23));
}

TEST(StsXml, ErrorResponseBecomesClearMessage) {
  const auto r = parse_sts_credentials(R"(<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error>
    <Type>Sender</Type>
    <Code>InvalidIdentityToken</Code>
    <Message>Couldn&apos;t retrieve verification key from your identity provider</Message>
  </Error>
  <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>
</ErrorResponse>)");
  EXPECT_FALSE(r);
  EXPECT_EQ(r.error, "STS error InvalidIdentityToken: Couldn't retrieve verification key from your identity provider");
}

TEST(StsXml, IncompleteRepliesAreRejected) {
  EXPECT_FALSE(parse_sts_credentials(""));
  EXPECT_FALSE(parse_sts_credentials("<Credentials><AccessKeyId>A</AccessKeyId></Credentials>"));
  const auto no_exp = parse_sts_credentials(
      "<Credentials><AccessKeyId>A</AccessKeyId><SecretAccessKey>S</SecretAccessKey>"
      "<SessionToken>T</SessionToken></Credentials>");
  EXPECT_FALSE(no_exp);
  EXPECT_NE(no_exp.error.find("Expiration"), std::string::npos);
}

TEST(Xml, ElementTextDecodesEntitiesAndMatchesWholeNames) {
  EXPECT_EQ(xml_element_text("<a><CredentialsX>no</CredentialsX><Credentials>yes</Credentials></a>", "Credentials"),
            "yes");
  EXPECT_EQ(xml_element_text(R"(<v attr="1">a&amp;b&lt;c&gt;&quot;&#65;&#x42;&#xE9;&bogus;</v>)", "v"),
            "a&b<c>\"AB\xC3\xA9&bogus;");
  EXPECT_EQ(xml_element_text("<e/>", "e"), "");
  EXPECT_EQ(xml_element_text("<e>unterminated", "e"), std::nullopt);
  EXPECT_EQ(xml_element_text("<f>x</f>", "e"), std::nullopt);
}

TEST(ContainerFullUri, AllowedHosts) {
  const auto allowed = [](const char* text) {
    auto url = http::Url::parse(text);
    EXPECT_TRUE(url.has_value()) << text;
    return url && container_full_uri_allowed(*url);
  };
  EXPECT_TRUE(allowed("https://credentials.example.com/creds"));
  EXPECT_TRUE(allowed("http://127.0.0.1:8080/creds"));
  EXPECT_TRUE(allowed("http://127.200.3.4/creds"));
  EXPECT_TRUE(allowed("http://localhost/creds"));
  EXPECT_TRUE(allowed("http://LOCALHOST:9/creds"));
  EXPECT_TRUE(allowed("http://[::1]:8080/creds"));
  EXPECT_TRUE(allowed("http://169.254.170.2/v2/credentials"));
  EXPECT_TRUE(allowed("http://169.254.170.23/v1/credentials"));
  EXPECT_TRUE(allowed("http://[fd00:ec2::23]/v1/credentials"));

  EXPECT_FALSE(allowed("http://example.com/creds"));
  EXPECT_FALSE(allowed("http://169.254.170.3/creds"));
  EXPECT_FALSE(allowed("http://169.254.169.254/creds"));
  EXPECT_FALSE(allowed("http://128.0.0.1/creds"));
  EXPECT_FALSE(allowed("http://10.0.0.1/creds"));
  EXPECT_FALSE(allowed("http://[fd00:ec2::24]/creds"));
  EXPECT_FALSE(allowed("http://localhost.example.com/creds"));
  EXPECT_FALSE(allowed("http://127.0.0.1.nip.io/creds"));
}

TEST(HeaderValue, RejectsCrLf) {
  EXPECT_TRUE(valid_header_value("abc def"));
  EXPECT_FALSE(valid_header_value("abc\r\nX-Injected: 1"));
  EXPECT_FALSE(valid_header_value("abc\n"));
}

}  // namespace
}  // namespace llamachat::aws::credentials
