// Stage-level tests of the signer and the verifying side. End-to-end signatures are pinned by the official
// vectors and oracle cases in signer_vectors_test.cpp; here each rule is checked alone.
#include "aws/sigv4/signer.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "util/hex.hpp"

namespace llamachat::aws::sigv4 {
namespace {

using namespace std::chrono_literals;

// ---- canonical URI -------------------------------------------------------------------------------------------

struct UriCase {
  const char* wire;
  bool double_encode;
  bool normalize;
  const char* expected;
};

class CanonicalUriTest : public ::testing::TestWithParam<UriCase> {};

TEST_P(CanonicalUriTest, Matches) {
  const UriCase& c = GetParam();
  EXPECT_EQ(canonical_uri(c.wire, c.double_encode, c.normalize), c.expected) << c.wire;
}

INSTANTIATE_TEST_SUITE_P(
    Rules, CanonicalUriTest,
    ::testing::Values(UriCase{"/", true, true, "/"}, UriCase{"", true, true, "/"}, UriCase{"", true, false, "/"},
                      UriCase{"//", true, true, "/"}, UriCase{"//example//", true, true, "/example/"},
                      UriCase{"/example/..", true, true, "/"}, UriCase{"/example1/example2/../..", true, true, "/"},
                      UriCase{"/a/b/../c", true, true, "/a/c"}, UriCase{"/a/./b/", true, true, "/a/b/"},
                      UriCase{"/../a", true, true, "/a"}, UriCase{"/a/b/.", true, true, "/a/b"},
                      UriCase{"/example space/", true, true, "/example%20space/"},
                      UriCase{"/example/$delete", true, true, "/example/%24delete"},
                      UriCase{"/-._~0-9A-Za-z", true, true, "/-._~0-9A-Za-z"},
                      // Bedrock model ids: '%' of the wire encoding is encoded again.
                      UriCase{"/model/us.meta.llama3-3-70b-instruct-v1%3A0/invoke", true, true,
                              "/model/us.meta.llama3-3-70b-instruct-v1%253A0/invoke"},
                      // An encoded '/' is data, not a segment separator, so ".." after it does not climb over it.
                      UriCase{"/model/arn%3Ax%2F..%2Fy/converse", true, true, "/model/arn%253Ax%252F..%252Fy/converse"},
                      UriCase{"/model/a%2Fb/../c", true, true, "/model/c"},
                      // Normalisation off (S3-style): slashes and dots are kept as sent.
                      UriCase{"//example//", true, false, "//example//"}, UriCase{"/./", true, false, "/./"},
                      UriCase{"/example/..", true, false, "/example/.."},
                      // Single encoding trusts existing escapes and only encodes raw bytes.
                      UriCase{"/bucket/a%3Ab", false, false, "/bucket/a%3Ab"},
                      UriCase{"/bucket/a b", false, false, "/bucket/a%20b"},
                      UriCase{"/\xE1\x88\xB4", true, true, "/%E1%88%B4"}));

// ---- canonical query -----------------------------------------------------------------------------------------

TEST(CanonicalQuery, SortsByKeyThenValueAndReencodes) {
  EXPECT_EQ(canonical_query(""), "");
  EXPECT_EQ(canonical_query("b=2&a=1"), "a=1&b=2");
  EXPECT_EQ(canonical_query("Param1=value2&Param1=Value1"), "Param1=Value1&Param1=value2");
  EXPECT_EQ(canonical_query("Param2=value2&Param1=value1"), "Param1=value1&Param2=value2");
  // Sorting happens on the encoded form: '%' sorts before letters.
  EXPECT_EQ(canonical_query("Param-3=Value3&Param=Value2&%E1%88%B4=Value1"),
            "%E1%88%B4=Value1&Param=Value2&Param-3=Value3");
  EXPECT_EQ(canonical_query("\xE1\x88\xB4=bar"), "%E1%88%B4=bar");
}

TEST(CanonicalQuery, EncodingDetails) {
  EXPECT_EQ(canonical_query("a"), "a=");
  EXPECT_EQ(canonical_query("a="), "a=");
  EXPECT_EQ(canonical_query("a=b%20c"), "a=b%20c");
  EXPECT_EQ(canonical_query("a=b c"), "a=b%20c");
  EXPECT_EQ(canonical_query("a=b+c"), "a=b%2Bc");    // '+' is a literal plus, never a space
  EXPECT_EQ(canonical_query("a=%7e%2f"), "a=~%2F");  // unreserved decoded, hex upper-cased
  EXPECT_EQ(canonical_query("k=v=w"), "k=v%3Dw");
  EXPECT_EQ(canonical_query("&&a=1&"), "a=1");
  EXPECT_EQ(canonical_query("a=%zz"), "a=%25zz");  // a malformed escape is data
  EXPECT_EQ(canonical_query("-._~0-9A-Za-z=-._~0-9A-Za-z"), "-._~0-9A-Za-z=-._~0-9A-Za-z");
}

// ---- canonical headers ---------------------------------------------------------------------------------------

std::string canonical_header_value(std::string_view value) {
  std::string out = "prefix:";  // appends, keeping what is there
  append_canonical_header_value(out, value);
  EXPECT_EQ(out.rfind("prefix:", 0), 0u);
  return out.substr(7);
}

TEST(CanonicalHeaders, ValuesAreTrimmedAndWhitespaceCollapsed) {
  EXPECT_EQ(canonical_header_value("  value1  "), "value1");
  EXPECT_EQ(canonical_header_value("\"a   b   c\""), "\"a b c\"");
  EXPECT_EQ(canonical_header_value("a \t b"), "a b");
  EXPECT_EQ(canonical_header_value("value1\n  value2\r\n     value3"), "value1 value2 value3");
  EXPECT_EQ(canonical_header_value(""), "");
  EXPECT_EQ(canonical_header_value("   "), "");
}

TEST(CanonicalHeaders, NamesLoweredRepeatsJoinedInOrderAndSorted) {
  const std::vector<Header> headers = {
      {"Host", "example.amazonaws.com"},   {"My-Header1", "value4"}, {"X-Amz-Date", "20150830T123600Z"},
      {"my-header1", " value1 "},          {"MY-HEADER1", "value3"}, {"User-Agent", "never-signed"},
      {"Content-Type", "application/json"}};
  const CanonicalHeaders c = canonical_headers(headers);
  EXPECT_EQ(c.block,
            "content-type:application/json\nhost:example.amazonaws.com\nmy-header1:value4,value1,value3\n"
            "x-amz-date:20150830T123600Z\n");
  EXPECT_EQ(c.signed_headers, "content-type;host;my-header1;x-amz-date");
}

TEST(CanonicalHeaders, ExplicitSignedNamesSelectExactlyThoseHeaders) {
  const std::vector<Header> headers = {
      {"Host", "h"}, {"User-Agent", "ua"}, {"Accept", "a"}, {"X-Amz-Date", "d"}, {"X-Extra", "e"}};
  const CanonicalHeaders c = canonical_headers(headers, {"x-amz-date", "user-agent", "host", "absent"});
  EXPECT_EQ(c.block, "host:h\nuser-agent:ua\nx-amz-date:d\n");
  EXPECT_EQ(c.signed_headers, "host;user-agent;x-amz-date");
}

TEST(CanonicalHeaders, HopByHopAndAgentHeadersAreNeverSigned) {
  for (const char* name : {"user-agent", "x-amzn-trace-id", "expect", "connection", "transfer-encoding",
                           "authorization", "keep-alive", "te", "upgrade"})
    EXPECT_TRUE(is_unsigned_header(name)) << name;
  for (const char* name :
       {"host", ":authority", "content-type", "content-length", "accept", "x-amz-date", "x-amz-security-token",
        "x-amz-content-sha256", "x-amzn-bedrock-accept", "amz-sdk-invocation-id"})
    EXPECT_FALSE(is_unsigned_header(name)) << name;
}

// ---- request, string to sign, key ----------------------------------------------------------------------------

TEST(CanonicalRequest, JoinsTheSixPartsWithNewlines) {
  const CanonicalHeaders h{"host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n", "host;x-amz-date"};
  EXPECT_EQ(canonical_request("GET", "/", "", h, kEmptyPayloadHash),
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(StringToSign, HasAlgorithmDateScopeAndRequestHash) {
  EXPECT_EQ(credential_scope("20150830", "us-east-1", "service"), "20150830/us-east-1/service/aws4_request");
  // Hash of the get-vanilla canonical request (aws-c-auth header-string-to-sign.txt).
  const std::string creq =
      "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  EXPECT_EQ(string_to_sign("20150830T123600Z", "20150830/us-east-1/service/aws4_request", creq),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
}

TEST(SigningKey, MatchesTheAwsDocumentationExample) {
  // AWS General Reference, "Examples of how to derive a signing key for Signature Version 4".
  const util::Sha256Digest key =
      derive_signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam");
  EXPECT_EQ(util::to_hex(key), "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

// ---- sign() --------------------------------------------------------------------------------------------------

const Credentials kCreds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "", std::nullopt, "test"};

SigningParams bedrock_params() {
  SigningParams p;
  p.time = std::chrono::sys_days{std::chrono::year{2024} / 5 / 1} + 12h + 34min + 56s;
  p.region = "us-east-1";
  p.service = "bedrock";
  return p;
}

Request bedrock_request(std::string_view body) {
  return Request{"POST",
                 "/model/meta.llama3-8b-instruct-v1%3A0/invoke",
                 "",
                 {{"host", "bedrock-runtime.us-east-1.amazonaws.com"},
                  {"content-type", "application/json"},
                  {"accept", "application/json"}},
                 body};
}

constexpr std::string_view kBody = R"({"prompt":"Say hello","max_gen_len":32,"temperature":0.5})";

TEST(Sign, AddsDateThenAuthorizationAndMatchesTheOracle) {
  const SigningResult r = sign(bedrock_request(kBody), kCreds, bedrock_params());
  ASSERT_EQ(r.headers_to_add.size(), 2u);
  EXPECT_EQ(r.headers_to_add[0].name, "x-amz-date");
  EXPECT_EQ(r.headers_to_add[0].value, "20240501T123456Z");
  EXPECT_EQ(r.headers_to_add[1].name, "authorization");
  EXPECT_EQ(r.headers_to_add[1].value, r.authorization);
  EXPECT_EQ(r.signed_headers, "accept;content-type;host;x-amz-date");
  // Same request as shared/vectors/sigv4/oracle-bedrock/invoke-model-minimal.json (JS SDK signer).
  EXPECT_EQ(r.signature, "35936969e749db8657761ba99350754002c4136426445016d943a5d906826c99");
  EXPECT_EQ(r.authorization,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240501/us-east-1/bedrock/aws4_request, "
            "SignedHeaders=accept;content-type;host;x-amz-date, "
            "Signature=35936969e749db8657761ba99350754002c4136426445016d943a5d906826c99");
}

TEST(Sign, StaleSigningHeadersInTheRequestAreReplacedNotSignedTwice) {
  Request req = bedrock_request(kBody);
  req.headers.push_back({"X-Amz-Date", "19990101T000000Z"});
  req.headers.push_back({"Authorization", "AWS4-HMAC-SHA256 stale"});
  const SigningResult r = sign(req, kCreds, bedrock_params());
  EXPECT_EQ(r.signature, "35936969e749db8657761ba99350754002c4136426445016d943a5d906826c99");
  EXPECT_EQ(r.canonical_request.find("19990101"), std::string::npos);
}

TEST(Sign, PrecomputedPayloadHashIsUsedAndCanBeAddedAsHeader) {
  SigningParams p = bedrock_params();
  p.add_content_sha256_header = true;
  p.payload_hash = "UNSIGNED-PAYLOAD";
  const SigningResult r = sign(bedrock_request(kBody), kCreds, p);
  ASSERT_EQ(r.headers_to_add.size(), 3u);
  EXPECT_EQ(r.headers_to_add[1].name, "x-amz-content-sha256");
  EXPECT_EQ(r.headers_to_add[1].value, "UNSIGNED-PAYLOAD");
  EXPECT_TRUE(r.canonical_request.ends_with("\nUNSIGNED-PAYLOAD"));
  EXPECT_NE(r.canonical_request.find("x-amz-content-sha256:UNSIGNED-PAYLOAD\n"), std::string::npos);
  EXPECT_EQ(r.signed_headers, "accept;content-type;host;x-amz-content-sha256;x-amz-date");
}

TEST(Sign, SessionTokenSignedByDefaultOrAddedUnsigned) {
  Credentials creds = kCreds;
  creds.session_token = "token/with+chars=";
  SigningParams p = bedrock_params();
  const SigningResult signed_token = sign(bedrock_request(kBody), creds, p);
  ASSERT_EQ(signed_token.headers_to_add.size(), 3u);
  EXPECT_EQ(signed_token.headers_to_add[1].name, "x-amz-security-token");
  EXPECT_EQ(signed_token.headers_to_add[1].value, "token/with+chars=");
  EXPECT_EQ(signed_token.signed_headers, "accept;content-type;host;x-amz-date;x-amz-security-token");

  p.sign_session_token = false;
  const SigningResult unsigned_token = sign(bedrock_request(kBody), creds, p);
  ASSERT_EQ(unsigned_token.headers_to_add.size(), 3u);
  EXPECT_EQ(unsigned_token.headers_to_add[1].name, "x-amz-security-token");
  EXPECT_EQ(unsigned_token.signed_headers, "accept;content-type;host;x-amz-date");
  // Without the token in the signature, the result equals signing with long-term keys.
  EXPECT_EQ(unsigned_token.signature, sign(bedrock_request(kBody), kCreds, p).signature);
}

TEST(Sign, UserAgentAndTraceIdDoNotChangeTheSignature) {
  Request req = bedrock_request(kBody);
  const std::string plain = sign(req, kCreds, bedrock_params()).signature;
  req.headers.push_back({"User-Agent", "llamachat/1.0"});
  req.headers.push_back({"X-Amzn-Trace-Id", "Root=1-abc"});
  EXPECT_EQ(sign(req, kCreds, bedrock_params()).signature, plain);
  req.headers.push_back({"X-Amzn-Bedrock-Trace", "ENABLED"});
  EXPECT_NE(sign(req, kCreds, bedrock_params()).signature, plain);
}

// ---- parse_authorization -------------------------------------------------------------------------------------

constexpr std::string_view kSig = "35936969e749db8657761ba99350754002c4136426445016d943a5d906826c99";

std::string auth(std::string_view credential, std::string_view signed_headers, std::string_view signature) {
  return "AWS4-HMAC-SHA256 Credential=" + std::string(credential) + ", SignedHeaders=" + std::string(signed_headers) +
         ", Signature=" + std::string(signature);
}

TEST(ParseAuthorization, AcceptsTheStandardForm) {
  const auto a = parse_authorization(
      auth("AKIDEXAMPLE/20240501/us-east-1/bedrock/aws4_request", "accept;content-type;host;x-amz-date", kSig));
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->access_key_id, "AKIDEXAMPLE");
  EXPECT_EQ(a->date, "20240501");
  EXPECT_EQ(a->region, "us-east-1");
  EXPECT_EQ(a->service, "bedrock");
  EXPECT_EQ(a->signed_headers, (std::vector<std::string>{"accept", "content-type", "host", "x-amz-date"}));
  EXPECT_EQ(a->signature, kSig);
}

TEST(ParseAuthorization, AcceptsAnyComponentOrderAndSpacing) {
  const auto a = parse_authorization("  AWS4-HMAC-SHA256   Signature=" + std::string(kSig) +
                                     ",SignedHeaders=host;x-amz-date,Credential=AKID/20240501/eu-west-1/bedrock/"
                                     "aws4_request ");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->access_key_id, "AKID");
  EXPECT_EQ(a->region, "eu-west-1");
  EXPECT_EQ(a->signed_headers, (std::vector<std::string>{"host", "x-amz-date"}));
}

TEST(ParseAuthorization, RejectsMalformedValues) {
  const std::string cred = "AKIDEXAMPLE/20240501/us-east-1/bedrock/aws4_request";
  const std::string sh = "host;x-amz-date";
  const std::string sig(kSig);
  const std::vector<std::string> bad = {
      "",
      "AWS4-HMAC-SHA256",
      "AWS4-HMAC-SHA256 ",
      "Bearer abc",
      "AWS4-HMAC-SHA512 Credential=" + cred + ", SignedHeaders=" + sh + ", Signature=" + sig,
      "AWS4-HMAC-SHA256Credential=" + cred + ", SignedHeaders=" + sh + ", Signature=" + sig,
      "AWS4-HMAC-SHA256 Credential=" + cred + ", SignedHeaders=" + sh,                     // no signature
      "AWS4-HMAC-SHA256 SignedHeaders=" + sh + ", Signature=" + sig,                       // no credential
      "AWS4-HMAC-SHA256 Credential=" + cred + ", Signature=" + sig,                        // no signed headers
      auth(cred, sh, sig) + ", Signature=" + sig,                                          // duplicate
      auth(cred, sh, sig) + ", Extra=1",                                                   // unknown component
      auth(cred, sh, sig) + ",",                                                           // empty component
      auth("AKIDEXAMPLE/20240501/us-east-1/aws4_request", sh, sig),                        // 4 scope parts
      auth("AKIDEXAMPLE/20240501/us-east-1/bedrock/aws4_request/x", sh, sig),              // 6 scope parts
      auth("AKIDEXAMPLE/20240501/us-east-1/bedrock/aws5_request", sh, sig),                // wrong terminator
      auth("/20240501/us-east-1/bedrock/aws4_request", sh, sig),                           // empty key id
      auth("AKIDEXAMPLE/2024051/us-east-1/bedrock/aws4_request", sh, sig),                 // 7-digit date
      auth("AKIDEXAMPLE/2024-05-01/us-east-1/bedrock/aws4_request", sh, sig),              // not yyyymmdd
      auth("AKIDEXAMPLE/20240501//bedrock/aws4_request", sh, sig),                         // empty region
      auth(cred, "host;;x-amz-date", sig),                                                 // empty name
      auth(cred, "", sig),                                                                 // no names
      auth(cred, "Host;x-amz-date", sig),                                                  // upper case
      auth(cred, sh, sig.substr(1)),                                                       // 63 digits
      auth(cred, sh, sig + "0"),                                                           // 65 digits
      auth(cred, sh, "35936969E749DB8657761BA99350754002C4136426445016D943A5D906826C99"),  // upper-case hex
      auth(cred, sh, std::string(64, 'g')),                                                // not hex
      "AWS4-HMAC-SHA256 Credential",                                                       // no '='
  };
  for (const std::string& value : bad) EXPECT_FALSE(parse_authorization(value).has_value()) << value;
}

// ---- verify() ------------------------------------------------------------------------------------------------

class VerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Credentials creds = kCreds;
    creds.session_token = "session-token-value";
    SigningParams p = bedrock_params();
    p.add_content_sha256_header = true;
    Request req = bedrock_request(body);
    req.headers.push_back({"x-amzn-bedrock-trace", "ENABLED"});
    const SigningResult r = sign(req, creds, p);
    received = req;
    received.headers.insert(received.headers.end(), r.headers_to_add.begin(), r.headers_to_add.end());
    received.headers.push_back({"User-Agent", "added-by-a-proxy/1.0"});  // unsigned: may change freely
    received.payload = body;
  }

