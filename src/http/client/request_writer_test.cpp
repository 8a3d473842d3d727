// Golden request heads: the exact bytes the client puts on the wire before the body.
#include "http/client/request_writer.hpp"

#include <gtest/gtest.h>

namespace llamachat::http {
namespace {

Url origin(std::string host, std::uint16_t port, std::string scheme = "https") {
  Url url;
  url.scheme = std::move(scheme);
  url.host = std::move(host);
  url.port = port;
  return url;
}

RequestHead head_of(std::variant<RequestHead, RequestHeadError> written) {
  EXPECT_TRUE(std::holds_alternative<RequestHead>(written));
  return std::holds_alternative<RequestHead>(written) ? std::get<RequestHead>(std::move(written)) : RequestHead{};
}

TEST(RequestWriter, GetWithoutBodyAddsHostAndNoLength) {
  const auto head =
      head_of(write_request_head("GET", "/latest/api/token", {}, 0, origin("169.254.169.254", 80, "http")));
  EXPECT_EQ(head.text, "GET /latest/api/token HTTP/1.1\r\nHost: 169.254.169.254\r\n\r\n");
  EXPECT_TRUE(head.keep_alive);
  EXPECT_FALSE(head.head_method);
}

TEST(RequestWriter, PostKeepsFieldOrderAndWritesTheLength) {
  const HeaderList fields{{"host", "bedrock-runtime.us-east-1.amazonaws.com"}, {"content-type", "application/json"}};
  const auto head = head_of(write_request_head("POST", "/model/m/invoke", fields, 42,
                                               origin("bedrock-runtime.us-east-1.amazonaws.com", 443)));
  EXPECT_EQ(head.text,
            "POST /model/m/invoke HTTP/1.1\r\n"
            "host: bedrock-runtime.us-east-1.amazonaws.com\r\n"
            "content-type: application/json\r\n"
            "Content-Length: 42\r\n"
            "\r\n");
}

TEST(RequestWriter, EmptyBodyOfMethodsThatExpectOneHasLengthZero) {
  for (const char* method : {"POST", "PUT", "PATCH", "OPTIONS"}) {
    const auto head = head_of(write_request_head(method, "/", {}, 0, origin("example.com", 443)));
    EXPECT_EQ(head.text, std::string(method) + " / HTTP/1.1\r\nHost: example.com\r\nContent-Length: 0\r\n\r\n");
  }
  const auto del = head_of(write_request_head("DELETE", "/x", {}, 0, origin("example.com", 443)));
  EXPECT_EQ(del.text, "DELETE /x HTTP/1.1\r\nHost: example.com\r\n\r\n");
}

TEST(RequestWriter, CallerFramingFieldsAreDroppedAndOursWritten) {
  const HeaderList fields{{"Content-Length", "999"}, {"Transfer-Encoding", "chunked"}, {"X-A", "1"}};
  const auto head = head_of(write_request_head("PUT", "/k", fields, 3, origin("example.com", 8443)));
  EXPECT_EQ(head.text, "PUT /k HTTP/1.1\r\nX-A: 1\r\nHost: example.com:8443\r\nContent-Length: 3\r\n\r\n");
}

TEST(RequestWriter, Ipv6HostIsBracketed) {
  const auto head = head_of(write_request_head("GET", "/", {}, 0, origin("::1", 8080, "http")));
  EXPECT_EQ(head.text, "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n");
}

TEST(RequestWriter, ConnectionCloseIsWrittenAndRemembered) {
  const HeaderList fields{{"Connection", "keep-alive, Close"}};
  const auto head = head_of(write_request_head("GET", "/", fields, 0, origin("example.com", 443)));
  EXPECT_EQ(head.text, "GET / HTTP/1.1\r\nConnection: keep-alive, Close\r\nHost: example.com\r\n\r\n");
  EXPECT_FALSE(head.keep_alive);
}

TEST(RequestWriter, HeadMethodIsRemembered) {
  const auto head = head_of(write_request_head("HEAD", "/", {}, 0, origin("example.com", 443)));
  EXPECT_EQ(head.text, "HEAD / HTTP/1.1\r\nHost: example.com\r\n\r\n");
  EXPECT_TRUE(head.head_method);
}

TEST(RequestWriter, InvalidRequestLinesAreValues) {
  const Url url = origin("example.com", 443);
  for (const auto& [method, target] : std::vector<std::pair<std::string, std::string>>{
           {"", "/"}, {"GET", ""}, {"GE T", "/"}, {"GET", "/a b"}, {"GET\r\n", "/"}, {"GET", "/\nX: y"}}) {
    const auto written = write_request_head(method, target, {}, 0, url);
    ASSERT_TRUE(std::holds_alternative<RequestHeadError>(written)) << method << " " << target;
    EXPECT_EQ(std::get<RequestHeadError>(written), RequestHeadError::invalid_request_line);
  }
}

TEST(RequestWriter, InvalidHeaderFieldsAreValues) {
  const Url url = origin("example.com", 443);
  for (const HeaderList& fields :
       {HeaderList{{"", "v"}}, HeaderList{{"X-A", "v\r\nX-Injected: 1"}}, HeaderList{{"X\nA", "v"}}}) {
    const auto written = write_request_head("GET", "/", fields, 0, url);
    ASSERT_TRUE(std::holds_alternative<RequestHeadError>(written));
    EXPECT_EQ(std::get<RequestHeadError>(written), RequestHeadError::invalid_header_field);
  }
}

}  // namespace
}  // namespace llamachat::http
