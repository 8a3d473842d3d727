#include "http/server/request_checks.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/beast/http/parser.hpp>
#include <memory>
#include <string>

namespace llamachat::http {
namespace {
namespace bhttp = boost::beast::http;

// Parses a request head with Beast, as the server does, then applies the checks. Heads Beast itself
// refuses are not interesting here and fail the test.
std::optional<HeadRefusal> check(const std::string& head, std::size_t max_fields = 100) {
  bhttp::request_parser<bhttp::string_body> parser;
  parser.eager(false);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(head), ec);
  EXPECT_TRUE(!ec && parser.is_header_done()) << ec.message() << " for " << head;
  return refuse_head(parser.get().base(), max_fields);
}

unsigned status_of(const std::string& head) {
  const auto refusal = check(head);
  return refusal ? refusal->status : 0;
}

TEST(RefuseHead, PlainRequestsPass) {
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), 0u);
  EXPECT_EQ(status_of("GET / HTTP/1.0\r\n\r\n"), 0u);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\n"), 0u);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"), 0u);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nTransfer-Encoding: CHUNKED\r\n\r\n"), 0u);
}

TEST(RefuseHead, FieldCountLimit) {
  std::string head = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 5; ++i) head += "A: b\r\n";
  EXPECT_FALSE(check(head + "\r\n", 5));
  const auto refusal = check(head + "A: b\r\n\r\n", 5);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->status, 431u);
  EXPECT_EQ(refusal->message, "request has more than 5 header fields");
}

TEST(RefuseHead, ContentLengthOnceAndAsOneNumber) {
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n"), 400u);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nContent-Length: 3, 3\r\n\r\n"), 400u);
}

TEST(RefuseHead, TransferEncodingRules) {
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"), 400u);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nTransfer-Encoding: identity\r\n\r\n"), 400u);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nTransfer-Encoding: identity\r\nContent-Length: 3\r\n\r\n"), 400u);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, identity\r\n\r\n"), 400u);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"), 501u);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"), 501u);
  EXPECT_EQ(status_of("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), 400u);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nTransfer-Encoding: ,\r\n\r\n"), 400u);
}

TEST(NamesAnHttpVersion, OnlyARequestLineEndingInHttpDigitDotDigitAndCrlf) {
  EXPECT_TRUE(names_an_http_version("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"));
  EXPECT_TRUE(names_an_http_version("GET / HTTP/1.2\r\nHost: x\r\n\r\n"));
  EXPECT_FALSE(names_an_http_version("GET /healthz\r\n\r\n"));
  EXPECT_FALSE(names_an_http_version("GET / HTTP/1.1\nHost: x\n\n"));
  EXPECT_FALSE(names_an_http_version("THIS IS NOT HTTP\r\n\r\n"));
  EXPECT_FALSE(names_an_http_version("GET / HTTP/x.1\r\n"));
}

// Found by fuzz.http_request: a line that is only the version has no byte before it to check for the space.
// The bytes live alone on the heap, so AddressSanitizer reports a read before them.
TEST(NamesAnHttpVersion, ALineOfOnlyTheVersionIsNotReadBeforeItsStart) {
  const std::string_view line = "HTTP/1.1\r\n";
  const auto bytes = std::make_unique<char[]>(line.size());
  std::copy(line.begin(), line.end(), bytes.get());
  EXPECT_FALSE(names_an_http_version(std::string_view(bytes.get(), line.size())));
  EXPECT_TRUE(names_an_http_version(" HTTP/1.1\r\n"));
}

TEST(HasObsFold, AFieldLineContinuedWithSpaceOrTab) {
  EXPECT_TRUE(has_obs_fold("GET / HTTP/1.1\r\nX-A: one\r\n two\r\n\r\n"));
  EXPECT_TRUE(has_obs_fold("GET / HTTP/1.1\r\nX-A: one\r\n\ttwo\r\n\r\n"));
  EXPECT_FALSE(has_obs_fold("GET / HTTP/1.1\r\nX-A: one two\r\n\r\n"));
}

TEST(OriginFormOf, AbsoluteFormBecomesItsPathAndQuery) {
  EXPECT_EQ(origin_form_of("http://example.com/healthz"), "/healthz");
  EXPECT_EQ(origin_form_of("HTTP://example.com:8080/v1/models?x=1"), "/v1/models?x=1");
  EXPECT_EQ(origin_form_of("https://example.com"), "/");
  EXPECT_EQ(origin_form_of("http://example.com?q=1"), "/?q=1");
  EXPECT_EQ(origin_form_of("/healthz"), std::nullopt);
  EXPECT_EQ(origin_form_of("*"), std::nullopt);
  EXPECT_EQ(origin_form_of("ftp://example.com/x"), std::nullopt);
}

}  // namespace
}  // namespace llamachat::http