  Verification check(std::string_view secret = kCreds.secret_access_key, std::string_view service = "bedrock",
                     std::string_view region = "us-east-1", std::string_view key_id = "AKIDEXAMPLE") const {
    return verify(received, key_id, secret, service, region);
  }

  Header& header(std::string_view name) {
    for (Header& h : received.headers)
      if (h.name == name) return h;
    ADD_FAILURE() << "no header " << name;
    return received.headers.front();
  }

  std::string body = std::string(kBody);
  Request received;
};

TEST_F(VerifyTest, AcceptsTheSignedRequest) {
  const Verification v = check();
  EXPECT_TRUE(v.ok) << v.error_code << ": " << v.reason;
  EXPECT_TRUE(v.error_code.empty());
  EXPECT_TRUE(v.expected_canonical_request.starts_with("POST\n/model/meta.llama3-8b-instruct-v1%253A0/invoke\n"));
  EXPECT_TRUE(check(kCreds.secret_access_key, "bedrock", /*region=*/"").ok) << "empty region = any region";
}

TEST_F(VerifyTest, UnsignedHeadersMayChange) {
  header("User-Agent").value = "something else";
  received.headers.push_back({"X-Amzn-Trace-Id", "Root=1-xyz"});
  EXPECT_TRUE(check().ok);
}

TEST_F(VerifyTest, HeaderNameCaseAndValueSpacingDoNotMatter) {
  header("content-type").name = "Content-Type";
  header("accept").value = "  application/json ";
  EXPECT_TRUE(check().ok);
}

TEST_F(VerifyTest, TamperedBodyFails) {
  body[3] = 'X';
  received.payload = body;
  const Verification v = check();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.error_code, "InvalidSignatureException");
  EXPECT_FALSE(v.expected_canonical_request.empty());
}

