// Golden response heads: the exact bytes before the body.
#include "http/server/response_head.hpp"

#include <gtest/gtest.h>

#include <array>

namespace llamachat::http {
namespace {

std::string head_of(const ResponseHead& head, std::span<const FieldView> fields = {}) {
  std::string out = "left over from the previous response";
  write_response_head(out, head, fields);
  return out;
}

ResponseHead whole(unsigned version, unsigned status, std::size_t body_size, bool keep_alive = true) {
  ResponseHead head;
  head.version = version;
  head.status = status;
  head.request_id = "rid1";
  head.keep_alive = keep_alive;
  head.body_size = body_size;
  return head;
}

TEST(ResponseHead, Http11KeepAliveSaysNothingAboutTheConnection) {
  const std::array<FieldView, 1> fields{{{"Content-Type", "application/json"}}};
  EXPECT_EQ(head_of(whole(11, 200, 12), fields),
            "HTTP/1.1 200 OK\r\n"
            "Content-Type: application/json\r\n"
            "X-Request-Id: rid1\r\n"
            "Server: llamachat\r\n"
            "Content-Length: 12\r\n"
            "\r\n");
}

TEST(ResponseHead, Http11CloseSaysClose) {
  EXPECT_EQ(head_of(whole(11, 502, 2, false)),
            "HTTP/1.1 502 Bad Gateway\r\nX-Request-Id: rid1\r\nServer: llamachat\r\nConnection: close\r\n"
            "Content-Length: 2\r\n\r\n");
}

TEST(ResponseHead, Http10SaysKeepAliveOnlyWhenKeepingAlive) {
  EXPECT_EQ(head_of(whole(10, 200, 5, true)),
            "HTTP/1.0 200 OK\r\nX-Request-Id: rid1\r\nServer: llamachat\r\nConnection: keep-alive\r\n"
            "Content-Length: 5\r\n\r\n");
  EXPECT_EQ(head_of(whole(10, 200, 5, false)),
            "HTTP/1.0 200 OK\r\nX-Request-Id: rid1\r\nServer: llamachat\r\nContent-Length: 5\r\n\r\n");
}

TEST(ResponseHead, HeadResponseCarriesTheLengthOfTheBodyItOmits) {
  // The writer leaves the body out; the head is the GET one (RFC 9110 §9.3.2).
  EXPECT_EQ(head_of(whole(11, 200, 1234)),
            "HTTP/1.1 200 OK\r\nX-Request-Id: rid1\r\nServer: llamachat\r\nContent-Length: 1234\r\n\r\n");
}

TEST(ResponseHead, NoContentAndNotModifiedHaveNoLength) {
  EXPECT_EQ(head_of(whole(11, 204, 0)), "HTTP/1.1 204 No Content\r\nX-Request-Id: rid1\r\nServer: llamachat\r\n\r\n");
  EXPECT_EQ(head_of(whole(11, 304, 7)), "HTTP/1.1 304 Not Modified\r\nX-Request-Id: rid1\r\nServer: llamachat\r\n\r\n");
  EXPECT_FALSE(status_has_body(100));
  EXPECT_TRUE(status_has_body(200));
}

TEST(ResponseHead, ChunkedStream) {
  ResponseHead head = whole(11, 200, 0);
  head.framing = BodyFraming::chunked;
  const std::array<FieldView, 2> fields{{{"Content-Type", "text/event-stream"}, {"Cache-Control", "no-cache"}}};
  EXPECT_EQ(head_of(head, fields),
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nX-Request-Id: rid1\r\n"
            "Server: llamachat\r\nTransfer-Encoding: chunked\r\n\r\n");
}

TEST(ResponseHead, Http10StreamEndsWithTheConnection) {
  ResponseHead head = whole(10, 200, 0, false);
  head.framing = BodyFraming::until_close;
  EXPECT_EQ(head_of(head), "HTTP/1.0 200 OK\r\nX-Request-Id: rid1\r\nServer: llamachat\r\n\r\n");
}

TEST(ResponseHead, HandlerCopiesOfServerFieldsAreDropped) {
  const std::array<FieldView, 6> fields{{{"connection", "keep-alive"},
                                         {"Content-Length", "99"},
                                         {"TRANSFER-ENCODING", "gzip"},
                                         {"Server", "other"},
                                         {"x-request-id", "spoofed"},
                                         {"X-Llamachat-Backend", "offline"}}};
  EXPECT_EQ(head_of(whole(11, 200, 0), fields),
            "HTTP/1.1 200 OK\r\nX-Llamachat-Backend: offline\r\nX-Request-Id: rid1\r\nServer: llamachat\r\n"
            "Content-Length: 0\r\n\r\n");
}

TEST(ResponseHead, BeastFieldsAndACustomReason) {
  boost::beast::http::fields fields;
  fields.set("Content-Type", "text/plain");
  fields.set("Content-Length", "1");
  ResponseHead head = whole(11, 599, 3);
  head.reason = "Custom";
  std::string out;
  write_response_head(out, head, fields);
  EXPECT_EQ(out,
            "HTTP/1.1 599 Custom\r\nContent-Type: text/plain\r\nX-Request-Id: rid1\r\nServer: llamachat\r\n"
            "Content-Length: 3\r\n\r\n");
}

}  // namespace
}  // namespace llamachat::http
