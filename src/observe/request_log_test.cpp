#include "observe/request_log.hpp"

#include <gtest/gtest.h>

#include <string>

namespace llamachat::observe {
namespace {

using std::chrono::microseconds;
const std::chrono::system_clock::time_point kTime{std::chrono::seconds(1'440'938'160)};

RequestRecord chat_record() {
  RequestRecord r;
  r.route = Route::chat;
  r.status = 200;
  r.input_tokens = 42;
  r.output_tokens = 7;
  r.ttft = microseconds(123'456);
  r.duration = microseconds(2'000'001);
  r.upstream_request_id.assign("5b0ea7a0-7f7e-4b9b-9b56-8d9d3a3f6f10");
  return r;
}

TEST(RequestLog, JsonLineHasEveryField) {
  const RequestRecord r = chat_record();
  EXPECT_EQ(format_request_line(util::LogFormat::json, {kTime, "0123456789abcdef", "POST", "model-x", r}),
            "{\"ts\":\"2015-08-30T12:36:00Z\",\"level\":\"info\",\"msg\":\"request\","
            "\"request_id\":\"0123456789abcdef\",\"upstream_request_id\":\"5b0ea7a0-7f7e-4b9b-9b56-8d9d3a3f6f10\","
            "\"method\":\"POST\",\"route\":\"/chat\",\"status\":200,\"model\":\"model-x\",\"input_tokens\":42,"
            "\"output_tokens\":7,\"ttft_ms\":123.456,\"duration_ms\":2000.001}\n");
}

TEST(RequestLog, UnknownValuesAreJsonNull) {
  RequestRecord r;
  r.route = Route::healthz;
  r.status = 200;
  r.duration = microseconds(5);
  EXPECT_EQ(format_request_line(util::LogFormat::json, {kTime, "id1", "GET", "", r}),
            "{\"ts\":\"2015-08-30T12:36:00Z\",\"level\":\"info\",\"msg\":\"request\",\"request_id\":\"id1\","
            "\"upstream_request_id\":null,\"method\":\"GET\",\"route\":\"/healthz\",\"status\":200,\"model\":null,"
            "\"input_tokens\":null,\"output_tokens\":null,\"ttft_ms\":null,\"duration_ms\":0.005}\n");
}

TEST(RequestLog, TextLineLeavesUnknownValuesOut) {
  const RequestRecord r = chat_record();
  EXPECT_EQ(
      format_request_line(util::LogFormat::text, {kTime, "id1", "POST", "", r}),
      "2015-08-30T12:36:00Z INFO request request_id=id1 upstream_request_id=5b0ea7a0-7f7e-4b9b-9b56-8d9d3a3f6f10 "
      "method=POST route=/chat status=200 input_tokens=42 output_tokens=7 ttft_ms=123.456 duration_ms=2000.001\n");
}

TEST(RequestLog, HostileBytesCannotBreakTheLine) {
  RequestRecord r;
  r.upstream_request_id.assign("x\"}\n{\"level\":\"error\xff");
  const std::string json = format_request_line(util::LogFormat::json, {kTime, "id", "GET", "", r});
  EXPECT_NE(json.find("\"upstream_request_id\":\"x\\\"}\\n{\\\"level\\\":\\\"error\xEF\xBF\xBD\""), std::string::npos)
      << json;
  EXPECT_EQ(json.find('\n'), json.size() - 1);
  const std::string text = format_request_line(util::LogFormat::text, {kTime, "id", "GET", "", r});
  EXPECT_NE(text.find(" upstream_request_id=x\"}_{\"level\":\"error_ "), std::string::npos) << text;
  EXPECT_EQ(text.find('\n'), text.size() - 1);
}

TEST(RequestLog, InlineTextCutsLongIds) {
  RequestRecord r;
  r.upstream_request_id.assign(std::string(100, 'a'));
  EXPECT_EQ(r.upstream_request_id.view(), std::string(64, 'a'));
}

}  // namespace
}  // namespace llamachat::observe