TEST_F(VerifyTest, TamperedSignedHeaderFails) {
  header("x-amzn-bedrock-trace").value = "DISABLED";
  EXPECT_EQ(check().error_code, "InvalidSignatureException");
}

TEST_F(VerifyTest, TamperedPathFails) {
  received.path = "/model/meta.llama3-70b-instruct-v1%3A0/invoke";
  EXPECT_EQ(check().error_code, "InvalidSignatureException");
}

TEST_F(VerifyTest, AddedQueryFails) {
  received.query = "a=1";
  EXPECT_EQ(check().error_code, "InvalidSignatureException");
}

TEST_F(VerifyTest, TamperedSignatureFails) {
  std::string& value = header("authorization").value;
  char& last = value.back();
  last = last == '0' ? '1' : '0';
  EXPECT_EQ(check().error_code, "InvalidSignatureException");
}

TEST_F(VerifyTest, WrongSecretFailsWithoutLeakingIt) {
  const Verification v = check("not-the-secret");
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.error_code, "InvalidSignatureException");
  EXPECT_EQ(v.reason.find(kCreds.secret_access_key), std::string::npos);
  EXPECT_EQ(v.reason.find("not-the-secret"), std::string::npos);
}

TEST_F(VerifyTest, UnknownAccessKeyIsUnrecognizedClient) {
  EXPECT_EQ(check(kCreds.secret_access_key, "bedrock", "us-east-1", "AKIDOTHER").error_code,
            "UnrecognizedClientException");
}

TEST_F(VerifyTest, WrongServiceOrRegionFails) {
  const Verification service = check(kCreds.secret_access_key, "bedrock-runtime");
  EXPECT_EQ(service.error_code, "InvalidSignatureException");
  EXPECT_NE(service.reason.find("service"), std::string::npos);
  const Verification region = check(kCreds.secret_access_key, "bedrock", "us-west-2");
  EXPECT_EQ(region.error_code, "InvalidSignatureException");
  EXPECT_NE(region.reason.find("region"), std::string::npos);
}

TEST_F(VerifyTest, MissingAuthorizationIsMissingAuthenticationToken) {
  std::erase_if(received.headers, [](const Header& h) { return h.name == "authorization"; });
  EXPECT_EQ(check().error_code, "MissingAuthenticationTokenException");
}

TEST_F(VerifyTest, MalformedAuthorizationIsIncompleteSignature) {
  header("authorization").value = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE";
  EXPECT_EQ(check().error_code, "IncompleteSignatureException");
}

TEST_F(VerifyTest, MissingOrMalformedDateIsIncompleteSignature) {
  header("x-amz-date").value = "2024-05-01T12:34:56Z";
  EXPECT_EQ(check().error_code, "IncompleteSignatureException");
  std::erase_if(received.headers, [](const Header& h) { return h.name == "x-amz-date"; });
  EXPECT_EQ(check().error_code, "IncompleteSignatureException");
}

TEST_F(VerifyTest, DateOutsideTheCredentialScopeFails) {
  header("x-amz-date").value = "20240502T123456Z";
  EXPECT_EQ(check().error_code, "InvalidSignatureException");
}

TEST_F(VerifyTest, ChangedTimeWithinTheDayFails) {
  header("x-amz-date").value = "20240501T123457Z";
  EXPECT_EQ(check().error_code, "InvalidSignatureException");
}

TEST_F(VerifyTest, SignedHeaderMissingFromTheRequestFails) {
  std::erase_if(received.headers, [](const Header& h) { return h.name == "x-amzn-bedrock-trace"; });
  const Verification v = check();
  EXPECT_EQ(v.error_code, "InvalidSignatureException");
  EXPECT_NE(v.reason.find("x-amzn-bedrock-trace"), std::string::npos);
}

TEST_F(VerifyTest, HostMustBeSigned) {
  std::string& value = header("authorization").value;
  const std::size_t at = value.find("host;");
  ASSERT_NE(at, std::string::npos);
  value.erase(at, 5);
  EXPECT_EQ(check().error_code, "IncompleteSignatureException");
}

}  // namespace
}  // namespace llamachat::aws::sigv4
